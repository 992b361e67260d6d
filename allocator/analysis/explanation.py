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
from typing import TYPE_CHECKING, Any

from allocator.analysis import explanation_words as words
from allocator.analysis.binding import BindingRule, binding_rules
from allocator.analysis.start_years import EarlierStart, earlier_starts, start_sentences
from allocator.catalogue import say, word
from allocator.findings import CutShort, Diagnosis, TargetPrice
from allocator.plan import CommunityResult, Plan, Status
from allocator.scenario.edits import find_community, with_options
from allocator.scenario.schema import Community, Option, Scenario

if TYPE_CHECKING:
    from allocator.solving.worker import Deadline


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
    loses_standard: tuple[str, ...] = ()  # ids of communities meeting the target only without it
    gains_standard: tuple[str, ...] = ()  # ids of communities meeting the target only with it
    note_code: str = ""  # the note's key under `forced.` in the catalogue


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
    earlier: tuple[EarlierStart, ...] = ()  # with years: its routes started a year sooner
    diagnosis: Diagnosis | None = None
    cut_short: tuple[CutShort, ...] = ()  # what the time limit cut short

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
            "earlier": [asdict(e) for e in self.earlier],
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
        } | ({"cut_short": [asdict(c) for c in self.cut_short]} if self.cut_short else {})

    def __str__(self) -> str:
        return self.paragraph


def explain(
    scenario: Scenario,
    community_id: str,
    *,
    plan: Plan | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    lang: str | None = None,
    deadline: Deadline | None = None,
) -> Explanation:
    """Explain the plan for one community (KeyError when the scenario has no such community).

    `plan` is the optimal plan to explain (solved here when not given); every forced route
    is re-solved with the same `solver` and `time_limit`. The paragraph is in `lang` (zh or
    en; the current language of `allocator.catalogue` when None).

    With `time_limit` (or a `deadline` shared with a command) the whole explanation keeps it:
    it runs in a worker process ended at the deadline (`allocator.solving.worker`), each
    re-solve gets what is left, routes not re-solved in time say so, and `cut_short` says what
    the limit cut short.
    """
    from allocator.solving.lexicographic import solve
    from allocator.solving.worker import Deadline, in_worker, left_s

    deadline = Deadline.of(time_limit) if deadline is None else deadline
    if deadline.limited and not in_worker():
        return _explain_within(scenario, community_id, plan, solver, deadline, lang)
    community = find_community(scenario, community_id)
    if plan is None:
        plan = solve(scenario, solver=solver, time_limit=time_limit)
    if not plan.status.has_plan:
        why = plan.diagnosis.summary if plan.diagnosis else say("plan.none_found", lang)
        status = word("status", plan.status.value, lang)
        return Explanation(
            community=community.id,
            name=community.name,
            paragraph=say("explain.no_plan", lang, status=status, why=why),
            status=plan.status.value,
            community_result=None,
            diagnosis=plan.diagnosis,
        )
    result = _result(plan, community.id)
    chosen = {o.id for o in result.options}
    forced = tuple(
        _force(scenario, plan, community, option, (solver, time_limit), lang)
        for option in community.options
        if option.id not in chosen
    )
    runner_up = _runner_up(forced)
    limit = left_s(time_limit, len(scenario.communities))
    binding = tuple(binding_rules(scenario, plan, community, result, solver, limit))
    marginal = _marginal(scenario, plan, community)
    paragraph = words.paragraph(
        scenario, plan, community, result, (forced, runner_up, binding), marginal, lang
    )
    earlier = earlier_starts(scenario, plan, community, result, (solver, time_limit))
    paragraph = " ".join([paragraph, *start_sentences(earlier, community, lang)])
    cut = [f for f in forced if f.note_code == "time_limit"]
    if cut:
        paragraph = say("explain.cut_short", lang, count=len(cut)) + " " + paragraph
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
        earlier=earlier,
        cut_short=_cut_short(cut, len(forced), marginal),
    )


def _explain_within(
    scenario: Scenario,
    community_id: str,
    plan: Plan | None,
    solver: str,
    deadline: Deadline,
    lang: str | None,
) -> Explanation:
    """`explain` in the worker, under `deadline`; the plan solved first when not given. An
    explanation ended at the deadline says so and claims nothing."""
    from allocator.analysis.diagnosis import solve
    from allocator.solving.worker import within

    community = find_community(scenario, community_id)
    if plan is None:
        plan = solve(scenario, solver=solver, deadline=deadline)
    call = within(deadline, explain, scenario, community_id, plan=plan, solver=solver,
                  lang=lang, deadline=deadline)  # fmt: skip
    if call.done:
        return call.value
    from allocator.solving.cut_plans import cut_note

    cut = cut_note(deadline, call.how, f"explanation of {community.id}")
    return Explanation(
        community=community.id,
        name=community.name,
        paragraph=say("explain.stopped", lang, note=cut.note),
        status=plan.status.value,
        community_result=None,
        diagnosis=plan.diagnosis,
        cut_short=(cut,),
    )


