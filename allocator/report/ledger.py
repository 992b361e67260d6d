"""The ledgers of plan.xlsx (一社区一册): per community its name and street or town, its
existing area, each chosen route with its area, cost and who pays, the area reached against the
target, the routes open to it with the notes of the scenario file, and why these routes (from
`allocator.analysis.explanation`, when the plan was explained).

Up to `LEDGER_SHEETS_MAX` communities get a sheet each; above that each street or town gets
one sheet with its communities one after another (a workbook of thousands of sheets cannot be
used).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from allocator.labels import zh
from allocator.plan import CommunityResult, Plan
from allocator.report import words
from allocator.report.sheets import Column, print_setup, sheet_name, write_pairs, write_table

if TYPE_CHECKING:
    from allocator.analysis.explanation import Explanation
    from allocator.scenario.schema import Community, Scenario

LEDGER_SHEETS_MAX = 200
_WIDE = 8  # columns a sentence spans
_CHARS_PER_LINE = 60
NOT_EXPLAINED = (
    "（未计算选择理由：运行 allocator solve 情景文件 --explain --out 文件夹，"
    "台账中即写入每个社区为什么选这些路径；每个社区需重新求解数次。）"
)


def route_notes(scenario: Scenario | None) -> dict[str, str]:
    """The scenario file's note of every route, by route id."""
    if scenario is None:
        return {}
    return {o.id: o.note.strip() for c in scenario.communities for o in c.options if o.note}


def group_kind_zh(scenario: Scenario | None, group_id: str) -> str:
    if scenario is None:
        return ""
    kind = next((g.kind for g in scenario.groups if g.id == group_id), None)
    return zh("group_kind", kind) if kind else ""


def write_ledgers(
    book: Any,
    fmt: dict[str, Any],
    taken: set[str],
    plan: Plan,
    scenario: Scenario | None,
    explanations: Mapping[str, Explanation],
) -> list[str]:
    """One ledger sheet per community (or per street or town above LEDGER_SHEETS_MAX);
    returns the sheet names in order."""
    names = []
    if len(plan.community_results) <= LEDGER_SHEETS_MAX:
        for community in plan.community_results:
            sheet = book.add_worksheet(sheet_name(community.name, taken))
            _ledger_block(sheet, 0, fmt, plan, scenario, community, explanations)
            _finish(sheet)
            names.append(sheet.name)
        return names
    groups: dict[str, list[CommunityResult]] = {}
    for community in plan.community_results:
        groups.setdefault(community.group, []).append(community)
    for members in groups.values():
        sheet = book.add_worksheet(sheet_name(members[0].group_name, taken))
        row = 0
        for community in members:
            row = _ledger_block(sheet, row, fmt, plan, scenario, community, explanations) + 2
        _finish(sheet)
        names.append(sheet.name)
    return names


def _finish(sheet: Any) -> None:
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, _WIDE + 4, 13)
    sheet.freeze_panes(1, 0)
    print_setup(sheet, landscape=True)


def _ledger_block(
    sheet: Any,
    row: int,
    fmt: dict[str, Any],
    plan: Plan,
    scenario: Scenario | None,
    c: CommunityResult,
    explanations: Mapping[str, Explanation],
) -> int:
    """One community's ledger from `row`; returns the next free row."""
    sheet.write_string(row, 0, f"{c.name} 台账（一社区一册）", fmt["title"])
    kind = group_kind_zh(scenario, c.group)
    pairs: list[tuple[str, Any, str]] = [
        ("街镇", f"{c.group_name}（{kind}）" if kind else c.group_name, "text"),
        ("社区编号", c.id, "text"),
        ("示范点", c.must_meet, "text"),
        ("现有面积（m²）", c.existing_area_m2, "area"),
        ("标准面积（m²）", c.target_area_m2, "area"),
        ("建成计入面积（m²）", c.final_area_m2, "area"),
        ("缺口（m²）", c.shortfall_m2, "area"),
        ("是否达标", c.meets_target, "text"),
        ("费用合计（万元）", c.cost, "money"),
    ]
    row = write_pairs(sheet, row + 2, pairs, fmt) + 1
    sheet.write_string(row, 0, "选用路径及资金来源", fmt["heading"])
    row = _chosen_routes(sheet, row + 1, fmt, plan, scenario, c) + 1
    row = _sentence(sheet, row, fmt, "方案", words.plan_sentence(plan, c))
    community = _community(scenario, c.id)
    if community is not None and community.options:
        sheet.write_string(row + 1, 0, "可选路径（情景文件）", fmt["heading"])
        row = _open_routes(sheet, row + 2, fmt, community, c)
    explanation = explanations.get(c.id)
    if explanation is None or scenario is None:
        return _sentence(sheet, row + 1, fmt, "为什么选这些路径", NOT_EXPLAINED)
    why = "".join(words.why_sentences(plan, scenario, explanation))
    row = _sentence(sheet, row + 1, fmt, "为什么选这些路径", why)
    forced = words.forced_rows(explanation)
    if forced:
        lines = "\n".join(f"{route}：{what}" for route, what in forced)
        row = _sentence(sheet, row, fmt, "未选路径（若强制选用）", lines)
    return row


