"""Values that are valid but implausible in their unit: warnings (提示), not errors.

The scenario format takes money in 万元 and area in m2; the planning notes give 元/m2 and
元/m2 a month. A value written in the notes' unit is within the format's maxima (`numbers`) and
gives a plan, a wrong one: a building cost of 2,500 (元/m2) is read as 2,500 万元/m2, a county
budget of 4,500,000 (元) as 450 亿元, a rent of 15 (元/m2 a month) as 15 万元/m2 a year. Each
rule below names what it finds implausible, the likely mistake and the value to write if so:

| field | implausible | likely written in | write |
|---|---|---|---|
| cost_per_m2 | above 1 万元/m2 | 元/m2 | value / 10,000 |
| annual_cost_per_m2 | 1 to 100 | 元/m2 a month | value x 12 / 10,000 |
| annual_cost_per_m2 | above 100 | 元/m2 a year | value / 10,000 |
| annual_cost_per_m2 | 0.1 to 1 | (ask) | |
| annual_cost_per_m2 | below 0.004 (40 元/m2 a year) | 万元/m2 a month | value x 12 |
| cost_per_m2 | below 0.001 万元/m2 (10 元/m2) | (ask) | |
| money | above 10,000 万元, or 100 万元 a community (a budget) | 元 | value / 10,000 |
| money of a source | below 0.1 万元 (1,000 元) | (ask) | |
| area of one community | above 5,000 m2 | one digit too many | value / 10 |
| an area (community or route) | below 1 m2 | (ask) | |

`warnings_of(scenario)` lists them, each naming the file, line, entry (in Chinese words) and
field; the command line prints them on stderr and `--strict` makes them errors (exit 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from allocator.errors import Problem, ScenarioError, describe_entry, locate, printable
from allocator.scenario.files import read_text
from allocator.scenario.parsing import parse
from allocator.scenario.schema import Scenario

Loc = tuple[str | int, ...]

COST_PER_M2_MAX = 1.0  # 万元/m2: 10,000 元/m2 is above any fit-out or building cost here
COST_PER_M2_MIN = 0.001  # 万元/m2: 10 元/m2 is below any (a cost in 万元 typed as 元 in a workbook)
MONEY_MIN = 0.1  # 万元: a source's budget or cap below 1,000 元
RENT_MAX = 0.1  # 万元/m2 a year: 1,000 元/m2 a year, 83 元/m2 a month
RENT_MIN = 0.004  # 万元/m2 a year: 40 元/m2 a year, 3.3 元/m2 a month
MONEY_MAX = 10_000.0  # 万元: 1 亿元, for a county
STAFF_COST_MAX = 50.0  # 万元 a person-year: 500,000 元, above any community post's pay
STAFF_COST_MIN = 0.5  # 万元 a person-year: 5,000 元, below any
PAY_RISE_MAX = 5_000.0  # 元 a person-month
PAY_RISE_MIN = 10.0  # 元 a person-month: 0.04 is 400 元 written in 万元
MONEY_PER_COMMUNITY = 100.0  # 万元: 500 m2 built new at 0.2 万元/m2; a province's budgets scale
AREA_MAX = 5_000.0  # m2 for one community, against a standard of 500
AREA_MIN = 1.0  # m2: no room or route is smaller (and 1e-9 m2 is below the solver's tolerances)

_MONEY_FIELDS = ("fixed_cost", "annual_cost")
_AREA_FIELDS = ("existing_area_m2", "target_area_m2")
_ENTRY_WORDS = {"communities": "社区", "options": "路径", "groups": "街镇", "funding": "资金来源"}


@dataclass(frozen=True)
class Doubt:
    """One value implausible in its unit: where, what and what to write if it is the mistake."""

    loc: Loc
    value: float
    message: str
    origin: str = ""
    line: int | None = None
    entry: str = ""
    place: str = ""  # in a workbook: the cell and its column header, instead of the line
    reason: str = ""  # why the value is implausible, whatever the unit it was written in

    @property
    def field(self) -> str:
        if self.loc[:1] == ("defaults",):
            return ".".join(map(str, self.loc))
        return ".".join(str(k) for k in self.loc[-2:] if isinstance(k, str))

    def describe(self) -> str:
        """'2024_premises.yaml 第 117 行, 社区 nanqiao 路径 nanqiao_heighten, 字段 cost_per_m2:
        值 35 ...'"""
        if self.place:  # the value as the cell holds it, in the column's unit
            return printable(f"{self.origin}, {self.place}: 值 {_plain(self.value)} {self.message}")
        where = f"{self.origin} 第 {self.line} 行" if self.line else self.origin
        parts = [p for p in (where, self.entry, f"字段 {self.field}") if p]
        return printable(f"{', '.join(parts)}: 值 {_plain(self.value)} {self.message}")


