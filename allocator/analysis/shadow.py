"""Shadow prices: what one more 万元 of each budget buys, what one more m2 of target costs.

Two ways to the same question, reported side by side:

- LP prices. The plan's integer decisions (which routes, which options a limited grant funds)
  are fixed and the LP of what is left is solved twice, as the plan is: least weighted
  shortfall W, then least cost C with W kept. The duals of the budget rows and the target rows
  are the prices: for a budget, the fall in W per 万元 (stage 1), or, where W cannot fall,
  the fall in cost per 万元 (stage 2); for a target, the rise in W per m2, or, where W does
  not rise, the money per m2. HiGHS's ranging says how far each price holds.
- Finite differences. The whole MIP is solved again with one budget raised by `step_wan`
  (or one target by `step_m2`), routes free to change, and the change in W, then in C, is
  divided by the step.

They differ where the step changes the routes (more money makes an all-or-nothing route
affordable: a jump the LP with fixed routes cannot see), where the step goes past the range
over which the LP price holds, and where the LP is degenerate (more than one price fits).
Each entry says in words which to trust: the finite difference for a change of that size,
the LP price for the rate of small changes with these routes.

The model is built with budgets opened (see `allocator.scenario.edits.opened`), the real budgets put
back as row bounds, so that every budget binds through its row and shows in its dual.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from allocator.model.reference import Model, build_model
from allocator.plan import Plan
from allocator.scenario.edits import opened
from allocator.scenario.schema import Scenario
from allocator.solving.highs import INF, HighsModel
from allocator.solving.pulp_highs import to_highs

STEP_WAN = 1.0
STEP_M2 = 1.0
_W_KEEP_M2 = 1e-6  # as allocator.solving.lexicographic: the cost stage keeps W within this many m2
_GAP = 1e-9
_PRESOLVE_FROM_COLUMNS = 20_000
_AGREE_ABS, _AGREE_REL = 2e-3, 1e-3
TRUST_WORDS = (
    "LP prices hold the plan's routes fixed and give the rate for small changes; the finite "
    "difference re-solves everything, routes included, for a step of the stated size. Where "
    "they differ, trust the finite difference for a change of that size and the LP price for "
    "the rate at the margin while the routes stay as they are."
)


@dataclass
class PriceModel:
    """The scenario in HiGHS with budgets as rows and a row to keep W in the cost stage."""

    scenario: Scenario
    model: Model
    lp: HighsModel
    w: dict[str, float]
    c: dict[str, float]
    budgets: dict[tuple[str, str], float]

    @classmethod
    def build(cls, scenario: Scenario) -> PriceModel:
        model = build_model(opened(scenario))
        lp = to_highs(model.problem)
        budgets = {}
        for source in scenario.funding:
            for unit, amount in scenario.units(source).items():
                row = model.budget_rows.get((source.id, unit))
                if row is not None:
                    lp.set_row_bounds(row, -INF, amount)
                    lp.row_upper[lp.rows[row]] = amount
                    budgets[(source.id, unit)] = amount
        for community in scenario.communities:
            if not community.must_meet:
                # shortfall <= target (14) is implied once W is minimised; as a bound it would
                # take the price of a target away from the target's row. Lifted here.
                column = model.shortfall[community.id].name
                lp.set_col_bounds(column, 0.0, INF)
                lp.col_upper[lp.columns[column]] = INF
        w = {v.name: coef for v, coef in model.weighted_shortfall.items()}
        c = {v.name: coef for v, coef in model.total_cost.items()}
        lp.add_row("keep_shortfall", -INF, INF, w)
        lp.highs.setOptionValue("mip_rel_gap", _GAP)
        if len(lp.columns) <= _PRESOLVE_FROM_COLUMNS:
            # Measured on the 2024 county: a re-solve from a known plan takes 0.05 s without
            # presolve, 0.13 s with it. Large models keep it.
            lp.highs.setOptionValue("presolve", "off")
        return cls(scenario, model, lp, w, c, budgets)

    def lexicographic(
        self, start: dict[str, float] | None = None, deadline: float | None = None
    ) -> tuple[float, float, dict[str, float]] | None:
        """Least W, then least C at that W; None when infeasible or out of time."""
        self.lp.set_row_bounds("keep_shortfall", -INF, INF)
        self.lp.set_objective(self.w)
        if start:
            self.lp.set_start(start)
        if self.lp.run(_remaining(deadline)) != "optimal":
            return None
        shortfall = self.lp.objective()
        first = self.lp.values()
        self.lp.set_row_bounds("keep_shortfall", -INF, shortfall + _W_KEEP_M2)
        self.lp.set_objective(self.c)
        self.lp.set_start(first)
        status = self.lp.run(_remaining(deadline))
        # Read before touching any bound: a change of the model clears HiGHS's solution.
        solved = (shortfall, self.lp.objective(), self.lp.values()) if status == "optimal" else None
        self.lp.set_row_bounds("keep_shortfall", -INF, INF)
        return solved

    def integer_values(self, plan: Plan) -> dict[str, float]:
        """The plan's integer decisions as column values: y for chosen routes (and locked
        ones), z for the options each limited source funds."""
        chosen = {o.id: o for c in plan.community_results for o in c.options}
        values = {}
        for i, (_, option) in enumerate(self.model.options):
            taken = option.id in chosen or option.locked == "chosen"
            values[self.model.chosen[i].name] = 1.0 if taken else 0.0
        for (i, source_id), flag in self.model.funded.items():
            option = self.model.options[i][1]
            paid = chosen[option.id].funding.get(source_id, 0.0) if option.id in chosen else 0.0
            values[flag.name] = 1.0 if paid > 0 else 0.0
        return values


def shadow_prices(
    scenario: Scenario,
    plan: Plan | None = None,
    *,
    solver: str = "highs",
    step_wan: float = STEP_WAN,
    step_m2: float = STEP_M2,
    finite_differences: bool = True,
    time_limit_s: float | None = None,
    communities: Collection[str] | None = None,
    budgets: Collection[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Prices of every budget unit and every community target, LP and finite difference.

    `plan` is the plan to price (solved here when not given); its route choices are the ones
    the LP prices hold fixed. Finite differences re-solve with HiGHS whatever `solver` made
    the plan; `time_limit_s` bounds them (entries left without one say so). `communities`
    and `budgets` ((source, unit) pairs) limit the entries to those named.
    """
    from allocator.solving.lexicographic import solve

    began = time.monotonic()
    deadline = None if time_limit_s is None else began + time_limit_s
    if plan is None:
        plan = solve(scenario, solver=solver)
    if not plan.status.has_plan:
        return {
            "status": plan.status.value,
            "summary": "No plan, so no prices.",
            "budgets": [],
            "targets": [],
        }
    prices = PriceModel.build(scenario)
    lp = _lp_prices(prices, prices.integer_values(plan))
    units = [k for k in prices.budgets if budgets is None or k in set(budgets)]
    places = [c.id for c in scenario.communities if communities is None or c.id in communities]
    moves = [(prices.model.budget_rows[k], "upper", step_wan) for k in units]
    moves += [(prices.model.target_rows[c], "lower", step_m2) for c in places]
    fd: dict[str, dict[str, Any]] = {}
    base = prices.lexicographic(deadline=deadline) if finite_differences else None
    if base is not None:
        fd = _finite_differences(prices, base, moves, deadline)
    budget_entries = [_budget_entry(prices, plan, key, lp, fd, step_wan) for key in units]
    targets = [_target_entry(prices, plan, c, lp, fd, step_m2) for c in places]
    result = {
        "status": plan.status.value,
        "method": {
            "lp": "HiGHS duals of the LP with the plan's integer decisions fixed, in two stages "
            "(weighted shortfall, then cost at that shortfall)",
            "finite_difference": (
                f"the whole MIP re-solved with one budget raised by {step_wan:g} 万元 or one "
                f"target by {step_m2:g} m2"
                if base is not None
                else "not computed"
            ),
            "which_to_trust": TRUST_WORDS,
        },
        "weighted_shortfall": lp["w"],
        "total_cost": lp["c"],
        "budgets": budget_entries,
        "targets": targets,
        "runtime_s": round(time.monotonic() - began, 3),
    }
    result["summary"] = _summary(result)
    return result


