"""solve(scenario) -> Plan: the lexicographic solve, equations (15) then (16) of the model."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pulp

from allocator.model.costs import payer_rank
from allocator.model.reference import Model, build_model
from allocator.plan import (
    CommunityResult,
    FundingResult,
    OptionResult,
    Plan,
    SolverInfo,
    StageResult,
    Status,
)
from allocator.scenario.schema import Option, Scenario
from allocator.solving import cbc, highs
from allocator.solving.pulp_stages import Stages, exact_routes, settle_payers, w_tolerance
from allocator.solving.status import StageRun, StageStatus
from allocator.version import __version__

if TYPE_CHECKING:
    from allocator.solving.direct import Readout

DEFAULT_GAP = 1e-6
_DIGITS = 6
SETS_FROM_COMMUNITIES = 100
# From this size, and for gaps the relaxation can prove, decomposition by group
# (allocator.solving.decompose): one MIP of everything spends minutes in its first relaxation.
DECOMPOSE_FROM = 3000
DECOMPOSE_GAP = 2e-5
_MEETS_M2 = 1e-4
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
) -> Plan:
    """Least weighted shortfall, then least cost at that shortfall.

    `time_limit` (seconds, wall clock) covers every stage; a plan found at the limit has
    status time_limit and carries its proven gap. A plan without proof for any other reason
    has status not_proven, the reason in its stages' notes (`solver.stages`). An infeasible
    scenario gives a Plan with status infeasible (`allocator.solve` adds a `diagnosis` saying
    what cannot be met).

    `formulation`: "sets" (`allocator.model.sets`: the same optimum with a much tighter
    relaxation; with HiGHS it goes to the solver as arrays, see `allocator.solving.direct`), "naive"
    (the reference formulation of `allocator.model.reference`, through PuLP), or "auto" (default):
    naive below SETS_FROM_COMMUNITIES communities, where both solve in well under a second
    and the reference also settles ties (which of two equal-cost funding splits) as every
    explanation of a county plan was written against; sets from there on, solved by
    decomposition by group from DECOMPOSE_FROM communities when the gap asked for is at
    least DECOMPOSE_GAP.
    """
    began = time.monotonic()
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}: use one of {', '.join(SOLVERS)}")
    if formulation == "auto":
        small = len(scenario.communities) < SETS_FROM_COMMUNITIES
        formulation = "naive" if small else "sets"
    if solver == "highs" and formulation == "sets":
        from allocator.solving.direct import solve_direct

        solver_of = solve_direct
        if len(scenario.communities) >= DECOMPOSE_FROM and gap >= DECOMPOSE_GAP:
            from allocator.solving.decompose import solve_decomposed as solver_of
        decisions, runs = solver_of(scenario, gap=gap, time_limit=time_limit, began=began)
        info = _solver_info(solver, gap, time_limit, began, runs)
        return _plan_from(decisions or _NoPlan(scenario), runs, info)
    model = build_model(scenario, formulation=formulation)
    stages = _reference_stages(Stages(model, solver, gap, time_limit, began))
    info = _solver_info(solver, gap, time_limit, began, stages)
    if model.matrix is not None and stages[0].status.has_plan:
        return _plan_from(_readout_of(model), stages, info)
    return _plan_from(model, stages, info)


def _reference_stages(stages: Stages) -> list[StageRun]:
    """(15), then (16) from stage 1's plan with its routes made exact and its W kept, then
    (17) on the reference formulation; each stage's run (`allocator.solving.pulp_stages`)."""
    model = stages.model
    first = stages.solve(model.weighted_shortfall)
    if not first.status.has_plan:
        return [first]
    start, shortfall = exact_routes(stages)
    allowed = shortfall + w_tolerance(stages.solver, shortfall)
    model.problem += pulp.LpConstraint(
        model.weighted_shortfall, pulp.LpConstraintLE, "keep_shortfall", allowed
    )
    runs = [first, stages.solve(model.total_cost, start)]
    if model.matrix is None:
        ranks = {s.id: payer_rank(s, i) for i, s in enumerate(model.scenario.funding)}
        settled = settle_payers(stages, ranks)
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


def _solver_info(
    solver: str, gap: float, time_limit: float | None, began: float, stages: list[StageRun]
) -> SolverInfo:
    names = ("weighted_shortfall", "total_cost", "payer_rank")
    results = tuple(
        StageResult(name, run.status, run.objective, run.bound, run.gap, run.note)
        for name, run in zip(names, stages, strict=False)
    )
    # The plan's gap is the worst of its two MIP stages; unknown if either proved none.
    gaps = [run.gap for run in stages[:2]]
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