def warnings_of(scenario: Scenario) -> list[Doubt]:
    """Every value of `scenario` implausible in its unit, with file, line and entry."""
    doubts = list(_doubts(scenario))
    if not doubts:
        return []
    source = scenario._source
    origin = scenario.path or "<scenario>"
    named = [replace(d, origin=origin, entry=_entry(source, d.loc)) for d in doubts]
    if scenario._cells is not None:
        return [_on_cell(d, scenario._cells) for d in named]
    return _with_lines(named, scenario.path)


# How a workbook shows each field (allocator.scenario.workbook_columns): 元, 元/m2/月, m2.
_SHEET_UNITS = {
    "cost_per_m2": (1e4, "元/m²"),
    "annual_cost_per_m2": (1e4 / 12, "元/m²/月"),
    **{key: (1e4, "元") for key in (*_MONEY_FIELDS, "budget", "max_per_option")},
    **{key: (1e4, "元") for key in ("budget_by_kind", "budgets", "budget_by_year")},
    **{key: (1e4, "元/人/年") for key in ("cost_per_post_year", "cost_per_person_year")},
    **{key: (1.0, "元/人/月") for key in ("street_yuan_per_month", "town_yuan_per_month")},
}


def _on_cell(doubt: Doubt, cells: Any) -> Doubt:
    """A doubt of a workbook's value: on its cell, the value in the column's unit, and the
    reason without a fix in 万元 (the planner wrote the column's unit)."""
    place, _ = cells.place_of(doubt.loc)
    if place is None:
        return doubt
    field = next((k for k in reversed(doubt.loc) if k in _SHEET_UNITS), None)
    factor, unit = _SHEET_UNITS.get(field, (1.0, "m²"))
    message = f"{unit} 不合常理（{doubt.reason}），请核对单位和位数 (implausible in its unit)"
    return replace(doubt, place=str(place), value=doubt.value * factor, message=message)


def report(doubts: list[Doubt]) -> str:
    """The warnings as the command line prints them, one a line."""
    head = f"提示 warning: {len(doubts)} 处数值按其单位不合常理 (values implausible in their unit)"
    return "\n".join([head, *("  - " + d.describe() for d in doubts)])


# --------------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------------
def _doubts(scenario: Scenario) -> Iterator[Doubt]:
    source = scenario._source  # read only: no copy of a province's dict
    money_max = max(MONEY_MAX, MONEY_PER_COMMUNITY * len(scenario.communities))
    written = source.get("communities") if isinstance(source.get("communities"), list) else []
    target = scenario.defaults.target_area_m2
    if isinstance(target, float):
        yield from _area(("defaults", "target_area_m2"), target)
    for i, community in enumerate(scenario.communities):
        loc: Loc = ("communities", i)
        entry = written[i] if i < len(written) and isinstance(written[i], dict) else {}
        for key in _AREA_FIELDS:
            if key in entry:  # a target from defaults is reported there, once
                yield from _area((*loc, key), getattr(community, key))
        for j, option in enumerate(community.options):
            at: Loc = (*loc, "options", j)
            yield from _area((*at, "max_area_m2"), option.max_area_m2)
            yield from _area((*at, "min_area_m2"), option.min_area_m2)
            yield from _cost((*at, "cost_per_m2"), option.cost_per_m2)
            yield from _rent((*at, "annual_cost_per_m2"), option.annual_cost_per_m2)
            for key in _MONEY_FIELDS:
                yield from _money((*at, key), getattr(option, key), MONEY_MAX)
    for i, source_entry in enumerate(scenario.funding):
        loc = ("funding", i)
        yield from _money((*loc, "budget"), source_entry.budget, money_max)
        yield from _money((*loc, "max_per_option"), source_entry.max_per_option, MONEY_MAX)
        for key in ("budget_by_kind", "budgets", "budget_by_year"):
            for unit, amount in (getattr(source_entry, key) or {}).items():
                yield from _money((*loc, key, unit), amount, money_max)
    yield from _staff(scenario)