def _chosen_routes(
    sheet: Any,
    row: int,
    fmt: dict[str, Any],
    plan: Plan,
    scenario: Scenario | None,
    c: CommunityResult,
) -> int:
    names = words.source_names(plan)
    paying = list(words.paid_by(plan, c))
    columns = [
        Column("路径编号", width=22),
        Column("路径类型", width=12),
        Column("面积（m²）", "area", 10, total=True),
        Column("计入面积（m²）", "area", 10, total=True),
        Column("一次性费用（万元）", "money", 12, total=True),
        Column("运行费用（万元）", "money", 12, total=True),
        Column("费用合计（万元）", "money", 12, total=True),
        *(Column(f"{names.get(s, s)}（万元）", "money", 14, total=True) for s in paying),
    ]
    rows = [
        [o.id, words.kind_zh(o.kind), o.area_m2, o.counted_area_m2, o.capital_cost,
         o.running_cost, o.cost, *(round(o.funding.get(s, 0.0), 6) for s in paying)]
        for o in c.options
    ]  # fmt: skip
    if not rows:
        sheet.write_string(row, 0, "不选路径", fmt["text"])
        return row + 1
    return write_table(sheet, row, columns, rows, fmt, set_widths=False)


def _open_routes(
    sheet: Any, row: int, fmt: dict[str, Any], community: Community, c: CommunityResult
) -> int:
    chosen = {o.id for o in c.options}
    columns = [
        Column("路径编号"),
        Column("路径类型"),
        Column("最大面积（m²）", "area"),
        Column("是否选用"),
        Column("锁定"),
    ]
    rows = [
        [o.id, words.kind_zh(o.kind), o.max_area_m2, o.id in chosen,
         zh("locked", o.locked) if o.locked else ""]
        for o in community.options
    ]  # fmt: skip
    after = write_table(sheet, row, columns, rows, fmt, total_label=None, set_widths=False)
    notes = ["备注（情景文件）", *(o.note.strip() for o in community.options)]
    for offset, note in enumerate(notes):
        style = fmt["header"] if offset == 0 else fmt["text"]
        _merged(sheet, row + offset, len(columns), note, style)
    return after


def _merged(sheet: Any, row: int, first_col: int, text: str, style: Any) -> None:
    """Text across the columns from `first_col` to the ledger's width, its row tall enough."""
    sheet.merge_range(row, first_col, row, first_col + _WIDE - 1, "", style)
    sheet.write_string(row, first_col, text, style)
    lines = max(1, math.ceil(len(text) / _CHARS_PER_LINE), text.count("\n") + 1)
    if lines > 1:
        sheet.set_row(row, 14 * lines)


def _sentence(sheet: Any, row: int, fmt: dict[str, Any], label: str, text: str) -> int:
    """A label, then a paragraph across the sheet's width; returns the next free row."""
    sheet.write_string(row, 0, label, fmt["heading"])
    _merged(sheet, row + 1, 0, text, fmt["text"])
    return row + 2


def _community(scenario: Scenario | None, community_id: str) -> Community | None:
    if scenario is None:
        return None
    return next((c for c in scenario.communities if c.id == community_id), None)
