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

With ``years``, each post has the year it is added (``posts.added_by_year``, a planning year)
and is in post from it on; a first secretary for ``dispatch.term_years`` years from the year
sent when given (at most one serving a community in any year), else to the end. The posts at
the end count those in post in the last year. Per year: ``quota_by_year`` caps the posts added
in the year, ``most_by_year`` the recruits taken in it, ``pool_by_year`` the first secretaries
serving in it; ``pool`` caps all sent. Each year's staff money (``staff_funding_by_year``) is
paid in full: the posts in post that year at their cost a year, and the pay rise on the cadres
in post (not before ``pay_rise.from_year``); no source pays over the years more than its part
of the kind's money.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STAFF_RULES = {
    "staff-posts": "a community's posts (now, target, added, final, short) do not add up",
    "post-quota": "more posts added (增编) than the county's quota (or a year's), or added where "
    "not allowed",
    "dispatch-pool": "more first secretaries than the pool (or serving than a year's pool), or "
    "more than one a community",
    "recruit-limit": "more recruits than the limit (or a year's), or recruits where not allowed",
    "staff-paid": "staff money does not add up to what added posts and recruits cost, or a "
    "source pays a staff kind outside its pays_for",
    "pay-rise": "the pay rise of the cadres in post is not paid in full",
    "communities-meeting-both": "communities_meeting_both or posts_short is not what the "
    "communities' premises and posts give",
    "staff-by-year": "posts added by year do not give the posts added, two first secretaries "
    "serve at once, or a year's staff money is not paid in full",
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
        if raw.get("years"):
            _check_posts_by_year(raw, cid, posts, added, add)
            yearly = staff_cash_by_year(raw, community, posts, kind_of_group)
            _check_money_by_year(row, yearly, sources, add)
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
    if raw.get("years"):
        totals["dispatch"] = sum(sum(_by_year(r.get("posts"), "dispatch").values())
                                 for r in plan["communities"])  # fmt: skip
        _check_year_limits(raw, plan, add)
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


def _by_year(posts: Mapping[str, Any] | None, route: str) -> dict[int, int]:
    added = ((posts or {}).get("added_by_year") or {}).get(route) or {}
    return {int(y): n for y, n in added.items()}


def serves(raw: Mapping[str, Any], route: str, sent: int, year: int) -> bool:
    """Is a post of ``route`` added in ``sent`` in post in ``year``?"""
    term = _get((raw.get("staffing") or {}).get("dispatch"), "term_years", None)
    if route != "dispatch" or term is None:
        return sent <= year
    return sent <= year < sent + int(term)


def in_post_by(raw: Mapping[str, Any], posts: Mapping[str, Any] | None, route: str,
               year: int) -> int:  # fmt: skip
    return sum(n for t, n in _by_year(posts, route).items() if serves(raw, route, t, year))


def _check_posts_by_year(raw: Mapping[str, Any], cid: str, posts: Mapping[str, Any],
                         added: Mapping[str, int], add: Any) -> None:  # fmt: skip
    years = raw["years"]
    for route in ROUTES:
        by_year = _by_year(posts, route)
        if any(y not in years or not isinstance(n, int) or n <= 0 for y, n in by_year.items()):
            add("staff-by-year", f"{cid}: {route} added by year {by_year}")
        if in_post_by(raw, posts, route, years[-1]) != added[route]:
            add("staff-by-year", f"{cid}: {route} {by_year} by year, {added[route]} at the end")
    serving = [in_post_by(raw, posts, "dispatch", y) for y in years]
    if max(serving) > 1:
        add("staff-by-year", f"{cid}: first secretaries serving by year {serving}")


def staff_cash_by_year(
    raw: Mapping[str, Any],
    community: Mapping[str, Any],
    posts: Mapping[str, Any] | None,
    kind_of_group: Mapping[str, str],
) -> dict[int, dict[str, float]]:
    """Each year's staff money of a community by kind: the posts in post that year at their
    cost a year, the pay rise on the cadres in post from its year."""
    staffing = raw.get("staffing") or {}
    rise_entry = staffing.get("pay_rise")
    monthly = 0.0
    if rise_entry:
        group_kind = kind_of_group.get(community["group"], "")
        monthly = float(_get(rise_entry, f"{group_kind}_yuan_per_month", 0.0))
    start = _get(rise_entry, "from_year", raw["years"][0])
    add_cost = float(_get(staffing.get("add_post"), "cost_per_post_year", 0.0))
    rec_cost = float(_get(staffing.get("recruit"), "cost_per_person_year", 0.0))
    now = int(_get(community, "posts_now", 0))
    cash = {}
    for y in raw["years"]:
        adds = in_post_by(raw, posts, "add_post", y)
        recs = in_post_by(raw, posts, "recruit", y)
        rise = 12 * monthly / 1e4 * (now + adds + recs) if y >= int(start) else 0.0
        cash[y] = {"add_post": add_cost * adds, "recruit": rec_cost * recs, "pay_rise": rise}
    return cash


def _check_money_by_year(row: Mapping[str, Any], yearly: Mapping[int, Mapping[str, float]],
                         sources: Mapping[str, Any], add: Any) -> None:  # fmt: skip
    cid, by_year = row["id"], row.get("staff_funding_by_year") or {}
    whole = row.get("staff_funding") or {}
    for kind in PAID:
        paid = {int(y): p for y, p in (by_year.get(kind) or {}).items()}
        over_years: dict[str, float] = {}
        for y, cash in yearly.items():
            money = paid.get(y, {})
            if abs(sum(money.values()) - cash[kind]) > 1e-5 * max(1.0, cash[kind]):
                add("staff-by-year", f"{cid}: {kind} paid {sum(money.values())} in {y}, "
                                     f"costs {cash[kind]}")  # fmt: skip
            for sid, amount in money.items():
                source = sources.get(sid)
                if source is None or kind not in pays_for(source) or amount < 0:
                    add("staff-by-year", f"{cid}: {sid} pays {amount} for {kind} in {y}")
                over_years[sid] = over_years.get(sid, 0.0) + float(amount)
        for sid, total in over_years.items():
            part = float((whole.get(kind) or {}).get(sid, 0.0))
            if total > part + 1e-5 * max(1.0, part):
                add("staff-by-year", f"{cid}: {sid} pays {total} for {kind} over the years, "
                                     f"{part} in all")  # fmt: skip


def _check_year_limits(raw: Mapping[str, Any], plan: Mapping[str, Any], add: Any) -> None:
    staffing = raw.get("staffing") or {}
    fields = {
        "add_post": ("quota_by_year", "post-quota"),
        "dispatch": ("pool_by_year", "dispatch-pool"),
        "recruit": ("most_by_year", "recruit-limit"),
    }
    for route, (field, rule) in fields.items():
        limits = _get(staffing.get(route), field, {})
        for year, limit in ((int(y), n) for y, n in limits.items()):
            if route == "dispatch":  # those serving in the year
                count = sum(in_post_by(raw, r.get("posts"), route, year)
                            for r in plan["communities"])  # fmt: skip
            else:  # those added in the year
                count = sum(_by_year(r.get("posts"), route).get(year, 0)
                            for r in plan["communities"])  # fmt: skip
            if count > limit:
                add(rule, f"{route} {count} in {year}, {field} {limit}")