def _staff(scenario: Scenario) -> Iterator[Doubt]:
    """Staff costs in 万元 a person-year, the pay rise in 元 a person-month."""
    staffing = scenario.staffing
    if staffing is None:
        return
    costs = [("add_post", "cost_per_post_year", staffing.add_post),
             ("recruit", "cost_per_person_year", staffing.recruit)]  # fmt: skip
    for part, key, entry in costs:
        value = getattr(entry, key) if entry is not None else 0.0
        loc: Loc = ("staffing", part, key)
        if value > STAFF_COST_MAX:
            yield Doubt(loc, value, reason=f"每人每年超过 {STAFF_COST_MAX:g} 万元",
                        message=f"按 万元/人/年 计不合常理，疑为以 元 填写；若是，请改为 "
                        f"{_plain(value / 1e4)} (万元 a person-year)")  # fmt: skip
        elif 0 < value < STAFF_COST_MIN:
            yield Doubt(
                loc,
                value,
                reason=f"每人每年不到 {STAFF_COST_MIN:g} 万元",
                message="按 万元/人/年 计太低，请核对单位 (万元 a person-year)",
            )
    rise = staffing.pay_rise
    for key in ("street_yuan_per_month", "town_yuan_per_month"):
        value = getattr(rise, key) if rise is not None else 0.0
        loc = ("staffing", "pay_rise", key)
        if value > PAY_RISE_MAX:
            yield Doubt(loc, value, reason=f"每人每月超过 {PAY_RISE_MAX:,.0f} 元",
                        message="按 元/人/月 计不合常理，疑为按年填写；若是，请改为 "
                        f"{_plain(round(value / 12, 2))} (元 a person-month)")  # fmt: skip
        elif 0 < value < PAY_RISE_MIN:
            yield Doubt(loc, value, reason=f"每人每月不到 {PAY_RISE_MIN:g} 元",
                        message="按 元/人/月 计太低，疑为以 万元 填写；若是，请改为 "
                        f"{_plain(value * 1e4)} (元 a person-month)")  # fmt: skip


def _cost(loc: Loc, value: float) -> Iterator[Doubt]:
    if 0 < value < COST_PER_M2_MIN:
        yield Doubt(
            loc,
            value,
            reason="每平方米不到 10 元",
            message="按 万元/m² 计太低（每平方米不到 10 元），请核对单位 (cost per m2 is in 万元)",
        )
    if value > COST_PER_M2_MAX:
        yield Doubt(
            loc,
            value,
            reason="每平方米超过 1 万元",
            message="按 万元/m² 计不合常理（每平方米超过 1 万元），疑为以 元/m² 填写；若是，请改为 "
            f"{_plain(value / 1e4)} (cost per m2 is in 万元: {_plain(value)} 元/m² is "
            f"{_plain(value / 1e4)} 万元/m²)",
        )


def _rent(loc: Loc, value: float) -> Iterator[Doubt]:
    reason = "每平方米每年超过 1,000 元" if value > RENT_MAX else "每平方米每年不到 40 元"
    if 1 <= value <= 100:
        yearly = value * 12 / 1e4
        message = (
            f"按 万元/m²/年 计不合常理，疑为以 元/m²/月 填写；若是，请改为 {_plain(yearly)} "
            f"(rent is in 万元 per m2 a year: {_plain(value)} 元/m² a month is {_plain(yearly)})"
        )
    elif value > 100:
        message = (
            f"按 万元/m²/年 计不合常理，疑为以 元/m²/年 填写；若是，请改为 {_plain(value / 1e4)} "
            f"(rent is in 万元 per m2 a year)"
        )
    elif value > RENT_MAX:
        message = (
            "按 万元/m²/年 计不合常理（每平方米每年超过 1,000 元；常见 0.006–0.036），请核对单位 "
            "(rent is in 万元 per m2 a year; 15 元/m² a month is 0.018)"
        )
    elif 0 < value < RENT_MIN:
        message = (
            f"按 万元/m²/年 计太低（每平方米每年不到 40 元），疑为每月租金；若是，请改为 "
            f"{_plain(value * 12)} (a rent per month: write it per year, x 12)"
        )
    else:
        return
    yield Doubt(loc, value, message, reason=reason)


