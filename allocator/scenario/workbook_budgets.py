"""The `预算`, `年度预算` and `假设` sheets read into the scenario: one row per budget (source and
unit) into a source's `budget`, `budget_by_kind` and `budgets`, one row per year's budget (source
and year) into its `budget_by_year`, and one row per change into `variants`."""

from __future__ import annotations

from typing import Any

from allocator.catalogue import say
from allocator.labels import code_of, zh
from allocator.scenario.workbook_cells import Book, Loc, Row
from allocator.scenario.workbook_columns import UNIT_ALL

_WHOLE_SCOPE = {*UNIT_ALL.values(), "budget"}


def read_budgets(
    book: Book, rows: list[Row], funding: list[dict[str, Any]], units: set[str]
) -> None:
    """Each budget row into its source; `units` are the ids of groups and communities."""
    index = _index(funding)
    seen: dict[Loc, int] = {}
    for row in rows:
        written = row.values.get("source")
        at = _source_at(book, row, funding, index)
        if at < 0:
            continue
        source = funding[at]
        loc = _budget_loc(book, row, at, source, units)
        if loc is None:
            continue
        if loc in seen:
            book.fail(
                row.places["unit"],
                f"the budget of '{written}' for '{row.values['unit']}' is given twice "
                f"(also row {seen[loc] + 1}; 重复)",
            )
            continue
        seen[loc] = row.first.row
        amount = _amount_at(book, row, loc)
        if amount is None:
            continue
        if len(loc) == 3:
            source["budget"] = amount
        else:
            source.setdefault(str(loc[2]), {})[loc[3]] = amount


def read_year_budgets(book: Book, rows: list[Row], funding: list[dict[str, Any]]) -> None:
    """Each row of 年度预算 into its source's budget_by_year: {year: amount}."""
    index = _index(funding)
    seen: dict[Loc, int] = {}
    for row in rows:
        written = row.values.get("source")
        at = _source_at(book, row, funding, index)
        if at < 0:
            continue
        year = row.values.get("year")
        if not isinstance(year, int):
            if "year" not in row.bad:
                book.fail(row.places["year"], say("workbook.year_required"))
            continue
        loc: Loc = ("funding", at, "budget_by_year", year)
        if loc in seen:
            book.fail(
                row.places["year"],
                say("workbook.year_twice", source=written, year=year, row=seen[loc] + 1),
            )
            continue
        seen[loc] = row.first.row
        book.places.setdefault(("funding", at, "budget_by_year"), row.places["amount"])
        amount = _amount_at(book, row, loc)
        if amount is not None:
            funding[at].setdefault("budget_by_year", {})[year] = amount


def _amount_at(book: Book, row: Row, loc: Loc) -> Any:
    """The row's amount, its cell recorded as the place of `loc`; None after saying what is
    wrong with it (not a number, or not given)."""
    book.places[loc] = row.places["amount"]
    if "amount" in row.bad:
        book.fail(row.places["amount"], row.bad["amount"], loc)
    elif "amount" not in row.values:
        book.fail(row.places["amount"], say("workbook.amount_required"), loc)
    else:
        return row.values["amount"]
    return None


def _source_at(book: Book, row: Row, funding: list[dict[str, Any]], index: dict[str, int]) -> int:
    """The position of the row's funding source, or -1 after saying what is wrong with it."""
    written = row.values.get("source")
    at = index.get(written, -1) if isinstance(written, str) else -1
    if at < 0 and "source" not in row.bad:
        known = "、".join(str(s.get("id")) for s in funding[:20]) or "-"
        book.fail(row.places["source"], say("workbook.unknown_source", source=written,
                                            known=known) if written else
                  say("workbook.source_required"))  # fmt: skip
    return at


def _budget_loc(
    book: Book, row: Row, at: int, source: dict[str, Any], units: set[str]
) -> Loc | None:
    """Where a budget row goes: the source's budget, budget_by_kind.<kind>, or budgets.<unit>."""
    unit = row.values.get("unit")
    if not isinstance(unit, str):
        if "unit" not in row.bad:
            book.fail(row.places["unit"], "is required: 县, 各街镇, 各社区, 街道, 镇 or an id")
        return None
    if unit in _WHOLE_SCOPE:
        scope = source.get("scope", "county")
        if scope in UNIT_ALL and unit != "budget" and unit != UNIT_ALL[scope]:
            book.fail(
                row.places["unit"],
                f"source '{source.get('id')}' has scope {zh('scope', scope)}: write "
                f"{UNIT_ALL[scope]} for the amount of each unit (范围不符)",
            )
            return None
        return ("funding", at, "budget")
    kind = code_of("group_kind", unit)
    if kind is not None and unit not in units:
        return ("funding", at, "budget_by_kind", kind)
    return ("funding", at, "budgets", unit)


def _index(entries: list[dict[str, Any]]) -> dict[str, int]:
    """Position of each entry by id, and by a name only one entry has."""
    index = {e["id"]: i for i, e in enumerate(entries) if isinstance(e.get("id"), str)}
    names: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        if isinstance(entry.get("name"), str):
            names.setdefault(entry["name"].strip(), []).append(i)
    for name, places in names.items():
        if len(places) == 1:
            index.setdefault(name, places[0])
    return index


def read_variants(book: Book, rows: list[Row]) -> list[dict[str, Any]]:
    """Rows of the same 假设名称 make one variant, its changes in row order."""
    variants: list[dict[str, Any]] = []
    by_name: dict[str, int] = {}
    for row in rows:
        name = row.values.get("name")
        if not isinstance(name, str):
            if "name" not in row.bad:
                book.fail(row.places["name"], "is required: the name of the what-if (假设名称)")
            continue
        if name not in by_name:
            by_name[name] = len(variants)
            variants.append({"name": name})
            book.places[("variants", by_name[name])] = row.places["name"]
            book.places[("variants", by_name[name], "name")] = row.places["name"]
        at = by_name[name]
        _variant_row(book, row, at, variants[at])
    return variants


def _variant_row(book: Book, row: Row, at: int, variant: dict[str, Any]) -> None:
    for key in ("path", "value", "description"):
        if key in row.bad:
            book.fail(row.places[key], row.bad[key])
            return
    text = row.values.get("description")
    if text is not None:
        if variant.get("description", text) != text:
            book.fail(
                row.places["description"],
                f"variant '{variant['name']}' has a description already: write it once, on its "
                "first row",
            )
        else:
            variant["description"] = text
            book.places[("variants", at, "description")] = row.places["description"]
    path, value = row.values.get("path"), row.values.get("value")
    if path is None and "value" not in row.values:
        return
    if path is None:
        book.fail(row.places["path"], "is required: the path the value changes (改动路径)")
        return
    if "value" not in row.values:
        book.fail(row.places["value"], "is required: the value, or {scale: x} / {add: x}")
        return
    changes = variant.setdefault("changes", [])
    book.places[("variants", at, "changes", len(changes))] = row.places["path"]
    book.places[("variants", at, "changes", len(changes), path)] = row.places["value"]
    changes.append({path: value})
