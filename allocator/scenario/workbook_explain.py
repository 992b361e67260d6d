"""The workbook's first sheet, `说明`: what the workbook is, how to fill it in, the units, and
every column of every sheet (from the table of `workbook_columns`, so it cannot drift)."""

from __future__ import annotations

from typing import Any

from allocator.scenario.workbook_columns import (
    EXAMPLE,
    FORMAT_NAME,
    FORMAT_VERSION,
    YUAN,
    YUAN_PER_MONTH,
    Column,
)
from allocator.scenario.workbook_items import (
    SHEETS,
)

VERSION_TEXT = f"{FORMAT_NAME} {FORMAT_VERSION}"

_HOW = (
    "城乡社区规范化建设 情景工作簿（allocator 读取）",
    f"格式版本：{VERSION_TEXT}",
    "",
    "怎么填：",
    "1. 在「情景」表填写情景名称、规划年限和默认目标面积。",
    "2. 在「街镇」「社区」「路径」「资金」「预算」表中每行填一项；第一行是列名，请勿修改或删除。",
    "   分年度规划：在「设置」表填写规划年度，在「年度预算」表填写每个资金来源每年的金额，"
    "社区的「达标年份」、路径的「最早/最晚启动年份」「建成所需年数」「一次性费用分年比例」可选填；"
    "新建或加层建成前租房过渡的租赁，在「过渡对象」填写那条新建或加层的路径编号。",
    "   规划人员：填写「人员配备」表（目标编制、增编、下派、招聘、待遇提标），社区表的"
    "「现有编制（人）」每行必填，资金表「可付：增编/招聘社区工作者/待遇提标」选 是 的"
    "资金支付人员费用。",
    "   目标顺序：「设置」表可指定方案依次优化的目标（下拉选择）；空白 = 默认顺序。",
    f"3. 第一列写「{EXAMPLE}」的灰色行是示例，读取时跳过，可保留也可删除或改写。",
    "4. 带下拉箭头的列请从下拉列表中选择；「所属街镇」「社区」可填编号或名称。",
    "5. 编号（社区、路径、资金等）全表唯一，写好后请勿随意更改：假设和互斥路径靠编号引用。",
    "6. 填好后检查：allocator validate 本文件.xlsx；求解：allocator solve 本文件.xlsx。",
    "   请保存为 .xlsx（WPS 的 .et 或旧版 .xls 需另存为 .xlsx）。不要加密码。",
    "",
    "单位：面积 m²；金额 元；租金 元/m²/月；人员费用 元/人/年；待遇提标 元/人/月；"
    "比例 0 到 1 之间的小数（80% 写 0.8）。",
    f"  （情景文件中金额为万元：1 万元 = {YUAN:,.0f} 元；"
    f"租金 1 万元/m²/年 = {YUAN_PER_MONTH:,.2f} 元/m²/月。）",
    "  「假设」表的「值」沿用情景文件的单位（万元、万元/m²/年），如 360 或 {scale: 0.8}。",
    "数字请直接输入数字（1200，不要写 1,200、１２００ 或 1200元）；是/否 列填 是 或 否。",
    "空白格表示用默认值；表中不认识的列或工作表会报错（写明哪张表、哪个单元格）。",
    "",
    "各表各列：",
)

_UNITS = {YUAN: "元", YUAN_PER_MONTH: "元/m²/月"}


def write_readme(sheet: Any, header: Any, *, example: bool) -> None:
    """Fill the `说明` sheet: the text above, then one row per column of every sheet."""
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 2, 26)
    sheet.set_column(3, 3, 12)
    sheet.set_column(4, 4, 70)
    row = 0
    for line in _HOW:
        sheet.write_string(row, 0, line)
        row += 1
    for col, title in enumerate(("工作表", "列名", "英文键（也可作列名）", "单位", "说明")):
        sheet.write_string(row, col, title, header)
    row += 1
    for name, columns in _described():
        for column in columns:
            values = (name, column.header, column.key, _unit(column), _words(column))
            for col, value in enumerate(values):
                sheet.write_string(row, col, value)
            row += 1
    sheet.activate()


def _described() -> list[tuple[str, tuple[Column, ...]]]:
    """Every sheet in the workbook's order: the items of a sheet of items, else its columns."""
    return [(sheet.name, sheet.items or sheet.columns) for sheet in SHEETS]


def _unit(column: Column) -> str:
    if column.unit:
        return column.unit
    if column.key.startswith("posts") or column.key.endswith((".quota", ".pool", ".most")):
        return "人"
    if column.kind == "years" or column.key.endswith(("year", "_start")):
        return "年份"
    if column.key == "ready_after":
        return "年"
    if column.factor in _UNITS:
        return _UNITS[column.factor]
    return "m²" if column.key.endswith("_m2") else ""


def _words(column: Column) -> str:
    required = "必填。" if column.required else ""
    return required + column.note
