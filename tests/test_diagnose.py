"""Infeasible scenarios: the conflict, the cheapest repairs, and what money cannot fix.

One hand-built scenario of each kind the planners meet (a demonstration site that cannot reach
its standard, a locked decision the budgets cannot pay, exclusions that leave nothing), with
the conflicting rules and repair amounts worked out in each docstring; then properties on
random tiny scenarios: applying all repairs gives a plan (checked by tests/oracle.py), and
the conflict is irreducible.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import COUNTY_FILE, community, demo_site, option, scenario_dict, solve_checked
from hypothesis import HealthCheck, given, settings
from strategies import tiny_scenarios
from typer.testing import CliRunner

from allocator.analysis.diagnosis import RelaxableModel, diagnose
from allocator.cli import app
from allocator.findings import Diagnosis, Repair
from allocator.plan import Status
from allocator.scenario.loading import load_scenario, scenario_from_dict


def rules(diagnosis: Diagnosis) -> set[tuple[str, str | None]]:
    """The conflict as (rule, what it is about) pairs."""
    return {
        (c.rule, c.option or c.community or f"{c.source}/{c.unit}") for c in diagnosis.conflicts
    }


def apply_repairs(raw: dict[str, Any], repairs: Sequence[Repair]) -> dict[str, Any]:
    """Add each repair to its budget in the raw scenario, written by hand: a county source's
    `budget`, otherwise the unit's entry in `budgets` (which wins over the other forms)."""
    fixed = copy.deepcopy(raw)
    sources = {s["id"]: s for s in fixed["funding"]}
    for repair in repairs:
        source = sources[repair.source]
        if source.get("scope", "county") == "county":
            source["budget"] = source.get("budget", 0) + repair.extra_budget
        else:
            budgets = source.setdefault("budgets", {})
            budgets[repair.unit] = repair.budget + repair.extra_budget
    return fixed


# --- the three kinds, by hand ---------------------------------------------------------------
def test_demonstration_site_that_cannot_reach_its_target() -> None:
    """Site 'demo' has 100 m2 and one lease of at most 200 m2: 300 m2 at most, 200 short of its
    500 whatever the money (the county has 1,000 万元). The conflict is must_meet with the
    lease's largest area; no budget repair exists; short_m2 says 200 m2 and what to relax."""
    raw = demo_site()
    plan = solve_checked(raw)
    assert plan.status == Status.INFEASIBLE
    diagnosis = plan.diagnosis
    assert rules(diagnosis) == {("must_meet", "demo"), ("max_area", "d-lease")}
    assert diagnosis.repairs == () and diagnosis.money_can_repair is False
    [short] = diagnosis.short_m2
    assert (short.community, short.missing_m2) == ("demo", pytest.approx(200))
    assert any("must_meet" in advice for advice in short.relax)
    assert "lacks 200.0 m2" in diagnosis.summary
    assert diagnosis.conflict_minimal is True


def locked_build(
    area_m2: float, cost_per_m2: float, funding: list[dict[str, Any]]
) -> dict[str, Any]:
    """Community 'a' with one new build locked chosen, `area_m2` all or nothing."""
    option_ = option(
        "a-build",
        "allocate_build",
        min_area_m2=area_m2,
        max_area_m2=area_m2,
        cost_per_m2=cost_per_m2,
        locked="chosen",
    )
    return scenario_dict([community("a", [option_])], funding=funding)


def test_locked_decision_the_budgets_cannot_pay() -> None:
    """Community 'a' has a new build locked chosen, 400 m2 all or nothing at 0.25 万元/m2:
    100 万元. The county has 60 and a's startup money 10: 70, short by 30. The conflict is the
    lock, the build's least area (without it the build could be chosen at 0 m2), and both
    budgets. Cheapest repair: 30 万元 in all; county and startup cost the same, and ties go to
    the county's single pot. Startup alone would also need 30 (it may pay the whole build)."""
    raw = locked_build(
        400,
        0.25,
        funding=[
            {"id": "county", "name": "县财政", "budget": 60},
            {"id": "startup", "name": "启动经费", "scope": "community", "budget": 10},
        ],
    )
    plan = solve_checked(raw)
    assert plan.status == Status.INFEASIBLE
    diagnosis = plan.diagnosis
    assert rules(diagnosis) == {
        ("locked", "a-build"),
        ("min_area", "a-build"),
        ("budget", "county/county"),
        ("budget", "startup/a"),
    }
    assert diagnosis.money_can_repair is True
    assert [(r.source, r.unit, r.extra_budget) for r in diagnosis.repairs] == [
        ("county", "county", 30.0)
    ]
    alone = {r.source: r.total_extra for r in diagnosis.repairs_by_source}
    assert alone == {"county": 30.0, "startup": 30.0}
    repaired = solve_checked(apply_repairs(raw, diagnosis.repairs))
    assert repaired.status == Status.OPTIMAL and repaired.total_cost == pytest.approx(100)


