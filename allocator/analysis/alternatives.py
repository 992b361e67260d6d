"""Near-optimal alternatives: other plans, nearly as cheap, at the same shortfall.

Modelling to generate alternatives (MGA), in the "hop, skip, jump" manner:

1. Solve the scenario: the optimal plan, weighted shortfall W* and cost C*.
2. Keep the model's rules and add: W <= W* (the same shortfall), C <= (1 + within) * C*, and
   that a route counts as chosen only if it adds at least 1 m2 (or its own minimum). For every
   plan found so far p, with routes R_p, let drop_p = the number of routes of R_p not chosen.
   Maximise min_p drop_p (with a small weight on the sum of drop_p, and a smaller one on cost
   for ties), with min_p drop_p >= 1: a plan that leaves out as many of the routes of every
   earlier plan as possible.
3. Lock the routes it leaves out as rejected, and solve that copy of the scenario the usual
   way (least shortfall, then least cost). The result is a full plan in the solve contract,
   at shortfall W*, costing at most the margin above C*, and without at least one route of
   every earlier plan: distinct from all of them.
4. Repeat until `count` alternatives are found or none is left within the margin.

Only routes that leave plans are counted: routes that come in are the ones needed to make up
the area, and counting them too would reward routes added for no reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import pulp

from allocator.findings import CutShort
from allocator.model.costs import kept_shortfall_m2
from allocator.model.reference import build_model
from allocator.plan import Plan, Status
from allocator.scenario.edits import with_locks
from allocator.scenario.schema import Scenario
from allocator.solving.highs import INF, HighsModel
from allocator.solving.pulp_highs import to_highs
from allocator.solving.status import StageStatus

if TYPE_CHECKING:
    from allocator.solving.worker import Deadline

DEFAULT_WITHIN = 0.05
DEFAULT_COUNT = 3


@dataclass(frozen=True)
class Difference:
    """One community whose routes differ between the optimum and an alternative."""

    community: str
    name: str
    optimal: tuple[str, ...]  # its routes in the optimal plan: "id (kind, area m2)"
    alternative: tuple[str, ...]  # and in the alternative
    cost_difference: float  # 万元, alternative minus optimum, for this community
    shortfall_difference_m2: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {**data, "optimal": list(self.optimal), "alternative": list(self.alternative)}


@dataclass(frozen=True)
class Alternative:
    """A plan near the optimum, and how it differs from it."""

    plan: Plan
    differences: tuple[Difference, ...]
    cost_difference: float
    cost_above_optimum: float  # as a share of the optimal cost
    routes_changed: int

    def to_dict(self) -> dict[str, Any]:
        data = self.plan.to_dict()
        data["differences"] = [d.to_dict() for d in self.differences]
        data["cost_difference"] = self.cost_difference
        data["cost_above_optimum"] = self.cost_above_optimum
        data["routes_changed"] = self.routes_changed
        return data


@dataclass(frozen=True)
class Alternatives:
    """The optimal plan and up to `count` alternatives within `within` of its cost."""

    optimal: Plan
    alternatives: tuple[Alternative, ...]
    within: float
    count: int
    summary: str
    cut_short: tuple[CutShort, ...] = ()  # what the time limit cut short

    def to_dict(self) -> dict[str, Any]:
        data = {
            "optimal": self.optimal.to_dict(),
            "alternatives": [a.to_dict() for a in self.alternatives],
            "within": self.within,
            "count": self.count,
            "summary": self.summary,
        }
        if self.cut_short:
            data["cut_short"] = [asdict(c) for c in self.cut_short]
        return data


def alternatives(
    scenario: Scenario,
    *,
    within: float = DEFAULT_WITHIN,
    count: int = DEFAULT_COUNT,
    solver: str = "highs",
    time_limit: float | None = None,
    optimal: Plan | None = None,
    deadline: Deadline | None = None,
) -> Alternatives:
    """Up to `count` plans as short of targets as the optimum, costing at most `within`
    (a share: 0.05 is 5%) above it, each leaving out as many routes of the optimum and of
    each other as it can.

    `time_limit` (seconds, or a `deadline` shared with a command) bounds all of it, the
    optimum's solve included: the search runs in a worker process ended at the deadline
    (`allocator.solving.worker`), the alternatives found by then are kept, and `cut_short`
    says the search was cut short (more may exist)."""
    from allocator.analysis.diagnosis import solve
    from allocator.solving.cut_plans import cut_note
    from allocator.solving.worker import Deadline
    from allocator.solving.worker import within as run_within

    if within < 0:
        raise ValueError("within must be >= 0 (a share of the optimal cost: 0.05 is 5%)")
    deadline = Deadline.of(time_limit) if deadline is None else deadline
    if optimal is None:
        optimal = solve(scenario, solver=solver, deadline=deadline)
    if not optimal.status.has_plan:
        return Alternatives(
            optimal=optimal,
            alternatives=(),
            within=within,
            count=count,
            summary="No plan, so no alternatives.",
        )
    call = run_within(deadline, _search, scenario, optimal, within, count, solver)
    found, cut = call.value if call.done else (call.partial or [], True)
    cut_short = ()
    if cut:
        cut_short = (cut_note(deadline, call.how or "time_limit", "alternatives"),)
    return Alternatives(
        optimal=optimal,
        alternatives=tuple(found),
        within=within,
        count=count,
        summary=_summary(optimal, found, within, count, cut=bool(cut)),
        cut_short=cut_short,
    )


def _search(
    scenario: Scenario, optimal: Plan, within: float, count: int, solver: str
) -> tuple[list[Alternative], bool]:
    """The alternatives, one after another, and whether the time limit cut the search short
    (each found so far is reported, `allocator.solving.worker.report`)."""
    from allocator.solving.lexicographic import solve
    from allocator.solving.worker import left_s, out_of_time, report

    search = _Search.build(scenario, optimal, within)
    found: list[Alternative] = []
    routes = [_routes(optimal)]
    limited = left_s(None) is not None
    while len(found) < count:
        if out_of_time():
            return found, True
        dropped = search.next_drop(routes, left_s(None))
        if dropped is None:
            return found, limited and search.status == StageStatus.UNKNOWN
        locks = {oid: "rejected" for oid in dropped}
        limit = left_s(None, len(scenario.communities))
        plan = solve(with_locks(scenario, locks), solver=solver, time_limit=limit)
        if limited and plan.status in (Status.TIME_LIMIT, Status.NO_PLAN, Status.NOT_PROVEN):
            return found, True  # not settled in time: it may yet be one
        if not plan.status.has_plan or plan.total_cost > search.cap_wan + 1e-6:
            break
        plan = replace(
            plan,
            input_sha256=optimal.input_sha256,
            audit={
                **plan.audit,
                "scenario_sha256": optimal.input_sha256,
                "alternative_to": optimal.input_sha256,
                "locked_rejected_for_alternative": sorted(dropped),
            },
        )
        routes.append(_routes(plan))
        found.append(_alternative(optimal, plan))
        report(list(found))
    return found, False


@dataclass
class _Search:
    """The MGA model: the scenario's rules, W and C capped, and the distance rows."""

    lp: HighsModel
    y: dict[str, str]  # option id -> column
    locked_chosen: set[str]
    cost: dict[str, float]
    cap_wan: float
    rows: int = 0
    status: StageStatus | None = None  # of the last search

    @classmethod
    def build(cls, scenario: Scenario, optimal: Plan, within: float) -> _Search:
        model = build_model(scenario)
        lp = to_highs(model.problem)
        w = {v.name: c for v, c in model.weighted_shortfall.items()}
        cost = {v.name: c for v, c in model.total_cost.items()}
        stage = optimal.solver.stages[0].value if optimal.solver.stages else None
        shortfall = max(optimal.weighted_shortfall, stage or 0.0)
        lp.add_row("keep_shortfall", -INF, shortfall + kept_shortfall_m2(shortfall, arrays=True), w)
        cap = optimal.total_cost * (1 + within) + 1e-6
        lp.add_row("keep_cost", -INF, cap, cost)
        for i, (_, option) in enumerate(model.options):
            least = max(option.min_area_m2, min(1.0, option.max_area_m2))
            if option.min_area_m2 < least and option.locked is None:
                y, x = model.chosen[i].name, model.area[i].name
                lp.add_row(f"alt_least_{i}", 0.0, INF, {x: 1.0, y: -least})
        lp.add_column("distance", 0.0, 1.0, INF, {})
        y_cols = {option.id: model.chosen[i].name for i, (_, option) in enumerate(model.options)}
        locked = {o.id for _, o in model.options if o.locked == "chosen"}
        return cls(lp, y_cols, locked, cost, cap)

    def next_drop(self, routes: list[set[str]], time_limit: float | None) -> set[str] | None:
        """Routes of earlier plans that the most distant plan within the margin leaves out."""
        latest = [oid for oid in routes[-1] if oid not in self.locked_chosen]
        if not latest:
            return None  # every route of that plan is locked: nothing can leave it
        entries = {self.y[oid]: 1.0 for oid in latest}
        self.lp.add_row(
            f"distance_{self.rows}", -INF, float(len(latest)), {"distance": 1.0, **entries}
        )
        self.rows += 1
        weight = 1.0 / (2.0 * (len(routes) + 1) * max(len(self.y), 1))
        objective: dict[str, float] = {"distance": 1.0}
        for plan_routes in routes:
            for oid in plan_routes - self.locked_chosen:
                objective[self.y[oid]] = objective.get(self.y[oid], 0.0) - weight
        for column, coef in self.cost.items():
            objective[column] = objective.get(column, 0.0) - weight / (self.cap_wan + 1.0) * coef
        self.lp.set_objective(objective, sense=pulp.LpMaximize)
        status = self.status = self.lp.run(time_limit)
        if status == "infeasible" or not self.lp.has_solution():
            return None
        values = self.lp.values()
        earlier = set().union(*routes) - self.locked_chosen
        return {oid for oid in earlier if values[self.y[oid]] < 0.5}


