"""The independent oracle's checks of the years (part of ``tests/oracle.py``; nothing here
imports ``allocator``), from the scenario file and the plan's JSON alone.

The rules, as the README states them: with ``years``, every chosen route starts in one of them,
not before its ``earliest_start`` nor after its ``latest_start``, and is ready ``ready_after``
years on (default: allocate_build and heighten 1, other kinds 0), by the last year at the
latest (and its one-off cost paid by then). Its one-off cost is paid in its start year, or
spread by its ``capital_profile`` (shares by year from the start), its running cost in every
year from its
start. Each year's cost of a route is paid in full that year, by sources that pay its kind,
no source paying over the years more than it pays towards the route; capital-only money pays
one-off costs only. A source's ``budget_by_year`` caps each unit's spending in each year
(with ``carry_over``, the spending so far against the budgets so far); staff money counts in
each year what the community's ``staff_funding_by_year`` says the source pays that year (the
oracle of the staff checks that this pays the posts in post then). A community with
``due_year`` reaches its target with the routes ready by then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oracle_staff import in_post_by, staff_cash_by_year

YEAR_RULES = {
    "start-year": "a route's start or ready year is outside its window or wrongly computed",
    "paid-by-year": "a year's cost of a route is not paid in full that year, or a source pays "
    "over the years more than towards the route, or capital-only money pays rent",
    "budget-by-year": "a unit spends more in a year than its budget for the year (so far, with "
    "carry_over), or the money-by-year table disagrees",
    "due-year": "a community with a due year falls short of its target at the end of it",
    "by-year": "the plan's year-by-year figures are not what its routes give",
}
READY_AFTER = {"allocate_build": 1, "heighten": 1}
TOL = 1e-5


def _get(entry: Mapping[str, Any] | None, key: str, default: Any) -> Any:
    value = (entry or {}).get(key)
    return default if value is None else value


def check_years(raw: Mapping[str, Any], plan: Mapping[str, Any], pays: Any, add: Any,
                kinds: Mapping[str, str] | None = None) -> None:  # fmt: skip
    """Every years rule of ``plan``; ``pays(source, kind)`` says whether a raw source pays for a
    kind, ``add(rule, message)`` records a violation; ``kinds``: street or town by group id."""
    years = raw.get("years")
    rows = {row["id"]: row for row in plan["communities"]}
    if not years:
        for row in plan["communities"]:
            for option in row["options"]:
                if option.get("start_year") is not None or option.get("paid_by_year"):
                    add("start-year", f"{option['id']}: a year in a plan without years")
        return
    sources = {s["id"]: s for s in raw.get("funding", [])}
    spent: dict[tuple[str, str, int], float] = {}
    areas: dict[str, dict[int, float]] = {}  # community -> year -> m2 ready by its end
    for community in raw["communities"]:
        row = rows.get(community["id"])
        if row is None:
            continue
        raws = {o["id"]: o for o in community.get("options", [])}
        ready_area, replaced_by = {y: 0.0 for y in years}, {y: False for y in years}
        for chosen in row["options"]:
            option = raws.get(chosen["id"])
            if option is None:
                continue
            start = _check_start(option, chosen, years, add)
            if start is None:
                continue
            lag = _get(option, "ready_after", READY_AFTER.get(option["kind"], 0))
            area = float(chosen["area_m2"])
            for y in years:
                if _in_use(raws, option, start, lag, y):
                    ready_area[y] += _get(option, "area_factor", 1.0) * area
                    replaced_by[y] = replaced_by[y] or bool(option.get("replaces_existing"))
            rent = bridge_rent(raws, option, start)  # a bridge lease's years, else None
            _check_cash(option, chosen, start, years, sources, pays, add, rent)
            for y, paid in _paid(chosen).items():
                for sid, amount in paid.items():
                    unit = _unit(sources.get(sid), community)
                    spent[(sid, unit, y)] = spent.get((sid, unit, y), 0.0) + amount
        for by_year in (row.get("staff_funding_by_year") or {}).values():
            for y, paid in by_year.items():
                for sid, amount in paid.items():
                    key = (sid, _unit(sources.get(sid), community), int(y))
                    spent[key] = spent.get(key, 0.0) + float(amount)
        target = float(row["target_area_m2"])
        existing = float(community.get("existing_area_m2", 0))
        area_by = {y: (0.0 if replaced_by[y] else existing) + ready_area[y] for y in years}
        due = community.get("due_year")
        if due is not None and due in area_by and area_by[due] < target - 1e-4:
            add("due-year", f"{community['id']}: {area_by[due]} m2 by {due}, target {target}")
        areas[community["id"]] = area_by
    _check_budgets(raw, plan, years, spent, add)
    _check_by_year(raw, plan, years, _staff_by_year(raw, plan, kinds or {}), areas, add)


def _staff_by_year(raw: Mapping[str, Any], plan: Mapping[str, Any],
                   kinds: Mapping[str, str]) -> dict[int, tuple[float, int]]:  # fmt: skip
    """Each year's staff money and posts short at its end, over the communities."""
    rows = {row["id"]: row for row in plan["communities"]}
    staffing = raw.get("staffing") or {}
    figures = {y: (0.0, 0) for y in raw["years"]}
    for community in raw["communities"] if raw.get("staffing") else ():
        posts = (rows.get(community["id"]) or {}).get("posts")
        if not posts:
            continue
        cash = staff_cash_by_year(raw, community, posts, kinds)
        target = _get(community, "posts_target", _get(staffing, "posts_target", 7))
        for y in raw["years"]:
            held = sum(in_post_by(raw, posts, k, y) for k in ("add_post", "dispatch", "recruit"))
            gap = int(target) - int(_get(community, "posts_now", 0))
            short = max(0, gap - held) if gap > 0 else 0
            money, count = figures[y]
            figures[y] = (money + sum(cash[y].values()), count + short)
    return figures


