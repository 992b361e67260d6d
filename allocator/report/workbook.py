"""plan.xlsx: the plan as planners open it in Excel or WPS (XlsxWriter).

Sheets: `汇总` (headline figures and money per source), `社区方案` (one row per community, one
money column per funding source), `路径明细` (one row per chosen route, money per source, and
a bridge lease's building and years in use), `资金使用` (budget, used and left per source and
unit) and the ledgers (一社区一册, `allocator.report.ledger`): one sheet per community up to 200
communities, above that one per street or town. Money in 万元 (`#,##0.00`), areas in m²
(`0.0`); totals are SUM formulas written with their value, so every reader sees the number.

    from allocator.report.workbook import write_plan_workbook
    write_plan_workbook(plan, "plan.xlsx", scenario)   # scenario: notes and years of rent
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter

from allocator.catalogue import use_lang
from allocator.plan import OptionResult, Plan
from allocator.report import words
from allocator.report.ledger import route_notes, write_ledgers
from allocator.report.sheets import (
    Column,
    make_formats,
    print_setup,
    sheet_name,
    workbook_options,
    write_pairs,
    write_table,
)
from allocator.report.staff import has_staff, posts_by_year_text
from allocator.report.years import has_years, routes_starting

if TYPE_CHECKING:
    from allocator.analysis.explanation import Explanation
    from allocator.scenario.schema import Scenario


def write_plan_workbook(
    plan: Plan,
    path: str | Path,
    scenario: Scenario | None = None,
    explanations: Mapping[str, Explanation] | None = None,
) -> None:
    """Write plan.xlsx to `path`. `scenario` (the one solved) adds the routes' notes and the
    running cost per year; `explanations` (by community id) add why each community gets its
    routes to its ledger."""
    Path(path).write_bytes(plan_workbook_bytes(plan, scenario, explanations))


def plan_workbook_bytes(
    plan: Plan,
    scenario: Scenario | None = None,
    explanations: Mapping[str, Explanation] | None = None,
) -> bytes:
    """The bytes of plan.xlsx (ValueError for a plan without a solution)."""
    if not plan.status.has_plan:
        raise ValueError(f"no plan to write ({plan.status.value})")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {**workbook_options(), "in_memory": True})
    book.set_properties({"title": f"{plan.scenario} 方案", "author": "allocator"})
    fmt = make_formats(book)
    taken: set[str] = set()
    _summary_sheet(book, fmt, taken, plan, scenario)
    _communities_sheet(book, fmt, taken, plan, scenario)
    _routes_sheet(book, fmt, taken, plan, scenario)
    _funding_sheet(book, fmt, taken, plan)
    if has_staff(plan):
        _staff_sheet(book, fmt, taken, plan)
    if has_years(plan):
        _years_sheet(book, fmt, taken, plan, scenario)
    write_ledgers(book, fmt, taken, plan, scenario, explanations or {})
    book.close()
    return buffer.getvalue()


def source_columns(plan: Plan) -> list[tuple[str, str]]:
    """(source id, column title) per funding source, in the plan's order; a name two
    sources share is told apart by the id."""
    names = words.source_names(plan)
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return [
        (sid, f"{name}（万元）" if counts[name] == 1 else f"{name}（{sid}，万元）")
        for sid, name in names.items()
    ]


def money_split(plan: Plan) -> tuple[float, float]:
    """(one-off capital, running over the horizon) of the chosen routes, 万元."""
    options = [o for c in plan.community_results for o in c.options]
    return (
        round(sum(o.capital_cost for o in options), 6),
        round(sum(o.running_cost for o in options), 6),
    )


def _summary_sheet(
    book: Any, fmt: dict[str, Any], taken: set[str], plan: Plan, scenario: Scenario | None
) -> None:
    sheet = book.add_worksheet(sheet_name("汇总", taken))
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, 5, 14)
    sheet.write_string(0, 0, f"{plan.scenario} 方案汇总", fmt["title"])
    row = write_pairs(sheet, 2, headline_pairs(plan, scenario), fmt)
    sheet.write_string(row + 1, 0, "各资金来源使用情况", fmt["heading"])
    columns = [
        Column("资金来源", width=28),
        Column("预算（万元）", "money", 18, total=True),
        Column("已用（万元）", "money", 14, total=True),
        Column("结余（万元）", "money", 14, total=True),
        Column("使用率", "share", 14),
    ]
    rows = []
    for source, name in words.source_names(plan).items():
        units = [f for f in plan.funding_results if f.source == source]
        budget, used = sum(f.budget for f in units), sum(f.used for f in units)
        left = sum(f.left for f in units)
        rows.append([name, budget, used, left, used / budget if budget > 0 else None])
    write_table(sheet, row + 2, columns, rows, fmt)
    sheet.freeze_panes(1, 0)
    print_setup(sheet, landscape=False)


def headline_pairs(plan: Plan, scenario: Scenario | None) -> list[tuple[str, Any, str]]:
    """The headline figures: (label, value, kind). Also the memo's figures."""
    communities = plan.community_results
    demo = [c for c in communities if c.must_meet]
    capital, running = money_split(plan)
    pairs: list[tuple[str, Any, str]] = [
        ("方案状态", words.STATUS_ZH[plan.status], "text"),
        ("求解说明", words.status_line(plan), "text"),
        ("社区总数", len(communities), "count"),
        ("达标社区数", plan.communities_meeting_target, "count"),
        ("示范点数", len(demo), "count"),
        ("示范点达标数", sum(c.meets_target for c in demo), "count"),
        ("未达标社区数", sum(not c.meets_target for c in communities), "count"),
        ("总缺口（m²）", plan.total_shortfall_m2, "area"),
        ("加权缺口（m²）", plan.weighted_shortfall, "area"),
    ]
    if has_staff(plan):
        pairs += [
            ("缺编合计（人）", plan.posts_short, "count"),
            ("用房和人员双达标社区数", plan.communities_meeting_both, "count"),
        ]
    pairs += [
        ("总费用（万元）", plan.total_cost, "money"),
        ("其中一次性建设费用（万元）", capital, "money"),
    ]
    years = scenario.horizon_years if scenario is not None else None
    if years:
        pairs.append(("其中运行费用：每年（万元）", round(running / years, 6), "money"))
        pairs.append((f"其中运行费用：{years:g} 年合计（万元）", running, "money"))
    else:
        pairs.append(("其中运行费用：规划期合计（万元）", running, "money"))
    if has_staff(plan):
        staff = round(sum(c.staff_cost for c in communities), 6)
        pairs.append(("其中人员及提标费用（万元）", staff, "money"))
    return pairs


