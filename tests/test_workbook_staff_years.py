"""Staff and years in the planners' workbook: the sheets 设置, 年度预算 and 人员配备 and the new
columns of 社区, 路径 and 资金 carry every field of staffing and years in the workbook's units,
scenarios/2024.yaml converts both ways and solves to the same plan, and each mistake in
a new cell is named by sheet, cell and column header (Chinese by default, English with en)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from strategies import routes
from typer.testing import CliRunner

from allocator import load_scenario, solve
from allocator.catalogue import use_lang
from allocator.cli import app
from allocator.errors import ScenarioError
from allocator.scenario.loading import scenario_from_dict
from allocator.scenario.workbook_write import write_workbook

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = ROOT / "scenarios" / "2024.yaml"

STAFFED = {
    "name": "staffed",
    "years": [2024, 2025],
    "horizon_years": 3,
    "groups": [{"id": "g", "name": "城南街道", "kind": "street"}],
    "communities": [
        {
            "id": "a",
            "name": "新兴社区",
            "group": "g",
            "existing_area_m2": 100,
            "posts_now": 5,
            "due_year": 2025,
            "options": [
                {"id": "a-lease", "kind": "lease", "max_area_m2": 400, "annual_cost_per_m2": 0.03,
                 "earliest_start": 2024, "latest_start": 2025, "ready_after": 0},
            ],
        }
    ],
    "funding": [
        {"id": "county", "name": "县财政", "budget": 100, "carry_over": True,
         "budget_by_year": {2024: 60, 2025: 40}},
        {"id": "staff", "name": "人员经费", "budget": 50, "pays_for": ["staff", "pay"]},
    ],
    "staffing": {
        "posts_target": 7,
        "add_post": {"quota": 2, "cost_per_post_year": 7.5},
        "recruit": {"cost_per_person_year": 5.5, "most": 3},
        "pay_rise": {"street_yuan_per_month": 400, "town_yuan_per_month": 300},
    },
    "objective": ["posts_short", "weighted_shortfall", "total_cost"],
}  # fmt: skip


def _workbook(tmp_path: Path, data: dict[str, Any] = STAFFED) -> Path:
    path = tmp_path / "staffed.xlsx"
    write_workbook(path, scenario_from_dict(data))
    return path


def _cell(book: Any, sheet: str, header: str, row: int = 2) -> str:
    """The cell of `header` in a sheet of rows (`row`: its row), or of the item `header`."""
    cells = book[sheet]
    heads = [c.value for c in cells[1]]
    if header in heads:
        return f"{openpyxl.utils.get_column_letter(heads.index(header) + 1)}{row}"
    items = [c.value for c in cells["A"]]
    return f"B{items.index(header) + 1}"


def _set(path: Path, sheet: str, header: str, value: Any, row: int = 2) -> str:
    book = openpyxl.load_workbook(path)
    cell = _cell(book, sheet, header, row)
    book[sheet][cell] = value
    book.save(path)
    return f"{sheet}!{cell}"


def _problems(path: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value.report()


def test_campaign_converts_both_ways_and_solves_to_the_same_plan(tmp_path: Path) -> None:
    book, back = tmp_path / "campaign.xlsx", tmp_path / "campaign.yaml"
    for source, target in ((CAMPAIGN, book), (book, back)):
        result = CliRunner().invoke(app, ["convert", str(source), str(target)])
        assert result.exit_code == 0, result.output
    yaml_county = load_scenario(CAMPAIGN)
    assert yaml_county.staffing is not None and yaml_county.years == (2024, 2025, 2026)
    assert load_scenario(book).model_dump() == yaml_county.model_dump()
    assert load_scenario(back).model_dump() == yaml_county.model_dump()
    a, b = solve(yaml_county), solve(load_scenario(book))
    assert a.status.has_plan and (a.status, routes(a)) == (b.status, routes(b))

    def staff_and_years(plan: Any) -> Any:
        return (
            {(o.id, o.start_year, o.ready_year) for c in plan.community_results for o in c.options},
            {c.id: c.posts for c in plan.community_results},
            [(y.year, y.communities_meeting_target, y.posts_short) for y in plan.by_year],
        )

    assert staff_and_years(a) == staff_and_years(b)
    assert a.total_cost == pytest.approx(b.total_cost, abs=1e-6)
    assert (a.posts_short, a.communities_meeting_both) == (
        b.posts_short,
        b.communities_meeting_both,
    )


def test_the_new_cells_are_in_the_planners_units(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(_workbook(tmp_path))
    staff = {row[0].value: row[1].value for row in book["人员配备"].iter_rows(min_row=2)}
    assert staff["增编：每人每年费用（元/人/年）"] == 75_000
    assert staff["招聘：每人每年费用（元/人/年）"] == 55_000
    assert staff["待遇提标：街道（元/人/月）"] == 400
    assert staff["下派：第一书记人数（人）"] is None  # no dispatch: blank, not 0
    settings = {row[0].value: row[1].value for row in book["设置"].iter_rows(min_row=2)}
    assert settings["规划年度"] == "2024, 2025"
    assert [settings[f"目标顺序：第{k}位"] for k in (1, 2, 3, 4)] == [
        "缺编最少", "加权缺口最小", "费用最省", None
    ]  # fmt: skip
    assert [[c.value for c in row] for row in book["年度预算"].iter_rows(min_row=2)] == [
        ["county", 2024, 600_000], ["county", 2025, 400_000]
    ]  # fmt: skip
    funding = book["资金"]
    heads = [c.value for c in funding[1]]
    staff_row = [c.value for c in funding[3]]
    assert staff_row[heads.index("可付：增编")] == "是"
    assert staff_row[heads.index("可付：待遇提标")] == "是"
    assert staff_row[heads.index("可付：租赁")] == "否"
    assert [c.value for c in funding[2]][heads.index("结转")] == "是"
    community = {h.value: c.value for h, c in zip(book["社区"][1], book["社区"][2], strict=True)}
    assert (community["现有编制（人）"], community["达标年份"]) == (5, 2025)
    route = {h.value: c.value for h, c in zip(book["路径"][1], book["路径"][2], strict=True)}
    assert (route["最早启动年份"], route["最晚启动年份"], route["建成所需年数"]) == (2024, 2025, 0)


def test_a_capital_profile_comes_back_and_pays_alike(tmp_path: Path) -> None:
    """The one-off cost's shares by year (一次性费用分年比例): 0.6, 0.4 of a 100 万元 building
    started in 2024 pay 60 in 2024 and 40 in 2025, read back from the workbook as from the
    file (before the column, the workbook lost them and paid 100 in 2024)."""
    data = {**STAFFED, "communities": [dict(STAFFED["communities"][0])]}
    data.pop("staffing")
    data["funding"] = [{"id": "county", "name": "县财政", "budget": 200}]
    data["objective"] = ["weighted_shortfall", "total_cost"]
    build = {
        "id": "a-build",
        "kind": "allocate_build",
        "min_area_m2": 400,
        "max_area_m2": 400,
        "cost_per_m2": 0.25,
        "capital_profile": [0.6, 0.4],
        "latest_start": 2024,
    }
    data["communities"][0].update(options=[build], due_year=2025)
    data["communities"][0].pop("posts_now")
    path = _workbook(tmp_path, data)
    routes = openpyxl.load_workbook(path)["路径"]
    route = {h.value: c.value for h, c in zip(routes[1], routes[2], strict=True)}
    assert route["一次性费用分年比例"] == "0.6, 0.4"
    back = load_scenario(path)
    assert back.communities[0].options[0].capital_profile == (0.6, 0.4)
    assert [(y.year, y.cost) for y in solve(back).by_year] == [(2024, 60), (2025, 40)]
    for cell, said in (("0.6, 0.5", "add up to 1.1"), ("60%, 40%", "0.6 for 60%")):
        where = _set(path, "路径", "一次性费用分年比例", cell)
        with use_lang("en"):
            report = _problems(path)
        assert f"{where} (一次性费用分年比例)" in report and said in report, report


def test_template_offers_the_new_sheets_with_drop_downs(tmp_path: Path) -> None:
    path = tmp_path / "county.xlsx"
    write_workbook(path)
    book = openpyxl.load_workbook(path)
    assert "目标表" in book.defined_names
    lists = {v.formula1 for v in book["设置"].data_validations.dataValidation}
    assert lists == {"目标表"}
    funding_lists = {str(v.sqref): v.formula1 for v in book["资金"].data_validations.dataValidation}
    heads = [c.value for c in book["资金"][1]]
    carry = openpyxl.utils.get_column_letter(heads.index("结转") + 1)
    assert any(ref.startswith(carry) and f == "是否表" for ref, f in funding_lists.items())
    explained = {row[1].value: row[3].value for row in book["说明"].iter_rows() if row[1].value}
    assert explained["增编：每人每年费用（元/人/年）"] == "元/人/年"
    assert explained["待遇提标：镇（元/人/月）"] == "元/人/月"
    assert explained["达标年份"] == "年份"
    for header in ("现有编制（人）", "最早启动年份", "建成所需年数", "结转", "规划年度", "年度"):
        assert header in explained
    # blank staffing and years: the template is a scenario without them once filled in
    report = _problems(path)
    assert report.count("  - ") == 2


def test_a_workbook_of_the_first_format_still_reads(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    for row in book["说明"].iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and "allocator-workbook 2" in cell.value:
                cell.value = cell.value.replace("allocator-workbook 2", "allocator-workbook 1")
    book.save(path)
    assert load_scenario(path).staffing is not None
    book = openpyxl.load_workbook(path)
    book["说明"]["A2"] = "格式版本：allocator-workbook 3"
    book.save(path)
    assert "allocator-workbook 3" in _problems(path)


@pytest.mark.parametrize(
    ("sheet", "header", "value", "said_zh", "said_en"),
    [
        ("社区", "现有编制（人）", "五", "应为数字", "must be a valid number"),
        ("社区", "现有编制（人）", None, "缺少现有编制人数", "posts_now"),
        ("社区", "达标年份", 2030, "2030", "is not one of the years"),
        ("路径", "最早启动年份", "2024年", "只写数字 2024", "write the number alone, 2024"),
        ("资金", "结转", "也许", "'也许' 不是 是 或 否", "'也许' is not 是 or 否"),
        ("资金", "可付：增编", "也许", "'也许' 不是 是 或 否", "'也许' is not 是 or 否"),
        ("年度预算", "资金", "nowhere", "资金表中没有资金来源 'nowhere'", "unknown funding source"),
        ("年度预算", "金额（元）", "100万", "不要写 '万'", "write the number alone"),
        ("设置", "规划年度", "2024年到2026年", "不是年份", "is not a list of years"),
        ("设置", "目标顺序：第2位", "越省越好", "不是以下之一：加权缺口最小", "is not one of"),
        ("设置", "目标顺序：第2位", "缺编最少", "已在 设置!B3", "given already at 设置!B3"),
        ("人员配备", "增编：县编制额度（人）", None, "必填项缺失", "is required"),
        ("人员配备", "招聘：每人每年费用（元/人/年）", -1, "现为 -1", "got -1"),
        ("人员配备", "待遇提标：镇（元/人/月）", "三百", "应为数字", "must be a valid number"),
    ],
)
def test_a_mistake_in_a_new_cell_is_named(
    tmp_path: Path, sheet: str, header: str, value: Any, said_zh: str, said_en: str
) -> None:
    path = _workbook(tmp_path)
    where = _set(path, sheet, header, value)
    for lang, said in (("zh", said_zh), ("en", said_en)):
        with use_lang(lang):
            report = _problems(path)
        assert f"staffed.xlsx，{where}" in report or f"staffed.xlsx, {where}" in report, report
        assert said in report, report
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and where in result.output and "Traceback" not in result.output


def test_a_year_not_planned_is_named_at_its_amount(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    _set(path, "年度预算", "年度", 2031)
    with use_lang("en"):
        report = _problems(path)
    assert (
        "年度预算!C2 (金额（元）): funding source 'county': 2031 is not one of the years" in report
    )


def test_unreadable_years_are_one_problem(tmp_path: Path) -> None:
    """The cells naming a year are not each reported against planning years that could not
    be read."""
    path = _workbook(tmp_path)
    _set(path, "设置", "规划年度", "二〇二四")
    report = _problems(path)
    assert report.count("  - ") == 1 and "设置!B2 (规划年度)" in report


def test_a_year_given_twice_and_an_unknown_item_are_named(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["年度预算"].append(["county", 2024, 1000])
    book["人员配备"].append(["加班费（元）", 100])
    book.save(path)
    report = _problems(path)
    assert "年度预算!B4 (年度)" in report and "第 2 行" in report
    assert "人员配备!A15 (项目)" in report and "加班费（元）" in report
