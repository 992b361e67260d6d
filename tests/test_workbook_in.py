"""The planners' workbook in: template, convert both ways, every command reading .xlsx, exact
round trips in 元 and 元/m2/月, and problems named by file, sheet, cell and column header."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from staff_years_draws import with_staff_and_years
from strategies import BROAD, SETS, routes, scenarios
from typer.testing import CliRunner

from allocator import load_scenario, solve
from allocator.catalogue import use_lang
from allocator.cli import app
from allocator.errors import ScenarioError
from allocator.scenario.loading import scenario_from_dict
from allocator.scenario.workbook_columns import YUAN_PER_MONTH, from_sheet, to_sheet
from allocator.scenario.workbook_write import write_workbook

ROOT = Path(__file__).resolve().parent.parent
COUNTY = ROOT / "scenarios" / "2024_premises.yaml"

SMALL = {
    "name": "small",
    "groups": [{"id": "g", "name": "城南街道", "kind": "street"}],
    "communities": [
        {
            "id": "a",
            "name": "新兴社区",
            "group": "g",
            "existing_area_m2": 100,
            "options": [
                {"id": "a-lease", "kind": "lease", "max_area_m2": 400, "annual_cost_per_m2": 0.035}
            ],
        }
    ],
    "funding": [{"id": "county", "name": "县财政", "budget": 100}],
    "variants": [{"name": "cut", "changes": [{"funding[county].budget": {"scale": 0.8}}]}],
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the input problems in English, as `--lang en` and `use_lang("en")`
    give them (their Chinese forms: tests/test_problem_words.py)."""
    with use_lang("en"):
        yield


def _dump(scenario: Any) -> dict[str, Any]:
    """model_dump with pays_for as the set it means (the workbook has a column per kind)."""
    dump = scenario.model_dump()
    for source in dump["funding"]:
        source["pays_for"] = tuple(sorted(source["pays_for"]))
    return dump


def _valid(data: dict[str, Any]) -> Any:
    """The scenario of a random dict; a draw the checks refuse is not a case here."""
    try:
        return scenario_from_dict(data)
    except ScenarioError:
        assume(False)


def _small_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "small.xlsx"
    write_workbook(path, scenario_from_dict(SMALL))
    return path


def _problems(path: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value.report()


def _edit(path: Path, sheet: str, cell: str, value: Any) -> Path:
    book = openpyxl.load_workbook(path)
    book[sheet][cell] = value
    book.save(path)
    return path


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=with_staff_and_years(scenarios(BROAD)))
def test_round_trip_random(tmp_path: Path, data: dict[str, Any]) -> None:
    scenario = _valid(data)
    path = tmp_path / "random.xlsx"
    write_workbook(path, scenario)
    assert _dump(load_scenario(path)) == _dump(scenario)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=with_staff_and_years(scenarios(SETS, max_options_total=None)))
def test_round_trip_random_sets(tmp_path: Path, data: dict[str, Any]) -> None:
    scenario = _valid(data)
    path = tmp_path / "random.xlsx"
    write_workbook(path, scenario)
    back = load_scenario(path)
    assert _dump(back) == _dump(scenario)
    write_workbook(path, back)  # and once more: the workbook's own scenario comes back equal
    assert load_scenario(path).model_dump() == back.model_dump()


