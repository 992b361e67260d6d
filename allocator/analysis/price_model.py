"""The solves behind shadow prices: the scenario in HiGHS with budgets as rows, its LP duals
with the plan's routes fixed, and the whole MIP re-solved with one bound moved.

Both are solved as the plan is, stage by stage (`Stage`): the least weighted shortfall W, then,
when the plan counts staff, the fewest posts short P, then the least cost C, each earlier
measure kept (`allocator.model.costs.kept_room`). Other measures an objective may order are
left out, as they always were here.

The model is built with budgets opened (see `allocator.model.opened`), the real
budgets put back as row bounds, so that every budget binds through its row and shows in its
dual. What the prices mean, and how they become entries: `allocator.analysis.shadow`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from allocator.model.costs import kept_room
from allocator.model.opened import opened
from allocator.model.reference import Model, build_model, measure_expression
from allocator.model.rules import MEASURE, objective_of
from allocator.model.staff import largest_staff_cost_wan, money_kinds
from allocator.plan import CommunityResult, Plan
from allocator.scenario.edits import changed_copy
from allocator.scenario.schema import Scenario
from allocator.solving.highs import INF, HighsModel
from allocator.solving.pulp_highs import to_highs

_GAP = 1e-9
_PRESOLVE_FROM_COLUMNS = 20_000
SHORTFALL, POSTS, COST = "weighted_shortfall", "posts_short", "total_cost"
_PRICED = (SHORTFALL, POSTS, COST)


@dataclass(frozen=True)
class Stage:
    """One stage of the plan's objective as prices read it: the measure, its coefficients by
    column, and the row that keeps it in the later stages (`keep.<measure>`)."""

    measure: str
    coefs: dict[str, float]

    @property
    def keep_row(self) -> str:
        return f"keep.{self.measure}"


def priced_measures(scenario: Scenario) -> tuple[str, ...]:
    """The measures prices are read in, in the objective's order: W first and C last as
    always, the posts short between them when the objective orders it."""
    order = [m for m in objective_of(scenario) if m in _PRICED]
    if SHORTFALL not in order:
        order.insert(0, SHORTFALL)
    if COST not in order:
        order.append(COST)
    return tuple(order)


@dataclass
class PriceModel:
    """The scenario in HiGHS with budgets as rows and a row to keep each stage's measure in
    the stages after it."""

    scenario: Scenario
    model: Model
    lp: HighsModel
    stages: tuple[Stage, ...]
    budgets: dict[tuple[str, str], float]

    @classmethod
    def build(cls, scenario: Scenario) -> PriceModel:
        model = build_model(_staff_opened(opened(scenario)))
        lp = to_highs(model.problem)
        for row, most in _staff_limits(scenario, model).items():
            lp.set_row_bounds(row, -INF, most)
            lp.row_upper[lp.rows[row]] = most
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
        stages = []
        for measure in priced_measures(scenario):
            expression = measure_expression(model, measure)
            coefs = {v.name: c for v, c in expression.items() if v.name in lp.columns}
            stages.append(Stage(measure, coefs))
        for stage in stages[:-1]:
            lp.add_row(stage.keep_row, -INF, INF, stage.coefs)
        lp.highs.setOptionValue("mip_rel_gap", _GAP)
        if len(lp.columns) <= _PRESOLVE_FROM_COLUMNS:
            # Measured on the 2024 county: a re-solve from a known plan takes 0.05 s without
            # presolve, 0.13 s with it. Large models keep it.
            lp.highs.setOptionValue("presolve", "off")
        return cls(scenario, model, lp, tuple(stages), budgets)

    @property
    def measures(self) -> tuple[str, ...]:
        return tuple(stage.measure for stage in self.stages)

    def keep(self, stage: Stage, value: float | None) -> None:
        """Keep `stage`'s measure within its room of `value` in the later stages (None: free).

        A count (the posts short) is kept at its whole value (`allocator.model.costs.COUNT_ROOM`):
        `value` may come from a plan's figures, so it is rounded first."""
        if stage.keep_row not in self.lp.rows:
            return
        if value is None:
            self.lp.set_row_bounds(stage.keep_row, -INF, INF)
            return
        kind = MEASURE[stage.measure].kept
        kept = (round(value) if kind == "count" else value) + kept_room(kind, value)
        self.lp.set_row_bounds(stage.keep_row, -INF, kept)

    def free(self) -> None:
        for stage in self.stages:
            self.keep(stage, None)

    def lexicographic(
        self, start: dict[str, float] | None = None, deadline: float | None = None
    ) -> Solved | None:
        """Least W, then (with staff) fewest posts short, then least C, each kept; None when
        infeasible or out of time. Each stage starts from `start` (the plan before a move)
        while it keeps the measures found so far, else from the stage before's solution."""
        self.free()
        values: dict[str, float] = {}
        solved, given = None, start
        try:
            for stage in self.stages:
                self.lp.set_objective(stage.coefs)
                if given and self._keeps(given, values):
                    start = given
                if start:
                    self.lp.set_start(start)
                if self.lp.run(_remaining(deadline)) != "optimal":
                    return None
                # Read before touching any bound: a change of the model clears the solution.
                values[stage.measure] = self.lp.objective()
                start = self.lp.values()
                solved = Solved(dict(values), start)
                self.keep(stage, values[stage.measure])
        finally:
            self.free()
        return solved

    def _keeps(self, start: dict[str, float], found: dict[str, float]) -> bool:
        """Whether `start` keeps each measure found so far (within its room)."""
        for stage in self.stages:
            if stage.measure not in found:
                return True
            value = sum(coef * start.get(name, 0.0) for name, coef in stage.coefs.items())
            best = found[stage.measure]
            if value > best + kept_room(MEASURE[stage.measure].kept, best) - 1e-9:
                return False
        return True

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


