"""Re-planning without churn, equation (20) of docs/model.md: among the plans equal on every
measure of the objective, the one that changes the fewest routes, posts and payers from a plan
given.

    changes = R (sum_o |y_o - y0_o| + sum_ck |posts_ck - posts0_ck|) + sum_os |p_os - p0_os|
    R = (pairs o,s) + 1
    p_os in {0, 1}:  f_os <= M_os * p_os,  f_os >= PAYER_FLOOR_WAN * p_os,  p_os <= y_o

y0 and p0 are the plan given (a route chosen; a source paying more than nothing towards it),
posts0_ck the posts route k (增编, 下派, 招聘) added to community c there: a post added or taken
away weighs as a route changed. R makes one route change weigh more than every payer change
together: the fewest routes changed first, then the fewest payers. With years, a route's start
year and each year's posts (|posts_in_ckt - posts_in0_ckt|) weigh between the two. Ids of the
plan given that the scenario lacks (a plan of another version of the file) are left out and
said. The sets formulation pools general
money per community (C3), so there its payers per route are not decisions: a pooled source
counts once per community (it pays there or not), the payers with a rule per route per route.

Both formulations read the one definition here (`Closeness`), as PuLP variables
(`allocator.solving.lexicographic`) or as columns of the sets formulation's arrays.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allocator.scenario.schema import Scenario

PAYER_FLOOR_WAN = 1e-3  # 10 yuan: a source pays towards a route when it pays at least this
PostKey = tuple[str, str, "int | None"]  # (community id, route, year or None: the campaign)


@dataclass(frozen=True)
class Previous:
    """The plan to keep close to: its routes and who pays them, by id, and what was left out."""

    routes: frozenset[str]
    payers: frozenset[tuple[str, str]]  # (option id, source id)
    ignored: tuple[str, ...] = ()  # notes on ids the scenario does not have
    starts: frozenset[tuple[str, int]] = frozenset()  # (option id, start year), with years
    # Posts added: (community id, route, None) -> posts over the campaign; with years also
    # (community id, route, year) -> posts added (a first secretary sent) that year.
    posts: Mapping[PostKey, int] = field(default_factory=dict)


def previous_of(plan: Any, scenario: Scenario) -> Previous:
    """The plan given (a Plan, its JSON as a dict, or the path of a plan.json) as routes and
    payers of `scenario`; ids the scenario lacks are left out, with a note."""
    data = _plan_dict(plan)
    try:
        return _read(data, scenario)
    except ValueError as error:
        where = "" if hasattr(plan, "to_dict") or isinstance(plan, Mapping) else f"{plan}: "
        raise ValueError(f"{where}{error}") from None


def _read(data: Mapping[str, Any], scenario: Scenario) -> Previous:
    options = {o.id for c in scenario.communities for o in c.options}
    sources = {s.id for s in scenario.funding}
    communities = {c.id for c in scenario.communities}
    routes, payers, unknown_options, unknown_sources = set(), set(), set(), set()
    starts = set()
    posts: dict[PostKey, int] = {}
    for community in _entries(data.get("communities")):
        if community.get("id") in communities:
            posts.update(_posts(community))
        for option in _entries(community.get("options")):
            oid = str(option.get("id"))
            if oid not in options:
                unknown_options.add(oid)
                continue
            routes.add(oid)
            if isinstance(option.get("start_year"), int):
                starts.add((oid, option["start_year"]))
            for sid, amount in (option.get("funding") or {}).items():
                if sid not in sources:
                    unknown_sources.add(sid)
                elif _amount(amount, oid, sid) > 0:
                    payers.add((oid, sid))
    ignored = []
    if unknown_options:
        ignored.append(_note("routes", unknown_options))
    if unknown_sources:
        ignored.append(_note("funding sources", unknown_sources))
    return Previous(frozenset(routes), frozenset(payers), tuple(ignored), frozenset(starts), posts)


def _posts(community: Mapping[str, Any]) -> dict[PostKey, int]:
    """The posts a community of the plan given added, by route and by route and year."""
    posts = community.get("posts")
    if not isinstance(posts, Mapping):
        return {}
    cid = str(community["id"])
    found: dict[PostKey, int] = {}
    try:
        for route, n in (posts.get("added") or {}).items():
            found[(cid, str(route), None)] = int(n)
        for route, years in (posts.get("added_by_year") or {}).items():
            for year, n in (years or {}).items():
                found[(cid, str(route), int(year))] = int(n)
    except (AttributeError, TypeError, ValueError):
        raise ValueError(
            f"原方案有误 the plan to keep close to has posts of {cid} that are not whole numbers "
            f"by route (and year): {dict(posts)!r}"
        ) from None
    return found


def _amount(amount: Any, option_id: str, source_id: str) -> float:
    try:
        return float(amount or 0.0)
    except (TypeError, ValueError):
        raise ValueError(
            f"原方案有误 the plan to keep close to pays {amount!r} from {source_id} towards "
            f"{option_id}: not a number of 万元"
        ) from None


def _entries(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a list in the plan (anything else in it is no route)."""
    return [entry for entry in value or () if isinstance(entry, Mapping)]


def _note(what: str, ids: set[str]) -> str:
    shown = ", ".join(sorted(ids)[:5]) + (", ..." if len(ids) > 5 else "")
    return (
        f"原方案中{len(ids)}个{'路径' if what == 'routes' else '资金来源'}不在本情景中，已忽略 "
        f"{len(ids)} {what} of the plan given are not in this scenario, ignored: {shown}"
    )


