"""report.docx: a memo for the county's leaders (python-docx), one to two pages, in the run's
language (the catalogue's `memo.` words: Chinese unless `--lang en`).

Title, the headline figures (with staff: the posts short and the communities meeting both
standards; with years: one sentence a year, the routes starting, the spending and the
communities meeting at its end), who falls short and by how much (and what more money would buy,
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

from allocator.catalogue import say
from allocator.findings import Trust, YearBudgetPrice
from allocator.plan import Plan
from allocator.report import words
from allocator.report.staff import has_staff
from allocator.report.workbook import headline_pairs, money_split
from allocator.report.years import has_years, routes_starting

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
    key = "memo.title_staff" if has_staff(plan) else "memo.title"
    title = document.add_paragraph(say(key, scenario=plan.scenario), style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_heading(say("memo.h_overview"), level=1)
    document.add_paragraph(headline_text(plan, scenario))
    for sentence in (staff_text(plan), *year_lines(plan)):
        if sentence:
            document.add_paragraph(sentence)
    document.add_heading(say("memo.h_short"), level=1)
    _shortfalls(document, plan)
    document.add_heading(say("memo.h_money"), level=1)
    _money(document, plan)
    document.add_heading(say("memo.h_communities"), level=1)
    _communities(document, plan)
    document.add_heading(say("memo.h_status"), level=1)
    document.add_paragraph(words.status_line(plan))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def headline_text(plan: Plan, scenario: Scenario | None) -> str:
    """The headline figures in sentences (the same figures as the workbook's 汇总)."""
    figures = {label: value for label, value, _ in headline_pairs(plan, scenario)}
    total, meeting = figures["社区总数"], figures["达标社区数"]
    share = say("memo.share", share=f"{meeting / total:.0%}") if total else ""
    capital, running = money_split(plan)
    years = scenario.horizon_years if scenario is not None else None
    rent = (
        say(
            "memo.rent_years",
            running=f"{running:,.2f}",
            years=f"{years:g}",
            per_year=f"{running / years:,.2f}",
        )
        if years
        else say("memo.rent", running=f"{running:,.2f}")
    )
    return say(
        "memo.headline",
        total=total,
        meeting=meeting,
        share=share,
        sites=figures["示范点数"],
        sites_meeting=figures["示范点达标数"],
        cost=f"{plan.total_cost:,.2f}",
        capital=f"{capital:,.2f}",
        rent=rent,
        short=f"{plan.total_shortfall_m2:,.1f}",
        weighted=f"{plan.weighted_shortfall:,.1f}",
    )


def staff_text(plan: Plan) -> str:
    """The posts short (and in how many communities), the communities meeting both standards
    and what staff and the pay rise cost; empty for a plan without staff."""
    if not has_staff(plan):
        return ""
    communities = plan.community_results
    short_in = sum(c.posts is not None and c.posts.short > 0 for c in communities)
    return say(
        "memo.staff",
        total=len(communities),
        short=plan.posts_short,
        short_communities=short_in,
        both=plan.communities_meeting_both,
        cost=f"{sum(c.staff_cost for c in communities):,.2f}",
    )


def year_lines(plan: Plan) -> list[str]:
    """With years: a heading line, then one sentence a year (the routes starting, what the
    plan spends, the communities meeting at the year's end and the posts short)."""
    if not has_years(plan) or not plan.by_year or not plan.years:
        return []
    lines = [say("memo.years", first=plan.years[0], last=plan.years[-1])]
    for year in plan.by_year:
        posts = "" if year.posts_short is None else say("memo.year_posts", posts=year.posts_short)
        lines.append(
            say(
                "memo.year",
                year=year.year,
                starting=routes_starting(plan, year.year),
                cost=f"{year.cost:,.2f}",
                meeting=year.communities_meeting_target,
                posts=posts,
            )
        )
    return lines


def _shortfalls(document: Any, plan: Plan) -> None:
    short = sorted(
        (c for c in plan.community_results if not c.meets_target),
        key=lambda c: (-c.shortfall_m2, c.name),
    )
    if not short:
        document.add_paragraph(say("memo.all_meet", count=len(plan.community_results)))
        return
    total = sum(c.shortfall_m2 for c in short)
    shown = short[:SHORT_ROWS_MAX]
    more = say("memo.largest", count=len(shown)) if len(short) > len(shown) else ""
    document.add_paragraph(say("memo.short", count=len(short), total=f"{total:,.1f}", more=more))
    rows = [
        [c.group_name, c.name, f"{c.final_area_m2:,.1f}", f"{c.target_area_m2:,.1f}",
         f"{c.shortfall_m2:,.1f}", f"{c.cost:,.2f}"]
        for c in shown
    ]  # fmt: skip
    _table(document, _headers("group", "community", "final", "target", "short", "cost"), rows)
    prices = _money_prices(plan)
    if prices:
        document.add_paragraph(say("memo.prices", prices=say("memo.notes_sep").join(prices)))


def _money_prices(plan: Plan) -> list[str]:
    """What more money of each budget (and of each year's, with years) buys, from the plan's
    shadow prices (solve --explain)."""
    if plan.shadow_prices is None:
        return []
    prices = (*plan.shadow_prices.budgets, *plan.shadow_prices.year_budgets)
    said = [_price_words(plan, price) for price in prices]
    ranked = sorted((s for s in said if s[1] > 0), key=lambda s: -s[1])
    return [text for text, _ in ranked[:3]]


def _price_words(plan: Plan, price: BudgetPrice | YearBudgetPrice) -> tuple[str, float]:
    values: Any = price.lp
    step = 1.0
    if price.trust == Trust.FINITE_DIFFERENCE and price.finite_difference is not None:
        values, step = price.finite_difference, price.finite_difference.step
    if getattr(values, "feasible", True) is False or not values.shortfall_m2:
        return "", 0.0
    cut = values.shortfall_m2 * step
    unit = words.unit_zh(plan, price.unit, None)
    where = say("memo.price_where", source=price.source_name, unit=unit)
    if isinstance(price, YearBudgetPrice):
        where = say("memo.price_year_where", source=price.source_name, unit=unit, year=price.year)
    return say("memo.price", where=where, step=f"{step:g}", cut=f"{cut:.3g}"), cut


def _money(document: Any, plan: Plan) -> None:
    rows, totals = [], [0.0, 0.0, 0.0]
    for source, name in words.source_names(plan).items():
        units = [f for f in plan.funding_results if f.source == source]
        budget, used, left = (sum(getattr(f, k) for f in units) for k in ("budget", "used", "left"))
        totals = [totals[0] + budget, totals[1] + used, totals[2] + left]
        share = f"{used / budget:.0%}" if budget > 0 else "-"
        rows.append([name, f"{budget:,.2f}", f"{used:,.2f}", f"{left:,.2f}", share])
    rows.append([say("memo.total"), *(f"{v:,.2f}" for v in totals), ""])
    budget, used, left = (f"{v:,.2f}" for v in totals)
    document.add_paragraph(say("memo.money", budget=budget, used=used, left=left))
    _table(document, _headers("source", "budget", "used", "left", "rate"), rows)


def _communities(document: Any, plan: Plan) -> None:
    communities = plan.community_results
    if len(communities) <= COMMUNITY_ROWS_MAX:
        rows = [
            [c.group_name, c.name, _kinds(c),
             f"{c.final_area_m2:,.1f}/{c.target_area_m2:,.1f}",
             f"{c.shortfall_m2:,.1f}", f"{c.cost:,.2f}"]
            for c in communities
        ]  # fmt: skip
        headers = _headers("group", "community", "routes", "final_target", "short", "cost")
        _table(document, headers, rows)
        return
    groups: dict[str, list[Any]] = {}
    for c in communities:
        groups.setdefault(c.group_name, []).append(c)
    document.add_paragraph(say("memo.by_group", count=len(communities)))
    rows = [
        [name, str(len(members)), str(sum(c.meets_target for c in members)),
         f"{sum(c.shortfall_m2 for c in members):,.1f}", f"{sum(c.cost for c in members):,.2f}"]
        for name, members in groups.items()
    ]  # fmt: skip
    _table(document, _headers("group", "count", "meeting", "short", "cost"), rows)


def _kinds(community: Any) -> str:
    return say("sep").join(words.kind_words(o.kind) for o in community.options) or "-"


def _headers(*columns: str) -> list[str]:
    return [say(f"memo.col_{column}") for column in columns]


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