def _communities_sheet(
    book: Any, fmt: dict[str, Any], taken: set[str], plan: Plan, scenario: Scenario | None
) -> None:
    sheet = book.add_worksheet(sheet_name("社区方案", taken))
    sources = source_columns(plan)
    columns = [
        Column("街镇", width=12),
        Column("社区", width=14),
        Column("现有面积（m²）", "area", 10, total=True),
        Column("选用路径", width=22),
        Column("新增面积（m²）", "area", 10, total=True),
        Column("建成计入面积（m²）", "area", 11, total=True),
        Column("标准面积（m²）", "area", 10, total=True),
        Column("缺口（m²）", "area", 10, total=True),
        Column("是否达标", width=8),
        Column("示范点", width=7),
        Column("费用（万元）", "money", 12, total=True),
        *(Column(title, "money", 14, total=True) for _, title in sources),
        Column("备注", width=40),
    ]
    notes = route_notes(scenario)
    rows = []
    for c in plan.community_results:
        paid = words.paid_by(plan, c)
        routes = "、".join(words.kind_zh(o.kind) for o in c.options) or "不选路径"
        added = round(sum(o.area_m2 for o in c.options), 6)
        remark = "；".join(notes[o.id] for o in c.options if notes.get(o.id))
        rows.append(
            [c.group_name, c.name, c.existing_area_m2, routes, added, c.final_area_m2,
             c.target_area_m2, c.shortfall_m2, c.meets_target, c.must_meet, c.cost,
             *(round(paid.get(sid, 0.0), 6) for sid, _ in sources), remark]
        )  # fmt: skip
    write_table(sheet, 0, columns, rows, fmt)
    sheet.freeze_panes(1, 2)
    sheet.autofilter(0, 0, len(rows), len(columns) - 1)
    print_setup(sheet, landscape=True)


