"""Random county-size scenarios with staff: a rich county (tests/rich_counties.py, every rule of
the premises format) with every staffing rule drawn on top.

`staffed_county(rng)` draws the rich county from `rng` and then, from the same `rng`:

- `staffing` with each route present or not: 增编 `add_post` (a quota of 0-6, sometimes no
  cost, sometimes the recruits' cost: ties), 下派 `dispatch` (a pool of 0-5), 招聘 `recruit`
  (with or without a limit `most`), the pay rise (street and town rates, one of them sometimes
  0 or left out), a target other than 7 now and then;
- `posts_now` for every community (streets about 5, towns 3-5, now and then at or above the
  target), and a community's own `posts_target` now and then;
- money for staff in one of four ways: a staff line of its own (county scope, its `pays_for` in
  English words, in route kinds or in Chinese), the county's general money paying `all` (staff
  and premises from one budget), a staff line for the posts and the communities' own money for
  the pay rise (community scope, `budget_by_kind` and `budgets`), or a line per street or town
  (group scope, `budgets`). The money for the pay rise committed to the cadres in post is drawn
  at 0.8 to 2 times what it costs (1: just enough), so some draws have no plan;
- sometimes an objective that puts posts first, or communities meeting both standards first:
  `[communities_meeting_both, posts_short, weighted_shortfall, total_cost]`.

Nothing here imports `allocator`, as in tests/rich_counties.py: the draws are as independent of
the package as the oracle.
"""

from __future__ import annotations

import math
import random
from typing import Any

from rich_counties import rich_county

BOTH_FIRST = ["communities_meeting_both", "posts_short", "weighted_shortfall", "total_cost"]
POSTS_FIRST = ["posts_short", "weighted_shortfall", "total_cost"]
MONEY_WAYS = ("own_line", "county_all", "line_and_communities", "per_group")
_STAFF_WORDS = (
    ["staff", "pay"],
    ["add_post", "recruit", "pay_rise"],
    ["增编", "招聘", "待遇提标"],
    ["人员", "待遇"],
    "all",
)


def staffed_county(rng: random.Random) -> dict[str, Any]:
    """A rich county with staffing, posts per community and money for staff."""
    data = rich_county(rng)
    data["name"] = data["name"].replace("rich county", "rich county with staff")
    staffing = _staffing(rng)
    data["staffing"] = staffing
    kinds = {g["id"]: g["kind"] for g in data["groups"]}
    target = staffing.get("posts_target", 7)
    for community in data["communities"]:
        _posts(rng, community, kinds[community["group"]], target)
    _staff_money(rng, data, kinds)
    objective = rng.random()
    if objective < 0.35:
        data["objective"] = list(BOTH_FIRST)
    elif objective < 0.5:
        data["objective"] = list(POSTS_FIRST)
    return data


def _staffing(rng: random.Random) -> dict[str, Any]:
    staffing: dict[str, Any] = {}
    if rng.random() < 0.2:
        staffing["posts_target"] = rng.choice((6, 8))
    if rng.random() < 0.8:
        staffing["add_post"] = {"quota": rng.randint(0, 6)}
        if rng.random() < 0.9:
            staffing["add_post"]["cost_per_post_year"] = rng.choice((5.5, 6, 7.5, 9))
    if rng.random() < 0.7:
        staffing["dispatch"] = {"pool": rng.randint(0, 5)}
    if rng.random() < 0.8:
        staffing["recruit"] = {"cost_per_person_year": rng.choice((4.5, 5.5, 7))}
        if rng.random() < 0.6:
            staffing["recruit"]["most"] = rng.randint(0, 8)
    if rng.random() < 0.75:
        rise = {
            "street_yuan_per_month": rng.choice((0, 200, 400, 800)),
            "town_yuan_per_month": rng.choice((0, 300, 500)),
        }
        if rng.random() < 0.15:
            del rise[rng.choice(sorted(rise))]
        staffing["pay_rise"] = rise
    return staffing


