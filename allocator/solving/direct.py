"""The two stages of the solve on the combinations formulation, in HiGHS directly.

The model (`allocator.model.sets`) goes to HiGHS once, as arrays; each stage then runs:
 (a) the linear relaxation of the stage;
 (b) a starting plan: communities whose set the relaxation takes whole are fixed to it, and
     the few others are solved as a small MIP (with every county-wide row still in force);
 (c) the full MIP from that plan, with HiGHS's own plan-finding heuristics off (the start is
     the plan they would look for, and they cost most of the time); it proves the gap.
Stage 2 adds the row W <= W1 + tolerance, W1 the least W of stage 1's plan with its routes
rounded to exact 0/1 (`exact_routes`), and starts from the better of that plan and its own (b).
A wall-clock deadline interrupts HiGHS from outside (it can overrun its own time_limit), and
every stage reports the objective of the values it hands back. A stage that ends without proof
for any reason but the deadline is solved again (`allocator.solving.resolve`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from allocator.model.arrays import Matrix, no_gc
from allocator.model.closeness import Previous
from allocator.model.costs import kept_room, stage_gap
from allocator.model.rules import MEASURE, objective_of
from allocator.model.sets import build_matrix
from allocator.model.sets_measures import measure_vector, payer_vector
from allocator.scenario.schema import Community, Option, Scenario
from allocator.solving.first_plan import (
    GREEDY_ALONE_SHARE,
    GREEDY_SHARE,
    first_plan,
    greedy_first,
    wanted,
)
from allocator.solving.greedy import GreedyPlan
from allocator.solving.highs import INF, HighsModel, Solution, from_matrix
from allocator.solving.progress import found
from allocator.solving.replan import closeness_vector
from allocator.solving.resolve import (
    Outcome,
    read_mip,
    settled,
    solve_again,
    with_relaxation_bound,
)
from allocator.solving.status import StageRun, StageStatus, relative_gap, unproven

_WHOLE = 1 - 1e-6  # a set weight this close to 1 is taken whole
_SAME = 1e-9  # weighted shortfalls this close (relative) are the same
# Building the model takes about this long a community (10,000: 2-4.4 s): with less time left
# after the greedy plan, that plan is the plan (no model is built, which would end past the limit).
BUILD_S_PER_COMMUNITY = 3e-4
# With less than this a community left before the greedy plan (twice the greedy's time and the
# model's build: 10,000 communities 2-3 s each), the greedy plan alone is built, with more time.
MODEL_S_PER_COMMUNITY = 1.2e-3
NO_TIME_FOR_MODEL = "too little time was left to build the model"
FIRST_PLAN_STANDS = "the first plan (built before the MIP, allocator.solving.first_plan) stands"


def solve_stage(
    model: HighsModel,
    matrix: Matrix,
    cost: np.ndarray,
    *,
    gap: float,
    start: np.ndarray | None = None,
    fallback: np.ndarray | None = None,
) -> Outcome:
    """Steps (a)-(c) for objective `cost`; `start` is a plan known to be feasible, `fallback`
    one too (the first plan, `allocator.solving.first_plan`), used when it is the better of the
    plans known as the MIP starts, without guiding step (b). A stage that ends without proof for
    any reason but the deadline is solved again (`allocator.solving.resolve`); one with a start
    or fallback never ends infeasible or without a plan."""
    began = time.monotonic()
    model.set_cost(cost)
    relaxed = model.relaxation()
    if relaxed.status == StageStatus.INFEASIBLE and start is None and fallback is None:
        run = StageRun.without_plan(StageStatus.INFEASIBLE, time.monotonic() - began)
        return Outcome(run, None)
    best = start
    if relaxed.values is not None:
        own = fix_and_solve(model, matrix, relaxed.values, start)
        if own is not None and (best is None or cost @ own < cost @ best - 1e-9):
            best = own
    if fallback is not None and (best is None or cost @ fallback < cost @ best - 1e-9):
        best = fallback
    outcome = _proven_by_relaxation(cost, best, relaxed, gap, began)
    if outcome is None:  # (c): the full MIP, unless the start is already within the gap
        solved = model.run_mip(best, heuristics=best is None)
        outcome = read_mip(model, cost, solved, best, gap=gap, began=began)
        if not settled(outcome, best is not None, model):
            outcome = solve_again(model, cost, outcome, best, gap=gap, began=began)
        outcome = with_relaxation_bound(outcome, cost, relaxed, gap)
    if fallback is not None and outcome.values is not None:
        if abs(float(cost @ outcome.values) - float(cost @ fallback)) <= 1e-9 * max(
            1.0, abs(float(cost @ fallback))
        ):
            outcome = Outcome(outcome.run.noted(FIRST_PLAN_STANDS), outcome.values)
    if relaxed.status == StageStatus.INFEASIBLE:
        said = (
            "HiGHS called the relaxation infeasible although a plan that meets every row is known"
        )
        outcome = Outcome(outcome.run.noted(said), outcome.values)
    return outcome


def _proven_by_relaxation(
    cost: np.ndarray,
    best: np.ndarray | None,
    relaxed: Solution,
    gap: float,
    began: float,
) -> Outcome | None:
    """The plan `best` (one that meets every row) as the stage's, OPTIMAL, when the linear
    relaxation's bound already proves it within `gap`; None otherwise. The full MIP would only
    prove again what the bound proves (1,000 staffed communities over 3 years: 74 s)."""
    if best is None or relaxed.values is None:
        return None
    value = float(cost @ best)
    run = StageRun(StageStatus.NOT_PROVEN, value, None, None, time.monotonic() - began)
    outcome = with_relaxation_bound(Outcome(run, best), cost, relaxed, gap)
    return outcome if outcome.run.status == StageStatus.OPTIMAL else None


def fix_and_solve(
    model: HighsModel, matrix: Matrix, relaxed: np.ndarray, start: np.ndarray | None
) -> np.ndarray | None:
    """Step (b): the small MIP over communities the relaxation splits between sets (or,
    given a start, where the relaxation and the start disagree: the start stays feasible).
    A community whose set the relaxation takes whole keeps too every whole decision of its
    own the relaxation leaves whole (a start year, a post, a source funding a route; with the
    start, where they agree): the MIP decides only what the relaxation splits (before, every
    start year and post of every community was left to it: 1,000 staffed communities over 3
    years ran past 160 s without a plan). When that finds no plan (what the relaxation leaves
    whole may not round with the rest), the sets alone are kept, as before. The values of its
    plan, or None (none found, nothing to decide or no time left)."""
    sets, decisions = [], []  # (column, value) to fix: the sets taken whole, their decisions
    for cid, weights_of in matrix.sets.items():
        weights = [w for _, w in weights_of]
        taken = [w for w in weights if relaxed[w] > _WHOLE]
        if taken and (start is None or start[taken[0]] > _WHOLE):
            sets += [(w, 1.0 if w == taken[0] else 0.0) for w in weights]
            whole = whole_decisions(model.integer, matrix.columns_of(cid), relaxed, start)
            decisions += zip(whole.tolist(), np.round(relaxed[whole]).tolist(), strict=True)
    for fixed in ([*sets, *decisions], sets) if decisions else (sets,):
        if not fixed or model.time_left() <= 0:
            return None
        index = np.array([j for j, _ in fixed], dtype=np.int32)
        model.fix_columns(index, np.array([v for _, v in fixed]))
        try:
            found = model.run_mip(None, heuristics=True).values
        finally:
            model.unfix_columns(index)
        if found is not None:
            return found
    return None


def whole_decisions(
    integer: np.ndarray, columns: np.ndarray, relaxed: np.ndarray, start: np.ndarray | None = None
) -> np.ndarray:
    """The integer columns (`integer`: a mask over all) among `columns` the relaxation leaves
    whole (and, given a start, at the start's value)."""
    whole = columns[integer[columns]]
    rounded = np.round(relaxed[whole])
    keep = np.abs(relaxed[whole] - rounded) <= 1e-6
    if start is not None:
        keep &= np.abs(start[whole] - rounded) <= 1e-6
    return whole[keep]


def exact_routes(model: HighsModel, values: np.ndarray, shortfall: np.ndarray) -> np.ndarray:
    """`values` with every integer column rounded to exact 0/1 and the least W those allow (an
    LP); `values` when that finds none. Integral only to HiGHS's tolerances, a plan's W can
    lie below the least W of any plan with exact routes, which stage 2 would be held to."""
    if model.time_left() <= 0:
        return values
    columns = model.integer_columns()
    model.fix_columns(columns, np.round(values[columns]))
    try:
        model.set_cost(shortfall)
        exact = model.relaxation().values
    finally:
        model.unfix_columns(columns)
    if exact is None:
        return values
    exact[columns] = np.round(values[columns])
    return exact


def keep_at_most(model: HighsModel, coefs: np.ndarray, upper: float) -> int:
    """Add the row coefs . x <= upper (stage 2 keeps stage 1's shortfall); its position."""
    index = np.flatnonzero(coefs)
    return model.add_row(None, -INF, upper, (index, coefs[index]))


def polish_order(
    model: HighsModel, values: np.ndarray, costs: list[np.ndarray], kept_rows: list[int]
) -> np.ndarray:
    """With the plan's choices fixed, each measure of the order in turn at its least (an LP),
    kept by its row `kept_rows[k]` at exactly that value, then the last measure at its least.
    The stages' tolerances never show as one measure traded for a later one."""
    if model.time_left() <= 0:
        return values
    columns = model.integer_columns()
    model.fix_columns(columns, np.round(values[columns]))
    try:
        for measure, row in zip(costs, kept_rows, strict=False):
            model.set_row_bounds(row, -INF, INF)
            model.set_cost(measure)
            least = model.relaxation().values
            if least is None:
                return values
            allowed = float(measure @ least)
            model.set_row_bounds(row, -INF, allowed + 1e-9 * max(1.0, abs(allowed)))
        cost = costs[-1]
        model.set_cost(cost)
        polished = model.relaxation().values
    finally:
        model.unfix_columns(columns)
    if polished is None or cost @ polished > cost @ values + 1e-6 * max(1.0, abs(cost @ values)):
        return values
    return polished


# --- the stages, and reading the plan back ---------------------------------------------------
@dataclass(frozen=True)
class Value:
    """A solved value, shaped like a PuLP variable for the plan read-back."""

    varValue: float  # noqa: N815 - PuLP's name


@dataclass(frozen=True)
class Readout:
    """The decisions per option, in the shape `allocator.solving.lexicographic` reads a PuLP
    model."""

    scenario: Scenario
    options: list[tuple[Community, Option]]
    chosen: list[Value]
    area: list[Value]
    funding: dict[tuple[int, str], Value]
    unit_budgets: dict[str, dict[str, float]]
    extra: dict[tuple[str, ...], Value] = field(default_factory=dict)  # staff posts and money


@no_gc()
def solve_direct(
    scenario: Scenario,
    *,
    gap: float,
    time_limit: float | None,
    began: float,
    previous: Previous | None = None,
) -> tuple[Readout | None, list[StageRun]]:
    """The stages of the scenario's objective (W then C by default; then the fewest changes from
    `previous` when given) on the combinations formulation; the plan's decisions and each
    stage's run. Each stage keeps the earlier ones' values (`kept_room`) and starts from the
    plan before it with its routes exact (`exact_routes`); the plan is then polished."""
    order = objective_of(scenario)
    deadline = None if time_limit is None else began + time_limit
    short = wanted(time_limit, len(scenario.communities))
    greedy = None  # before the matrix: a plan even when the limit cuts building it short
    if short and deadline is not None and order[0] == "weighted_shortfall":
        alone = too_late(deadline, len(scenario.communities), MODEL_S_PER_COMMUNITY)
        greedy = greedy_first(scenario, deadline, GREEDY_ALONE_SHARE if alone else GREEDY_SHARE)
        if greedy is not None:
            found(lambda: greedy_readout(greedy[0]), [greedy[1]])
        if greedy is not None and (alone or too_late(deadline, len(scenario.communities))):
            return greedy_readout(greedy[0]), [greedy[1].noted(NO_TIME_FOR_MODEL)]
    matrix = build_matrix(scenario)
    if greedy is not None and too_late(deadline, 0):
        return greedy_readout(greedy[0]), [greedy[1].noted(NO_TIME_FOR_MODEL)]
    changes = None if previous is None else closeness_vector(matrix, previous)
    costs = [measure_vector(matrix, scenario, name) for name in order]
    costs += [] if changes is None else [changes]
    model = from_matrix(matrix, gap=gap, deadline=deadline)
    fallback = None
    if short:  # a plan whatever the limit cuts short
        model.set_cost(costs[0])
        start = None if greedy is None else greedy[0]
        fallback = first_plan(model, matrix, scenario.horizon_years, start)
        value = None if fallback is None else float(costs[0] @ fallback)
        if value is not None and beats(value, greedy):
            run = StageRun(StageStatus.TIME_LIMIT, value, None, None, 0.0)
            found(lambda: readout(scenario, matrix, fallback), [run.noted(FIRST_PLAN_STANDS)])
    first = _count_gap_stage(model, order[0], scenario, gap, matrix, costs[0], fallback=fallback)
    if greedy is not None and not no_worse(first, greedy):
        return greedy_readout(greedy[0]), [greedy_stands(greedy[1], first.run, began, time_limit)]
    stages = [first.run]
    values = first.values
    if values is not None and len(costs) > 1 and beats(float(costs[0] @ values), greedy):
        found(lambda plan=values: readout(scenario, matrix, plan), list(stages))
    kept_rows: list[int] = []
    for k in range(1, len(costs)):
        if values is None:
            break
        values = exact_routes(model, values, costs[k - 1])
        value = float(costs[k - 1] @ values)
        room = kept_room(MEASURE[order[k - 1]].kept, value, arrays=True)
        kept_rows.append(keep_at_most(model, costs[k - 1], value + room))
        name = order[k] if k < len(order) else "keep_close_to"
        later = _count_gap_stage(model, name, scenario, gap, matrix, costs[k], start=values)
        stages.append(later.run)
        if later.values is None:
            break
        values = later.values
    if values is None:
        return None, stages
    if len(stages) == len(costs):  # every stage has its plan: the order, then who pays (17)
        last = float(costs[-1] @ values)
        kind = MEASURE[order[-1]].kept if changes is None else "count"  # a count of changes
        room = kept_room(kind, last, arrays=True)
        kept_rows.append(keep_at_most(model, costs[-1], last + room))
        values = polish_order(model, values, [*costs, payer_vector(matrix, scenario)], kept_rows)
    return readout(scenario, matrix, values), stages


def too_late(deadline: float, communities: int, each: float = BUILD_S_PER_COMMUNITY) -> bool:
    """Less time is left to `deadline` than `each` seconds a community (by default: what
    building the model takes)."""
    return deadline - time.monotonic() <= each * communities


def beats(value: float, greedy: tuple[GreedyPlan, StageRun] | None) -> bool:
    """A plan of weighted shortfall `value` is better than the greedy plan's (or there is none):
    only such a plan is told on the way (`found`), so a first plan cut short by the limit is
    never given in place of a better one found before it."""
    if greedy is None:
        return True
    w = greedy[0].weighted_shortfall
    return value < w - _SAME * max(1.0, abs(w))


def no_worse(first: Outcome, greedy: tuple[GreedyPlan, StageRun]) -> bool:
    """Stage 1's plan is kept (and the later stages run from it) unless it is worse than the
    greedy plan on the first measure, or there is none."""
    if first.values is None or first.run.objective is None:
        return False
    w = greedy[0].weighted_shortfall
    return first.run.objective <= w + _SAME * max(1.0, abs(w))


def greedy_stands(
    run: StageRun, first: StageRun, began: float, time_limit: float | None
) -> StageRun:
    """The greedy plan's stage when it is the plan given: its bound the better of its own and
    the one stage 1 proved; TIME_LIMIT when the limit cut stage 1 short (or 5% or less of it
    was left), NOT_PROVEN otherwise."""
    bound = run.bound if first.bound is None else max(run.bound or -INF, first.bound)
    w = float(run.objective or 0.0)
    bound = None if bound is None else min(bound, w)
    left = (time_limit or 0.0) - (time.monotonic() - began)
    on_time = first.status == StageStatus.TIME_LIMIT or left <= 0.05 * (time_limit or 0.0)
    return StageRun(
        unproven(on_time),
        w,
        bound,
        None if bound is None else relative_gap(w, bound),
        first.runtime_s,
        "; ".join(n for n in (run.note, first.note) if n) or None,
    )


def greedy_readout(plan: GreedyPlan) -> Readout:
    """The greedy plan's decisions, in the shape of the solver's (no pooled money to split:
    the greedy pays each route from each source itself)."""
    scenario = plan.scenario
    chosen, area, funding = plan.decisions()
    return Readout(
        scenario,
        [(c, o) for c in scenario.communities for o in c.options],
        [Value(v) for v in chosen],
        [Value(v) for v in area],
        {key: Value(v) for key, v in funding.items()},
        {s.id: scenario.units(s) for s in scenario.funding},
    )


def _count_gap_stage(
    model: HighsModel,
    name: str,
    scenario: Scenario,
    gap: float,
    matrix: Matrix,
    cost: np.ndarray,
    **given: np.ndarray | None,
) -> Outcome:
    """`solve_stage` for the measure `name`; a count's stage stops within the gap that proves
    it (`stage_gap`), and then HiGHS's own gap goes back to the one asked."""
    asked = stage_gap(name, gap, scenario)
    if asked == gap:
        return solve_stage(model, matrix, cost, gap=gap, **given)
    model.highs.setOptionValue("mip_rel_gap", asked)
    try:
        return solve_stage(model, matrix, cost, gap=asked, **given)
    finally:
        model.highs.setOptionValue("mip_rel_gap", gap)


def readout(scenario: Scenario, matrix: Matrix, values: np.ndarray) -> Readout:
    """Decisions per option; pooled money (C3) split over the options it paid for."""
    chosen = [Value(float(v)) for v in values[matrix.chosen]]
    area = [Value(float(v)) for v in values[matrix.area]]
    funding = {key: Value(float(values[col])) for key, col in matrix.funding.items()}
    if matrix.pooled:
        _split_pooled(scenario, matrix, values, area, funding)
    extra = {label: Value(float(values[j])) for label, j in matrix.extra.items()}
    return Readout(scenario, matrix.options, chosen, area, funding, matrix.unit_budgets, extra)


def _split_pooled(
    scenario: Scenario,
    matrix: Matrix,
    values: np.ndarray,
    area: list[Value],
    funding: dict[tuple[int, str], Value],
) -> None:
    """Each option's cost not met by its per-option sources, filled from the pooled money of
    its community, source by source and option by option."""
    years = scenario.horizon_years
    paid: dict[int, float] = {}
    for (i, _), value in funding.items():
        paid[i] = paid.get(i, 0.0) + value.varValue
    pooled_ids = matrix.pooled_sources
    first = 0
    for community in scenario.communities:
        count = len(community.options)
        left = {s: float(values[matrix.pooled[(community.id, s)]]) for s in pooled_ids}
        for i in range(first, first + count):
            option = community.options[i - first]
            if matrix_chosen(matrix, values, i):
                x = area[i].varValue
                cost = (
                    option.fixed_cost
                    + option.cost_per_m2 * x
                    + years * (option.annual_cost + option.annual_cost_per_m2 * x)
                )
                owed = max(cost - paid.get(i, 0.0), 0.0)
            else:
                owed = 0.0
            for source_id in pooled_ids:
                take = min(owed, left[source_id])
                owed -= take
                left[source_id] -= take
                funding[(i, source_id)] = Value(take)
        first += count


def matrix_chosen(matrix: Matrix, values: np.ndarray, i: int) -> bool:
    return bool(values[matrix.chosen[i]] > 0.5)