def _cut_short(
    cut: list[ForcedRoute], forced: int, marginal: TargetPrice | None
) -> tuple[CutShort, ...]:
    notes = []
    if cut:
        said = f"{len(cut)} of {forced} routes not chosen were not re-solved in the time given"
        notes.append(CutShort("forced routes", "time_limit", said))
    if marginal is not None and marginal.finite_difference is None:
        from allocator.solving.worker import out_of_time

        if out_of_time():
            said = "the marginal cost has no re-solve: the time limit was reached"
            notes.append(CutShort("marginal", "time_limit", said))
    return tuple(notes)


def _result(plan: Plan, community_id: str) -> CommunityResult:
    return next(c for c in plan.community_results if c.id == community_id)


# --- routes not chosen, forced ------------------------------------------------------------
def _force(
    scenario: Scenario,
    plan: Plan,
    community: Community,
    option: Option,
    how: tuple[str, float | None],
    lang: str | None,
) -> ForcedRoute:
    """The plan with `option` forced (solved with `how`: solver, time limit), and which
    communities would lose or gain the standard by it; its note in `lang`."""
    from allocator.solving.lexicographic import solve
    from allocator.solving.worker import left_s, out_of_time

    solver, time_limit = how
    least = max(option.min_area_m2, min(1.0, option.max_area_m2))
    forced = with_options(scenario, {option.id: {"locked": "chosen", "min_area_m2": least}})
    code = "rejected" if option.locked == "rejected" else ""
    clash = _lock_clash(community, option)
    if clash:
        key, fields = clash
        note = words.forced_note(key, lang, **fields)
        return ForcedRoute(option.id, option.kind, option.locked, False, note=note, note_code=key)
    limit = left_s(time_limit, len(scenario.communities))
    other = None if out_of_time() else solve(forced, solver=solver, time_limit=limit)
    if other is None or (limit is not None and other.status == Status.NO_PLAN):
        note = words.forced_note("time_limit", lang)
        return ForcedRoute(
            option.id, option.kind, option.locked, False, note=note, note_code="time_limit"
        )
    if not other.status.has_plan:
        why = other.diagnosis.summary if other.diagnosis else other.status.value
        note = words.forced_note("no_plan", lang, why=why)
        return ForcedRoute(
            option.id, option.kind, option.locked, False, note=note, note_code="no_plan"
        )
    mine = _result(other, community.id)
    before = {c.id: c.meets_target for c in plan.community_results}
    after = {c.id: c.meets_target for c in other.community_results}
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
        note=words.forced_note(code, lang),
        loses_standard=tuple(c for c, met in before.items() if met and not after.get(c, False)),
        gains_standard=tuple(c for c, met in after.items() if met and not before.get(c, False)),
        note_code=code,
    )


def _lock_clash(community: Community, option: Option) -> tuple[str, dict[str, object]] | None:
    """Why a route cannot be taken alongside the decisions already locked, if it cannot: the
    note's key and fields."""
    locked = [o for o in community.options if o.locked == "chosen" and o.id != option.id]
    for other in locked:
        if other.id in option.excludes or option.id in other.excludes:
            return "excludes_locked", {"other": other.id}
    if len(locked) + 1 > community.max_options:
        return "too_many_locked", {"count": len(locked), "most": community.max_options}
    if option.replaces_existing and any(o.replaces_existing for o in locked):
        return "replaces_locked", {}
    return None


def _runner_up(forced: tuple[ForcedRoute, ...]) -> str | None:
    feasible = [f for f in forced if f.feasible]
    if not feasible:
        return None
    best = min(feasible, key=lambda f: (round(f.weighted_shortfall or 0.0, 4), f.total_cost))
    return best.option


# --- marginal cost of the target ----------------------------------------------------------
def _marginal(scenario: Scenario, plan: Plan, community: Community) -> TargetPrice | None:
    from allocator.analysis.shadow import shadow_prices
    from allocator.solving.worker import left_s

    limit = left_s(None, len(scenario.communities))
    prices = shadow_prices(
        scenario, plan, communities=[community.id], budgets=[], time_limit_s=limit
    )
    return prices.targets[0] if prices.targets else None