# --- LP prices ----------------------------------------------------------------------------
def _lp_prices(prices: PriceModel, integers: dict[str, float]) -> dict[str, Any]:
    lp = prices.lp
    lp.fix_integers(integers)
    try:
        lp.set_row_bounds("keep_shortfall", -INF, INF)
        lp.set_objective(prices.w)
        if lp.run() != "optimal":
            raise RuntimeError("the plan's routes give no LP solution: cannot price them")
        w = lp.objective()
        first = {name: lp.row_dual(name) for name in lp.rows}
        range_first = _ranges(lp)
        lp.set_row_bounds("keep_shortfall", -INF, w + _W_KEEP_M2)
        lp.set_objective(prices.c)
        if lp.run() != "optimal":
            raise RuntimeError("the plan's routes give no LP solution in the cost stage")
        c = lp.objective()
        second = {name: lp.row_dual(name) for name in lp.rows}
        range_second = _ranges(lp)
    finally:
        lp.set_row_bounds("keep_shortfall", -INF, INF)
        lp.unfix_integers()
    return {
        "w": w,
        "c": c,
        "first": first,
        "second": second,
        "range_first": range_first,
        "range_second": range_second,
    }


def _ranges(lp: HighsModel) -> dict[str, float | None]:
    """How far each row's bound can rise with the same prices: None for a row with slack
    (its price, zero, holds for any rise)."""
    ranges: dict[str, float | None] = dict(lp.rows_range_up())
    activity = lp.row_values()
    for name, i in lp.rows.items():
        low, high = float(lp.row_lower[i]), float(lp.row_upper[i])
        bound = high if high < INF else low
        if abs(activity[name] - bound) > 1e-7 * max(1.0, abs(bound)):
            ranges[name] = None
    return ranges