def _posts(rng: random.Random, community: dict[str, Any], kind: str, target: int) -> None:
    if kind == "street":
        community["posts_now"] = rng.choice((5, 5, 5, 4, 6, target))
    else:
        community["posts_now"] = rng.choice((3, 4, 4, 5, target, target + 1))
    if rng.random() < 0.1:
        community["posts_target"] = rng.choice((5, 6, 8))


def rise_wan(staffing: dict[str, Any], kind: str) -> float:
    """The pay rise per person and year in a street's or a town's community, 万元."""
    rise = staffing.get("pay_rise") or {}
    return 12 * rise.get(f"{kind}_yuan_per_month", 0) / 1e4


def _staff_money(rng: random.Random, data: dict[str, Any], kinds: dict[str, str]) -> None:
    """Money for staff in one of four ways; the pay rise's share drawn around what it takes
    (a factor below 1 leaves no plan, 1 is just enough)."""
    factor = rng.choice((0.8, 1.0, 1.05, 1.3, 1.3, 2, 2))
    owed = committed_by_community(data, kinds)
    pay = _cents(factor * sum(owed.values()))
    posts = rng.choice((0, 10, 30, 80, 200))
    way = rng.choice(MONEY_WAYS)
    funding = data["funding"]
    if way == "own_line":
        funding.append(_source("staff_fund", "county", pay + posts, rng.choice(_STAFF_WORDS)))
    elif way == "county_all":
        county = next(s for s in funding if s["id"] == "county")
        county["pays_for"] = "all"
        county["budget"] = round(county["budget"] + pay + posts, 2)
    elif way == "line_and_communities":
        # the posts from a county line, the pay rise from each community's own money: by kind
        # for five cadres, and for the communities that owe more, a budget of their own
        funding.append(_source("staff_fund", "county", posts, ["staff"]))
        years = data["horizon_years"]
        five = {k: _cents(5 * years * rise_wan(data["staffing"], k)) for k in ("street", "town")}
        own = _source("own_pay", "community", None, ["pay"], budget_by_kind=five)
        more = {
            cid: _cents(factor * v) for cid, v in owed.items() if v > five[_kind(data, kinds, cid)]
        }
        if more:
            own["budgets"] = more
        funding.append(own)
    else:  # a line per street or town, each for its own communities' pay rise and some posts
        by_group: dict[str, float] = {}
        for community in data["communities"]:
            gid = community["group"]
            by_group[gid] = by_group.get(gid, 0.0) + owed[community["id"]]
        share = posts / len(by_group)
        budgets = {gid: _cents(factor * v + share) for gid, v in by_group.items()}
        nothing = {"street": 0, "town": 0}
        group_line = _source("staff_group", "group", None, ["staff", "pay"], budget_by_kind=nothing)
        funding.append({**group_line, "budgets": budgets})
    rng.shuffle(funding)  # the order of the file ranks payers in ties


def committed_by_community(data: dict[str, Any], kinds: dict[str, str]) -> dict[str, float]:
    """The pay rise of each community's cadres in post now, over the horizon, 万元."""
    years, staffing = data["horizon_years"], data["staffing"]
    return {
        c["id"]: years * rise_wan(staffing, kinds[c["group"]]) * c["posts_now"]
        for c in data["communities"]
    }


def _kind(data: dict[str, Any], kinds: dict[str, str], cid: str) -> str:
    return kinds[next(c["group"] for c in data["communities"] if c["id"] == cid)]


def _cents(value: float) -> float:
    """万元 rounded up to 0.01 万元 (100 元): never below the money it stands for."""
    return math.ceil(round(value * 100, 6)) / 100


def _source(sid: str, scope: str, budget: float | None, pays: Any, **more: Any) -> dict[str, Any]:
    source = {
        "id": sid,
        "name": f"人员经费{sid}",
        "scope": scope,
        "budget": budget,
        "pays_for": pays,
    }
    if budget is None:
        del source["budget"]
    return {**source, **more}
