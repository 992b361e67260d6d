"""A community's staff as the plan reads it back: whole posts from the solver's values, every
figure of money recomputed from the scenario's own numbers (`allocator.model.staff`)."""

from __future__ import annotations

from typing import Any

from allocator.model.staff import (
    committed_pay_wan,
    cost_per_post_year_wan,
    fs,
    fsy,
    gap_posts,
    in_post,
    pay_rise_wan,
    pays_rise_in,
    posts,
    posts_in,
)
from allocator.plan import CommunityResult, PostsResult
from allocator.scenario.schema import Community, Scenario
from allocator.scenario.staffing import PAID_STAFF_KINDS, STAFF_ROUTES

_CENTS = 6


def staff_result(
    scenario: Scenario, community: Community, values: dict[Any, Any]
) -> dict[str, Any]:
    """The `posts`, `staff_cost` and `staff_funding` fields of a CommunityResult; nothing
    without staffing. `values`: the staff variables by label, each with a `varValue`."""
    if scenario.staffing is None:
        return {}
    added = {}
    for route in STAFF_ROUTES:
        value = values.get(posts(community, route))
        added[route] = round(value.varValue or 0.0) if value is not None else 0
    now = community.posts_now or 0
    target = scenario.posts_target(community)
    final = now + sum(added.values())
    years = scenario.horizon_years
    paid_posts = added["add_post"] + added["recruit"]
    cost = (
        sum(years * cost_per_post_year_wan(scenario, k) * added[k] for k in ("add_post", "recruit"))
        + committed_pay_wan(scenario, community)
        + years * pay_rise_wan(scenario, community) * paid_posts
    )
    funding: dict[str, dict[str, float]] = {}
    for kind in PAID_STAFF_KINDS:
        for source in scenario.funding:
            value = values.get(fs(community, kind, source))
            amount = round(value.varValue or 0.0, _CENTS) if value is not None else 0.0
            if amount > 0:
                funding.setdefault(kind, {})[source.id] = amount
    return {
        "posts": PostsResult(
            now=now,
            target=target,
            final=final,
            short=max(0, target - final) if gap_posts(scenario, community) else 0,
            added=added,
            added_by_year=_added_by_year(scenario, community, values),
        ),
        "staff_cost": round(cost, _CENTS),
        "staff_funding": funding,
        "staff_funding_by_year": _funding_by_year(scenario, community, values),
    }


def _value(values: dict[Any, Any], label: Any) -> float:
    value = values.get(label)
    return (value.varValue or 0.0) if value is not None else 0.0


def _added_by_year(
    scenario: Scenario, community: Community, values: dict[Any, Any]
) -> dict[str, dict[int, int]]:
    """With years: the posts each route adds in each year, the years it adds none left out."""
    added: dict[str, dict[int, int]] = {}
    for route in STAFF_ROUTES:
        for t in scenario.years or ():
            n = round(_value(values, posts_in(community, route, t)))
            if n:
                added.setdefault(route, {})[t] = n
    return added


def _funding_by_year(
    scenario: Scenario, community: Community, values: dict[Any, Any]
) -> dict[str, dict[int, dict[str, float]]]:
    """With years: who pays each staff kind's money in each year."""
    paid: dict[str, dict[int, dict[str, float]]] = {}
    for kind in PAID_STAFF_KINDS:
        for t in scenario.years or ():
            for source in scenario.funding:
                amount = round(_value(values, fsy(community, kind, source, t)), _CENTS)
                if amount > 0:
                    paid.setdefault(kind, {}).setdefault(t, {})[source.id] = amount
    return paid


def in_post_by(scenario: Scenario, result: CommunityResult, route: str, year: int) -> int:
    """The posts of `route` in post in `year`, from the plan's posts added by year."""
    added = result.posts.added_by_year.get(route, {}) if result.posts else {}
    return sum(n for t, n in added.items() if in_post(scenario, route, t, year))


def staff_in_year(
    scenario: Scenario, community: Community, result: CommunityResult, year: int
) -> tuple[float, int]:
    """With years: what the community's staff cost in `year` (the posts in post then at their
    cost a year, the pay rise from its year) and the posts it lacks at the end of the year."""
    if result.posts is None:
        return 0.0, 0
    held = {k: in_post_by(scenario, result, k, year) for k in STAFF_ROUTES}
    cash = sum(cost_per_post_year_wan(scenario, k) * held[k] for k in ("add_post", "recruit"))
    if pays_rise_in(scenario, year):
        paid = result.posts.now + held["add_post"] + held["recruit"]
        cash += pay_rise_wan(scenario, community) * paid
    missing = result.posts.target - result.posts.now - sum(held.values())
    return cash, max(0, missing) if gap_posts(scenario, community) else 0
