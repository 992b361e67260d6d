"""Checks across entries that a schema cannot make: ids, references, budgets, locks.

Each check reads the raw scenario dict defensively (it runs even when the schema found type
errors, so that every problem in a file is reported at once) and returns `Problem`s: an id, a
kind or a name that is not text (a list, a mapping, a number) is the schema's to report, and
counts here as no id at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from difflib import get_close_matches
from typing import Any

from allocator.errors import Problem
from allocator.scenario.staffing import check_staffing
from allocator.scenario.words import ID, with_codes
from allocator.scenario.years import check_years

Loc = tuple[str | int, ...]


def check_references(data: dict[str, Any]) -> list[Problem]:
    """Every cross-entry problem of a raw scenario dict (its words read as codes: 县, 镇, 选定)."""
    data = with_codes(data)
    return [
        *check_not_empty(data),
        *check_existing_area(data),
        *check_unique_ids(data),
        *check_groups_known(data),
        *check_options(data),
        *check_funding(data),
        *check_staffing(data),
        *check_years(data),
    ]


def _entries(data: Any, key: str, loc: Loc = ()) -> Iterator[tuple[Loc, dict[str, Any]]]:
    items = data.get(key) if isinstance(data, dict) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield (*loc, key, index), item


def _options(data: Any) -> Iterator[tuple[Loc, dict[str, Any], dict[str, Any]]]:
    for c_loc, community in _entries(data, "communities"):
        for o_loc, option in _entries(community, "options", c_loc):
            yield o_loc, option, community


def check_not_empty(data: dict[str, Any]) -> list[Problem]:
    if data.get("communities") == []:
        return [Problem(("communities",), "is empty: describe at least one community")]
    return []


def check_unique_ids(data: dict[str, Any]) -> list[Problem]:
    """Ids of groups, communities, funding sources and options (scenario-wide) are unique."""
    families = {
        "group": list(_entries(data, "groups")),
        "community": list(_entries(data, "communities")),
        "funding source": list(_entries(data, "funding")),
        "option": [(loc, option) for loc, option, _ in _options(data)],
    }
    problems = []
    variants = list(_entries(data, "variants"))
    names = [_text(v.get("name")) for _, v in variants]
    counted = Counter(names)
    for (loc, variant), name in zip(variants, names, strict=True):
        if name and counted[name] > 1:
            problems.append(
                Problem(
                    (*loc, "name"),
                    f"duplicate variant name '{variant['name']}': names must be unique",
                )
            )
    for word, entries in families.items():
        ids = [_text(e.get("id")) for _, e in entries]
        counts = Counter(ids)
        for (loc, entry), ident in zip(entries, ids, strict=True):
            if ident and counts[ident] > 1:
                problems.append(
                    Problem(
                        (*loc, "id"), f"duplicate {word} id '{entry['id']}': ids must be unique"
                    )
                )
    return problems


_EXISTING = "existing_area_m2"


def check_existing_area(data: dict[str, Any]) -> list[Problem]:
    """Every community says what premises it has now: a forgotten line is not read as 0 m2.
    A key written close to it (exsiting_area_m2) is the schema's to report, as unknown."""
    problems = []
    for loc, community in _entries(data, "communities"):
        if _EXISTING in community:
            continue
        if get_close_matches(_EXISTING, [str(k) for k in community], n=1, cutoff=0.8):
            continue
        problems.append(
            Problem(
                (*loc, _EXISTING),
                "缺少现有用房面积 is missing: every community gives the premises it has now, in "
                f"m2; write `{_EXISTING}: 0` if it has none",
            )
        )
    return problems


def check_groups_known(data: dict[str, Any]) -> list[Problem]:
    """Each community's group is a group's id; one message for each unknown group, however many
    communities name it (at the first of them), with the id meant when it is a group's name or
    close to an id."""
    named = {_text(g.get("name")): _text(g.get("id")) for _, g in _entries(data, "groups")}
    groups = {_text(g.get("id")) for _, g in _entries(data, "groups")} - {None}
    unknown: dict[str, list[tuple[Loc, Any]]] = {}
    for loc, community in _entries(data, "communities"):
        group = community.get("group")
        if isinstance(group, str) and group not in groups:
            unknown.setdefault(group, []).append((loc, community.get("id")))
    problems = []
    for group, users in unknown.items():
        known = ", ".join(sorted(str(g) for g in groups)) or "none defined"
        if named.get(group):
            advice = f"'{group}' is the name of group '{named[group]}': write its id"
        else:
            near = get_close_matches(group, sorted(str(g) for g in groups), n=1)
            advice = f"did you mean '{near[0]}'? " if near else ""
            advice = f"{advice}groups: {known}"
        also = ""
        if len(users) > 1:
            others = [str(ident) for _, ident in users[1:]]
            also = f"; also named by {len(others)} more: {', '.join(others[:8])}"
            also += " ..." if len(others) > 8 else ""
        problems.append(
            Problem((*users[0][0], "group"), f"unknown group '{group}' ({advice}){also}")
        )
    return problems


