"""A bridge lease (租赁过渡, `bridges`) in the planners' workbook: the column 过渡对象 of 路径
holds the id of the new building or added storey the lease bridges, written and read back
exactly (a small site and generated counties), shown in the template and its 说明; each
mistake is named by sheet, cell and header in the run's language; plan.xlsx's 路径明细 says
which building a lease bridges and the years it is in use, and its 年度计划 says why the years
spend less than the total cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import community, option, scenario_dict

from allocator import load_scenario, solve
from allocator.catalogue import use_lang
from allocator.errors import ScenarioError
from allocator.report.workbook import write_plan_workbook
from allocator.scenario.loading import scenario_from_dict
from allocator.scenario.synthetic import generate_scenario
from allocator.scenario.workbook_write import write_workbook

HEADER = "过渡对象"


def site() -> dict[str, Any]:
    """S has 100 m2 and must have 300 by the end of 2024; its new building (200 m2, 100 万元)
    is ready in 2025 at the soonest, so only the lease bridging it (200 m2, 2 万元 a year)
    meets 2024: the plan takes both, the lease for one year (102 万元)."""
    routes = [
        option("s-build", "allocate_build", 200, min_area_m2=200, cost_per_m2=0.5),
        option("s-lease", "lease", 200, min_area_m2=200, annual_cost_per_m2=0.01,
               bridges="s-build"),
    ]  # fmt: skip
    fields = {"existing_area_m2": 100, "target_area_m2": 300, "must_meet": True, "due_year": 2024}
    return scenario_dict([community("S", routes, **fields)], years=[2024, 2025], horizon_years=2)


def _workbook(tmp_path: Path, data: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "bridge.xlsx"
    write_workbook(path, scenario_from_dict(data or site()))
    return path


def _rows(sheet: Any) -> list[dict[str, Any]]:
    heads = [c.value for c in sheet[1]]
    return [
        dict(zip(heads, row, strict=False)) for row in sheet.iter_rows(min_row=2, values_only=True)
    ]


def _cell(book: Any, sheet: str, header: str, row: int) -> str:
    """The cell under `header` in `row` (1-based, as Excel counts)."""
    heads = [c.value for c in book[sheet][1]]
    return f"{openpyxl.utils.get_column_letter(heads.index(header) + 1)}{row}"


def _set(path: Path, sheet: str, header: str, value: Any, row: int) -> str:
    """Write `value` under `header` in `row`; the cell as a problem names it."""
    book = openpyxl.load_workbook(path)
    cell = _cell(book, sheet, header, row)
    book[sheet][cell] = value
    book.save(path)
    return f"{sheet}!{cell} ({header})"


def _bridge_cell(path: Path) -> str:
    """The lease's 过渡对象 cell as a problem names it."""
    return f"路径!{_cell(openpyxl.load_workbook(path), '路径', HEADER, 3)} ({HEADER})"