def test_every_field_of_the_format_has_a_place_in_the_workbook() -> None:
    """A field the workbook has no column or item for would be lost by `convert` without a
    word (as a route's capital_profile was): each field of the format is in the table of
    sheets, or read from a sheet of its own (预算, 年度预算, 假设)."""
    from allocator.scenario import schema, staffing
    from allocator.scenario.workbook_columns import COMMUNITIES, FUNDING, GROUPS, OPTIONS
    from allocator.scenario.workbook_items import ITEM_SHEETS

    def keys(sheet: Any) -> set[str]:
        return {column.key.split(".")[0] for column in sheet.columns}

    by_sheet = {"budget", "budget_by_kind", "budgets", "budget_by_year", "pays_for"}
    assert set(schema.Group.model_fields) <= keys(GROUPS)
    assert set(schema.Community.model_fields) - {"options"} <= keys(COMMUNITIES)
    assert set(schema.Option.model_fields) <= keys(OPTIONS) | {"community"}
    assert set(schema.FundingSource.model_fields) - by_sheet <= keys(FUNDING)
    items = {item.loc for sheet in ITEM_SHEETS for item in sheet.items}
    blocks = {"add_post": staffing.AddPosts, "dispatch": staffing.Dispatch,
              "recruit": staffing.Recruit, "pay_rise": staffing.PayRise}  # fmt: skip
    for route, block in blocks.items():
        assert {("staffing", route, f) for f in block.model_fields} <= items, route
    assert set(staffing.Staffing.model_fields) == {"posts_target", *blocks}
    assert ("staffing", "posts_target") in items
    assert {("defaults", f) for f in schema.Defaults.model_fields} <= items
    read_on_load = {"extends", "changes"}  # resolved when the file is read
    own_sheets = {"groups", "communities", "funding", "variants", "defaults", "staffing"}
    top = {loc[0] for loc in items} | own_sheets | read_on_load
    assert set(schema.Scenario.model_fields) <= top


def test_rent_comes_back_as_the_shortest_decimal() -> None:
    cell = to_sheet(0.035, YUAN_PER_MONTH)
    assert abs(cell - 29.1666666666) < 1e-6
    assert from_sheet(cell, YUAN_PER_MONTH) == 0.035
    assert from_sheet(float(f"{cell:.15g}"), YUAN_PER_MONTH) == 0.035  # a 15-digit writer
    assert from_sheet(15.0, YUAN_PER_MONTH) == 0.018
    # XlsxWriter saves 16 digits: 0.0161 is 13.416666666666668, saved as 13.41666666666667
    assert from_sheet(float(f"{to_sheet(0.0161, YUAN_PER_MONTH):.16g}"), YUAN_PER_MONTH) == 0.0161
    assert from_sheet(13.4, YUAN_PER_MONTH) == 0.01608  # typed by hand: met exactly


def test_county_converts_and_solves_to_the_same_plan(tmp_path: Path) -> None:
    path = tmp_path / "county.xlsx"
    result = CliRunner().invoke(app, ["convert", "--lang", "en", str(COUNTY), str(path)])
    assert result.exit_code == 0, result.output
    yaml_county, book_county = load_scenario(COUNTY), load_scenario(path)
    assert book_county.model_dump() == yaml_county.model_dump()
    a, b = solve(yaml_county), solve(book_county)
    assert (a.status, routes(a)) == (b.status, routes(b))
    assert a.total_cost == pytest.approx(b.total_cost, abs=1e-6)
    assert a.total_shortfall_m2 == pytest.approx(b.total_shortfall_m2, abs=1e-6)
    # and back to YAML: the same scenario, its variants too
    back = tmp_path / "county.yaml"
    result = CliRunner().invoke(app, ["convert", "--lang", "en", str(path), str(back)])
    assert result.exit_code == 0, result.output
    assert load_scenario(back).model_dump() == yaml_county.model_dump()
    assert load_scenario(back).variant("budget_cut").model_dump() == (
        yaml_county.variant("budget_cut").model_dump()
    )


