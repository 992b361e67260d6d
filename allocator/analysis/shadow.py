"""Shadow prices: what one more 万元 of each budget buys, what one more m2 of target costs.

Two ways to the same question, reported side by side:

- LP prices. The plan's integer decisions (which routes, which options a limited grant funds,
  the staff posts and their years) are fixed and the LP of what is left is solved stage by
  stage, as the plan is: least weighted shortfall W, then (when the plan counts staff) fewest
  posts short P, then least cost C, each kept. The duals of the budget rows and the target
  rows are the prices: for a budget, the fall in W per 万元 (stage 1), or, where W cannot
  fall, the fall in P, else in cost per 万元; for a target, the rise in W per m2, or, where
  W does not rise, in P, else the money per m2. HiGHS's ranging says how far each price holds.
- Finite differences. The whole MIP is solved again with one budget raised by `step_wan`
  (or one target by `step_m2`), routes free to change, and the change in W, then in P, then
  in C, is divided by the step.

With `years` and staff, the same for each year's budget (`budget_by_year`) and for the staff
limits (the quota of added posts, the pool of first secretaries, the limit of recruits, each
for the campaign or for a year): `allocator.analysis.shadow_years`.

They differ where the step changes the routes (more money makes an all-or-nothing route
affordable: a jump the LP with fixed routes cannot see), where the step goes past the range
over which the LP price holds, and where the LP is degenerate (more than one price fits).
Each entry says in words which to trust: the finite difference for a change of that size,
the LP price for the rate of small changes with these routes.

The solves themselves: `allocator.analysis.price_model`. The records: `allocator.findings`.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from allocator.analysis.price_entries import (
    BUDGET,
    TARGET,
    compare,
    gain_words,
    lp_price,
    resolved_price,
    trusted,
)
from allocator.analysis.price_model import (
    LpDuals,
    Move,
    MoveResult,
    PriceModel,
    finite_difference_solves,
    lp_duals,
)
from allocator.analysis.shadow_years import Levers
from allocator.findings import (
    BudgetPrice,
    CutShort,
    LpPrice,
    PriceEntry,
    PricingMethod,
    Resolved,
    ShadowPrices,
    TargetPrice,
)
from allocator.plan import Plan
from allocator.scenario.schema import Scenario

if TYPE_CHECKING:
    from allocator.solving.worker import Deadline

STEP_WAN = 1.0
STEP_M2 = 1.0
TRUST_WORDS = (
    "LP prices hold the plan's routes fixed and give the rate for small changes; the finite "
    "difference re-solves everything, routes included, for a step of the stated size. Where "
    "they differ, trust the finite difference for a change of that size and the LP price for "
    "the rate at the margin while the routes stay as they are."
)


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
    deadline: Deadline | None = None,
    limits: bool = True,
) -> ShadowPrices:
    """Prices of every budget unit and every community target, LP and finite difference; with
    years and staff (`limits`), of every year's budget and every staff limit too.

    `plan` is the plan to price (solved here when not given); its route choices are the ones
    the LP prices hold fixed. Finite differences re-solve with HiGHS whatever `solver` made
    the plan. `communities` and `budgets` ((source, unit) pairs) limit the entries to those
    named; `limits` False leaves out the years' budgets and the staff limits.

    `time_limit_s` (or a `deadline` shared with a command) bounds all of it, the solve of a
    plan not given included: the work runs in a worker process ended at the deadline
    (`allocator.solving.worker`); entries left without a finite difference say so, and
    `cut_short` says what the limit cut short (everything, when the worker was ended).
    """
    from allocator.solving.cut_plans import cut_note
    from allocator.solving.worker import Deadline, within

    deadline = Deadline.of(time_limit_s) if deadline is None else deadline
    if plan is None:
        from allocator.analysis.diagnosis import solve

        plan = solve(scenario, solver=solver, deadline=deadline)
    if not plan.status.has_plan:
        return ShadowPrices(status=plan.status.value, summary="No plan, so no prices.")
    options = {"communities": communities, "budgets": budgets, "limits": limits}
    call = within(deadline, _prices_here, scenario, plan, step_wan, step_m2, finite_differences,
                  deadline, options)  # fmt: skip
    if call.done:
        return call.value
    cut = cut_note(deadline, call.how, "shadow_prices")
    return ShadowPrices(status=plan.status.value, summary=_NOT_PRICED, cut_short=(cut,))


_NOT_PRICED = "No prices: the time limit was reached before they were computed."


def _prices_here(
    scenario: Scenario,
    plan: Plan,
    step_wan: float,
    step_m2: float,
    finite_differences: bool,
    deadline: Deadline,
    options: dict[str, Any],
) -> ShadowPrices:
    """The prices, in this process, with the finite differences bounded by `deadline`."""
    from allocator.solving.worker import solver_seconds

    limit = solver_seconds(deadline, len(scenario.communities))
    return _prices(scenario, plan, step_wan, step_m2, finite_differences, limit, **options)


def _prices(
    scenario: Scenario,
    plan: Plan,
    step_wan: float,
    step_m2: float,
    finite_differences: bool,
    time_limit_s: float | None,
    communities: Collection[str] | None,
    budgets: Collection[tuple[str, str]] | None,
    limits: bool = True,
) -> ShadowPrices:
    began = time.monotonic()
    deadline = None if time_limit_s is None else began + time_limit_s
    if not plan.status.has_plan:
        return ShadowPrices(status=plan.status.value, summary="No plan, so no prices.")
    prices = PriceModel.build(scenario)
    duals = lp_duals(prices, prices.integer_values(plan))
    units = [k for k in prices.budgets if budgets is None or k in set(budgets)]
    places = [c.id for c in scenario.communities if communities is None or c.id in communities]
    moves = [Move(prices.model.budget_rows[k], "upper", step_wan) for k in units]
    moves += [Move(prices.model.target_rows[c], "lower", step_m2) for c in places]
    levers = Levers.of(prices, plan, step_wan) if limits else Levers()
    moves += levers.moves
    moved: dict[str, MoveResult] = {}
    base = prices.lexicographic(deadline=deadline) if finite_differences else None
    if base is not None:
        moved = finite_difference_solves(prices, base, moves, deadline)
    budget_entries = tuple(_budget_entry(prices, plan, k, duals, moved, step_wan) for k in units)
    targets = tuple(_target_entry(prices, plan, c, duals, moved, step_m2) for c in places)
    year_budgets, staff_limits = levers.entries(prices, duals, moved)
    missing = len(moves) - len(moved) if finite_differences and deadline is not None else 0
    return ShadowPrices(
        status=plan.status.value,
        summary=_summary(budget_entries, targets, (*year_budgets, *staff_limits)),
        budgets=budget_entries,
        targets=targets,
        year_budgets=year_budgets,
        staff_limits=staff_limits,
        method=_method(step_wan, step_m2, base is not None),
        weighted_shortfall=duals.w,
        total_cost=duals.c,
        runtime_s=round(time.monotonic() - began, 3),
        cut_short=_unpriced(missing, len(moves)),
    )


def _unpriced(missing: int, moves: int) -> tuple[CutShort, ...]:
    if not missing:
        return ()
    note = f"{missing} of {moves} entries have no finite difference: the time limit was reached"
    return (CutShort("shadow_prices", "time_limit", note),)


def _method(step_wan: float, step_m2: float, resolved: bool) -> PricingMethod:
    return PricingMethod(
        lp="HiGHS duals of the LP with the plan's integer decisions fixed, stage by stage "
        "(weighted shortfall; with staff, posts short; then cost, each kept)",
        finite_difference=(
            f"the whole MIP re-solved with one budget (or one year's) raised by {step_wan:g} "
            f"万元, one target by {step_m2:g} m2 or one staff limit by one post"
            if resolved
            else "not computed"
        ),
        which_to_trust=TRUST_WORDS,
    )


# --- entries ------------------------------------------------------------------------------
def _budget_entry(
    prices: PriceModel,
    plan: Plan,
    key: tuple[str, str],
    duals: LpDuals,
    moved: dict[str, MoveResult],
    step_wan: float,
) -> BudgetPrice:
    source_id, unit = key
    row = prices.model.budget_rows[key]
    budget = prices.budgets[key]
    used = next(
        (f.used for f in plan.funding_results if f.source == source_id and f.unit == unit), 0.0
    )
    lp = lp_price(prices, BUDGET, (row,), duals)
    resolved = resolved_price(BUDGET, moved.get(row))
    verdict = compare(lp, resolved, step_wan, BUDGET.unit)
    where = source_id + ("" if unit == "county" else f" in {unit}")
    return BudgetPrice(
        source=source_id,
        source_name=next(s.name for s in prices.scenario.funding if s.id == source_id),
        unit=unit,
        budget=budget,
        used=used,
        binding=budget - used <= 1e-6,
        lp=lp,
        finite_difference=resolved,
        agree=verdict.agree,
        trust=verdict.trust,
        why=verdict.why,
        buys=gain_words(where, *trusted(lp, resolved, verdict.trust)),
    )


def _target_entry(
    prices: PriceModel,
    plan: Plan,
    community_id: str,
    duals: LpDuals,
    moved: dict[str, MoveResult],
    step_m2: float,
) -> TargetPrice:
    row = prices.model.target_rows[community_id]
    result = next(c for c in plan.community_results if c.id == community_id)
    lp = lp_price(prices, TARGET, (row,), duals)
    resolved = resolved_price(TARGET, moved.get(row))
    verdict = compare(lp, resolved, step_m2, TARGET.unit)
    return TargetPrice(
        community=community_id,
        name=result.name,
        target_area_m2=result.target_area_m2,
        meets_target=result.meets_target,
        must_meet=result.must_meet,
        lp=lp,
        finite_difference=resolved,
        agree=verdict.agree,
        trust=verdict.trust,
        why=verdict.why,
        costs=_target_words(community_id, *trusted(lp, resolved, verdict.trust)),
    )


# --- words --------------------------------------------------------------------------------
def _target_words(where: str, values: LpPrice | Resolved, step: float) -> str:
    more = "one more m2" if step == 1 else f"{step:g} m2 more"
    if isinstance(values, Resolved) and not values.feasible:
        return f"{more} of target at {where} cannot be met: no plan"
    if values.shortfall_m2:
        return (
            f"{more} of target at {where} adds {values.shortfall_m2 * step:.3g} m2 "
            "of weighted shortfall"
        )
    if values.posts_short:
        return f"{more} of target at {where} adds {values.posts_short * step:.3g} posts short"
    cost = values.cost_wan or 0.0
    return f"{more} of target at {where} costs {cost * step:.4g} 万元"


def _summary(
    budgets: tuple[BudgetPrice, ...],
    targets: tuple[TargetPrice, ...],
    limits: tuple[PriceEntry, ...] = (),
) -> str:
    valuable = sorted((b for b in budgets if "buys nothing" not in b.buys), key=_value_order)
    parts = []
    if valuable:
        parts.append("What money buys: " + "; ".join(b.buys for b in valuable[:3]) + ".")
    else:
        parts.append(
            "No budget buys anything at this step: the routes that could use more "
            "money are at their largest, or come whole at a larger price."
        )
    entries: list[PriceEntry] = [*budgets, *targets, *limits]
    differ = [e for e in entries if e.agree is False]
    if differ:
        parts.append(
            f"LP price and re-solve differ for {len(differ)} entries; each says why. " + TRUST_WORDS
        )
    return " ".join(parts)


def _value_order(entry: BudgetPrice) -> tuple[float, float, float]:
    values, _ = trusted(entry.lp, entry.finite_difference, entry.trust)
    return (-(values.shortfall_m2 or 0.0), -(values.posts_short or 0.0), -(values.cost_wan or 0.0))
