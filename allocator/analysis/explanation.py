"""Why this route here: one community's part of the plan, explained.

`explain(scenario, community_id)` gives, for one community:

- the routes the plan chooses, what they reach and who pays;
- for every route not chosen, the plan that would follow if it were forced (a copy of the
  scenario with that option locked chosen, re-solved): its total cost and weighted shortfall,
  the gap to the optimum, and what this community would then do. The best of them is the
  runner-up. A forced route must add at least 1 m2 (or its own minimum), so that forcing it
  cannot mean choosing it in name only;
- the rules that bind here: budgets, max_options, exclusions, must_meet, largest areas, locks
  and funding rules (`allocator.analysis.binding`);
- the marginal cost of one more m2 of its target (LP price and finite difference, as in
  `allocator.analysis.shadow`).

A plain-language paragraph comes first (`Explanation.paragraph`), the numbers after.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from allocator.analysis.binding import BindingRule, binding_rules
from allocator.findings import Diagnosis, TargetPrice
from allocator.plan import CommunityResult, Plan
from allocator.scenario.edits import find_community, with_options
from allocator.scenario.schema import Community, Option, Scenario


@dataclass(frozen=True)
class ForcedRoute:
    """What the plan would be if one route not chosen were forced."""

    option: str
    kind: str
    locked: str | None
    feasible: bool
    total_cost: float | None = None
    weighted_shortfall: float | None = None
    cost_difference: float | None = None
    shortfall_difference: float | None = None
    community_shortfall_m2: float | None = None
    community_routes: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Explanation:
    """One community's part of the plan: routes, runner-up, binding rules, marginal cost."""

    community: str
    name: str
    paragraph: str
    status: str
    community_result: dict[str, Any] | None
    forced: tuple[ForcedRoute, ...] = ()
    runner_up: str | None = None
    binding: tuple[BindingRule, ...] = ()
    marginal: TargetPrice | None = None  # None when there is no plan to price
    diagnosis: Diagnosis | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "community": self.community,
            "name": self.name,
            "paragraph": self.paragraph,
            "status": self.status,
            "community_result": self.community_result,
            "forced": [asdict(f) for f in self.forced],
            "runner_up": self.runner_up,
            "binding": [asdict(b) for b in self.binding],
            "marginal": self.marginal.to_dict() if self.marginal else {},
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
        }

    def __str__(self) -> str:
        return self.paragraph


def explain(
    scenario: Scenario,
    community_id: str,
    *,
    plan: Plan | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
) -> Explanation:
    """Explain the plan for one community (KeyError when the scenario has no such community).

    `plan` is the optimal plan to explain (solved here when not given); every forced route
    is re-solved with the same `solver` and `time_limit`.
    """
    from allocator.solving.lexicographic import solve

    community = find_community(scenario, community_id)
    if plan is None:
        plan = solve(scenario, solver=solver, time_limit=time_limit)
    if not plan.status.has_plan:
        why = plan.diagnosis.summary if plan.diagnosis else "the solver found no plan"
        return Explanation(
            community=community.id,
            name=community.name,
            paragraph=f"There is no plan to explain ({plan.status.value}): {why}",
            status=plan.status.value,
            community_result=None,
            diagnosis=plan.diagnosis,
        )
    result = _result(plan, community.id)
    chosen = {o.id for o in result.options}
    forced = tuple(
        _force(scenario, plan, community, option, solver, time_limit)
        for option in community.options
        if option.id not in chosen
    )
    runner_up = _runner_up(forced)
    binding = tuple(binding_rules(scenario, plan, community, result, solver, time_limit))
    marginal = _marginal(scenario, plan, community)
    paragraph = _paragraph(scenario, community, result, forced, runner_up, binding, marginal)
    return Explanation(
        community=community.id,
        name=community.name,
        paragraph=paragraph,
        status=plan.status.value,
        community_result=asdict(result),
        forced=forced,
        runner_up=runner_up,
        binding=binding,
        marginal=marginal,
    )


def _result(plan: Plan, community_id: str) -> CommunityResult:
    return next(c for c in plan.community_results if c.id == community_id)


# --- routes not chosen, forced ------------------------------------------------------------
def _force(
    scenario: Scenario,
    plan: Plan,
    community: Community,
    option: Option,
    solver: str,
    time_limit: float | None,
) -> ForcedRoute:
    from allocator.solving.lexicographic import solve

    least = max(option.min_area_m2, min(1.0, option.max_area_m2))
    forced = with_options(scenario, {option.id: {"locked": "chosen", "min_area_m2": least}})
    note = ""
    if option.locked == "rejected":
        note = "locked rejected in the scenario; forced here to show what reversing it would do"
    clash = _lock_clash(community, option)
    if clash:
        return ForcedRoute(
            option.id, option.kind, option.locked, False, note=f"cannot be forced: {clash}"
        )
    other = solve(forced, solver=solver, time_limit=time_limit)
    if not other.status.has_plan:
        why = other.diagnosis.summary if other.diagnosis else other.status.value
        return ForcedRoute(
            option.id, option.kind, option.locked, False, note=f"forcing it leaves no plan: {why}"
        )
    mine = _result(other, community.id)
    return ForcedRoute(
        option.id,
        option.kind,
        option.locked,
        True,
        total_cost=other.total_cost,
        weighted_shortfall=other.weighted_shortfall,
        cost_difference=round(other.total_cost - plan.total_cost, 6),
        shortfall_difference=round(other.weighted_shortfall - plan.weighted_shortfall, 6),
        community_shortfall_m2=mine.shortfall_m2,
        community_routes=tuple(f"{o.id} {o.area_m2:.1f} m2" for o in mine.options),
        note=note,
    )