def _routes_sheet(
    book: Any, fmt: dict[str, Any], taken: set[str], plan: Plan, scenario: Scenario | None
) -> None:
    sheet = book.add_worksheet(sheet_name("路径明细", taken))
    sources = source_columns(plan)
    bridged = any(o.bridges for c in plan.community_results for o in c.options)
    years = scenario.horizon_years if scenario is not None else None
    running = f"运行费用 {years:g} 年（万元）" if years else "运行费用（万元）"
    columns = [
        Column("街镇", width=12),
        Column("社区", width=14),
        Column("路径编号", width=18),
        Column("路径类型", width=12),
        Column("面积（m²）", "area", 10, total=True),
        Column("计入面积（m²）", "area", 10, total=True),
        Column("一次性费用（万元）", "money", 12, total=True),
        Column(running, "money", 12, total=True),
        Column("费用合计（万元）", "money", 12, total=True),
        *(Column(title, "money", 14, total=True) for _, title in sources),
        *([Column("启动年份", "count", 9), Column("启用年份", "count", 9)] if has_years(plan)
          else []),
        *([Column("租赁过渡（所过渡路径、使用年份）", width=24)] if bridged else []),
        Column("备注（情景文件）", width=40),
    ]  # fmt: skip
    notes = route_notes(scenario)
    rows = [
        [c.group_name, c.name, o.id, words.kind_zh(o.kind), o.area_m2, o.counted_area_m2,
         o.capital_cost, o.running_cost, o.cost,
         *(round(o.funding.get(sid, 0.0), 6) for sid, _ in sources),
         *([o.start_year, o.ready_year] if has_years(plan) else []),
         *([_bridge_text(o)] if bridged else []), notes.get(o.id, "")]
        for c in plan.community_results
        for o in c.options
    ]  # fmt: skip
    write_table(sheet, 0, columns, rows, fmt)
    sheet.freeze_panes(1, 3)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
    print_setup(sheet, landscape=True)


def _bridge_text(o: OptionResult) -> str | None:
    """A bridge lease's building and the years it is in use ("s-build 建成前：2024–2025 年");
    None (a blank cell) for any other route."""
    if not o.bridges:
        return None
    years = o.in_service_years
    span = "" if not years else f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
    return f"{o.bridges} 建成前：{span} 年" if span else f"{o.bridges} 建成前"


def _funding_sheet(book: Any, fmt: dict[str, Any], taken: set[str], plan: Plan) -> None:
    sheet = book.add_worksheet(sheet_name("资金使用", taken))
    columns = [
        Column("资金来源", width=30),
        Column("资金编号", width=14),
        Column("额度单位", width=14),
        Column("预算（万元）", "money", 14, total=True),
        Column("已用（万元）", "money", 14, total=True),
        Column("结余（万元）", "money", 14, total=True),
    ]
    rows = [
        [f.source_name, f.source, words.unit_zh(plan, f.unit), f.budget, f.used, f.left]
        for f in plan.funding_results
    ]
    write_table(sheet, 0, columns, rows, fmt)
    sheet.freeze_panes(1, 1)
    print_setup(sheet, landscape=False)


