"""plan.xlsx and report.docx as planners open them: the 2024 county solved through the command
line with --out, then read back with openpyxl and python-docx and checked against plan.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from conftest import COUNTY_FILE, community, option, scenario_dict
from docx.oxml.ns import qn
from typer.testing import CliRunner

from allocator import solve
from allocator.cli import app
from allocator.report.ledger import LEDGER_SHEETS_MAX
from allocator.report.memo import write_memo
from allocator.report.sheets import sheet_name
from allocator.report.workbook import write_plan_workbook
from allocator.scenario.loading import scenario_from_dict

TABLE_SHEETS = ["汇总", "社区方案", "路径明细", "资金使用"]


@pytest.fixture(scope="module")
def county_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("county") / "plan2024"
    result = CliRunner().invoke(app, ["solve", str(COUNTY_FILE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "plan.json").read_text(encoding="utf-8"))


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def test_sheets_and_one_ledger_per_community(county_out: tuple[Path, dict[str, Any]]) -> None:
    out, plan = county_out
    book = openpyxl.load_workbook(out / "plan.xlsx")
    names = [c["name"] for c in plan["communities"]]
    assert book.sheetnames == TABLE_SHEETS + names
    for community_data in plan["communities"]:
        ledger = _rows(book[community_data["name"]])
        assert ledger[0][0] == f"{community_data['name']} 台账（一社区一册）"
        pairs = {row[0]: row[1] for row in ledger if row[0] and row[1] is not None}
        assert pairs["现有面积（m²）"] == pytest.approx(community_data["existing_area_m2"])
        assert pairs["建成计入面积（m²）"] == pytest.approx(community_data["final_area_m2"])
        assert pairs["标准面积（m²）"] == pytest.approx(community_data["target_area_m2"])
        for chosen in community_data["options"]:
            assert any(row[0] == chosen["id"] for row in ledger), chosen["id"]


def test_money_columns_are_numbers_that_add_up(county_out: tuple[Path, dict[str, Any]]) -> None:
    """One numeric column per funding source; each cell is what that source pays for the
    community in plan.json, and the column's total (a SUM with its value) is what the source
    spends in all."""
    out, plan = county_out
    cached = openpyxl.load_workbook(out / "plan.xlsx", data_only=True)["社区方案"]
    formulas = openpyxl.load_workbook(out / "plan.xlsx")["社区方案"]
    header = [cell.value for cell in cached[1]]
    sources = {f["source"]: f["source_name"] for f in plan["funding"]}
    columns = {sid: header.index(f"{name}（万元）") + 1 for sid, name in sources.items()}
    for row, data in enumerate(plan["communities"], start=2):
        assert cached.cell(row, 2).value == data["name"]
        for sid, col in columns.items():
            cell = cached.cell(row, col)
            assert isinstance(cell.value, int | float), (data["name"], sid, cell.value)
            paid = sum(o["funding"].get(sid, 0.0) for o in data["options"])
            assert cell.value == pytest.approx(paid, abs=0.01)
            assert formulas.cell(row, col).number_format == "#,##0.00"
    total_row = len(plan["communities"]) + 2
    assert cached.cell(total_row, 1).value == "合计"
    for sid, col in columns.items():
        used = sum(f["used"] for f in plan["funding"] if f["source"] == sid)
        assert cached.cell(total_row, col).value == pytest.approx(used, abs=0.01)
        assert formulas.cell(total_row, col).value.startswith("=SUM(")
    area = header.index("建成计入面积（m²）") + 1
    assert formulas.cell(2, area).number_format == "0.0"


def test_routes_sheet_pays_every_route(county_out: tuple[Path, dict[str, Any]]) -> None:
    out, plan = county_out
    sheet = openpyxl.load_workbook(out / "plan.xlsx", data_only=True)["路径明细"]
    rows = _rows(sheet)
    header = rows[0]
    routes = {o["id"]: o for c in plan["communities"] for o in c["options"]}
    body = rows[1 : 1 + len(routes)]
    assert {r[2] for r in body} == set(routes)
    names = {f["source"]: f["source_name"] for f in plan["funding"]}
    for row in body:
        chosen = routes[row[2]]
        assert row[header.index("费用合计（万元）")] == pytest.approx(chosen["cost"], abs=0.01)
        for sid, name in names.items():
            paid = row[header.index(f"{name}（万元）")]
            assert paid == pytest.approx(chosen["funding"].get(sid, 0.0), abs=0.01)
    assert rows[1 + len(routes)][0] == "合计"


def test_frozen_headers_print_setup_and_font(county_out: tuple[Path, dict[str, Any]]) -> None:
    out, plan = county_out
    book = openpyxl.load_workbook(out / "plan.xlsx")
    assert book["社区方案"].freeze_panes == "C2"
    assert book["路径明细"].freeze_panes == "D2"
    assert book["资金使用"].freeze_panes == "B2"
    wide = book["社区方案"]
    assert wide.page_setup.paperSize == 9 and wide.page_setup.orientation == "landscape"
    assert wide.print_title_rows == "$1:$1"
    assert wide.sheet_properties.pageSetUpPr.fitToPage
    assert wide["B2"].font.name == "宋体"
    funding = book["资金使用"]
    total = len(plan["funding"]) + 2
    assert funding.cell(total, 4).value == f"=SUM(D2:D{total - 1})"


def test_summary_has_the_plan_figures(county_out: tuple[Path, dict[str, Any]]) -> None:
    out, plan = county_out
    rows = _rows(openpyxl.load_workbook(out / "plan.xlsx", data_only=True)["汇总"])
    figures = {row[0]: row[1] for row in rows if row[0]}
    assert figures["方案状态"] == "最优（已证明）"
    assert figures["达标社区数"] == plan["communities_meeting_target"]
    assert figures["社区总数"] == len(plan["communities"])
    assert figures["示范点数"] == sum(c["must_meet"] for c in plan["communities"])
    assert figures["总缺口（m²）"] == pytest.approx(plan["total_shortfall_m2"])
    assert figures["加权缺口（m²）"] == pytest.approx(plan["weighted_shortfall"])
    assert figures["总费用（万元）"] == pytest.approx(plan["total_cost"])
    options = [o for c in plan["communities"] for o in c["options"]]
    capital = sum(o["capital_cost"] for o in options)
    running = sum(o["running_cost"] for o in options)
    assert figures["其中一次性建设费用（万元）"] == pytest.approx(capital)
    assert figures["其中运行费用：3 年合计（万元）"] == pytest.approx(running)
    assert figures["其中运行费用：每年（万元）"] == pytest.approx(running / 3)
    assert capital + running == pytest.approx(plan["total_cost"], abs=0.01)


def test_memo_states_the_plan_figures(county_out: tuple[Path, dict[str, Any]]) -> None:
    out, plan = county_out
    memo = docx.Document(str(out / "report.docx"))
    text = "\n".join(p.text for p in memo.paragraphs)
    total = len(plan["communities"])
    assert f"全县 {total} 个社区中，{plan['communities_meeting_target']} 个达到用房标准" in text
    assert f"方案总费用 {plan['total_cost']:,.2f} 万元" in text
    assert f"总缺口 {plan['total_shortfall_m2']:,.1f} m²" in text
    short = [c for c in plan["communities"] if not c["meets_target"]]
    assert f"{len(short)} 个社区未达到标准" in text
    assert "求解状态：最优（已证明）" in text
    cells = {cell.text for table in memo.tables for row in table.rows for cell in row.cells}
    for c in short:
        assert c["name"] in cells and f"{c['shortfall_m2']:,.1f}" in cells
    for f in plan["funding"]:
        assert f["source_name"] in cells
    normal = memo.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "宋体"
    section = memo.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_names_that_look_like_formulas_stay_text(tmp_path: Path) -> None:
    raw = scenario_dict(
        [community("a", [option("a-lease", annual_cost_per_m2=0.01)], name="=HYPERLINK(1)")],
        groups=[{"id": "g", "name": "+cmd|' /C calc'!A0", "kind": "street"}],
        name="@SUM(1)",
    )
    plan = solve(scenario_from_dict(raw))
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, path, scenario_from_dict(raw))
    book = openpyxl.load_workbook(path)
    row = book["社区方案"][2]
    assert row[0].value == "+cmd|' /C calc'!A0" and row[0].data_type == "s"
    assert row[1].value == "=HYPERLINK(1)" and row[1].data_type == "s"
    ledger = book[book.sheetnames[4]]
    assert ledger["A1"].data_type == "s" and ledger["A1"].value.startswith("=HYPERLINK(1)")
    assert book["汇总"]["A1"].data_type == "s"
    write_memo(plan, tmp_path / "report.docx")
    assert "@SUM(1)" in docx.Document(str(tmp_path / "report.docx")).paragraphs[0].text


def test_sheet_names_excel_accepts() -> None:
    taken = {"汇总"}
    assert sheet_name("汇总", taken) == "汇总(2)"
    assert sheet_name("a[b]:c*d?e/f\\g", taken) == "a_b__c_d_e_f_g"
    long = "很长的社区名字" * 6
    first, second = sheet_name(long, taken), sheet_name(long, taken)
    assert len(first) == 31 and len(second) == 31 and first != second
    assert sheet_name("'quoted'", taken) == "quoted"
    assert sheet_name("History", taken) == "History_"
    assert sheet_name("ABC", taken) == "ABC" and sheet_name("abc", taken) == "abc(2)"


def test_above_the_ledger_limit_one_ledger_per_street_or_town(tmp_path: Path) -> None:
    groups = [{"id": f"g{i}", "name": f"第{i}街道", "kind": "street"} for i in range(3)]
    count = LEDGER_SHEETS_MAX + 1
    members = [
        community(f"c{n}", [], group=f"g{n % 3}", existing_area_m2=500) for n in range(count)
    ]
    raw = scenario_dict(members, groups=groups)
    plan = solve(scenario_from_dict(raw))
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, path, scenario_from_dict(raw))
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == TABLE_SHEETS + ["第0街道", "第1街道", "第2街道"]
    titles = [r[0] for r in book["第1街道"].iter_rows(values_only=True) if r and r[0]]
    assert sum(str(t).endswith("台账（一社区一册）") for t in titles) == len(range(1, count, 3))


WHY = """\
name: why
groups: [{id: g, name: 城南街道, kind: street}]
communities:
  - id: a
    name: 新兴社区
    group: g
    existing_area_m2: 100
    options:
      - {id: a-lease, kind: lease, max_area_m2: 400, annual_cost_per_m2: 0.01,
         note: "隔壁的房子，已谈妥", excludes: [a-build]}
      - {id: a-build, kind: allocate_build, max_area_m2: 450, min_area_m2: 450, cost_per_m2: 0.2}
