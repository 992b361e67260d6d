"""Why a route starts when it does (with years): the plan again with the route started a year
earlier, and what that costs in weighted shortfall and money, or why there is then no plan
(a year's budget, a due year). One counterfactual a route that could have started sooner."""

from __future__ import annotations

from dataclasses import dataclass

from allocator.catalogue import say, word
from allocator.plan import CommunityResult, Plan
from allocator.scenario.edits import with_options
from allocator.scenario.schema import Community, Scenario
from allocator.scenario.years import start_years

_ASKED = ("locked", "min_area")  # what the counterfactual sets on the route itself


@dataclass(frozen=True)
class EarlierStart:
    """The plan with a chosen route started in `earlier` instead of `start`."""

    option: str
    start: int
    earlier: int
    feasible: bool
    cost_difference: float | None = None  # 万元, the earlier plan less this one
    shortfall_difference: float | None = None  # weighted m2, the same
    why: tuple[str, ...] = ()  # the rule families in conflict when there is then no plan


def earlier_starts(
    scenario: Scenario,
    plan: Plan,
    community: Community,
    result: CommunityResult,
    how: tuple[str, float | None],
) -> tuple[EarlierStart, ...]:
    """For each route of `result` that starts after the first year it may start in: the plan
    re-solved (`how`: solver, time limit) with the route kept and started the year before."""
    from allocator.analysis.diagnosis import solve
    from allocator.solving.worker import left_s, out_of_time

    if not scenario.years:
        return ()
    solver, time_limit = how
    options = {o.id: o for o in community.options}
    found = []
    for route in result.options:
        option = options[route.id]
        allowed = start_years(scenario, option)
        if route.start_year is None or route.start_year == allowed[0] or out_of_time():
            continue
        earlier = max(t for t in allowed if t < route.start_year)
        least = max(option.min_area_m2, min(route.area_m2, option.max_area_m2))
        change = {"locked": "chosen", "latest_start": earlier, "min_area_m2": least}
        limit = left_s(time_limit, len(scenario.communities))
        other = solve(with_options(scenario, {option.id: change}), solver=solver, time_limit=limit)
        if not other.status.has_plan:
            rules = other.diagnosis.conflicts if other.diagnosis else ()
            # The route kept and started sooner is the question, not a reason: left out.
            given = [c for c in rules if c.option == route.id and c.rule in _ASKED]
            why = tuple(dict.fromkeys(c.rule for c in rules if c not in given))
            why = why or (other.status.value,)
            found.append(EarlierStart(route.id, route.start_year, earlier, False, why=why))
            continue
        found.append(
            EarlierStart(
                route.id,
                route.start_year,
                earlier,
                True,
                cost_difference=round((other.total_cost or 0) - (plan.total_cost or 0), 6),
                shortfall_difference=round(
                    (other.weighted_shortfall or 0) - (plan.weighted_shortfall or 0), 6
                ),
            )
        )
    return tuple(found)


def start_sentences(
    earlier: tuple[EarlierStart, ...], community: Community, lang: str | None
) -> list[str]:
    """One sentence a route: what starting it a year sooner would do."""
    kinds = {o.id: o.kind for o in community.options}
    sentences = []
    for e in earlier:
        kind = word("kind", kinds[e.option], lang)
        route = say("explain.route_named", lang, id=e.option, kind=kind)
        if not e.feasible:
            why = say("sep", lang).join(word("family", rule, lang) for rule in e.why)
            sentences.append(say("years.earlier_no_plan", lang, route=route, start=e.start,
                                 earlier=e.earlier, why=why))  # fmt: skip
        else:
            sentences.append(say("years.earlier_costs", lang, route=route, start=e.start,
                                 earlier=e.earlier, cost=f"{e.cost_difference:+,.2f}",
                                 shortfall=f"{e.shortfall_difference:+,.1f}"))  # fmt: skip
    return sentences