def test_workbook_units_are_yuan(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(_small_workbook(tmp_path))
    options, budgets = sheet["路径"], sheet["预算"]
    headers = [c.value for c in options[1]]
    rent = options.cell(2, headers.index("年租金（元/m²/月）") + 1).value
    assert rent == pytest.approx(0.035 * 10000 / 12)
    assert [c.value for c in budgets[2]] == ["county", "县", 1_000_000]


# --------------------------------------------------------------------------------------------
# The template
# --------------------------------------------------------------------------------------------
def test_template_has_drop_downs_frozen_headers_and_an_explanation(tmp_path: Path) -> None:
    path = tmp_path / "county.xlsx"
    result = CliRunner().invoke(app, ["template", "--lang", "en", str(path)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:11] == [
        "说明", "情景", "设置", "街镇", "社区", "路径", "资金", "预算", "年度预算", "人员配备",
        "假设",
    ]  # fmt: skip
    assert book["_lists"].sheet_state == "hidden"
    assert "路径类型表" in book.defined_names
    sources = {v.formula1 for v in book["路径"].data_validations.dataValidation}
    assert "路径类型表" in sources and "社区表" in sources
    assert book["社区"].freeze_panes == "B2"
    assert book["社区"]["A1"].font.name == "宋体"
    readme = [c.value for row in book["说明"].iter_rows() for c in row if c.value]
    assert "格式版本：allocator-workbook 2" in readme
    assert "年租金（元/m²/月）" in readme
    # the example rows are skipped: all that is missing is a name and a community
    report = _problems(path)
    assert "情景!B2 (情景名称): is required" in report
    assert "社区!A2 (编号): is empty" in report
    assert report.count("  - ") == 2
    again = CliRunner().invoke(app, ["template", "--lang", "en", str(path)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_filled_template_solves(tmp_path: Path) -> None:
    path = tmp_path / "county.xlsx"
    write_workbook(path)
    book = openpyxl.load_workbook(path)
    book["情景"]["B2"] = "试点县"
    book["街镇"].append(["cn", "城南街道", "街道"])
    book["社区"].append(["xx", "新兴社区", "城南街道", 4200, 120, None, "是", 1, None])
    book["路径"].append(["新兴社区", "xx-b", "无偿划拨新建", 400, 400, 1, "否", 0, 2200])
    book["资金"].append(["county", "县财政", "县"])
    book["预算"].append(["county", "县", 1_000_000])
    book.save(path)
    result = CliRunner().invoke(app, ["solve", "--lang", "en", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"xx-b"' in result.output and '"total_cost": 88.0' in result.output


# --------------------------------------------------------------------------------------------
# Problems: file, sheet, cell, header; exit 2; nothing written
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sheet", "cell", "value", "expected"),
    [
        ("社区", "E2", "1,200", ["社区!E2 (现有面积（m²）)", "write 1200"]),
        ("社区", "E2", "１２００", ["社区!E2 (现有面积（m²）)", "full-width"]),
        ("社区", "E2", -5, ["社区!E2 (现有面积（m²）)", "greater than or equal to 0"]),
        ("路径", "C2", "盖楼", ["路径!C2 (类型)", "'盖楼' is not one of 无偿划拨新建"]),
        ("社区", "C2", "nowhere", ["社区!C2 (所属街镇)", "unknown group 'nowhere'"]),
        ("路径", "A2", "zz", ["路径!A2 (社区)", "unknown community 'zz'"]),
        ("社区", "G2", "也许", ["社区!G2 (示范点)", "'也许' is not 是 or 否"]),
        ("预算", "C2", "100万", ["预算!C2 (金额（元）)", "write the number alone"]),
        ("假设", "D2", "{scale: ", ["假设!D2 (值（万元）)", "cannot be read as a value"]),
        ("社区", "J1", "人口", ["社区!J1 (人口)", "unknown column '人口'"]),
        ("社区", "B1", None, ["社区!1:1", "missing column '名称'"]),
    ],
)
def test_bad_cells_are_named(
    tmp_path: Path, sheet: str, cell: str, value: Any, expected: list[str]
) -> None:
    path = _edit(_small_workbook(tmp_path), sheet, cell, value)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["solve", "--lang", "en", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    for words in expected:
        assert words in result.output, result.output
    assert f"{path}, " in result.output


def test_duplicate_ids_and_unknown_sheets(tmp_path: Path) -> None:
    path = _small_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["社区"].append(["a", "新兴社区二", "g", 0, 500])
    book.save(path)
    report = _problems(path)
    assert "社区!A2 (编号): community 'a': duplicate community id 'a'" in report
    assert "社区!A3 (编号)" in report
    book.create_sheet("人员")
    book.save(path)
    assert "unknown sheet '人员'" in _problems(path)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0rest", "save it as .xlsx"),
        ("wps.et", b"anything", "a WPS workbook (.et)"),
        ("text.xlsx", b"name: x\n", "is not an .xlsx workbook"),
        ("locked.xlsx", b"\xd0\xcf\x11\xe0rest", "protected by a password"),
        ("broken.xlsx", b"PK\x03\x04broken", "cannot be read as a workbook"),
    ],
)
def test_files_that_are_not_workbooks(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["validate", "--lang", "en", str(path)])
    assert result.exit_code == 2 and expected in result.output, result.output
    assert "Traceback" not in result.output


def test_convert_refuses_to_overwrite_and_names_the_direction(tmp_path: Path) -> None:
    target = tmp_path / "county.xlsx"
    target.write_bytes(b"a planner's own workbook")
    result = CliRunner().invoke(app, ["convert", "--lang", "en", str(COUNTY), str(target)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert target.read_bytes() == b"a planner's own workbook"
    result = CliRunner().invoke(
        app, ["convert", "--lang", "en", str(COUNTY), str(tmp_path / "x.json")]
    )
    assert result.exit_code == 2 and ".xlsx" in result.output
    result = CliRunner().invoke(
        app, ["convert", "--lang", "en", str(_small_workbook(tmp_path)), str(tmp_path / "s.json")]
    )
    assert result.exit_code == 0, result.output
    assert load_scenario(tmp_path / "s.json").model_dump() == scenario_from_dict(SMALL).model_dump()


def test_english_keys_answers_and_numbers_as_text(tmp_path: Path) -> None:
    path = _small_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["社区"]
    keys = ("id", "name", "group", "households", "existing_area_m2")
    for cell, key in zip(sheet[1][: len(keys)], keys, strict=True):
        cell.value = key
    sheet["D2"] = "4200"  # a number typed as text
    sheet["G2"] = True  # TRUE for 是
    book["路径"]["G2"] = "yes"
    book["路径"]["C2"] = "lease"
    book["资金"]["C2"] = "county"
    book.save(path)
    scenario = load_scenario(path)
    community = scenario.communities[0]
    assert (community.households, community.must_meet) == (4200, True)
    assert community.options[0].replaces_existing is True
    assert community.options[0].annual_cost_per_m2 == 0.035


def test_wrong_stored_dimensions_are_read_whole(tmp_path: Path) -> None:
    """WPS saves sheets whose stored dimensions say A1; the cells are read all the same."""
    import re
    import zipfile

    path = _small_workbook(tmp_path)
    damaged = tmp_path / "wps.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', data)
            target.writestr(item, data)
    assert load_scenario(damaged).model_dump() == load_scenario(path).model_dump()


def test_a_plan_that_cannot_be_names_the_cells_of_its_conflict(tmp_path: Path) -> None:
    """A workbook without a plan: each rule of the conflict is named by its cell, on screen and
    in the JSON, as an input problem would be."""
    data = {**SMALL, "variants": []}
    data["communities"] = [{**SMALL["communities"][0], "must_meet": True}]
    data["funding"] = [{"id": "county", "name": "县财政", "budget": 1}]
    book = tmp_path / "县.xlsx"
    write_workbook(book, scenario_from_dict(data))
    plan = solve(load_scenario(book))
    assert not plan.status.has_plan
    places = {c.rule: c.place for c in plan.diagnosis.conflicts}
    assert places["must_meet"].startswith("社区!") and "示范点" in places["must_meet"]
    assert places["budget"].startswith("预算!")
    assert all(f"县.xlsx, {c.place}" in c.where for c in plan.diagnosis.conflicts)
    shown = CliRunner().invoke(app, ["solve", "--lang", "en", str(book)])
    assert shown.exit_code == 3 and places["must_meet"] in shown.output


def test_implausible_cells_are_named_in_the_units_of_the_workbook(tmp_path: Path) -> None:
    """A workbook's warnings name the cell and give the value as the cell holds it (元), and
    suggest no figure in 万元: the planner wrote the column's unit."""
    from allocator import warnings_of

    data = {**SMALL, "variants": []}
    data["funding"] = [{"id": "county", "name": "县财政", "budget": 0.045}]  # 450 元
    book = tmp_path / "县.xlsx"
    write_workbook(book, scenario_from_dict(data))
    [doubt] = warnings_of(load_scenario(book))
    assert doubt.place.startswith("预算!") and doubt.value == pytest.approx(450)
    said = doubt.describe()
    assert "县.xlsx, 预算!" in said and "450 元" in said and "不到 1,000 元" in said
    assert "请改为" not in said and "万元" not in said.split("（")[0]
