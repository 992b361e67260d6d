"""solve(scenario) -> Plan: the lexicographic solve, equations (15) then (16) of the model."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pulp

from allocator.model.closeness import Previous, changes, posts_moved, previous_of
from allocator.model.costs import stage_gap
from allocator.model.reference import Model, build_model, measure_expression
from allocator.model.rules import DEFAULT_OBJECTIVE, MEASURE, objective_of
from allocator.plan import (
    CommunityResult,
    Plan,
    SolverInfo,
    StageResult,
    Status,
)
from allocator.scenario.schema import Scenario
from allocator.solving import cbc, highs
from allocator.solving.pulp_stages import (
    Stages,
    exact_routes,
    kept_room_of,
    settle_payers,
)
from allocator.solving.readback import community_results, funding_results, plan_measures, rounded
from allocator.solving.replan import closeness_expression
from allocator.solving.status import StageRun, StageStatus
from allocator.solving.years_readback import plan_years
from allocator.version import __version__

if TYPE_CHECKING:
    from allocator.solving.direct import Readout

DEFAULT_GAP = 1e-6
SETS_FROM_COMMUNITIES = 100
# From this size, and for gaps the relaxation can prove, decomposition by group
# (allocator.solving.decompose): one MIP of everything spends minutes in its first relaxation.
DECOMPOSE_FROM = 3000
DECOMPOSE_GAP = 2e-5
SOLVERS = ("highs", "cbc")
_PLAN_STATUS = {
    StageStatus.INFEASIBLE: Status.INFEASIBLE,
    StageStatus.NO_PLAN: Status.NO_PLAN,
    StageStatus.UNKNOWN: Status.NO_PLAN,
}


def solve(
    scenario: Scenario,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
    gap: float = DEFAULT_GAP,
    formulation: str = "auto",
    objective: Sequence[str] | None = None,
    keep_close_to: Any = None,
) -> Plan:
    """Least weighted shortfall, then least cost at that shortfall: or the order `objective`
    gives (the scenario's `objective`, else that one; measures of
    `allocator.model.rules.MEASURES`), each measure kept while the next is optimised.

    `keep_close_to` (a Plan, its JSON as a dict, or the path of a plan.json): after the
    objective's stages, among the plans equal on every measure, the one with the fewest
    changes of routes, then of payers, from that plan (`allocator.model.closeness`).

    `time_limit` (seconds, wall clock) covers every stage; a plan found at the limit has
    status time_limit and carries its proven gap. A plan without proof for any other reason
    has status not_proven, the reason in its stages' notes (`solver.stages`). An infeasible
    scenario gives a Plan with status infeasible (`allocator.solve` adds a `diagnosis` saying
    what cannot be met).

    `formulation`: "sets" (`allocator.model.sets`: the same optimum with a much tighter
    relaxation; with HiGHS it goes to the solver as arrays, see `allocator.solving.direct`), "naive"
    (the reference formulation of `allocator.model.reference`, through PuLP), or "auto" (default,
    `auto_formulation`), solved by decomposition by group from DECOMPOSE_FROM communities
    when the gap asked for is at least DECOMPOSE_GAP.
    """
    began = time.monotonic()
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}: use one of {', '.join(SOLVERS)}")
    scenario = with_objective(scenario, objective)
    previous = None if keep_close_to is None else previous_of(keep_close_to, scenario)
    if formulation == "auto":
        formulation = auto_formulation(scenario)
    if solver == "highs" and formulation == "sets":
        from allocator.solving.direct import solve_direct

        options: dict[str, Any] = {"gap": gap, "time_limit": time_limit, "began": began}
        # The decomposition solves the default order (W, then posts short with staff, then
        # C), without a plan to keep to.
        plain = previous is None and scenario.objective is None
        if len(scenario.communities) >= DECOMPOSE_FROM and gap >= DECOMPOSE_GAP and plain:
            from allocator.solving.decompose import solve_decomposed

            decisions, runs = solve_decomposed(scenario, **options)
        else:
            decisions, runs = solve_direct(scenario, previous=previous, **options)
        info = _solver_info(solver, gap, time_limit, began, runs, scenario, previous)
        return _plan_from(decisions or _NoPlan(scenario), runs, info, previous)
    model = build_model(scenario, formulation=formulation)
    stages = _reference_stages(Stages(model, solver, gap, time_limit, began), previous)
    info = _solver_info(solver, gap, time_limit, began, stages, scenario, previous)
    if model.matrix is not None and stages[0].status.has_plan:
        return _plan_from(_readout_of(model), stages, info, previous)
    return _plan_from(model, stages, info, previous)


def auto_formulation(scenario: Scenario) -> str:
    """The formulation "auto" stands for: naive for premises in one period below
    SETS_FROM_COMMUNITIES communities, where both solve in well under a second and the
    reference also settles ties (which of two equal-cost funding splits) as every explanation
    of the premises county was written against; sets for a file with years or staff at any
    size (the county campaign: 0.6 s against 2.8 s, the reference's start years splitting in
    its relaxation; the staffed county in one period: 0.13 s against 0.6 s) and from
    SETS_FROM_COMMUNITIES on."""
    small = len(scenario.communities) < SETS_FROM_COMMUNITIES
    return "naive" if small and not scenario.years and scenario.staffing is None else "sets"


def with_objective(scenario: Scenario, objective: Sequence[str] | None) -> Scenario:
    """The scenario with the objective order asked for (None: its own, from the file)."""
    if objective is None:
        return scenario
    order = tuple(objective)
    unknown = [name for name in order if name not in MEASURE]
    if unknown or not order or len(set(order)) != len(order):
        raise ValueError(
            f"目标顺序有误 objective {list(order)}: name each measure once, from "
            f"{', '.join(MEASURE)} (e.g. communities_meeting,weighted_shortfall,total_cost)"
        )
    kept = None if order == DEFAULT_OBJECTIVE else order
    return (
        scenario if kept == scenario.objective else scenario.model_copy(update={"objective": kept})
    )


def _reference_stages(stages: Stages, previous: Previous | None = None) -> list[StageRun]:
    """The measures of the objective in order ((15) then (16) by default), each from the plan
    before it with its routes made exact and its value kept; the fewest changes from
    `previous` (20) when given; then (17) on the reference formulation. Each stage's run
    (`allocator.solving.pulp_stages`)."""
    model = stages.model
    order = objective_of(model.scenario)
    measures = [(name, measure_expression(model, name)) for name in order]
    stepping = [(MEASURE[name].kept, expr) for name, expr in measures]
    if previous is not None:
        stepping.append(("count", closeness_expression(model, previous)))
    first = stages.solve(stepping[0][1], gap=_count_gap(order[0], stages))
    if not first.status.has_plan:
        return [first]
    runs = [first]
    for k in range(1, len(stepping)):
        kind, before = stepping[k - 1]
        start, value = exact_routes(stages, before)
        allowed = value + kept_room_of(stages.solver, kind, value)
        row = MEASURE[order[k - 1]].keep_row if k - 1 < len(order) else "keep_changes"
        model.problem += pulp.LpConstraint(before, pulp.LpConstraintLE, row, allowed)
        measure = order[k] if k < len(order) else "keep_close_to"
        runs.append(stages.solve(stepping[k][1], start, gap=_count_gap(measure, stages)))
    if model.matrix is None:
        settled = settle_payers(stages)
        if settled is not None:
            runs.append(settled)
    return runs


def _readout_of(model: Model) -> Readout:
    """A "sets" model's values read as the matrix's columns (pooled money split per option)."""
    import numpy as np

    from allocator.solving.direct import readout

    by_name = {v.name: v.varValue for v in model.problem.variables()}
    values = np.array([by_name.get(name) or 0.0 for name in model.matrix.col_names])
    return readout(model.scenario, model.matrix, values)


def _count_gap(name: str, stages: Stages) -> float | None:
    """The gap of a count's stage (`allocator.model.costs.stage_gap`); None: the gap asked."""
    asked = stage_gap(name, stages.gap, stages.model.scenario)
    return None if asked == stages.gap else asked