def test_excludes_that_leave_nothing() -> None:
    """Site 'b' (0 m2) has a lease and a new build of 300 m2 each; together they would make
    600, but the lease excludes the build, so 300 at most: 200 m2 short of 500. The conflict:
    must_meet, the exclusion and both largest areas. Relaxing the exclusion reaches 600."""
    raw = scenario_dict(
        [
            community(
                "b",
                [
                    option("b-lease", max_area_m2=300, excludes=["b-build"]),
                    option("b-build", "allocate_build", max_area_m2=300, cost_per_m2=0.2),
                ],
                must_meet=True,
            )
        ]
    )
    diagnosis = solve_checked(raw).diagnosis
    assert rules(diagnosis) == {
        ("must_meet", "b"),
        ("excludes", "b-lease"),
        ("max_area", "b-lease"),
        ("max_area", "b-build"),
    }
    [short] = diagnosis.short_m2
    assert short.missing_m2 == pytest.approx(200)
    assert any(a.startswith("excludes") and "600.0" in a for a in short.relax)


def test_repairs_in_two_units() -> None:
    """Two sites, each with one lease of 500 m2 at 0.02 万元/m2 a year for 1 year (10 万元
    each); only startup money pays, 5 in 'a' and 7 in 'b' (`budgets`). The least extra money is
    5 in a and 3 in b: 8 in all, one repair per unit, and with both applied there is a plan."""
    raw = scenario_dict(
        [
            community("a", [option("a-lease", annual_cost_per_m2=0.02)], must_meet=True),
            community("b", [option("b-lease", annual_cost_per_m2=0.02)], must_meet=True),
        ],
        funding=[
            {
                "id": "startup",
                "name": "启动经费",
                "scope": "community",
                "budget": 5,
                "budgets": {"b": 7},
            }
        ],
    )
    diagnosis = solve_checked(raw).diagnosis
    assert sorted((r.unit, r.extra_budget) for r in diagnosis.repairs) == [
        ("a", 5.0),
        ("b", 3.0),
    ]
    assert diagnosis.repairs_total_wan == 8.0
    assert solve_checked(apply_repairs(raw, diagnosis.repairs)).status == Status.OPTIMAL


def test_funding_rules_money_cannot_repair() -> None:
    """A locked build of 100 m2 at 0.1 万元/m2 (10 万元) that only a grant paying at most 80%
    may fund: 2 万元 of matching money is missing from a source that may pay, so no budget
    rise helps. The conflict is the lock, the least area and the grant's max_share."""
    raw = locked_build(
        100,
        0.1,
        funding=[{"id": "grant", "name": "项目", "budget": 100, "max_share": 0.8}],
    )
    diagnosis = solve_checked(raw).diagnosis
    assert rules(diagnosis) == {
        ("locked", "a-build"),
        ("min_area", "a-build"),
        ("max_share", "grant/None"),
    }
    assert diagnosis.money_can_repair is False and diagnosis.repairs == ()
    assert "No amount of extra budget" in diagnosis.summary


def test_a_scenario_with_a_plan_has_no_conflict() -> None:
    raw = scenario_dict([community("a", [option("a-lease", annual_cost_per_m2=0.02)])])
    diagnosis = diagnose(scenario_from_dict(raw))
    assert diagnosis.conflicts == () and diagnosis.repairs == ()
    assert "No conflict" in diagnosis.summary


# --- the county, and the command line -------------------------------------------------------
def county_cut_file(tmp_path: Path, budget: float) -> Path:
    path = tmp_path / "cut.yaml"
    path.write_text(
        f"extends: {COUNTY_FILE}\nname: county money cut\nchanges:\n"
        f"  - funding[county].budget: {budget}\n",
        encoding="utf-8",
    )
    return path


def test_county_with_its_money_cut_names_the_sites_and_the_repair(
    tmp_path: Path, county_raw: dict
) -> None:
    """The 2024 county with 50 万元 of county money instead of 450: the demonstration sites
    cannot all be paid. Exit 3; the JSON names the conflict (must_meet sites and budgets, each
    with its line in 2024_premises.yaml) and a repair; raising the county budget by the repair
    gives a plan that passes the checker."""
    result = CliRunner().invoke(
        app, ["solve", "--lang", "en", str(county_cut_file(tmp_path, 50)), "-f", "json"]
    )
    assert result.exit_code == 3
    data = json.loads(result.output)
    diagnosis = data["diagnosis"]
    assert data["status"] == "infeasible" and diagnosis["money_can_repair"] is True
    kinds = {c["rule"] for c in diagnosis["conflicts"]}
    assert {"must_meet", "budget"} <= kinds
    text = COUNTY_FILE.read_text(encoding="utf-8").splitlines()
    for conflict in diagnosis["conflicts"]:
        if conflict["rule"] == "must_meet":
            assert text[conflict["line"] - 1].split("#")[0].strip() == "must_meet: true"
    county = next(r for r in diagnosis["repairs"] if r["source"] == "county")
    raw = copy.deepcopy(county_raw)
    raw.pop("variants", None)
    raw["funding"][0]["budget"] = 50
    repaired = solve_checked(apply_repairs(raw, [Repair(**r) for r in diagnosis["repairs"]]))
    assert repaired.status == Status.OPTIMAL
    assert county["extra_budget"] > 0
    table = CliRunner().invoke(app, ["solve", "--lang", "en", str(county_cut_file(tmp_path, 50))])
    assert table.exit_code == 3
    assert "Cheapest repair" in table.output and "Rules that cannot all hold" in table.output