funding: [{id: county, name: 县财政, budget: 200}]
"""


def test_explain_writes_why_into_the_ledger(tmp_path: Path) -> None:
    """`solve --explain --out`: the ledger says why, from the explanation's own figures."""
    from allocator.analysis.explanation import explain
    from allocator.scenario.loading import load_scenario

    path = tmp_path / "why.yaml"
    path.write_text(WHY, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["solve", str(path), "--explain", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ledger = _rows(openpyxl.load_workbook(out / "plan.xlsx")["新兴社区"])
    text = "\n".join(str(cell) for row in ledger for cell in row if cell is not None)
    scenario = load_scenario(path)
    why = explain(scenario, "a")
    forced = next(f for f in why.forced if f.option == why.runner_up)
    assert f"次优路径是 {forced.option}（无偿划拨新建）" in text
    assert f"{forced.cost_difference:+,.2f} 万元" in text
    assert "已选的 a-lease（租赁）与 a-build（无偿划拨新建）互斥" in text
    assert "隔壁的房子，已谈妥" in text and "未计算选择理由" not in text


def test_memo_says_how_the_solve_ended_and_what_money_buys(tmp_path: Path) -> None:
    """A plan not proven optimal says so with its gap and the stage's note; a plan with shadow
    prices says what one more 万元 of a budget buys, as the prices have it."""
    from dataclasses import replace

    from allocator import shadow_prices
    from allocator.plan import StageResult, Status

    raw = scenario_dict(
        [community("a", [option("a-lease", annual_cost_per_m2=0.02)])],
        funding=[{"id": "county", "name": "县财政", "budget": 5}],
    )
    scenario = scenario_from_dict(raw)
    plan = solve(scenario)
    assert not plan.community_results[0].meets_target
    priced = replace(plan, shadow_prices=shadow_prices(scenario, plan))
    [county] = priced.shadow_prices.budgets
    write_memo(priced, tmp_path / "priced.docx", scenario)
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "priced.docx")).paragraphs)
    cut = county.lp.shortfall_m2
    assert f"县财政（全县）每增加 1 万元，加权缺口减少 {cut:.3g} m²" in text
    stage = StageResult("total_cost", "not_proven", 1.0, 0.9, 0.02, "stopped by a test")
    unproven = replace(
        plan,
        status=Status.NOT_PROVEN,
        solver=replace(plan.solver, gap=0.02, stages=(stage,)),
    )
    write_memo(unproven, tmp_path / "unproven.docx")
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "unproven.docx")).paragraphs)
    assert "可行方案（未证明最优），相对间隙 2.00%（原因：stopped by a test）" in text
