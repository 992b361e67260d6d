"""What the planner gets: the JSON contract, the files of --out, the printed tables."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from conftest import COUNTY_FILE
from oracle import check_plan
from typer.testing import CliRunner

from allocator.cli import app

CONTRACT_TOP = {
    "scenario",
    "status",
    "total_cost",
    "total_shortfall_m2",
    "weighted_shortfall",
    "communities_meeting_target",
    "communities",
    "funding",
    "solver",
    "input_sha256",
}
CONTRACT_COMMUNITY = {
    "id",
    "name",
    "group",
    "existing_area_m2",
    "target_area_m2",
    "final_area_m2",
    "shortfall_m2",
    "meets_target",
    "cost",
    "options",
}
CONTRACT_OPTION = {
    "id",
    "kind",
    "area_m2",
    "counted_area_m2",
    "capital_cost",
    "running_cost",
    "cost",
    "funding",
}


def solve_json(*args: str) -> dict:
    result = CliRunner().invoke(app, ["solve", str(COUNTY_FILE), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_follows_the_contract(county_raw: dict) -> None:
    plan = solve_json()
    assert CONTRACT_TOP <= set(plan)
    assert plan["status"] == "optimal"
    for community in plan["communities"]:
        assert CONTRACT_COMMUNITY <= set(community)
        for option in community["options"]:
            assert CONTRACT_OPTION <= set(option)
    for row in plan["funding"]:
        assert {"source", "unit", "budget", "used", "left"} <= set(row)
    assert {"name", "version", "gap", "runtime_s"} <= set(plan["solver"])
    assert len(plan["input_sha256"]) == 64
    assert check_plan(county_raw, plan) == []


def test_same_input_same_output() -> None:
    first, second = solve_json(), solve_json()
    for plan in (first, second):
        plan["solver"].pop("runtime_s")
        for stage in plan["solver"].get("stages", []):
            stage.pop("runtime_s", None)
    assert first == second


def test_out_writes_the_files_excel_can_read(tmp_path: Path) -> None:
    out = tmp_path / "plan2024"
    result = CliRunner().invoke(app, ["solve", str(COUNTY_FILE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "communities.csv",
        "funding.csv",
        "options.csv",
        "plan.json",
        "plan.xlsx",
        "report.docx",
    ]
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    raw = (out / "communities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == len(plan["communities"]) == 27
    assert rows[0]["社区"] == plan["communities"][0]["name"]
    options = list(csv.DictReader(io.StringIO((out / "options.csv").read_text("utf-8-sig"))))
    chosen = sum(len(c["options"]) for c in plan["communities"])
    assert len(options) == chosen


def test_table_lines_up_chinese_names() -> None:
    """Wide characters take two columns: every row of a table has the same display width."""
    from rich.cells import cell_len

    result = CliRunner().invoke(app, ["solve", str(COUNTY_FILE)])
    assert result.exit_code == 0
    first_table = result.output.split("资金使用")[0]
    rows = [line for line in first_table.splitlines() if line.startswith(("│", "┃", "┏", "└"))]
    assert len(rows) > 27 and "新兴社区" in first_table
    assert len({cell_len(line) for line in rows}) == 1


def test_csv_format_is_the_option_table() -> None:
    result = CliRunner().invoke(app, ["solve", str(COUNTY_FILE), "--format", "csv"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and {"路径编号", "途径", "面积 m²"} <= set(rows[0])
    assert {row["途径"] for row in rows} >= {"无偿划拨新建", "租赁"}  # route kinds in words
    english = CliRunner().invoke(app, ["solve", str(COUNTY_FILE), "-f", "csv", "--lang", "en"])
    assert {"Option", "Route", "Area m2"} <= set(next(csv.DictReader(io.StringIO(english.output))))


def test_summary_and_money_tables_are_printed() -> None:
    result = CliRunner().invoke(app, ["solve", str(COUNTY_FILE)])
    for heading in ("各社区方案", "资金使用", "小结", "最优", "21 / 27"):
        assert heading in result.output


def test_infeasible_exits_3_and_names_the_site(demo_file: Path) -> None:
    """A demonstration site with 100 m2 and one 200 m2 lease lacks 200 m2 of its 500."""
    result = CliRunner().invoke(app, ["solve", str(demo_file)])
    assert result.exit_code == 3
    assert "新兴社区（demo）无论多少钱都缺 200.0 m²" in result.output
    result = CliRunner().invoke(app, ["solve", str(demo_file), "--format", "json"])
    plan = json.loads(result.output)
    assert result.exit_code == 3 and plan["status"] == "infeasible"
    assert plan["diagnosis"]["short_m2"][0]["missing_m2"] == 200