# --- finite differences -------------------------------------------------------------------
def _finite_differences(
    prices: PriceModel,
    base: tuple[float, float, dict[str, float]],
    moves: list[tuple[str, str, float]],
    deadline: float | None,
) -> dict[str, dict[str, Any]]:
    """Re-solve with each row's bound moved: (row, "upper" or "lower", step)."""
    w0, c0, start = base
    routes0 = _routes(prices, start)
    results = {}
    lp = prices.lp
    for row, side, step in moves:
        if deadline is not None and time.monotonic() > deadline:
            break
        i = lp.rows[row]
        low, high = float(lp.row_lower[i]), float(lp.row_upper[i])
        lp.set_row_bounds(
            row, low + (step if side == "lower" else 0.0), high + (step if side == "upper" else 0.0)
        )
        solved = prices.lexicographic(_start_after(prices, start, row, side, step), deadline)
        lp.set_row_bounds(row, low, high)
        if solved is None:
            results[row] = {"step": step, "feasible": False}
            continue
        w1, c1, values = solved
        routes1 = _routes(prices, values)
        results[row] = {
            "step": step,
            "feasible": True,
            "d_shortfall": _clean((w1 - w0) / step),
            "d_cost": _clean((c1 - c0) / step),
            "routes_in": sorted(routes1 - routes0),
            "routes_out": sorted(routes0 - routes1),
        }
    return results


def _start_after(
    prices: PriceModel, start: dict[str, float], row: str, side: str, step: float
) -> dict[str, float] | None:
    """The base plan, still feasible after the move: a budget raised leaves it feasible; a
    target raised does too once the community's shortfall grows by the step (not for a
    must_meet site, whose shortfall is held at zero)."""
    if side == "upper":
        return start
    community_id = next(c for c, r in prices.model.target_rows.items() if r == row)
    column = prices.model.shortfall[community_id].name
    if prices.lp.col_upper[prices.lp.columns[column]] < INF:
        return None  # a must_meet site: its shortfall stays at zero
    return {**start, column: start[column] + step}


def _routes(prices: PriceModel, values: dict[str, float]) -> set[str]:
    taken = set()
    for i, (_, option) in enumerate(prices.model.options):
        if values.get(prices.model.chosen[i].name, 0.0) > 0.5 and (
            values.get(prices.model.area[i].name, 0.0) > 1e-6 or option.replaces_existing
        ):
            taken.add(option.id)
    return taken


# --- entries and words --------------------------------------------------------------------
@dataclass(frozen=True)
class _Priced:
    """How an entry reads its row's prices: the sign that turns the row's duals and
    differences into what one more unit gains, the names of the two prices, of how far the LP
    price holds and of the step, and the step's unit."""

    sign: float
    first: str
    second: str
    holds: str
    step: str
    unit: str