def test_yaml_lines_of_the_conflict(tmp_path: Path) -> None:
    """Each conflicting rule points at its own line of the file."""
    path = tmp_path / "demo.yaml"
    path.write_text(
        "name: demo\n"  # 1
        "groups: [{id: g, name: 城南街道, kind: street}]\n"  # 2
        "communities:\n"  # 3
        "  - id: demo\n"  # 4
        "    name: 新兴社区\n"  # 5
        "    group: g\n"  # 6
        "    existing_area_m2: 100\n"  # 7
        "    must_meet: true\n"  # 8
        "    options:\n"  # 9
        "      - id: l\n"  # 10
        "        kind: lease\n"  # 11
        "        max_area_m2: 200\n"  # 12
        "funding: [{id: county, name: 县财政, budget: 100}]\n",  # 13
        encoding="utf-8",
    )
    diagnosis = diagnose(load_scenario(path))
    lines = {c.rule: c.line for c in diagnosis.conflicts}
    assert lines == {"must_meet": 8, "max_area": 12}
    assert all(str(path) in c.where for c in diagnosis.conflicts)


# --- properties -----------------------------------------------------------------------------
PROPERTY = settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(raw=tiny_scenarios(must_meet_odds=2, areas=(500,)))
def test_applying_all_repairs_gives_a_plan(raw: dict[str, Any]) -> None:
    """Every route may reach 500 m2 here, so most infeasible draws lack money. Whenever money
    can repair one, all repairs applied together (by hand, to the raw file) give a plan that
    passes the checker; when money cannot and no site is short of area, even a thousand times
    the money gives none."""
    plan = solve_checked(raw)
    if plan.status != Status.INFEASIBLE:
        return
    diagnosis = plan.diagnosis
    if diagnosis.money_can_repair:
        assert solve_checked(apply_repairs(raw, diagnosis.repairs)).status.has_plan
    elif not diagnosis.short_m2:
        rich = copy.deepcopy(raw)
        for source in rich["funding"]:
            source["budget"] = source["budget"] * 1000 + 10_000
        assert solve_checked(rich).status == Status.INFEASIBLE


@PROPERTY
@given(raw=tiny_scenarios(must_meet_odds=2))
def test_the_conflict_is_irreducible(raw: dict[str, Any]) -> None:
    """The rules named cannot hold together, and dropping any one of them lets the rest hold
    (each run a MIP over the scenario's model with only those rules in force)."""
    plan = solve_checked(raw)
    if plan.status != Status.INFEASIBLE:
        return
    diagnosis = plan.diagnosis
    relaxable = RelaxableModel(scenario_from_dict(copy.deepcopy(raw)))
    named = {(c.rule, c.community, c.option, c.source, c.unit) for c in diagnosis.conflicts}
    conflict = [
        r for r in relaxable.rules if (r.kind, r.community, r.option, r.source, r.unit) in named
    ]
    assert conflict and len(conflict) == len(diagnosis.conflicts)
    relaxable.lp.set_objective({})
    assert relaxable.feasible(conflict, None) is False
    for rule in conflict:
        assert relaxable.feasible([r for r in conflict if r is not rule], None) is True


def test_infeasible_variant_from_python(county_raw: dict) -> None:
    """The same cut through the Python API (`with_changes`): solve says infeasible, the
    diagnosis points at lines of 2024_premises.yaml, and the repairs, applied by hand to the raw
    file, give a plan that passes the checker."""
    county = load_scenario(COUNTY_FILE)
    cut = county.with_changes({"funding[county].budget": 50})
    from allocator import solve

    plan = solve(cut)
    assert plan.status == Status.INFEASIBLE
    diagnosis = plan.diagnosis
    assert diagnosis.money_can_repair is True and diagnosis.repairs
    assert all(
        str(COUNTY_FILE) in c.where or "2024_premises.yaml" in c.where for c in diagnosis.conflicts
    )
    raw = copy.deepcopy(county_raw)
    raw.pop("variants", None)
    raw["funding"][0]["budget"] = 50
    assert solve_checked(apply_repairs(raw, diagnosis.repairs)).status == Status.OPTIMAL