def _check_start(option: Mapping[str, Any], chosen: Mapping[str, Any], years: list[int],
                 add: Any) -> int | None:  # fmt: skip
    start = chosen.get("start_year")
    lag = _get(option, "ready_after", READY_AFTER.get(option["kind"], 0))
    paid_until = len(_get(option, "capital_profile", [1.0])) - 1  # years after the start
    first = _get(option, "earliest_start", years[0])
    last = _get(option, "latest_start", years[-1])
    ends = start + max(lag, paid_until) if isinstance(start, int) else None
    if start not in years or not first <= start <= last or ends > years[-1]:
        add("start-year", f"{option['id']}: starts in {start!r}, window {first}-{last}, "
                          f"ready after {lag}, last year {years[-1]}")  # fmt: skip
        return None
    if chosen.get("ready_year") != start + lag:
        add("start-year", f"{option['id']}: ready_year {chosen.get('ready_year')!r}, not "
                          f"{start + lag}")  # fmt: skip
    return start


def _paid(chosen: Mapping[str, Any]) -> dict[int, dict[str, float]]:
    return {int(y): {s: float(v) for s, v in p.items()}
            for y, p in (chosen.get("paid_by_year") or {}).items()}  # fmt: skip


def _check_cash(option: Mapping[str, Any], chosen: Mapping[str, Any], start: int,
                years: list[int], sources: Mapping[str, Any], pays: Any,
                add: Any, rent: tuple[int, int] | None = None) -> None:  # fmt: skip
    area = float(chosen["area_m2"])
    capital = _get(option, "fixed_cost", 0) + _get(option, "cost_per_m2", 0) * area
    running = _get(option, "annual_cost", 0) + _get(option, "annual_cost_per_m2", 0) * area
    shares = _get(option, "capital_profile", [1.0])
    paid = _paid(chosen)
    over_years: dict[str, float] = {}
    for y in years:
        k = years.index(y) - years.index(start)
        capital_now = capital * shares[k] if 0 <= k < len(shares) else 0.0
        due = y >= start if rent is None else rent[0] <= y < rent[1]
        cash = capital_now + (running if due else 0.0)
        money = paid.get(y, {})
        if abs(sum(money.values()) - cash) > TOL * max(1.0, cash):
            add("paid-by-year", f"{option['id']}: {sum(money.values())} paid in {y}, costs {cash}")
        for sid, amount in money.items():
            source = sources.get(sid)
            if source is None or amount < -TOL or not pays(source, option["kind"]):
                add("paid-by-year", f"{option['id']}: {sid} pays {amount} in {y}")
                continue
            if source.get("capital_only") and amount > capital_now + TOL * max(1.0, capital):
                add("paid-by-year", f"{option['id']}: capital-only {sid} pays {amount} in {y}")
            over_years[sid] = over_years.get(sid, 0.0) + amount
    for sid, total in over_years.items():
        towards = float(chosen["funding"].get(sid, 0.0))
        if total > towards + TOL * max(1.0, towards):
            add("paid-by-year", f"{option['id']}: {sid} pays {total} over the years, "
                                f"{towards} towards it")  # fmt: skip