_BUDGET = _Priced(
    -1.0,
    "shortfall_reduction_m2_per_wan",
    "cost_saving_wan_per_wan",
    "holds_for_extra_wan",
    "step_wan",
    "万元",
)
_TARGET = _Priced(
    1.0, "shortfall_m2_per_m2", "cost_wan_per_m2", "holds_for_extra_m2", "step_m2", "m2"
)


def _budget_entry(
    prices: PriceModel,
    plan: Plan,
    key: tuple[str, str],
    lp: dict[str, Any],
    fd: dict[str, dict[str, Any]],
    step_wan: float,
) -> dict[str, Any]:
    source_id, unit = key
    row = prices.model.budget_rows[key]
    budget = prices.budgets[key]
    used = next(
        (f.used for f in plan.funding_results if f.source == source_id and f.unit == unit), 0.0
    )
    head = {
        "source": source_id,
        "source_name": next(s.name for s in prices.scenario.funding if s.id == source_id),
        "unit": unit,
        "budget": budget,
        "used": used,
        "binding": budget - used <= 1e-6,
    }
    entry = _priced_entry(_BUDGET, head, row, budget, lp, fd, step_wan)
    entry["buys"] = _budget_words(entry)
    return entry


def _target_entry(
    prices: PriceModel,
    plan: Plan,
    community_id: str,
    lp: dict[str, Any],
    fd: dict[str, dict[str, Any]],
    step_m2: float,
) -> dict[str, Any]:
    row = prices.model.target_rows[community_id]
    result = next(c for c in plan.community_results if c.id == community_id)
    head = {
        "community": community_id,
        "name": result.name,
        "target_area_m2": result.target_area_m2,
        "meets_target": result.meets_target,
        "must_meet": result.must_meet,
    }
    now = float(prices.lp.row_lower[prices.lp.rows[row]])
    entry = _priced_entry(_TARGET, head, row, now, lp, fd, step_m2)
    entry["costs"] = _target_words(entry)
    return entry


def _priced_entry(
    priced: _Priced,
    head: dict[str, Any],
    row: str,
    now: float,
    lp: dict[str, Any],
    fd: dict[str, dict[str, Any]],
    step: float,
) -> dict[str, Any]:
    """`head` with the LP prices of `row` (whose bound is `now`), the re-solve's where there is
    one, and how the two compare."""
    first = _clean(priced.sign * lp["first"][row])
    second = None if first else _clean(priced.sign * lp["second"][row])
    holds = lp["range_first"] if first else lp["range_second"]
    entry: dict[str, Any] = {
        **head,
        "lp": {
            priced.first: first,
            priced.second: second,
            priced.holds: _extra(holds.get(row), now),
        },
    }
    found = fd.get(row)
    if found is not None:
        entry["finite_difference"] = _finite_difference(priced, found)
    entry.update(
        _compare(
            entry["lp"],
            entry.get("finite_difference"),
            step,
            priced.unit,
            (priced.first, priced.second),
        )
    )
    return entry


def _finite_difference(priced: _Priced, step: dict[str, Any]) -> dict[str, Any]:
    if not step["feasible"]:
        return {priced.step: step["step"], "feasible": False}
    first = _clean(priced.sign * step["d_shortfall"])
    return {
        priced.step: step["step"],
        priced.first: first,
        priced.second: None if first else _clean(priced.sign * step["d_cost"]),
        "routes_in": step["routes_in"],
        "routes_out": step["routes_out"],
    }


def _compare(
    lp: dict[str, Any], fd: dict[str, Any] | None, step: float, unit: str, keys: tuple[str, str]
) -> dict[str, Any]:
    """Do the two agree, and if not, why and which to trust."""
    if fd is None:
        return {"agree": None, "trust": "lp", "why": "no finite difference computed"}
    if fd.get("feasible") is False:
        return {
            "agree": False,
            "trust": "finite_difference",
            "why": f"with {step:g} {unit} more there is no plan at all: the LP price holds "
            "only below that, if at all",
        }
    if all(_close(lp[k], fd[k]) for k in keys):
        return {"agree": True, "trust": "both", "why": "the LP price and the re-solve agree"}
    changed = fd["routes_in"] or fd["routes_out"]
    if changed:
        moves = ", ".join([f"+{r}" for r in fd["routes_in"]] + [f"-{r}" for r in fd["routes_out"]])
        why = (
            f"{step:g} {unit} more changes the routes ({moves}): a jump the LP with the "
            "plan's routes fixed cannot see. Trust the finite difference for a change of "
            "this size; the LP price is the rate only while the routes stay as they are"
        )
    elif lp[_range_key(lp)] is not None and lp[_range_key(lp)] < step - 1e-9:
        why = (
            f"the LP price holds for {lp[_range_key(lp)]:g} {unit} only, less than the step "
            f"of {step:g}: trust the LP price below {lp[_range_key(lp)]:g} {unit} and the "
            "finite difference for the full step"
        )
    else:
        why = (
            "the LP is degenerate here (more than one price fits this plan): trust the "
            "finite difference, which is what the step really does"
        )
    return {"agree": False, "trust": "finite_difference", "why": why}