# The staff limits of the county over the campaign: family, route and the field that holds it.
STAFF_LIMITS = {
    "post_quota": ("add_post", "quota"),
    "dispatch_pool": ("dispatch", "pool"),
    "recruit_limit": ("recruit", "most"),
}
_OPEN_POSTS = 1_000_000


def _staff_opened(scenario: Scenario) -> Scenario:
    """The opened scenario (`allocator.model.opened`) with staff opened too: each staff limit
    of the campaign so large that it never binds (the model bakes it into the bounds of the
    posts columns, where its row could not move it; a limit of 0 closes the route), and every
    budget larger by all the staff money there could be (`opened` counts the routes' money
    only, and the staff money columns are bounded by their payer's budget). The real limits
    go back as the rows' bounds, as the real budgets do."""
    staffing = scenario.staffing
    if staffing is None:
        return scenario
    update = {}
    for route, field in STAFF_LIMITS.values():
        entry = getattr(staffing, route)
        if entry is not None and getattr(entry, field) is not None:
            update[route] = entry.model_copy(update={field: _OPEN_POSTS})
    limits_open = changed_copy(scenario, staffing=staffing.model_copy(update=update))
    staff_wan = sum(
        largest_staff_cost_wan(limits_open, c, kind)
        for c in limits_open.communities
        for kind in money_kinds(limits_open, c)
    )
    funding = tuple(
        s.model_copy(update={"budget": math.ceil((s.budget or 0.0) + staff_wan + 1.0)})
        for s in limits_open.funding
    )
    return changed_copy(limits_open, funding=funding)


def _staff_limits(scenario: Scenario, model: Model) -> dict[str, float]:
    """The rows of the campaign's staff limits, each with the scenario's own limit."""
    limits = {}
    for rule in model.rules:
        if rule.family in STAFF_LIMITS and rule.key == ("county",) and rule.rows:
            route, field = STAFF_LIMITS[rule.family]
            limits[rule.rows[0].name] = float(getattr(getattr(scenario.staffing, route), field))
    return limits


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


@dataclass(frozen=True)
class Solved:
    """A lexicographic solve: each stage's measure ({measure: value}) and the columns' values."""

    measures: dict[str, float]
    values: dict[str, float]


# --- LP prices ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LpDuals:
    """The LP with the plan's routes fixed, solved as the plan is, stage by stage: each
    stage's measure, its row duals, how far each row's bound can rise with them (None: a row
    with slack), and each row's activity in the last stage."""

    measures: tuple[str, ...]
    values: tuple[float, ...]
    duals: tuple[dict[str, float], ...]
    ranges: tuple[dict[str, float | None], ...]
    activity: dict[str, float]

    @property
    def w(self) -> float:
        return self.values[self.measures.index(SHORTFALL)]

    @property
    def c(self) -> float:
        return self.values[self.measures.index(COST)]