def _lock_clash(community: Community, option: Option) -> str:
    """Why a route cannot be taken alongside the decisions already locked, if it cannot."""
    locked = [o for o in community.options if o.locked == "chosen" and o.id != option.id]
    for other in locked:
        if other.id in option.excludes or option.id in other.excludes:
            return f"it excludes {other.id}, which is locked chosen"
    if len(locked) + 1 > community.max_options:
        return f"{len(locked)} routes are locked chosen and at most {community.max_options} combine"
    if option.replaces_existing and any(o.replaces_existing for o in locked):
        return "another route that replaces the existing premises is locked chosen"
    return ""


def _runner_up(forced: tuple[ForcedRoute, ...]) -> str | None:
    feasible = [f for f in forced if f.feasible]
    if not feasible:
        return None
    best = min(feasible, key=lambda f: (round(f.weighted_shortfall or 0.0, 4), f.total_cost))
    return best.option


# --- marginal cost of the target ----------------------------------------------------------
def _marginal(scenario: Scenario, plan: Plan, community: Community) -> TargetPrice | None:
    from allocator.analysis.shadow import shadow_prices

    prices = shadow_prices(scenario, plan, communities=[community.id], budgets=[])
    return prices.targets[0] if prices.targets else None


# --- words --------------------------------------------------------------------------------
def _paragraph(
    scenario: Scenario,
    community: Community,
    result: CommunityResult,
    forced: tuple[ForcedRoute, ...],
    runner_up: str | None,
    binding: tuple[BindingRule, ...],
    marginal: TargetPrice | None,
) -> str:
    demo = " (a demonstration site)" if community.must_meet else ""
    head = (
        f"{community.name} ({community.id}, {result.group_name}) has "
        f"{community.existing_area_m2:g} m2 and a target of {community.target_area_m2:g} m2"
        f"{demo}."
    )
    if result.options:
        routes = " and ".join(f"{o.id} ({o.kind}, {o.area_m2:.1f} m2)" for o in result.options)
        payers = _payers(result)
        reach = (
            "meeting the target"
            if result.meets_target
            else f"falling {result.shortfall_m2:.1f} m2 short"
        )
        body = (
            f"The plan takes {routes}, reaching {result.final_area_m2:.1f} m2, {reach}, for "
            f"{result.cost:.2f} 万元 paid by {payers}."
        )
    else:
        reach = (
            "which already meets the target"
            if result.meets_target
            else f"and stays {result.shortfall_m2:.1f} m2 short"
        )
        body = f"The plan takes no route here, {reach}."
    sentences = [head, body, _runner_up_words(forced, runner_up, bool(community.options))]
    order = ("must_meet", "excludes", "max_options", "max_area", "budget", "locked")
    ranked = sorted(binding, key=lambda b: order.index(b.rule) if b.rule in order else len(order))
    holding = [b.text for b in ranked if "does not bind" not in b.text]
    if holding:
        sentences.append("What holds it here: " + "; ".join(holding[:5]) + ".")
    if marginal:
        sentences.append(_marginal_words(marginal))
    return " ".join(s for s in sentences if s)


def _payers(result: CommunityResult) -> str:
    paid: dict[str, float] = {}
    for option in result.options:
        for source, amount in option.funding.items():
            paid[source] = paid.get(source, 0.0) + amount
    return ", ".join(f"{s} {a:.2f}" for s, a in paid.items()) or "no one (it costs nothing)"


def _runner_up_words(
    forced: tuple[ForcedRoute, ...], runner_up: str | None, result_has_routes: bool
) -> str:
    if not forced:
        return (
            "It takes every route open to it." if result_has_routes else "No route is open to it."
        )
    if runner_up is None:
        return "None of its other routes can be forced into a plan."
    best = next(f for f in forced if f.option == runner_up)
    cost, short = best.cost_difference or 0.0, best.shortfall_difference or 0.0
    parts = [f"{cost:+.2f} 万元 in total"]
    if abs(short) > 1e-4:
        parts.append(f"{short:+.1f} m2 of weighted shortfall")
    return (
        f"The runner-up is {best.option} ({best.kind}): forcing it would change the county's "
        f"plan by {' and '.join(parts)}."
    )


def _marginal_words(marginal: TargetPrice) -> str:
    if marginal.agree is False:
        return f"At the margin, {marginal.costs} (re-solved; the LP price differs: {marginal.why})."
    return f"At the margin, {marginal.costs}."