def _problems(path: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value.report()


def test_a_bridge_is_written_read_back_and_solves_alike(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    routes = _rows(openpyxl.load_workbook(path)["路径"])
    assert [(r["路径编号"], r[HEADER]) for r in routes] == [
        ("s-build", None),
        ("s-lease", "s-build"),
    ]
    scenario = scenario_from_dict(site())
    back = load_scenario(path)
    assert back.model_dump() == scenario.model_dump()
    a, b = solve(scenario), solve(back)
    assert a.total_cost == pytest.approx(102) and b.total_cost == pytest.approx(102)
    lease = b.community_results[0].options[1]
    assert (lease.bridges, lease.in_service_years) == ("s-build", (2024,))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_counties_with_bridges_come_back_equal(tmp_path: Path, seed: int) -> None:
    """Every community of a generated county that has a lease and a new building or added
    storey gets the lease bridging it; the workbook gives back the same scenario."""
    raw = generate_scenario(12, seed=seed, years=3)
    bridged = 0
    for entry in raw["communities"]:
        routes = {o["kind"]: o for o in entry["options"]}
        building = routes.get("allocate_build") or routes.get("heighten")
        lease = routes.get("lease")
        if building is None or lease is None or building.get("ready_after") == 0:
            continue
        lease["bridges"] = building["id"]
        for key in ("ready_after", "replaces_existing", "excludes"):
            lease.pop(key, None)
        building.pop("excludes", None)
        bridged += 1
    assert bridged >= 2
    scenario = scenario_from_dict(raw)
    path = tmp_path / "county.xlsx"
    write_workbook(path, scenario)
    assert load_scenario(path).model_dump() == scenario.model_dump()


def test_the_template_shows_the_column_with_an_example(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_workbook(path)
    book = openpyxl.load_workbook(path)
    examples = _rows(book["路径"])
    assert {"路径编号": "xinxing-bridge", HEADER: "xinxing-build"}.items() <= next(
        r for r in examples if r[HEADER]
    ).items()
    explained = {r[1]: r[4] for r in book["说明"].iter_rows(values_only=True) if r[0] == "路径"}
    assert "新建或加层" in explained[HEADER] and "路径编号" in explained[HEADER]
    assert any(
        "过渡对象" in str(r[0]) for r in book["说明"].iter_rows(max_row=20, values_only=True)
    )


@pytest.mark.parametrize(
    ("header", "value", "said_zh", "said_en"),
    [
        (
            HEADER,
            "nowhere",
            "'nowhere' 不是社区 'S' 的新建或加层路径",
            "'nowhere' is not a new building",
        ),
        (HEADER, "s-lease", "不是社区 'S' 的新建或加层路径", "is not a new building"),
        (
            "类型",
            "资源整合",
            "只有租赁可以过渡",
            "this route is shared space (integrate)",
        ),
        ("建成所需年数", 1, "过渡租赁自启动当年起使用", "leave ready_after out"),
        ("替换现有", "是", "不能替换现有用房", "cannot replace"),
    ],
)
def test_a_mistaken_bridge_is_named_at_its_cell(
    tmp_path: Path, header: str, value: Any, said_zh: str, said_en: str
) -> None:
    path = _workbook(tmp_path)
    where = _set(path, "路径", header, value, row=3)
    where = where if header != "类型" else _bridge_cell(path)  # said at the bridge
    frame = {"zh": f"bridge.xlsx，{where}：社区 'S'，路径 's-lease'：",
             "en": f"bridge.xlsx, {where}: community 'S', option 's-lease': "}  # fmt: skip
    for lang, said in (("zh", said_zh), ("en", said_en)):
        with use_lang(lang):
            report = _problems(path)
        assert frame[lang] in report and said in report, report
        assert report.count("  - ") == 1, report


def test_a_bridge_without_years_is_named_at_its_cell(tmp_path: Path) -> None:
    """Years removed in 设置: the lease's 过渡对象 says to give them (the community's due
    year says so too, at its own cell)."""
    path = _workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    settings = book["设置"]
    row = next(r[0].row for r in settings.iter_rows() if r[0].value == "规划年度")
    settings.cell(row, 2).value = None
    book.save(path)
    with use_lang("en"):
        report = _problems(path)
    assert _bridge_cell(path) in report and "give years" in report, report


def test_unreadable_years_are_not_said_again_at_the_bridge(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    settings = book["设置"]
    row = next(r[0].row for r in settings.iter_rows() if r[0].value == "规划年度")
    settings.cell(row, 2).value = "二〇二四"
    book.save(path)
    report = _problems(path)
    assert report.count("  - ") == 1 and "设置!B" in report, report


def test_plan_workbook_marks_the_bridge_and_its_years(tmp_path: Path) -> None:
    scenario = scenario_from_dict(site())
    plan = solve(scenario)
    write_plan_workbook(plan, tmp_path / "plan.xlsx", scenario)
    routes = _rows(openpyxl.load_workbook(tmp_path / "plan.xlsx")["路径明细"])
    column = "租赁过渡（所过渡路径、使用年份）"
    marks = {r["路径编号"]: r[column] for r in routes if r["路径编号"]}
    assert marks == {"s-build": None, "s-lease": "s-build 建成前：2024 年"}


def test_a_plan_without_bridges_has_no_bridge_column(tmp_path: Path) -> None:
    data = site()
    data["communities"][0]["options"][1].pop("bridges")
    data["communities"][0].update(due_year=2025)
    scenario = scenario_from_dict(data)
    write_plan_workbook(solve(scenario), tmp_path / "plan.xlsx", scenario)
    heads = [c.value for c in openpyxl.load_workbook(tmp_path / "plan.xlsx")["路径明细"][1]]
    assert not any("租赁过渡" in str(h) for h in heads)


def test_plan_workbook_says_why_the_years_spend_less_than_the_total(tmp_path: Path) -> None:
    """A lease of 2 万元 a year from 2024 in years 2024-2025, rent counted over horizon_years 3:
    the total cost is 6 万元, the years pay 2 + 2; 年度计划 says so under its table."""
    routes = [option("s-lease", "lease", 200, min_area_m2=200, annual_cost_per_m2=0.01)]
    fields = {"existing_area_m2": 100, "target_area_m2": 300, "due_year": 2024}
    data = scenario_dict([community("S", routes, **fields)], years=[2024, 2025], horizon_years=3)
    scenario = scenario_from_dict(data)
    plan = solve(scenario)
    assert plan.total_cost == pytest.approx(6) and [y.cost for y in plan.by_year] == [2, 2]
    write_plan_workbook(plan, tmp_path / "plan.xlsx", scenario)
    sheet = openpyxl.load_workbook(tmp_path / "plan.xlsx")["年度计划"]
    assert sheet["A5"].value.startswith("注：各年度支出合计 4.00 万元，总费用 6.00 万元")
    assert "规划年限（3 年）" in sheet["A5"].value and "2024—2025 年内" in sheet["A5"].value
    site_plan = solve(scenario_from_dict(site()))  # the years pay all of it: no note
    write_plan_workbook(site_plan, tmp_path / "site.xlsx", scenario_from_dict(site()))
    site_sheet = openpyxl.load_workbook(tmp_path / "site.xlsx")["年度计划"]
    assert not any(str(c.value).startswith("注") for c in site_sheet["A"])
