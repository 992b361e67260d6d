"""The solves behind shadow prices: the scenario in HiGHS with budgets as rows, its LP duals
with the plan's routes fixed, and the whole MIP re-solved with one bound moved.

The model is built with budgets opened (see `allocator.model.opened`), the real
budgets put back as row bounds, so that every budget binds through its row and shows in its
dual. What the prices mean, and how they become entries: `allocator.analysis.shadow`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from allocator.model.costs import kept_shortfall_m2
from allocator.model.opened import opened
from allocator.model.reference import Model, build_model
from allocator.plan import CommunityResult, Plan
from allocator.scenario.schema import Scenario
from allocator.solving.highs import INF, HighsModel
from allocator.solving.pulp_highs import to_highs

_GAP = 1e-9
_PRESOLVE_FROM_COLUMNS = 20_000


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
        self.lp.set_row_bounds("keep_shortfall", -INF, shortfall + kept_shortfall_m2(shortfall))
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
        communities = {c.id: c for c in plan.community_results}
        values = {}
        for i, (_, option) in enumerate(self.model.options):
            taken = option.id in chosen or option.locked == "chosen"
            values[self.model.chosen[i].name] = 1.0 if taken else 0.0
        for (i, source_id), flag in self.model.funded.items():
            option = self.model.options[i][1]
            paid = chosen[option.id].funding.get(source_id, 0.0) if option.id in chosen else 0.0
            values[flag.name] = 1.0 if paid > 0 else 0.0
        for label, variable in self.model.extra.items():  # staff posts, start years, counts
            if variable.cat == "Integer":
                values[variable.name] = _plan_value(label, chosen, communities)
        return values


def _plan_value(
    label: tuple[str, ...], chosen: dict[str, Any], communities: dict[str, CommunityResult]
) -> float:
    """The plan's value of an integer column of the rule families' own (`Model.extra`), from
    its chosen routes and its communities by id."""
    kind = label[0]
    if kind == "start":
        option = chosen.get(label[1])
        return 1.0 if option is not None and str(option.start_year) == label[2] else 0.0
    community = communities.get(label[1])
    if community is None:
        return 0.0
    if kind == "posts":
        return float(community.posts.added[label[2]]) if community.posts else 0.0
    if kind == "posts_in":  # posts added in a year (with years)
        by_year = community.posts.added_by_year.get(label[2], {}) if community.posts else {}
        return float(by_year.get(int(label[3]), 0))
    short = bool(community.posts and community.posts.short)
    met = {"meets": community.meets_target, "both": community.meets_target and not short}
    return 1.0 if met.get(kind, False) else 0.0


# --- LP prices ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LpDuals:
    """The LP with the plan's routes fixed, solved as the plan is: W and C, each stage's row
    duals, and how far each row's bound can rise with them (None: a row with slack)."""

    w: float
    c: float
    first: dict[str, float]
    second: dict[str, float]
    range_first: dict[str, float | None]
    range_second: dict[str, float | None]


def lp_duals(prices: PriceModel, integers: dict[str, float]) -> LpDuals:
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
        lp.set_row_bounds("keep_shortfall", -INF, w + kept_shortfall_m2(w))
        lp.set_objective(prices.c)
        if lp.run() != "optimal":
            raise RuntimeError("the plan's routes give no LP solution in the cost stage")
        c = lp.objective()
        second = {name: lp.row_dual(name) for name in lp.rows}
        range_second = _ranges(lp)
    finally:
        lp.set_row_bounds("keep_shortfall", -INF, INF)
        lp.unfix_integers()
    return LpDuals(w, c, first, second, range_first, range_second)


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
@dataclass(frozen=True)
class Move:
    """One row's bound moved by `step` ("upper" for a budget, "lower" for a target)."""

    row: str
    side: str
    step: float


@dataclass(frozen=True)
class MoveResult:
    """The re-solve after a move: changes in W and C per unit of the step, routes in and out;
    `feasible` False when the move leaves no plan."""

    step: float
    feasible: bool
    d_shortfall: float = 0.0
    d_cost: float = 0.0
    routes_in: tuple[str, ...] = ()
    routes_out: tuple[str, ...] = ()


def finite_difference_solves(
    prices: PriceModel,
    base: tuple[float, float, dict[str, float]],
    moves: list[Move],
    deadline: float | None,
) -> dict[str, MoveResult]:
    """Re-solve with each row's bound moved, one at a time; rows left when time ran out are
    missing from the result."""
    w0, c0, start = base
    routes0 = _routes(prices, start)
    results = {}
    lp = prices.lp
    for move in moves:
        if deadline is not None and time.monotonic() > deadline:
            break
        i = lp.rows[move.row]
        low, high = float(lp.row_lower[i]), float(lp.row_upper[i])
        raise_low = move.step if move.side == "lower" else 0.0
        raise_high = move.step if move.side == "upper" else 0.0
        lp.set_row_bounds(move.row, low + raise_low, high + raise_high)
        solved = prices.lexicographic(_start_after(prices, start, move), deadline)
        lp.set_row_bounds(move.row, low, high)
        if solved is None and deadline is not None and time.monotonic() > deadline:
            break  # out of time: not a move without a plan
        if solved is None:
            results[move.row] = MoveResult(move.step, feasible=False)
            continue
        w1, c1, values = solved
        routes1 = _routes(prices, values)
        results[move.row] = MoveResult(
            move.step,
            feasible=True,
            d_shortfall=(w1 - w0) / move.step,
            d_cost=(c1 - c0) / move.step,
            routes_in=tuple(sorted(routes1 - routes0)),
            routes_out=tuple(sorted(routes0 - routes1)),
        )
    return results


def _start_after(
    prices: PriceModel, start: dict[str, float], move: Move
) -> dict[str, float] | None:
    """The base plan, still feasible after the move: a budget raised leaves it feasible; a
    target raised does too once the community's shortfall grows by the step (not for a
    must_meet site, whose shortfall is held at zero)."""
    if move.side == "upper":
        return start
    community_id = next(c for c, r in prices.model.target_rows.items() if r == move.row)
    column = prices.model.shortfall[community_id].name
    if prices.lp.col_upper[prices.lp.columns[column]] < INF:
        return None  # a must_meet site: its shortfall stays at zero
    return {**start, column: start[column] + move.step}


def _routes(prices: PriceModel, values: dict[str, float]) -> set[str]:
    taken = set()
    for i, (_, option) in enumerate(prices.model.options):
        if values.get(prices.model.chosen[i].name, 0.0) > 0.5 and (
            values.get(prices.model.area[i].name, 0.0) > 1e-6 or option.replaces_existing
        ):
            taken.add(option.id)
    return taken


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.monotonic(), 0.01)
