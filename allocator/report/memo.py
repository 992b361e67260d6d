"""report.docx: a memo in Chinese for the county's leaders (python-docx), one to two pages.

Title, the headline figures, who falls short and by how much (and what more money would buy,
when the plan was solved with --explain), money by source, the communities (per street or town
when there are more than `COMMUNITY_ROWS_MAX`), and the solver's status. Every figure comes
from the plan; the sentences are built from them (`allocator.report.words`). A4, 宋体 for
body text and 黑体 for headings, set for East Asian text (w:eastAsia) on every style used.

    from allocator.report.memo import write_memo
    write_memo(plan, "report.docx", scenario)
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from allocator.findings import Trust
from allocator.plan import Plan
from allocator.report import words
from allocator.report.workbook import headline_pairs, money_split

if TYPE_CHECKING:
    from allocator.findings import BudgetPrice
    from allocator.scenario.schema import Scenario

BODY_FONT, HEADING_FONT = "宋体", "黑体"
COMMUNITY_ROWS_MAX = 40
SHORT_ROWS_MAX = 15


def write_memo(plan: Plan, path: str | Path, scenario: Scenario | None = None) -> None:
    """Write report.docx to `path` (ValueError for a plan without a solution)."""
    Path(path).write_bytes(memo_bytes(plan, scenario))


def memo_bytes(plan: Plan, scenario: Scenario | None = None) -> bytes:
    if not plan.status.has_plan:
        raise ValueError(f"no plan to write ({plan.status.value})")
    document = Document()
    _page_and_fonts(document)
    title = document.add_paragraph(f"{plan.scenario} 社区用房规范化建设方案报告", style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_heading("一、总体情况", level=1)
    document.add_paragraph(headline_text(plan, scenario))
    document.add_heading("二、未达标社区", level=1)
    _shortfalls(document, plan)
    document.add_heading("三、资金来源与使用", level=1)
    _money(document, plan)
    document.add_heading("四、各社区方案", level=1)
    _communities(document, plan)
    document.add_heading("五、求解状态", level=1)
    document.add_paragraph(words.status_line(plan))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def headline_text(plan: Plan, scenario: Scenario | None) -> str:
    """The headline figures in sentences (the same figures as the workbook's 汇总)."""
    figures = {label: value for label, value, _ in headline_pairs(plan, scenario)}
    total, meeting = figures["社区总数"], figures["达标社区数"]
    share = f"（{meeting / total:.0%}）" if total else ""
    capital, running = money_split(plan)
    years = scenario.horizon_years if scenario is not None else None
    rent = (
        f"运行费用 {running:,.2f} 万元（{years:g} 年，每年 {running / years:,.2f} 万元）"
        if years
        else f"运行费用 {running:,.2f} 万元"
    )
    return (
        f"全县 {total} 个社区中，{meeting} 个达到用房标准{share}；示范点 {figures['示范点数']} 个，"
        f"达标 {figures['示范点达标数']} 个。方案总费用 {plan.total_cost:,.2f} 万元，其中一次性建设"
        f"费用 {capital:,.2f} 万元，{rent}。总缺口 {plan.total_shortfall_m2:,.1f} m²，"
        f"加权缺口 {plan.weighted_shortfall:,.1f} m²。"
    )


def _shortfalls(document: Any, plan: Plan) -> None:
    short = sorted(
        (c for c in plan.community_results if not c.meets_target),
        key=lambda c: (-c.shortfall_m2, c.name),
    )
    if not short:
        document.add_paragraph(f"全部 {len(plan.community_results)} 个社区均达到标准。")
        return
    total = sum(c.shortfall_m2 for c in short)
    shown = short[:SHORT_ROWS_MAX]
    more = f"，下表列缺口最大的 {len(shown)} 个" if len(short) > len(shown) else ""
    document.add_paragraph(
        f"{len(short)} 个社区未达到标准，合计缺口 {total:,.1f} m²{more}。要使它们全部达标，"
        f"还需新增计入面积 {total:,.1f} m²（各社区所缺面积见下表）。"
    )
    rows = [
        [c.group_name, c.name, f"{c.final_area_m2:,.1f}", f"{c.target_area_m2:,.1f}",
         f"{c.shortfall_m2:,.1f}", f"{c.cost:,.2f}"]
        for c in shown
    ]  # fmt: skip
    headers = ["街镇", "社区", "建成（m²）", "标准（m²）", "缺口（m²）", "费用（万元）"]
    _table(document, headers, rows)
    prices = _money_prices(plan)
    if prices:
        document.add_paragraph("增加预算的效果（影子价格）：" + "；".join(prices) + "。")


def _money_prices(plan: Plan) -> list[str]:
    """What more money of each budget buys, from the plan's shadow prices (solve --explain)."""
    if plan.shadow_prices is None:
        return []
    said = [_price_words(plan, price) for price in plan.shadow_prices.budgets]
    ranked = sorted((s for s in said if s[1] > 0), key=lambda s: -s[1])
    return [text for text, _ in ranked[:3]]


def _price_words(plan: Plan, price: BudgetPrice) -> tuple[str, float]:
    values: Any = price.lp
    step = 1.0
    if price.trust == Trust.FINITE_DIFFERENCE and price.finite_difference is not None:
        values, step = price.finite_difference, price.finite_difference.step
    if getattr(values, "feasible", True) is False or not values.shortfall_m2:
        return "", 0.0
    cut = values.shortfall_m2 * step
    where = f"{price.source_name}（{words.unit_zh(plan, price.unit)}）"
    return f"{where}每增加 {step:g} 万元，加权缺口减少 {cut:.3g} m²", cut


def _money(document: Any, plan: Plan) -> None:
    rows, totals = [], [0.0, 0.0, 0.0]
    for source, name in words.source_names(plan).items():
        units = [f for f in plan.funding_results if f.source == source]
        budget, used, left = (sum(getattr(f, k) for f in units) for k in ("budget", "used", "left"))
        totals = [totals[0] + budget, totals[1] + used, totals[2] + left]
        share = f"{used / budget:.0%}" if budget > 0 else "-"
        rows.append([name, f"{budget:,.2f}", f"{used:,.2f}", f"{left:,.2f}", share])
    rows.append(["合计", *(f"{v:,.2f}" for v in totals), ""])
    document.add_paragraph(
        f"各资金来源预算合计 {totals[0]:,.2f} 万元，方案使用 {totals[1]:,.2f} 万元，"
        f"结余 {totals[2]:,.2f} 万元。"
    )
    _table(document, ["资金来源", "预算（万元）", "已用（万元）", "结余（万元）", "使用率"], rows)


def _communities(document: Any, plan: Plan) -> None:
    communities = plan.community_results
    if len(communities) <= COMMUNITY_ROWS_MAX:
        rows = [
            [c.group_name, c.name, "、".join(words.kind_zh(o.kind) for o in c.options) or "-",
             f"{c.final_area_m2:,.1f}/{c.target_area_m2:,.1f}",
             f"{c.shortfall_m2:,.1f}", f"{c.cost:,.2f}"]
            for c in communities
        ]  # fmt: skip
        headers = ["街镇", "社区", "路径", "建成/标准（m²）", "缺口（m²）", "费用（万元）"]
        _table(document, headers, rows)
        return
    groups: dict[str, list[Any]] = {}
    for c in communities:
        groups.setdefault(c.group_name, []).append(c)
    document.add_paragraph(
        f"共 {len(communities)} 个社区，按街镇汇总如下；各社区明细见 plan.xlsx。"
    )
    rows = [
        [name, str(len(members)), str(sum(c.meets_target for c in members)),
         f"{sum(c.shortfall_m2 for c in members):,.1f}", f"{sum(c.cost for c in members):,.2f}"]
        for name, members in groups.items()
    ]  # fmt: skip
    _table(document, ["街镇", "社区数", "达标数", "缺口（m²）", "费用（万元）"], rows)


def _table(document: Any, headers: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for col, (cell, text) in enumerate(zip(cells, values, strict=True)):
            cell.text = text
            if col >= 2:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Pt(0)
                for run in paragraph.runs:
                    run.font.size = Pt(9)


def _page_and_fonts(document: Any) -> None:
    """A4 with 2.5 cm margins; Chinese fonts on the styles used, East Asian text included."""
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(25)
        section.top_margin = section.bottom_margin = Mm(25)
    styles = document.styles
    _set_font(styles["Normal"], BODY_FONT, Pt(11))
    _set_font(styles["Table Grid"], BODY_FONT, None)
    _set_font(styles["Title"], HEADING_FONT, Pt(18))
    _set_font(styles["Heading 1"], HEADING_FONT, Pt(13))


def _set_font(style: Any, name: str, size: Any) -> None:
    """The style's font for Latin and East Asian text alike (w:ascii, w:hAnsi, w:eastAsia),
    with the theme fonts that would override them taken off."""
    style.font.name = name
    if size is not None:
        style.font.size = size
    style.font.color.rgb = None
    properties = style.element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