def _solver_info(
    solver: str,
    gap: float,
    time_limit: float | None,
    began: float,
    stages: list[StageRun],
    scenario: Scenario,
    previous: Previous | None = None,
) -> SolverInfo:
    order = objective_of(scenario)
    mips = (*order, *(() if previous is None else ("keep_close_to",)))
    names = (*mips, "payer_rank")
    stages = [_count_proved(name, run) for name, run in zip(names, stages, strict=False)]
    results = tuple(
        StageResult(
            name, run.status, *_shown_values(name, run), run.gap, _noted(name, run, previous)
        )
        for name, run in zip(names, stages, strict=False)
    )
    # The plan's gap is the worst of its MIP stages; unknown if any proved none.
    gaps = [run.gap for run in stages[: len(mips)]]
    worst = None if any(g is None for g in gaps) else max(gaps)
    return SolverInfo(
        name=solver,
        version=cbc.version() if solver == "cbc" else highs.version(),
        gap=worst,
        requested_gap=gap,
        time_limit_s=time_limit,
        runtime_s=round(time.monotonic() - began, 3),
        stages=results,
    )


CUT_BEFORE_END = "stopped at the time limit before this stage ended"


def plan_so_far(
    decisions: Readout,
    runs: list[StageRun],
    *,
    solver: str = "highs",
    gap: float = DEFAULT_GAP,
    time_limit: float | None = None,
    began: float,
) -> Plan:
    """A plan found on the way (`allocator.solving.progress`), as the plan to give if the solve
    is ended at its deadline: the stages it has not done are cut by the time limit (no value),
    so it is never called optimal."""
    order = objective_of(decisions.scenario)
    cut = StageRun(StageStatus.TIME_LIMIT, None, None, None, 0.0, CUT_BEFORE_END)
    stages = [*runs, *[cut] * max(len(order) - len(runs), 0)]
    info = _solver_info(solver, gap, time_limit, began, stages, decisions.scenario)
    return _plan_from(decisions, stages, info)