def _staff_sheet(book: Any, fmt: dict[str, Any], taken: set[str], plan: Plan) -> None:
    """人员配备: posts per community, what each route adds, what staff cost and who pays (with
    years, the posts added in each year)."""
    sheet = book.add_worksheet(sheet_name("人员配备", taken))
    sources = source_columns(plan)
    columns = [
        Column("街镇", width=12),
        Column("社区", width=14),
        Column("现有编制（人）", "count", 9, total=True),
        Column("目标编制（人）", "count", 9, total=True),
        Column("增编（人）", "count", 8, total=True),
        Column("下派第一书记（人）", "count", 10, total=True),
        Column("招聘社区工作者（人）", "count", 10, total=True),
        Column("配齐后（人）", "count", 9, total=True),
        Column("缺编（人）", "count", 8, total=True),
        Column("人员及提标费用（万元）", "money", 14, total=True),
        *(Column(title, "money", 14, total=True) for _, title in sources),
        *([Column("逐年增加（人）", width=26)] if plan.years else []),
    ]
    rows = []
    for c in plan.community_results:
        if c.posts is None:
            continue
        paid = c.staff_paid_wan()
        added = c.posts.added
        with use_lang("zh"):  # the sheet is in Chinese: 2024 增编1; 2025 招聘2
            by_year = [posts_by_year_text(c)] if plan.years else []
        rows.append(
            [c.group_name, c.name, c.posts.now, c.posts.target, added["add_post"],
             added["dispatch"], added["recruit"], c.posts.final, c.posts.short, c.staff_cost,
             *(round(paid.get(sid, 0.0), 6) for sid, _ in sources), *by_year]
        )  # fmt: skip
    write_table(sheet, 0, columns, rows, fmt)
    sheet.freeze_panes(1, 2)
    print_setup(sheet, landscape=True)


def _years_sheet(
    book: Any, fmt: dict[str, Any], taken: set[str], plan: Plan, scenario: Scenario | None
) -> None:
    """年度计划: each year's spending and where the plan stands at its end (and, when the
    years spend less than the total cost, why); then the money of each source by year."""
    sheet = book.add_worksheet(sheet_name("年度计划", taken))
    staff = plan.posts_short is not None
    columns = [
        Column("年度", "count", 8),
        Column("当年支出（万元）", "money", 14, total=True),
        Column("当年启动路径数", "count", 12, total=True),
        Column("年末达标社区数", "count", 12),
        Column("年末缺口（m²）", "area", 12),
        *([Column("缺编（人）", "count", 10)] if staff else []),
    ]
    rows = [
        [y.year, y.cost, routes_starting(plan, y.year), y.communities_meeting_target,
         y.shortfall_m2, *([y.posts_short] if staff else [])]
        for y in plan.by_year
    ]  # fmt: skip
    row = write_table(sheet, 0, columns, rows, fmt)
    note = _years_note(plan, scenario)
    if note:
        sheet.write_string(row, 0, note)
        row += 1
    money = [
        Column("资金来源", width=28),
        Column("额度单位", width=14),
        Column("年度", "count", 8),
        Column("当年预算（万元）", "money", 14),
        Column("当年已用（万元）", "money", 14, total=True),
        Column("结余（万元）", "money", 14),
    ]
    lines = [
        [f.source_name, words.unit_zh(plan, f.unit), f.year, f.budget, f.used, f.left]
        for f in plan.funding_by_year
        if f.used > 0 or f.budget is not None
    ]
    write_table(sheet, row + 1, money, lines, fmt)
    sheet.freeze_panes(1, 1)
    print_setup(sheet, landscape=False)


def _years_note(plan: Plan, scenario: Scenario | None) -> str | None:
    """Why the years' spending adds up to less than the total cost (汇总's 总费用), if it
    does: the total counts rent and staff over horizon_years, the years only what is paid in
    them."""
    spent = round(sum(y.cost for y in plan.by_year), 2)
    if spent > plan.total_cost - 0.005:
        return None
    horizon = f"{scenario.horizon_years} 年" if scenario is not None else "规划年限"
    first, last = plan.by_year[0].year, plan.by_year[-1].year
    return (
        f"注：各年度支出合计 {spent:,.2f} 万元，总费用 {plan.total_cost:,.2f} 万元。总费用按规划"
        f"年限（{horizon}）计算租金和人员费用；各年度只计 {first}—{last} 年内当年支付的金额，"
        "晚启动的租赁、晚到岗的人员在此之后的费用不在其中。"
    )