def lp_duals(prices: PriceModel, integers: dict[str, float]) -> LpDuals:
    lp = prices.lp
    lp.fix_integers(integers)
    values, duals, ranges = [], [], []
    try:
        prices.free()
        for stage in prices.stages:
            lp.set_objective(stage.coefs)
            if lp.run() != "optimal":
                raise RuntimeError(
                    f"the plan's routes give no LP solution in the {stage.measure} stage: "
                    "cannot price them"
                )
            values.append(lp.objective())
            duals.append({name: lp.row_dual(name) for name in lp.rows})
            ranges.append(_ranges(lp))
            activity = lp.row_values()
            prices.keep(stage, values[-1])
    finally:
        prices.free()
        lp.unfix_integers()
    return LpDuals(prices.measures, tuple(values), tuple(duals), tuple(ranges), activity)


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
    """One row's bound moved by `step` ("upper" for a budget or a limit, "lower" for a
    target), and the rows of `also` with it by the same step (a year's money carried over
    raises the cumulative rows of that year and every later one). The result is keyed by
    `row`."""

    row: str
    side: str
    step: float
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class MoveResult:
    """The re-solve after a move: changes in W, C and (with staff) the posts short P per unit
    of the step, routes in and out, the posts each staff route adds more or fewer over the
    county ("dispatch+1": posts moved between communities at the same cost are no change);
    `feasible` False when the move leaves no plan."""

    step: float
    feasible: bool
    d_shortfall: float = 0.0
    d_cost: float = 0.0
    routes_in: tuple[str, ...] = ()
    routes_out: tuple[str, ...] = ()
    d_posts: float | None = None
    posts_changed: tuple[str, ...] = ()


def finite_difference_solves(
    prices: PriceModel,
    base: Solved,
    moves: list[Move],
    deadline: float | None,
) -> dict[str, MoveResult]:
    """Re-solve with each row's bound moved, one at a time; rows left when time ran out are
    missing from the result."""
    routes0, posts0 = _routes(prices, base.values), _posts(prices, base.values)
    results = {}
    lp = prices.lp
    for move in moves:
        if deadline is not None and time.monotonic() > deadline:
            break
        rows = (move.row, *move.also)
        bounds = {row: (float(lp.row_lower[lp.rows[row]]), float(lp.row_upper[lp.rows[row]]))
                  for row in rows}  # fmt: skip
        raise_low = move.step if move.side == "lower" else 0.0
        raise_high = move.step if move.side == "upper" else 0.0
        for row, (low, high) in bounds.items():
            lp.set_row_bounds(row, low + raise_low, high + raise_high)
        solved = prices.lexicographic(_start_after(prices, base.values, move), deadline)
        for row, (low, high) in bounds.items():
            lp.set_row_bounds(row, low, high)
        if solved is None and deadline is not None and time.monotonic() > deadline:
            break  # out of time: not a move without a plan
        if solved is None:
            results[move.row] = MoveResult(move.step, feasible=False)
            continue
        results[move.row] = _moved(prices, base, solved, move.step, routes0, posts0)
    return results


def _moved(
    prices: PriceModel,
    base: Solved,
    solved: Solved,
    step: float,
    routes0: set[str],
    posts0: dict[str, float],
) -> MoveResult:
    def change(measure: str) -> float:
        return (solved.measures[measure] - base.measures[measure]) / step

    routes1, posts1 = _routes(prices, solved.values), _posts(prices, solved.values)
    changed = []
    for route in sorted(set(posts0) | set(posts1)):
        n = round(posts1.get(route, 0.0) - posts0.get(route, 0.0))
        if n:
            changed.append(f"{route}{n:+d}")
    return MoveResult(
        step,
        feasible=True,
        d_shortfall=change(SHORTFALL),
        d_cost=change(COST),
        routes_in=tuple(sorted(routes1 - routes0)),
        routes_out=tuple(sorted(routes0 - routes1)),
        d_posts=change(POSTS) if POSTS in base.measures else None,
        posts_changed=tuple(changed),
    )


def _posts(prices: PriceModel, values: dict[str, float]) -> dict[str, float]:
    """The staff posts each route adds over the county ({"recruit": n})."""
    taken: dict[str, float] = {}
    for label, variable in prices.model.extra.items():
        if label[0] == "posts":
            taken[label[2]] = taken.get(label[2], 0.0) + values.get(variable.name, 0.0)
    return taken


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