def _unit(source: Mapping[str, Any] | None, community: Mapping[str, Any]) -> str:
    scope = _get(source, "scope", "county")
    return {"county": "county", "group": community["group"]}.get(scope, community["id"])


def _check_budgets(raw: Mapping[str, Any], plan: Mapping[str, Any], years: list[int],
                   spent: Mapping[tuple[str, str, int], float], add: Any) -> None:  # fmt: skip
    rows = {(r["source"], r["unit"], r["year"]): r for r in plan.get("funding_by_year", [])}
    for source in raw.get("funding", []):
        by_year = {int(k): float(v) for k, v in (source.get("budget_by_year") or {}).items()}
        units = {unit for (sid, unit, _) in spent if sid == source["id"]}
        for unit in units:
            budget_so_far = used_so_far = 0.0
            for y in years:
                used = spent.get((source["id"], unit, y), 0.0)
                row = rows.get((source["id"], unit, y))
                if row is None or abs(row["used"] - used) > TOL * max(1.0, used):
                    add("budget-by-year", f"{source['id']} {unit} {y}: row {row}, used {used}")
                if y not in by_year:
                    continue
                budget_so_far += by_year[y]
                used_so_far += used
                cap, spend = (budget_so_far, used_so_far) if source.get("carry_over") else (
                    by_year[y], used)  # fmt: skip
                if spend > cap + TOL * max(1.0, cap):
                    add("budget-by-year", f"{source['id']} {unit} {y}: {spend} > {cap}")


def _check_by_year(raw: Mapping[str, Any], plan: Mapping[str, Any], years: list[int],
                   staff: Mapping[int, tuple[float, int]],
                   areas: Mapping[str, Mapping[int, float]], add: Any) -> None:  # fmt: skip
    options = {o["id"]: o for c in raw["communities"] for o in c.get("options", [])}
    given = {r["year"]: r for r in plan.get("by_year", [])}
    for y in years:
        row = given.get(y)
        if row is None:
            add("by-year", f"no figures for {y}")
            continue
        cost, posts_short = staff[y]
        if raw.get("staffing") and row.get("posts_short") != posts_short:
            add("by-year", f"{y}: posts_short {row.get('posts_short')!r}, recomputed {posts_short}")
        for c in plan["communities"]:
            for chosen in c["options"]:
                start, o = chosen.get("start_year"), options[chosen["id"]]
                if start is None or y < start:
                    continue
                area = float(chosen["area_m2"])
                rent = bridge_rent(options, o, start)
                if rent is None or y < rent[1]:
                    cost += _get(o, "annual_cost", 0) + _get(o, "annual_cost_per_m2", 0) * area
                shares = _get(o, "capital_profile", [1.0])
                k = years.index(y) - years.index(start)
                if k < len(shares):
                    capital = _get(o, "fixed_cost", 0) + _get(o, "cost_per_m2", 0) * area
                    cost += shares[k] * capital
        short = [max(0.0, float(c["target_area_m2"]) - areas[c["id"]][y])
                 for c in plan["communities"] if c["id"] in areas]  # fmt: skip
        meeting = sum(s <= 1e-4 for s in short)
        if abs(row["cost"] - cost) > TOL * max(1.0, cost):
            add("by-year", f"{y}: cost {row['cost']}, recomputed {cost}")
        if row["communities_meeting_target"] != meeting:
            add(
                "by-year", f"{y}: {row['communities_meeting_target']} meeting, recomputed {meeting}"
            )
        if abs(row["shortfall_m2"] - sum(short)) > 1e-3:
            add("by-year", f"{y}: shortfall {row['shortfall_m2']}, recomputed {sum(short)}")


def bridge_rent(options: Mapping[str, Any], option: Mapping[str, Any],
                start: int) -> tuple[int, int] | None:  # fmt: skip
    """(first, last + 1): the years a bridge lease pays rent and counts (租赁过渡, until its
    building is ready; ``tests/oracle_bridge.py``); None for any other route."""
    from oracle_bridge import bridge_years

    years = bridge_years(options, option)
    return None if years is None else (start, start + years)


def _in_use(options: Mapping[str, Any], option: Mapping[str, Any], start: int, lag: int,
            year: int) -> bool:  # fmt: skip
    """Does the route count at the end of ``year``: ready by then, a bridge lease until its
    building is ready."""
    rent = bridge_rent(options, option, start)
    return year >= start + lag if rent is None else rent[0] <= year < rent[1]