def _routes(plan: Plan) -> set[str]:
    return {o.id for c in plan.community_results for o in c.options}


def _alternative(optimal: Plan, plan: Plan) -> Alternative:
    differences = []
    for mine, theirs in zip(optimal.community_results, plan.community_results, strict=True):
        if {o.id for o in mine.options} == {o.id for o in theirs.options}:
            continue
        differences.append(
            Difference(
                community=mine.id,
                name=mine.name,
                optimal=tuple(f"{o.id} ({o.kind}, {o.area_m2:.1f} m2)" for o in mine.options),
                alternative=tuple(f"{o.id} ({o.kind}, {o.area_m2:.1f} m2)" for o in theirs.options),
                cost_difference=round(theirs.cost - mine.cost, 6),
                shortfall_difference_m2=round(theirs.shortfall_m2 - mine.shortfall_m2, 6),
            )
        )
    changed = len(_routes(optimal) ^ _routes(plan))
    extra = round(plan.total_cost - optimal.total_cost, 6)
    share = extra / optimal.total_cost if optimal.total_cost else 0.0
    return Alternative(
        plan=plan,
        differences=tuple(differences),
        cost_difference=extra,
        cost_above_optimum=round(share, 6),
        routes_changed=changed,
    )


def _summary(
    optimal: Plan, found: list[Alternative], within: float, count: int, *, cut: bool = False
) -> str:
    head = (
        f"Optimal plan: {optimal.total_cost:.2f} 万元, weighted shortfall "
        f"{optimal.weighted_shortfall:g} m2."
    )
    if cut:
        head += (
            f" The search was cut short by the time limit after {len(found)} alternatives: "
            "more may exist."
        )
    if not found and cut:
        return head
    if not found:
        return f"{head} No other plan at that shortfall costs within {within:.1%} of it."
    lines = [head]
    for n, alt in enumerate(found, 1):
        places = ", ".join(d.community for d in alt.differences)
        lines.append(
            f"Alternative {n}: {alt.plan.total_cost:.2f} 万元 "
            f"({alt.cost_above_optimum:+.1%}), {alt.routes_changed} route choices "
            f"differ, in {places}."
        )
    if len(found) < count and not cut:
        lines.append(f"Only {len(found)} distinct alternatives exist within {within:.1%}.")
    return " ".join(lines)