def _plan_dict(plan: Any) -> Mapping[str, Any]:
    if hasattr(plan, "to_dict"):
        return plan.to_dict()
    if isinstance(plan, Mapping):
        return plan
    path = Path(plan)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"{path}: 无法读取原方案 cannot read the plan to keep close to: {error}. Give the "
            "plan.json that `solve --out` wrote (or `solve --format json`)."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("communities"), list):
        raise ValueError(
            f"{path}: 不是方案文件 not a plan: no list 'communities'. Give the plan.json that "
            "`solve --out` wrote (or `solve --format json`)."
        )
    return data


@dataclass(frozen=True)
class Closeness:
    """Equation (20) over handles of the formulation's own columns: the flags p_os to add (as
    ("pays", option, source)), their rows, and the changes as terms plus a constant."""

    flags: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, tuple[tuple[Hashable, float], ...], float, float], ...]
    terms: tuple[tuple[Hashable, float], ...]
    constant: float
    # The posts moved from the plan given, |posts - posts0| (continuous columns to add, as
    # ("moved", community id, route, year or None)).
    moves: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Money:
    """A payer a route (or, for money pooled per community, a community) may have: its money
    column, the most it can be, the routes it may pay, and whether it paid in the plan given."""

    paid: Hashable
    most: float
    routes: tuple[Hashable, ...]
    was: bool


def closeness(
    previous: Previous,
    chosen: Mapping[str, Hashable],
    money: Mapping[tuple[str, str], Money],
    started: Mapping[tuple[str, int], Hashable] | None = None,
    posted: Mapping[PostKey, tuple[Hashable, float]] | None = None,
) -> Closeness:
    """(20) for routes `chosen` (option id -> its y), payers `money` ((option id, source id),
    or (community id, source id) for pooled money -> its `Money`), with years start years
    `started` ((option id, year) -> its start binary), and with staff the posts `posted` ((id,
    route, None) -> its posts column and most; with years also (id, route, year) -> its
    posts_in column and most); rows are (name, terms, lower, upper). A route change or a post
    moved weighs more than every start-year, post-year and payer change together, a start-year
    change or a post-year moved more than every payer change."""
    inf = float("inf")
    rows = []
    terms: list[tuple[Hashable, float]] = []
    constant = 0.0
    moves = []
    for (cid, route, year), (handle, _) in (posted or {}).items():
        was = float(previous.posts.get((cid, route, year), 0))
        moved = ("moved", cid, route, "" if year is None else str(year))
        moves.append(moved)
        name = "_".join(moved)
        rows.append((f"{name}_up", ((moved, 1.0), (handle, -1.0)), -was, inf))
        rows.append((f"{name}_down", ((moved, 1.0), (handle, 1.0)), was, inf))
    for (oid, sid), payer in money.items():
        flag = ("pays", oid, sid)
        rows.append((f"pays_most_{oid}_{sid}", ((payer.paid, 1.0), (flag, -payer.most)), -inf, 0.0))
        least = ((payer.paid, 1.0), (flag, -PAYER_FLOOR_WAN))
        rows.append((f"pays_least_{oid}_{sid}", least, 0.0, inf))
        routes = tuple((y, -1.0) for y in payer.routes)
        rows.append((f"pays_chosen_{oid}_{sid}", ((flag, 1.0), *routes), -inf, 0.0))
        terms.append((flag, -1.0 if payer.was else 1.0))
        constant += 1.0 if payer.was else 0.0
    start_weight = len(money) + 1.0
    for (oid, year), start in (started or {}).items():
        was = (oid, year) in previous.starts
        terms.append((start, -start_weight if was else start_weight))
        constant += start_weight if was else 0.0
    yearly = [(m, most) for m, (_, most) in zip(moves, (posted or {}).values(), strict=True)
              if m[3]]  # fmt: skip
    terms += [(m, start_weight) for m, _ in yearly]
    # every start year and every post-year moved, at most
    weight = start_weight * (len(started or {}) + sum(2 * most for _, most in yearly) + 1.0)
    terms += [(m, weight) for m in moves if not m[3]]
    for oid, y in chosen.items():
        was = oid in previous.routes
        terms.append((y, -weight if was else weight))
        constant += weight if was else 0.0
    return Closeness(tuple(money), tuple(rows), tuple(terms), constant, tuple(moves))


def changes(
    previous: Previous,
    routes: set[str],
    payers: set[tuple[str, str]],
    starts: set[tuple[str, int]] | None = None,
) -> tuple[int, int, int]:
    """Route changes, payer changes and start-year changes (a route kept that starts in
    another year) of a plan from the plan given, counted over the ids both know."""
    kept = routes & previous.routes
    moved = {oid for oid, _ in (starts or set()) ^ previous.starts if oid in kept}
    return len(routes ^ previous.routes), len(payers ^ previous.payers), len(moved)


def posts_moved(previous: Previous, posts: Mapping[PostKey, int]) -> int:
    """Posts added or taken away from the plan given, over the campaign: sum over communities
    and routes of |posts - posts0| (`posts` keyed as `Previous.posts`; the yearly keys are not
    counted here)."""
    keys = {k for k in (*posts, *previous.posts) if k[2] is None}
    return sum(abs(posts.get(k, 0) - previous.posts.get(k, 0)) for k in keys)
