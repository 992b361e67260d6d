"""The plan on a screen of 80 or 120 columns: no line wider than the screen, no number or name
broken or cut, and every column with --wide."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT
from rich.cells import cell_len
from typer.testing import CliRunner

from allocator.cli import app

COUNTY = str(ROOT / "scenarios" / "2024_premises.yaml")


@pytest.fixture(scope="module")
def county_plan() -> dict:
    result = CliRunner().invoke(app, ["solve", COUNTY, "--format", "json"])
    return json.loads(result.output)


def _screen(width: int, *flags: str) -> str:
    result = CliRunner().invoke(app, ["solve", COUNTY, *flags], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("width", [80, 120])
def test_the_plan_fits_the_screen_whole(width: int, county_plan: dict) -> None:
    shown = _screen(width)
    lines = shown.splitlines()
    assert max(cell_len(line.rstrip()) for line in lines) <= width
    assert "…" not in shown  # nothing cut short
    plan_lines = lines[: next(i for i, line in enumerate(lines) if "资金使用" in line)]
    rows = {}
    for community in county_plan["communities"]:
        mark = "★" if community["must_meet"] else ""
        found = [line for line in plan_lines if f" {mark}{community['name']} " in line]
        assert len(found) == 1, community["name"]  # the name whole, on one line
        rows[community["id"]] = found[0]
    for community in county_plan["communities"]:
        row = rows[community["id"]]
        assert f"{community['cost']:,.2f}" in row  # the cost whole, on the community's line
        assert f"{community['final_area_m2']:,.0f}/{community['target_area_m2']:,.0f}" in row
    assert "★ 示范点" in shown and "共享空间按计入比例" in shown
    if width >= 110:  # budgets by unit, the unit in words
        assert "全县" in shown and "南桥社区    10.00" in shown


def test_who_pays_is_said_where_it_is_not_shown() -> None:
    assert "资金来源见 plan.xlsx" in _screen(80)


def test_wide_shows_every_column(county_plan: dict) -> None:
    shown = _screen(80, "--wide")
    assert "资金来源（万元）" in shown and "示范点" in shown
    assert all(c["id"] in shown for c in county_plan["communities"])
