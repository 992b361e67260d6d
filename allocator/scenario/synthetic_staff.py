"""Staff for a synthetic province (`allocator generate --staff`): posts now per community, the
three routes to a post with their county-wide limits, the pay rise, and money for staff.

`add_staffing(data, seed)` returns a copy of a province of `allocator.scenario.synthetic` with
staffing added; the premises, groups and their money stay exactly as they are (staff draws come
from a random stream of their own), so a staffed province is the unstaffed one plus its staff.

Shapes (from the domain notes, the county's figures scaled with the province):
- posts now: urban communities (街道) 5, town ones (镇) 3, 4 or 5; the target is 7 for all;
- 增编 a county quota of about a quarter of the posts missing, at 6-9 万元 a post-year;
- 下派 a pool of first secretaries for 30-40% of the communities;
- 招聘 recruits at 4.5-7 万元 a person-year, at most about a third of the posts missing;
- the pay rise: 300-500 元 a person-month in streets, 200-400 in towns (never above streets);
- the money: a budget line of its own at county scope (县财政社区工作者经费, `pays_for: [staff,
  pay]`), as personnel money is a line apart from project money in a county budget. It pays the
  pay rise committed for the cadres in post and about STAFF_MONEY_RATIO of what filling the
  remaining posts would cost at the cheapest routes, so the staff money binds and some posts
  stay short. The premises money pays no staff: the premises plan is the unstaffed one's.
"""

from __future__ import annotations

import math
import random
from typing import Any

POSTS_TARGET = 7
STAFF_MONEY_RATIO = 0.6  # staff money beyond the committed pay rise / cost of the posts missing
STAFF_SOURCE_ID = "staff_fund"


def add_staffing(data: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """`data` with a `staffing` block, `posts_now` in every community and a staff budget line."""
    rng = random.Random(f"staff-{seed}")  # a stream apart: the premises draws stay as they are
    kinds = {g["id"]: g["kind"] for g in data["groups"]}
    communities = [_with_posts(rng, c, kinds[c["group"]]) for c in data["communities"]]
    missing = sum(POSTS_TARGET - c["posts_now"] for c in communities)
    staffing = {
        "posts_target": POSTS_TARGET,
        "add_post": {
            "quota": max(1, round(0.25 * missing)),
            "cost_per_post_year": round(rng.uniform(6, 9), 1),
        },
        "dispatch": {"pool": max(1, round(len(communities) * rng.uniform(0.3, 0.4)))},
        "recruit": {
            "cost_per_person_year": round(rng.uniform(4.5, 7), 1),
            "most": max(1, round(missing / 3)),
        },
        "pay_rise": _pay_rise(rng),
    }
    out = {key: value for key, value in data.items() if key not in ("communities", "funding")}
    out["name"] = data["name"] + ", with staff"
    out["description"] = data["description"] + (
        " With staff: posts now per community, the county's quota, pool and recruits, the pay "
        f"rise, and a staff budget line covering about {STAFF_MONEY_RATIO:.0%} of the posts "
        "missing beyond the committed pay rise."
    )
    out["staffing"] = staffing
    out["communities"] = communities
    years = data["horizon_years"]
    budget = _staff_budget(staffing, communities, kinds, years)
    out["funding"] = [*data["funding"], _staff_source(budget)]
    return out


def _with_posts(rng: random.Random, community: dict[str, Any], kind: str) -> dict[str, Any]:
    """The community with `posts_now` before its routes: 5 in a street, 3-5 in a town."""
    posts = 5 if kind == "street" else rng.choice((3, 4, 4, 5))
    entry = {key: value for key, value in community.items() if key != "options"}
    return {**entry, "posts_now": posts, "options": community["options"]}


def _pay_rise(rng: random.Random) -> dict[str, float]:
    street = rng.choice((300, 400, 400, 500))
    town = min(street, rng.choice((200, 300, 300, 400)))
    return {"street_yuan_per_month": street, "town_yuan_per_month": town}


def rise_wan(staffing: dict[str, Any], kind: str) -> float:
    """The pay rise per person and year of a street's or a town's community, 万元."""
    return 12 * staffing["pay_rise"][f"{kind}_yuan_per_month"] / 1e4


def _staff_budget(
    staffing: dict[str, Any],
    communities: list[dict[str, Any]],
    kinds: dict[str, str],
    years: int,
) -> float:
    """The committed pay rise over the horizon, plus STAFF_MONEY_RATIO of filling the posts the
    pool leaves, cheaper paid route first, each up to its limit (the rise counted on average)."""
    rises = [rise_wan(staffing, kinds[c["group"]]) for c in communities]
    committed = years * sum(r * c["posts_now"] for r, c in zip(rises, communities, strict=True))
    average_rise = sum(rises) / len(rises)
    missing = sum(POSTS_TARGET - c["posts_now"] for c in communities)
    left = max(0, missing - staffing["dispatch"]["pool"])
    routes = sorted(
        (
            (staffing["add_post"]["cost_per_post_year"], staffing["add_post"]["quota"]),
            (staffing["recruit"]["cost_per_person_year"], staffing["recruit"]["most"]),
        )
    )
    fill = 0.0
    for cost, most in routes:
        posts = min(left, most)
        fill += years * (cost + average_rise) * posts
        left -= posts
    return math.ceil(10 * (committed + STAFF_MONEY_RATIO * fill)) / 10  # never below committed


def _staff_source(budget: float) -> dict[str, Any]:
    return {
        "id": STAFF_SOURCE_ID,
        "name": "县财政社区工作者经费",
        "scope": "county",
        "budget": budget,
        "pays_for": ["staff", "pay"],
    }