def _count_proved(name: str, run: StageRun) -> StageRun:
    """A count's stage proved within the gap of `stage_gap`: its bound is within 1 of a whole
    number, so the count is proved exactly (gap 0, the bound the count)."""
    counted = name in MEASURE and MEASURE[name].kept == "count"
    if not counted or run.status != StageStatus.OPTIMAL or run.objective is None:
        return run
    if run.bound is None or run.objective - run.bound >= 1:
        return run
    return replace(run, bound=run.objective, gap=0.0)


def _shown_values(name: str, run: StageRun) -> tuple[float | None, float | None]:
    """A stage's value and bound as the measure reads: a count maximised as minus itself is
    shown as the count."""
    if name in MEASURE and MEASURE[name].maximised:
        return tuple(None if v is None else -v for v in (run.objective, run.bound))  # type: ignore[return-value]
    return run.objective, run.bound


def _noted(name: str, run: StageRun, previous: Previous | None) -> str | None:
    """The stage's note; the stage keeping close to a plan adds what it left out of it."""
    if name != "keep_close_to" or previous is None or not previous.ignored:
        return run.note
    return "; ".join([*previous.ignored, *([run.note] if run.note else [])])


def _overall_status(stages: list[StageRun]) -> Status:
    """The plan's status: the first stage's when it gave no plan; else optimal only when every
    stage is proven; time_limit when a stage was stopped by the time limit given; not_proven
    otherwise (the stages' notes say why)."""
    first = stages[0].status
    if not first.has_plan:
        return _PLAN_STATUS[first]
    if all(run.status == StageStatus.OPTIMAL for run in stages):
        return Status.OPTIMAL
    if any(run.status == StageStatus.TIME_LIMIT for run in stages):
        return Status.TIME_LIMIT
    return Status.NOT_PROVEN


class _NoPlan:
    """Stands in for a model when the solver gave no plan (only the scenario is read)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario


def _plan_from(
    model: Model | Readout | _NoPlan,
    stages: list[StageRun],
    info: SolverInfo,
    previous: Previous | None = None,
) -> Plan:
    scenario = model.scenario
    status = _overall_status(stages)
    if not status.has_plan:
        audit = audit_record(scenario, info)
        return Plan.without_plan(scenario.name, status, info, scenario.sha256(), audit)
    communities = community_results(model)
    if previous is not None:
        info = _with_changes(info, previous, communities)
    measures = plan_measures(scenario, communities)
    return Plan(
        scenario=scenario.name,
        status=status,
        total_cost=measures["total_cost"],
        total_shortfall_m2=rounded(sum(c.shortfall_m2 for c in communities)),
        weighted_shortfall=measures["weighted_shortfall"],
        communities_meeting_target=measures["communities_meeting"],
        county_money_used=measures["county_money"],
        community_results=communities,
        funding_results=funding_results(model, communities),
        solver=info,
        input_sha256=scenario.sha256(),
        audit=audit_record(scenario, info),
        posts_short=measures.get("posts_short"),
        communities_meeting_both=measures.get("communities_meeting_both"),
        objective={"order": list(objective_of(scenario)), "values": measures},
        **plan_years(scenario, communities),
    )


def _with_changes(
    info: SolverInfo, previous: Previous, communities: tuple[CommunityResult, ...]
) -> SolverInfo:
    """The stage keeping close to a plan says how many routes and payers changed (and start
    years, posts), counted on the plan as read back."""
    routes = {o.id for c in communities for o in c.options}
    payers = {(o.id, s) for c in communities for o in c.options for s in o.funding}
    starts = {(o.id, o.start_year) for c in communities for o in c.options if o.start_year}
    moved, paid, later = changes(previous, routes, payers, starts)
    said = f"与原方案相比：{moved}项路径、{paid}项出资变动 {moved} routes and {paid} payers changed"
    if previous.starts or starts:
        said += f"；{later}项启动年份变动 {later} start years changed"
    posts = {(c.id, route, None): n for c in communities if c.posts
             for route, n in c.posts.added.items()}  # fmt: skip
    if previous.posts or posts:
        staff = posts_moved(previous, posts)
        said += f"；人员增减{staff}人 {staff} posts added or taken away"
    stages = tuple(
        replace(stage, note="; ".join(filter(None, [said, stage.note])))
        if stage.objective == "keep_close_to"
        else stage
        for stage in info.stages
    )
    return replace(info, stages=stages)


def audit_record(scenario: Scenario, info: SolverInfo) -> dict[str, Any]:
    """What it takes to reproduce a plan: the input (hash, file, variant and its changes), the
    solver and its settings, and the versions of this package and of PuLP."""
    variant = scenario._label  # noqa: SLF001 - set by allocator.scenario.loading for a variant
    changes = next((list(v.changes) for v in scenario.variants if v.name == variant), None)
    return {
        "scenario_sha256": scenario.sha256(),
        "scenario_file": scenario.path,
        "variant": variant,
        "changes": changes,
        "solver": info.name,
        "solver_version": info.version,
        "requested_gap": info.requested_gap,
        "gap": info.gap,
        "time_limit_s": info.time_limit_s,
        "threads": 1,
        "allocator_version": __version__,
        "pulp_version": pulp.__version__,
    }
