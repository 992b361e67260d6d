"""A community's staff as the plan reads it back: whole posts from the solver's values, every
figure of money recomputed from the scenario's own numbers (`allocator.model.staff`)."""

from __future__ import annotations

from typing import Any

from allocator.model.staff import (
    committed_pay_wan,
    cost_per_post_year_wan,
    fs,
    gap_posts,
    pay_rise_wan,
    posts,
)
from allocator.plan import PostsResult
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
        ),
        "staff_cost": round(cost, _CENTS),
        "staff_funding": funding,
    }