def _range_key(lp: dict[str, Any]) -> str:
    return next(k for k in lp if k.startswith("holds_for"))


def _trusted(entry: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """The figures to quote (the re-solve where it is the one to trust) and their step."""
    if entry["trust"] == "finite_difference":
        fd = entry["finite_difference"]
        return fd, float(fd.get("step_wan", fd.get("step_m2", 1.0)))
    return entry["lp"], 1.0


def _budget_words(entry: dict[str, Any]) -> str:
    values, step = _trusted(entry)
    where = f"{entry['source']}" + ("" if entry["unit"] == "county" else f" in {entry['unit']}")
    more = "one more 万元" if step == 1 else f"{step:g} 万元 more"
    if values.get("feasible") is False:
        return f"{more} of {where}: no plan"
    reduction = values["shortfall_reduction_m2_per_wan"]
    if reduction:
        return f"{more} of {where} cuts the weighted shortfall by {reduction * step:.3g} m2"
    saving = values["cost_saving_wan_per_wan"] or 0.0
    if saving:
        return f"{more} of {where} saves {saving * step:.3g} 万元 of cost"
    return f"{more} of {where} buys nothing"


def _target_words(entry: dict[str, Any]) -> str:
    values, step = _trusted(entry)
    where = entry["community"]
    more = "one more m2" if step == 1 else f"{step:g} m2 more"
    if values.get("feasible") is False:
        return f"{more} of target at {where} cannot be met: no plan"
    shortfall = values["shortfall_m2_per_m2"]
    if shortfall:
        return f"{more} of target at {where} adds {shortfall * step:.3g} m2 of weighted shortfall"
    cost = values["cost_wan_per_m2"] or 0.0
    return f"{more} of target at {where} costs {cost * step:.4g} 万元"


def _summary(result: dict[str, Any]) -> str:
    valuable = [b for b in result["budgets"] if "buys nothing" not in b["buys"]]
    valuable.sort(key=lambda b: _value_order(b))
    parts = []
    if valuable:
        parts.append("What money buys: " + "; ".join(b["buys"] for b in valuable[:3]) + ".")
    else:
        parts.append(
            "No budget buys anything at this step: the routes that could use more "
            "money are at their largest, or come whole at a larger price."
        )
    differ = [e for e in result["budgets"] + result["targets"] if e["agree"] is False]
    if differ:
        parts.append(
            f"LP price and re-solve differ for {len(differ)} entries; each says why. " + TRUST_WORDS
        )
    return " ".join(parts)


def _value_order(entry: dict[str, Any]) -> tuple[float, float]:
    values, _ = _trusted(entry)
    return (
        -(values.get("shortfall_reduction_m2_per_wan") or 0.0),
        -(values.get("cost_saving_wan_per_wan") or 0.0),
    )


def _extra(bound: float | None, now: float) -> float | None:
    if bound is None or bound != bound:  # unknown or NaN
        return None
    if bound >= 1e29:
        return None  # never changes
    return _clean(bound - now)


def _close(a: float | None, b: float | None) -> bool:
    a, b = a or 0.0, b or 0.0
    return abs(a - b) <= _AGREE_ABS + _AGREE_REL * max(abs(a), abs(b))


def _clean(value: float) -> float:
    """Five decimals; below 1e-5 is zero (the cost stage keeps W to 1e-6 m2, and HiGHS works
    to 1e-7: differences of W and C carry noise of that size)."""
    rounded = round(value, 5)
    return 0.0 if abs(rounded) < 1e-5 else rounded


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.monotonic(), 0.01)
