"""Pieces of an XlsxWriter workbook for planners: formats, sheet names Excel and WPS accept,
tables with a frozen header and SUM totals (written with their value), A4 print setup.

Text is always written with `write_string`, so that a name starting with = + - @ stays text
and is never run as a formula; the workbook also turns off XlsxWriter's guessing of formulas
and links in strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlsxwriter.utility import xl_range

FONT = "宋体"  # a Chinese font every Chinese Windows (and WPS) has
MONEY = "#,##0.00"  # 万元
AREA = "0.0"  # m2
SHEET_NAME_MAX = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
A4 = 9


@dataclass(frozen=True)
class Column:
    """A column of a table: its header, how its cells are written, its width, and whether
    the totals row sums it."""

    title: str
    kind: str = "text"  # text, money, area, share, count
    width: float = 12.0
    total: bool = False


def workbook_options() -> dict[str, Any]:
    return {
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "default_format_properties": {"font_name": FONT, "font_size": 10},
    }


def make_formats(book: Any) -> dict[str, Any]:
    """Named cell formats, each with the Chinese font."""
    base = {"font_name": FONT, "font_size": 10, "valign": "top"}
    specs: dict[str, dict[str, Any]] = {
        "text": {"text_wrap": True},
        "money": {"num_format": MONEY},
        "area": {"num_format": AREA},
        "share": {"num_format": "0.0%"},
        "count": {"num_format": "0"},
        "header": {"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True},
        "title": {"bold": True, "font_size": 14},
        "label": {"bold": True, "bg_color": "#F2F2F2", "border": 1},
        "heading": {"bold": True, "font_size": 11},
        "total_text": {"bold": True, "top": 1},
        "total_money": {"bold": True, "top": 1, "num_format": MONEY},
        "total_area": {"bold": True, "top": 1, "num_format": AREA},
        "total_count": {"bold": True, "top": 1, "num_format": "0"},
    }
    return {name: book.add_format({**base, **spec}) for name, spec in specs.items()}


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: no []:*?/\\, at most 31 characters, not starting or ending
    with an apostrophe, and unique (Excel compares names without case)."""
    name = _FORBIDDEN.sub("_", wanted).strip().strip("'") or "表"
    if name.lower() == "history":  # reserved by Excel
        name += "_"
    name = name[:SHEET_NAME_MAX]
    candidate, number = name, 2
    while candidate.lower() in taken:
        suffix = f"({number})"
        candidate = name[: SHEET_NAME_MAX - len(suffix)] + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def print_setup(sheet: Any, *, landscape: bool, header_rows: int = 1) -> None:
    """A4, fit to the page width, the header rows repeated on every page."""
    sheet.set_paper(A4)
    if landscape:
        sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    if header_rows:
        sheet.repeat_rows(0, header_rows - 1)


def write_cell(sheet: Any, row: int, col: int, value: Any, kind: str, fmt: dict[str, Any]) -> None:
    """One cell: text as text (never a formula), numbers as numbers, booleans as 是/否."""
    if value is None:
        sheet.write_blank(row, col, None, fmt["text"])
    elif isinstance(value, bool):
        sheet.write_string(row, col, "是" if value else "否", fmt["text"])
    elif kind == "text" or isinstance(value, str):
        sheet.write_string(row, col, str(value), fmt["text"])
    else:
        sheet.write_number(row, col, float(value), fmt[kind])


def write_table(
    sheet: Any,
    first_row: int,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    fmt: dict[str, Any],
    *,
    total_label: str | None = "合计",
    set_widths: bool = True,
) -> int:
    """A header row, the rows, and a totals row of SUM formulas with their values; returns
    the next free row. `set_widths` False leaves the columns' widths to the sheet (a ledger
    holds several tables in the same columns)."""
    for col, column in enumerate(columns):
        sheet.write_string(first_row, col, column.title, fmt["header"])
        if set_widths:
            sheet.set_column(col, col, column.width)
    for offset, row in enumerate(rows, start=1):
        for col, (value, column) in enumerate(zip(row, columns, strict=True)):
            write_cell(sheet, first_row + offset, col, value, column.kind, fmt)
    last = first_row + len(rows)
    if total_label is None or not any(c.total for c in columns):
        return last + 1
    total_row = last + 1
    sheet.write_string(total_row, 0, total_label, fmt["total_text"])
    for col, column in enumerate(columns):
        if not column.total:
            continue
        value = round(sum(float(r[col] or 0.0) for r in rows), 6)
        formula = f"=SUM({xl_range(first_row + 1, col, last, col)})" if rows else "=0"
        sheet.write_formula(total_row, col, formula, fmt[f"total_{column.kind}"], value)
    return total_row + 1


def write_pairs(
    sheet: Any, first_row: int, pairs: Sequence[tuple[str, Any, str]], fmt: dict[str, Any]
) -> int:
    """Label / value rows (a value's kind: text, money, area, share, count); returns the
    next free row."""
    for offset, (label, value, kind) in enumerate(pairs):
        sheet.write_string(first_row + offset, 0, label, fmt["label"])
        write_cell(sheet, first_row + offset, 1, value, kind, fmt)
    return first_row + len(pairs)
