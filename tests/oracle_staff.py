"""The independent oracle's staffing checks (part of ``tests/oracle.py``; nothing here imports
``allocator``): posts, the three routes to a post, their limits, what staff and the pay rise
cost and who pays, read from the scenario file and the plan's JSON alone.

The rules, as the README states them: each community should reach its posts target (its own
``posts_target``, else ``staffing.posts_target``, else 7) from ``posts_now``; 增编 ``add_post``
adds whole posts under a county ``quota`` at ``cost_per_post_year`` 万元 a post-year; 下派
``dispatch`` sends at most one first secretary a community from a ``pool``, at no cost; 招聘
``recruit`` adds workers at ``cost_per_person_year``, at most ``most`` in all. The pay rise
(元 per person a month, street or town rate) is paid for every cadre in post, existing and
added or recruited (not the first secretaries), over ``horizon_years``, like every per-year
cost. Staff money comes from sources whose ``pays_for`` names the kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STAFF_RULES = {
    "staff-posts": "a community's posts (now, target, added, final, short) do not add up",
    "post-quota": "more posts added (增编) than the county's quota, or added where not allowed",
    "dispatch-pool": "more first secretaries than the pool, or more than one a community",
    "recruit-limit": "more recruits than the limit, or recruits where not allowed",
    "staff-paid": "staff money does not add up to what added posts and recruits cost, or a "
    "source pays a staff kind outside its pays_for",
    "pay-rise": "the pay rise of the cadres in post is not paid in full",
    "communities-meeting-both": "communities_meeting_both or posts_short is not what the "
    "communities' premises and posts give",
}
ROUTES = ("add_post", "dispatch", "recruit")
PAID = ("add_post", "recruit", "pay_rise")
_PREMISES = ("allocate_build", "heighten", "lease", "asset_swap", "integrate", "developer",
             "reclaim")  # fmt: skip
_WORDS = {
    "premises": _PREMISES, "场地": _PREMISES, "staff": ("add_post", "recruit"),
    "人员": ("add_post", "recruit"), "pay": ("pay_rise",), "待遇": ("pay_rise",),
    "all": (*_PREMISES, *PAID), "全部": (*_PREMISES, *PAID), "增编": ("add_post",),
    "招聘社区工作者": ("recruit",), "招聘": ("recruit",), "待遇提标": ("pay_rise",),
    "提标": ("pay_rise",), "加薪": ("pay_rise",),
}  # fmt: skip


def pays_for(raw_source: Mapping[str, Any]) -> set[str]:
    """The kinds a source pays for, its shorthand words read (default: every route kind)."""
    words = raw_source.get("pays_for")
    if words is None:
        return set(_PREMISES)
    words = [words] if isinstance(words, str) else words
    return {kind for w in words for kind in _WORDS.get(w, (w,))}


def _get(entry: Mapping[str, Any] | None, key: str, default: Any) -> Any:
    value = (entry or {}).get(key)
    return default if value is None else value


def expected_posts(raw: Mapping[str, Any], community: Mapping[str, Any]) -> tuple[int, int]:
    staffing = raw.get("staffing") or {}
    target = _get(community, "posts_target", _get(staffing, "posts_target", 7))
    return int(_get(community, "posts_now", 0)), int(target)


def check_staff(
    raw: Mapping[str, Any],
    plan: Mapping[str, Any],
    kind_of_group: Mapping[str, str],
    add: Any,
    close: Any,
) -> dict[tuple[str, str], float]:
    """Every staffing rule of ``plan``; ``add(rule, message)`` records a violation, ``close(a,
    b)`` compares money. Returns the staff money used per (source, community) for the budgets."""
    staffing = raw.get("staffing")
    rows = {row["id"]: row for row in plan["communities"]}
    spent: dict[tuple[str, str], float] = {}
    if staffing is None:
        for row in plan["communities"]:
            if row.get("posts") or row.get("staff_funding") or row.get("staff_cost", 0):
                add("staff-posts", f"{row['id']}: staff in a plan of a scenario without staffing")
        return spent
    years = int(_get(raw, "horizon_years", 1))
    sources = {s["id"]: s for s in raw.get("funding", [])}
    totals = dict.fromkeys(ROUTES, 0)
    short_total = both = 0
    for community in raw["communities"]:
        row = rows.get(community["id"])
        if row is None:
            continue
        cid = community["id"]
        now, target = expected_posts(raw, community)
        posts = row.get("posts") or {}
        added = {k: posts.get("added", {}).get(k, 0) for k in ROUTES}
        for k, n in added.items():
            if not isinstance(n, int) or n < 0:
                add("staff-posts", f"{cid}: {n!r} posts added by {k}")
            totals[k] += n
            if n and staffing.get(k) is None:
                add({"add_post": "post-quota", "dispatch": "dispatch-pool",
                     "recruit": "recruit-limit"}[k], f"{cid}: {k} not in the scenario")  # fmt: skip
        if added["dispatch"] > 1:
            add("dispatch-pool", f"{cid}: {added['dispatch']} first secretaries")
        final = now + sum(added.values())
        short = max(0, target - final)
        for key, value in (("now", now), ("target", target), ("final", final), ("short", short)):
            if posts.get(key) != value:
                add("staff-posts", f"{cid}: posts.{key} {posts.get(key)!r}, recomputed {value}")
        short_total += short
        both += bool(row["meets_target"]) and short == 0
        rise = 0.0
        if staffing.get("pay_rise"):
            group_kind = kind_of_group.get(community["group"], "")
            monthly = _get(staffing["pay_rise"], f"{group_kind}_yuan_per_month", 0.0)
            rise = 12 * float(monthly) / 1e4
        add_cost = float(_get(staffing.get("add_post"), "cost_per_post_year", 0.0))
        rec_cost = float(_get(staffing.get("recruit"), "cost_per_person_year", 0.0))
        owed = {
            "add_post": years * add_cost * added["add_post"],
            "recruit": years * rec_cost * added["recruit"],
            "pay_rise": years * rise * (now + added["add_post"] + added["recruit"]),
        }
        if not close(row.get("staff_cost", 0.0), sum(owed.values())):
            add("staff-paid", f"{cid}: staff_cost {row.get('staff_cost')}, recomputed "
                f"{sum(owed.values())}")  # fmt: skip
        paid = row.get("staff_funding") or {}
        for kind in PAID:
            money = paid.get(kind, {})
            for sid, amount in money.items():
                source = sources.get(sid)
                if source is None or kind not in pays_for(source) or amount < 0:
                    add("staff-paid", f"{cid}: {sid} pays {amount} for {kind}")
                    continue
                scope = _get(source, "scope", "county")
                unit = {"county": "county", "group": community["group"]}.get(scope, cid)
                spent[(sid, unit)] = spent.get((sid, unit), 0.0) + float(amount)
            rule = "pay-rise" if kind == "pay_rise" else "staff-paid"
            if not close(sum(money.values()), owed[kind]):
                add(rule, f"{cid}: {kind} paid {sum(money.values())}, costs {owed[kind]}")
    limits = {
        "add_post": ("post-quota", _get(staffing.get("add_post"), "quota", None)),
        "dispatch": ("dispatch-pool", _get(staffing.get("dispatch"), "pool", None)),
        "recruit": ("recruit-limit", _get(staffing.get("recruit"), "most", None)),
    }
    for route, (rule, limit) in limits.items():
        if limit is not None and totals[route] > limit:
            add(rule, f"{totals[route]} posts by {route}, limit {limit}")
    for key, value in (("posts_short", short_total), ("communities_meeting_both", both)):
        if plan.get(key) != value:
            add("communities-meeting-both", f"{key} {plan.get(key)!r}, recomputed {value}")
    return spent


def staff_money(plan: Mapping[str, Any]) -> dict[str, float]:
    """万元 each source pays for staff in the plan, by source id."""
    money: dict[str, float] = {}
    for row in plan["communities"]:
        for paid in (row.get("staff_funding") or {}).values():
            for sid, amount in paid.items():
                money[sid] = money.get(sid, 0.0) + float(amount)
    return money
