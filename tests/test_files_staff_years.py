"""The files of a plan with staff and years: each community's ledger in plan.xlsx shows its
posts (now, added by each route, final, target, short, both standards, staff cost and who pays)
and each chosen route's start and ready year; the memo says the posts short, the communities
meeting both standards and one sentence a year. Every figure is read back against the plan of
scenarios/2024.yaml, in Chinese and in English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from allocator import load_scenario, solve
from allocator.catalogue import use_lang
from allocator.plan import Plan
from allocator.report.memo import write_memo
from allocator.report.workbook import write_plan_workbook

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = ROOT / "scenarios" / "2024.yaml"


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Any, Path]:
    scenario = load_scenario(CAMPAIGN)
    plan = solve(scenario)
    assert plan.status.has_plan and plan.posts_short is not None and plan.years is not None
    folder = tmp_path_factory.mktemp("campaign")
    for lang in ("zh", "en"):
        with use_lang(lang):
            write_plan_workbook(plan, folder / f"plan_{lang}.xlsx", scenario)
            write_memo(plan, folder / f"report_{lang}.docx", scenario)
    return plan, scenario, folder


def _ledgers(path: Path) -> dict[str, list[list[Any]]]:
    book = openpyxl.load_workbook(path)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def _pairs(rows: list[list[Any]], first: str) -> dict[str, Any]:
    """The label / value rows from the row labelled `first` to the next heading."""
    start = next(i for i, row in enumerate(rows) if row[0] == first)
    found = {}
    for row in rows[start:]:
        if row[0] is None or row[1] is None:
            break
        found[row[0]] = row[1]
    return found


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", {"now": "现有编制（人）", "add_post": "增编（人）", "dispatch": "下派（人）",
                "recruit": "招聘（人）", "final": "配齐后（人）", "target": "目标编制（人）",
                "short": "缺编（人）", "both": "用房和人员双达标", "cost": "人员及提标费用（万元）",
                "paid": "{}（万元）", "start": "启动年份", "ready": "计入年份", "yes": "是",
                "no": "否", "route": "路径编号"}),
        ("en", {"now": "Posts now", "add_post": "added (posts)", "dispatch": "dispatched (posts)",
                "recruit": "recruited (posts)", "final": "Posts at the end",
                "target": "Posts target", "short": "Posts short",
                "both": "Meets both standards (premises and posts)",
                "cost": "Staff and pay rise cost (万元)", "paid": "{} (万元)",
                "start": "Start year", "ready": "Counts from", "yes": "yes", "no": "no",
                "route": "Route id"}),
    ],
)  # fmt: skip
def test_each_ledger_shows_the_posts_and_the_years_of_the_plan(
    campaign: tuple[Plan, Any, Path], lang: str, words: dict[str, str]
) -> None:
    plan, _, folder = campaign
    sheets = _ledgers(folder / f"plan_{lang}.xlsx")
    names = {f.source: f.source_name for f in plan.funding_results}
    for c in plan.community_results:
        rows = next(r for r in sheets.values() if r[0][0] and str(r[0][0]).startswith(c.name))
        assert c.posts is not None
        posts = _pairs(rows, words["now"])
        expected = {
            words["now"]: c.posts.now,
            **{words[route]: n for route, n in c.posts.added.items()},
            words["final"]: c.posts.final,
            words["target"]: c.posts.target,
            words["short"]: c.posts.short,
            words["both"]: words["yes" if c.meets_target and c.posts.short == 0 else "no"],
            words["cost"]: pytest.approx(c.staff_cost, abs=1e-6),
        }
        for source, amount in c.staff_funding.get("pay_rise", {}).items():
            assert amount > 0 and words["paid"].format(names[source]) in posts
        assert {k: posts[k] for k in expected} == expected, c.id
        paid = sum(v for k, v in posts.items() if k not in expected)
        assert paid == pytest.approx(c.staff_cost, abs=1e-6)
        if not c.options:
            continue
        header = next(row for row in rows if row[0] == words["route"] and words["start"] in row)
        start, ready = header.index(words["start"]), header.index(words["ready"])
        for option in c.options:
            row = next(r for r in rows if r[0] == option.id)
            assert (row[start], row[ready]) == (option.start_year, option.ready_year)


def _memo(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_the_memo_says_the_posts_and_each_year_from_the_plan(
    campaign: tuple[Plan, Any, Path],
) -> None:
    plan, _, folder = campaign
    communities = plan.community_results
    short_in = sum(c.posts.short > 0 for c in communities if c.posts is not None)
    staff_cost = sum(c.staff_cost for c in communities)
    memo = _memo(folder / "report_zh.docx")
    assert (
        f"人员：方案实施后全县仍缺编 {plan.posts_short} 人，涉及 {short_in} 个社区（共 "
        f"{len(communities)} 个）；用房和人员双达标社区 {plan.communities_meeting_both} 个。"
        f"人员及提标费用 {staff_cost:,.2f} 万元。"
    ) in memo
    assert "逐年安排（2024—2026 年）：" in memo
    assert memo.startswith(f"{plan.scenario} 社区用房和人员规范化建设方案报告")  # staff too
    english = _memo(folder / "report_en.docx")
    assert english.startswith(f"{plan.scenario}: the plan for community premises and staff")
    assert f"{plan.posts_short} posts are still short in {short_in} of the" in english
    assert "Year by year (2024-2026):" in english
    for year in plan.by_year:
        starting = sum(o.start_year == year.year for c in communities for o in c.options)
        assert (
            f"{year.year} 年：启动路径 {starting} 条，支出 {year.cost:,.2f} 万元；年末 "
            f"{year.communities_meeting_target} 个社区达到用房标准，缺编 {year.posts_short} 人。"
        ) in memo
        assert (
            f"{year.year}: {starting} routes start, {year.cost:,.2f} 万元 spent; at the year's "
            f"end {year.communities_meeting_target} communities meet the premises standard, "
            f"{year.posts_short} posts short."
        ) in english
    # the years' spending is the plan's: what the sentences say adds up to what its sources pay
    # year by year (a post added late costs its years in post, though the plan's cost counts
    # it over horizon_years)
    paid = sum(amount for c in communities for o in c.options
               for year in o.paid_by_year.values() for amount in year.values())  # fmt: skip
    paid += sum(amount for c in communities for kind in c.staff_funding_by_year.values()
                for year in kind.values() for amount in year.values())  # fmt: skip
    assert sum(y.cost for y in plan.by_year) == pytest.approx(paid, abs=0.05)
    assert "人员：" not in english and "逐年" not in english
