"""The cells of a planners' workbook: where a value came from (`Place`: sheet, cell, header),
the problems found, each put on its cell (`Book`), and one cell read by its column's kind
(`read_cell`: numbers in the workbook's unit back to the scenario's, 是/否, the planners' words
for codes, lists of ids, a change's value)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from allocator.catalogue import say
from allocator.errors import Problem, ScenarioError, _field_name
from allocator.labels import WORDS, choices, code_of
from allocator.scenario.numbers import number_hint
from allocator.scenario.workbook_columns import MEASURE_ZH, Column, from_sheet

Loc = tuple[str | int, ...]
BLANK = object()  # what an empty cell reads as
_DECIMAL = re.compile(r"\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*")
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True)
class Place:
    """A cell: sheet, 0-based row and column, and the header of its column."""

    sheet: str
    row: int
    col: int
    header: str
    order: int = 0

    def __str__(self) -> str:
        if self.col < 0:
            return f"{self.sheet}!{self.row + 1}:{self.row + 1}"
        return f"{self.sheet}!{column_letters(self.col)}{self.row + 1} ({self.header})"


def column_letters(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass
class Row:
    """One data row: its readable values, the cell of every column, the cells that failed."""

    first: Place
    values: dict[str, Any] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    bad: dict[str, str] = field(default_factory=dict)


@dataclass
class Book:
    """What a workbook holds: the scenario dict, the cell of each value, and the cells that
    could not be read."""

    origin: str
    data: dict[str, Any] = field(default_factory=dict)
    places: dict[Loc, Place] = field(default_factory=dict)
    problems: list[tuple[Place | None, Problem]] = field(default_factory=list)
    flagged: set[Loc] = field(default_factory=set)

    def fail(self, place: Place | None, message: str, loc: Loc = ()) -> None:
        self.problems.append((place, Problem(loc, message, place=str(place or ""))))
        if loc:
            self.flagged.add(loc)

    def record(self, loc: Loc, row: Row, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """Register the row's cells under `loc`, report its bad cells; the entry's values."""
        self.places[loc] = row.first
        for key, place in row.places.items():
            self.places[(*loc, key)] = place
        for key, message in row.bad.items():
            self.fail(row.places[key], message, (*loc, key))
        return {k: v for k, v in row.values.items() if k not in skip}

    def raise_if_any(self) -> None:
        if self.problems:
            raise ScenarioError(self.origin, self.sorted_problems([]))

    def place_of(self, loc: Loc) -> tuple[Place | None, bool]:
        """The cell of `loc` (or of the nearest entry above it) and whether it is the cell
        of `loc` itself."""
        for end in range(len(loc), 0, -1):
            found = self.places.get(loc[:end])
            if found is not None:
                return found, end == len(loc)
        return None, False

    def placed(self, problem: Problem) -> tuple[Place | None, Problem] | None:
        """A problem of the schema or the checks on its cell; None when that cell has one."""
        if any(problem.loc[:end] in self.flagged for end in range(1, len(problem.loc) + 1)):
            return None
        place, exact = self.place_of(problem.loc)
        if place is None:
            return None, problem
        name = _field_name(problem.loc)
        message = problem.message
        if name and not exact:
            message = say("problem.what", parts=say("problem.field", field=name), message=message)
        return place, Problem(problem.loc, message, entry=problem.entry, place=str(place))

    def sorted_problems(self, checked: list[Problem]) -> list[Problem]:
        found = [*self.problems, *filter(None, map(self.placed, checked))]
        found.sort(key=lambda pair: (pair[0].order, pair[0].row, pair[0].col) if pair[0] else ())
        return [problem for _, problem in found]


# --------------------------------------------------------------------------------------------
# One cell
# --------------------------------------------------------------------------------------------
def read_cell(column: Column, raw: Any) -> Any:
    """A cell's value in the scenario's unit; BLANK for an empty cell; ValueError with what to
    write for a cell that cannot be read as its column's kind."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return BLANK
    kind = column.kind
    if isinstance(raw, datetime.date | datetime.time | datetime.timedelta):
        if kind in ("text", "value"):
            return raw.isoformat() if hasattr(raw, "isoformat") else str(raw)
        raise ValueError(say("cell.date", value=raw, what=_what(column)))
    if kind in ("number", "int"):
        number = _number(raw)
        if number < 0 and column.factor != 1.0:  # money and rent: said in the cell's unit
            raise ValueError(say("cell.negative", value=_text(raw)))
        return _whole(from_sheet(number, column.factor))
    if kind == "bool":
        return _yes_no(raw)
    if kind in WORDS:
        code = code_of(kind, _text(raw))
        if code is None:
            raise ValueError(
                say("cell.not_choice", text=_text(raw), choices="、".join(choices(kind)))
            )
        return code
    if kind == "list":
        return [part for part in _LIST_SEPARATORS.split(_text(raw)) if part]
    if kind == "shares":
        parts = [raw] if isinstance(raw, int | float) else _LIST_SEPARATORS.split(_text(raw))
        return [_whole(_number(part)) for part in parts if part != ""]
    if kind == "years":
        return _years(raw)
    if kind == "by_year":
        return _by_year(raw)
    if kind == "measure":
        return _measure(raw)
    if kind == "value":
        return _change_value(raw)
    text = _text(raw)
    return text.strip() if kind in ("id", "group", "community", "unit") else text