def _money(loc: Loc, value: float | None, most: float) -> Iterator[Doubt]:
    if value is not None and 0 < value < MONEY_MIN and loc[0] == "funding":
        yield Doubt(
            loc,
            value,
            reason="一笔资金不到 1,000 元",
            message="按 万元 计太低（不到 1,000 元），请核对单位 (money is in 万元, 10,000 yuan)",
        )
    if value is not None and value > most:
        yield Doubt(
            loc,
            value,
            reason=f"超过 {most:,.0f} 万元",
            message=f"按 万元 计不合常理（超过 {most:,.0f} 万元），疑为以 元 填写；若是，请改为 "
            f"{_plain(value / 1e4)} (money is in 万元, 10,000 yuan)",
        )


def _area(loc: Loc, value: float) -> Iterator[Doubt]:
    if 0 < value < AREA_MIN:
        yield Doubt(
            loc,
            value,
            reason=f"不到 {AREA_MIN:g} m²",
            message=f"m²：不到 {AREA_MIN:g} m² 不合常理（标准为 500 m²），请核对单位 "
            "(an area in m2; amounts this small are below what the solver resolves)",
        )
    if value > AREA_MAX:
        yield Doubt(
            loc,
            value,
            reason=f"一个社区超过 {AREA_MAX:,.0f} m²",
            message=f"m²：一个社区超过 {AREA_MAX:,.0f} m² 不合常理（标准为 500 m²），"
            f"请核对是否多写了一位；若是，请改为 {_plain(value / 10)} "
            "(area of one community, in m2)",
        )


def _plain(value: float) -> str:
    """3500, 0.35, 0.018: a number as a person writes it (no thousands separators, so that
    it can be typed into the file as it is)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


# --------------------------------------------------------------------------------------------
# Where: the entry in Chinese words, and the line in the file (or the file it extends)
# --------------------------------------------------------------------------------------------
def _entry(data: Any, loc: Loc) -> str:
    """'社区 xinxing 路径 xinxing_build', '资金来源 county', '默认值 defaults'."""
    if loc and loc[0] == "defaults":
        return "默认值 defaults"
    return describe_entry(data, loc, _ENTRY_WORDS, shape="{word} {ident}", sep=" ")


def _with_lines(doubts: list[Doubt], path: str | None) -> list[Doubt]:
    """Each doubt with the line of its value, in the file or in the file it extends (where the
    value is written as it is); without a line when a change of a variant made it."""
    result = list(doubts)
    for _ in range(10):  # the longest chain of `extends`
        if path is None or all(d.line for d in result):
            return result
        data, text = _read(path)
        if data is None or text is None:
            return result
        here = [i for i, d in enumerate(result) if not d.line and _at(data, d.loc) == d.value]
        located = locate([Problem(result[i].loc, "") for i in here], data, text)
        for i, problem in zip(here, located, strict=True):
            result[i] = replace(result[i], line=problem.line, origin=path)
        base = data.get("extends") if isinstance(data, dict) else None
        path = str(Path(path).parent / base) if isinstance(base, str) else None
    return result


def _read(path: str) -> tuple[Any, str | None]:
    try:
        text = read_text(Path(path))
        return parse(text, path), text
    except (ScenarioError, OSError):
        return None, None


def _at(data: Any, loc: Loc) -> float | None:
    node = data
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    try:
        return float(node) if not isinstance(node, bool) else None
    except (TypeError, ValueError):
        return None