def _plan_from(model: Model | Readout | _NoPlan, stages: list[StageRun], info: SolverInfo) -> Plan:
    scenario = model.scenario
    status = _overall_status(stages)
    if not status.has_plan:
        return Plan(
            scenario=scenario.name,
            status=status,
            total_cost=None,
            total_shortfall_m2=None,
            weighted_shortfall=None,
            communities_meeting_target=None,
            community_results=(),
            funding_results=(),
            solver=info,
            input_sha256=scenario.sha256(),
            audit=audit_record(scenario, info),
        )
    communities = _community_results(model)
    return Plan(
        scenario=scenario.name,
        status=status,
        total_cost=_round(sum(c.cost for c in communities)),
        total_shortfall_m2=_round(sum(c.shortfall_m2 for c in communities)),
        weighted_shortfall=_round(
            sum(
                c.shortfall_m2 * p.priority
                for c, p in zip(communities, scenario.communities, strict=True)
            )
        ),
        communities_meeting_target=sum(c.meets_target for c in communities),
        community_results=communities,
        funding_results=_funding_results(model, communities),
        solver=info,
        input_sha256=scenario.sha256(),
        audit=audit_record(scenario, info),
    )


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


def _community_results(model: Model | Readout) -> tuple[CommunityResult, ...]:
    """Read the chosen options and recompute every figure from the scenario's own numbers."""
    chosen_by_community, replaced = _chosen_options(model)
    group_names = {g.id: g.name for g in model.scenario.groups}
    results = []
    for community in model.scenario.communities:
        options = tuple(chosen_by_community.get(community.id, []))
        existing = 0.0 if community.id in replaced else community.existing_area_m2
        final = _round(existing + sum(o.counted_area_m2 for o in options))
        shortfall = _round(max(community.target_area_m2 - final, 0.0))
        # The solver's own tolerance can leave a few 1e-5 m2 of a target unmet: shown as it
        # is (the figures must add up), and within _MEETS_M2 the target counts as met.
        results.append(
            CommunityResult(
                id=community.id,
                name=community.name,
                group=community.group,
                group_name=group_names[community.group],
                existing_area_m2=community.existing_area_m2,
                target_area_m2=community.target_area_m2,
                final_area_m2=final,
                shortfall_m2=shortfall,
                meets_target=shortfall <= _MEETS_M2,
                must_meet=community.must_meet,
                cost=_round(sum(o.cost for o in options)),
                options=options,
            )
        )
    return tuple(results)


def _chosen_options(model: Model | Readout) -> tuple[dict[str, list[OptionResult]], set[str]]:
    """The chosen options of each community, and the communities whose existing area a chosen
    option replaces."""
    chosen_by_community: dict[str, list[OptionResult]] = {}
    replaced: set[str] = set()
    money_of: dict[int, list[tuple[str, pulp.LpVariable]]] = {}
    for (i, source_id), f in model.funding.items():
        money_of.setdefault(i, []).append((source_id, f))
    for i, (community, option) in enumerate(model.options):
        if (model.chosen[i].varValue or 0.0) < 0.5:
            continue
        result = _option_result(
            option, model.area[i].varValue, money_of.get(i, []), model.scenario.horizon_years
        )
        if result is None:
            continue
        if option.replaces_existing:
            replaced.add(community.id)
        chosen_by_community.setdefault(community.id, []).append(result)
    return chosen_by_community, replaced


def _option_result(
    option: Option, area_value: float | None, money: list[tuple[str, Any]], years: float
) -> OptionResult | None:
    """A chosen option's figures from its area; None when it is chosen in name only (adds
    nothing, costs nothing, replaces nothing and is not locked in)."""
    area = _round(min(max(area_value or 0.0, 0.0), option.max_area_m2))
    capital = _round(option.fixed_cost + option.cost_per_m2 * area)
    running = _round(years * (option.annual_cost + option.annual_cost_per_m2 * area))
    if area == 0 and capital + running == 0:
        if not option.replaces_existing and option.locked != "chosen":
            return None
    funding = {
        source_id: amount for source_id, f in money if (amount := _round(f.varValue or 0.0)) > 0
    }
    return OptionResult(
        option.id,
        option.kind,
        area,
        _round(option.area_factor * area),
        capital,
        running,
        _round(capital + running),
        funding,
    )


def _funding_results(
    model: Model | Readout, communities: tuple[CommunityResult, ...]
) -> tuple[FundingResult, ...]:
    scenario = model.scenario
    by_id = {c.id: c for c in scenario.communities}
    used: dict[tuple[str, str], float] = {}
    sources = {s.id: s for s in scenario.funding}
    for result in communities:
        for option in result.options:
            for source_id, amount in option.funding.items():
                unit = scenario.unit_of(sources[source_id], by_id[result.id])
                used[(source_id, unit)] = used.get((source_id, unit), 0.0) + amount
    rows = []
    for source in scenario.funding:
        for unit, budget in model.unit_budgets[source.id].items():
            spent = _round(used.get((source.id, unit), 0.0))
            rows.append(
                FundingResult(source.id, source.name, unit, budget, spent, _round(budget - spent))
            )
    return tuple(rows)


def _round(value: float) -> float:
    """To 1e-6, and to 1e-3 when within 1e-5 of it: 449.999997 m2 is solver noise for 450."""
    fine, coarse = round(value, _DIGITS), round(value, 3)
    rounded = coarse if abs(fine - coarse) <= 1e-5 else fine
    return 0.0 if rounded == 0 else rounded