def _years(raw: Any) -> list[int]:
    """2024, or '2024, 2025, 2026' (commas, 、 or spaces between): the planning years."""
    parts = [raw] if isinstance(raw, int | float) else _LIST_SEPARATORS.split(_text(raw))
    years = []
    for part in parts:
        if part == "":
            continue
        number = (
            _whole(_number(part)) if not isinstance(part, str) or _DECIMAL.fullmatch(part) else None
        )
        if not isinstance(number, int) or isinstance(number, bool):
            raise ValueError(say("cell.not_years", text=_text(raw)))
        years.append(number)
    return years


_YEAR_COUNT = re.compile(r"\s*([0-9]{4})\s*[:：]\s*([0-9]+)\s*")


def _by_year(raw: Any) -> dict[int, int]:
    """'2024:5, 2025:3' (： too; commas, 、 or ; between): a count for each year."""
    counts = {}
    for part in re.split(r"[,，、;；]+", _text(raw)):
        if part.strip() == "":
            continue
        found = _YEAR_COUNT.fullmatch(part)
        if found is None:
            raise ValueError(say("cell.not_by_year", text=_text(raw)))
        counts[int(found[1])] = int(found[2])
    return counts


def _measure(raw: Any) -> str:
    """A measure of the objective, in the planners' words or as its code."""
    text = _text(raw).strip()
    for code, words in MEASURE_ZH.items():
        if text in (code, words):
            return code
    raise ValueError(say("cell.not_choice", text=text, choices="、".join(MEASURE_ZH.values())))


def _what(column: Column) -> str:
    if column.kind in ("number", "int"):
        return say("cell.what_number")
    if column.kind == "bool":
        return say("cell.what_yes_no")
    return say("cell.what_text")


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(say("cell.bool_not_number"))
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw)
    if _DECIMAL.fullmatch(text):
        return float(text)
    raise ValueError(number_hint(text))


def _whole(value: float) -> float | int:
    """450.0 as 450 (a scenario file writes it so); other numbers as they are."""
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _yes_no(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    code = code_of("yes_no", _text(raw))
    if code is None:
        raise ValueError(say("cell.not_yes_no", text=_text(raw)))
    return code == "true"


def _text(raw: Any) -> str:
    if isinstance(raw, float):
        return str(_whole(raw))
    return str(raw)


def _change_value(raw: Any) -> Any:
    from allocator.scenario.yaml_core import read_yaml

    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return _whole(float(raw))
    try:
        return read_yaml(str(raw), "<value>")
    except ScenarioError as error:
        raise ValueError(say("cell.not_value", error=error.problems[0].message)) from None