def check_options(data: dict[str, Any]) -> list[Problem]:
    """min <= max; excludes name options of the same community; locks can all hold."""
    problems = []
    for loc, option, community in _options(data):
        low, high = option.get("min_area_m2", 0), option.get("max_area_m2")
        if _number(low) and _number(high) and low > high > 0:
            problems.append(
                Problem((*loc, "min_area_m2"), f"min_area_m2 {low} is above max_area_m2 {high}")
            )
        excludes = option.get("excludes")
        if not isinstance(excludes, list) or not excludes:
            continue
        siblings = {_text(o.get("id")) for _, o in _entries(community, "options")} - {None}
        for index, other in enumerate(excludes):
            if isinstance(other, str) and ID.fullmatch(other) and other not in siblings:
                near = get_close_matches(other, sorted(str(s) for s in siblings), n=1)
                problems.append(
                    Problem(
                        (*loc, "excludes", index),
                        f"'{other}' is not an option of community '{community.get('id')}'"
                        + (f" (did you mean '{near[0]}'?)" if near else ""),
                    )
                )
    for loc, community in _entries(data, "communities"):
        problems.extend(_check_locks(loc, community, data))
    return problems


def _check_locks(loc: Loc, community: dict[str, Any], data: dict[str, Any]) -> list[Problem]:
    chosen = [o for _, o in _entries(community, "options") if o.get("locked") == "chosen"]
    ids = {_text(o.get("id")) for o in chosen} - {None}
    problems = []
    for option in chosen:
        excludes = option.get("excludes")
        clash = [x for x in excludes if _text(x) in ids] if isinstance(excludes, list) else []
        if clash:
            problems.append(
                Problem(
                    (*loc, "options"),
                    f"options '{option.get('id')}' and '{clash[0]}' are both locked chosen "
                    "but exclude each other",
                )
            )
    limit = community.get("max_options")
    if limit is None and isinstance(data.get("defaults"), dict):
        limit = data["defaults"].get("max_options_per_community")
    limit = 2 if limit is None else limit
    if isinstance(limit, int) and limit >= 1 and len(chosen) > limit:
        problems.append(
            Problem(
                (*loc, "max_options"),
                f"{len(chosen)} options are locked chosen but at most {limit} may be combined",
            )
        )
    replacing = [o for o in chosen if o.get("replaces_existing") is True]
    if len(replacing) > 1:
        problems.append(
            Problem(
                (*loc, "options"),
                "two options that replace the existing premises are locked chosen",
            )
        )
    return problems


def check_funding(data: dict[str, Any]) -> list[Problem]:
    """Budgets name real units, and every unit of a source gets an amount."""
    groups = {_text(g.get("id")): _kind(g.get("kind")) for _, g in _entries(data, "groups")}
    groups.pop(None, None)
    communities = {
        _text(c.get("id")): groups.get(_text(c.get("group")))
        for _, c in _entries(data, "communities")
    }
    communities.pop(None, None)
    problems = []
    for loc, source in _entries(data, "funding"):
        scope = source.get("scope", "county")
        if scope == "county":
            for key in ("budget_by_kind", "budgets"):
                if source.get(key) is not None:
                    problems.append(
                        Problem(
                            (*loc, key),
                            "applies to group or community scope only; "
                            "a county source has one `budget`",
                        )
                    )
            if source.get("budget") is None:
                problems.append(Problem((*loc, "budget"), "is required for a county source"))
            continue
        units = groups if scope == "group" else communities if scope == "community" else None
        if units is None:
            continue
        budgets = source.get("budgets") if isinstance(source.get("budgets"), dict) else {}
        for unit in budgets:
            if unit not in units:
                problems.append(
                    Problem((*loc, "budgets", unit), f"'{unit}' is not a {scope} of this scenario")
                )
        by_kind = (
            source.get("budget_by_kind") if isinstance(source.get("budget_by_kind"), dict) else {}
        )
        if source.get("budget") is None:  # a unit of no known kind is reported where it is
            missing = [
                u for u, kind in units.items() if kind and u not in budgets and kind not in by_kind
            ]
            if missing:
                problems.append(
                    Problem(
                        (*loc, "budget"),
                        f"no budget for {scope} {', '.join(map(str, missing[:5]))}"
                        f"{' and others' if len(missing) > 5 else ''}: give `budget`, "
                        "`budget_by_kind` or `budgets`",
                    )
                )
    return problems


def _text(value: Any) -> str | None:
    """An id, kind or name as text; None for anything else (the schema reports it)."""
    return value if isinstance(value, str) else None


def _kind(value: Any) -> str | None:
    """A group's kind, None when it is not one (the schema reports it)."""
    return value if value in ("street", "town") else None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
