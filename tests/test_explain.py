"""Why this route: explain(scenario, community) by hand on small scenarios and on the county."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import community, option, result, scenario_dict, solve_checked
from oracle import check_plan
from typer.testing import CliRunner

from allocator.analysis.explanation import explain
from allocator.cli import app
from allocator.scenario.edits import with_locks
from allocator.scenario.loading import load_scenario, scenario_from_dict


def rules(explanation: Any) -> set[tuple[str, str | None]]:
    return {(b.rule, b.option or b.source) for b in explanation.binding}


def explain_raw(raw: dict[str, Any], community_id: str) -> Any:
    plan = solve_checked(raw)
    return explain(scenario_from_dict(copy.deepcopy(raw)), community_id, plan=plan, lang="en")


def test_runner_up_and_its_price_gap() -> None:
    """500 m2 to find, 1,000 万元 of county money. A lease (at most 500 m2) at 0.02 万元/m2
    for a year costs 10; a build that comes whole (500 m2 at 0.05) costs 25. The plan leases.
    Forcing the build (the lease then adds nothing) costs 25: 15 万元 more, the same shortfall:
    the build is the runner-up, 15 万元 dearer. The lease is at its largest. One more m2 of
    target: the LP with the routes fixed prices it at the lease's 0.02 万元/m2, a price that
    holds for 0 m2 more (the lease is exactly full); re-solved, the whole build comes in with
    1 m2 of lease: no shortfall, 25.02 - 10 = 15.02 万元. They differ because the routes
    change; the re-solve is trusted."""
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option("a-lease", annual_cost_per_m2=0.02),
                    option(
                        "a-build",
                        "allocate_build",
                        min_area_m2=500,
                        max_area_m2=500,
                        cost_per_m2=0.05,
                    ),
                ],
            )
        ]
    )
    explanation = explain_raw(raw, "a")
    assert explanation.runner_up == "a-build"
    [forced] = explanation.forced
    assert forced.feasible and forced.cost_difference == pytest.approx(15)
    assert forced.shortfall_difference == pytest.approx(0)
    assert forced.community_routes == ("a-build 500.0 m2",)
    assert "The runner-up is a-build (new build)" in explanation.paragraph
    assert "+15.00 万元" in explanation.paragraph
    assert ("max_area", "a-lease") in rules(explanation)
    marginal = explanation.marginal
    assert marginal is not None and marginal.finite_difference is not None
    assert marginal.lp.cost_wan == pytest.approx(0.02)
    assert marginal.lp.holds_for == 0
    assert marginal.finite_difference.shortfall_m2 == 0
    assert marginal.finite_difference.cost_wan == pytest.approx(15.02)
    assert marginal.trust == "finite_difference"
    assert explanation.paragraph.startswith("a 社区 (a, 城南街道) has 0 m2 and a target of 500 m2.")


def test_must_meet_binds_where_the_money_would_go_elsewhere() -> None:
    """Site 'a' and community 'b' (priority 2) each need a 500 m2 lease at 0.02 万元/m2 (10
    万元); the county has 10. must_meet gives it to a and b falls 500 short: weighted 1,000.
    Without must_meet the money goes to b (weighted 500 short at a, priority 1): so must_meet
    binds at a, which would fall 500 m2 short, and it costs 500 weighted m2 elsewhere."""
    raw = scenario_dict(
        [
            community("a", [option("a-lease", annual_cost_per_m2=0.02)], must_meet=True),
            community("b", [option("b-lease", annual_cost_per_m2=0.02)], priority=2),
        ],
        funding=[{"id": "county", "name": "县财政", "budget": 10}],
    )
    explanation = explain_raw(raw, "a")
    [must] = [b for b in explanation.binding if b.rule == "must_meet"]
    assert must.value == pytest.approx(500)
    assert "would fall 500 m2 short" in must.text and "by 500 m2" in must.text
    assert ("budget", "county") in rules(explanation)
    assert "without that rule it would fall 500.0 m2 short" in explanation.paragraph


def test_locked_and_excluded_routes() -> None:
    """Lease locked chosen, and it excludes the build: forcing the build cannot be done, and
    the explanation says why instead of re-solving."""
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option(
                        "a-lease",
                        max_area_m2=300,
                        annual_cost_per_m2=0.02,
                        locked="chosen",
                        excludes=["a-build"],
                    ),
                    option("a-build", "allocate_build", cost_per_m2=0.05),
                ],
            )
        ]
    )
    explanation = explain_raw(raw, "a")
    [forced] = explanation.forced
    assert not forced.feasible and "excludes a-lease, which is locked chosen" in forced.note
    assert explanation.runner_up is None
    assert {("locked", "a-lease"), ("excludes", "a-build")} <= rules(explanation)


def test_dongmen_in_the_county(county_raw: dict) -> None:
    """东门 (dongmen) in the 2024 county, worked from scenarios/2024_premises.yaml and its plan:
    100 m2 rented, target 500. Its routes: a lease of up to 250 m2 (0.018 万元/m2 a year, 3
    years: 0.054/m2) that excludes a new build of 400-650 m2 at 0.22 万元/m2 (88 万元 at least),
    which would replace the rented rooms. The plan leases all 250 m2: 350 m2, 150 short.
    The build is held back by money: the sources that may pay it in 东门's units are 东门's
    startup money (10, all spent on the lease), the region grant (120, all spent on 4 projects,
    its limit), 城东's self-raised money (5, all spent: 3.5 on the lease, 1.5 on 东湖) and the
    county (450, of which 436.44 is spent: money tied to a place is spent before the county's,
    so 13.56 is left, far from the 88 the build needs, and the county does not bind). The
    lease is at its largest and excludes the build. One more m2 of target is one more m2
    short, weighted 1.5 (its priority). Forcing the build re-solves to a plan that is no
    better (W grows)."""
    scenario = load_scenario("scenarios/2024_premises.yaml")
    explanation = explain(scenario, "dongmen", lang="en")
    found = rules(explanation)
    assert {
        ("budget", "startup"),
        ("budget", "self_raised"),
        ("budget", "region_grant"),
        ("excludes", "dongmen_build"),
        ("max_area", "dongmen_lease"),
        ("max_options_funded", "region_grant"),
    } <= found
    assert ("budget", "county") not in found
    assert explanation.community_result["shortfall_m2"] == pytest.approx(150)
    assert explanation.marginal is not None
    assert explanation.marginal.lp.shortfall_m2 == pytest.approx(1.5)
    assert explanation.runner_up == "dongmen_build"
    [forced] = explanation.forced
    assert forced.feasible and forced.shortfall_difference > 0
    assert any(route.startswith("dongmen_build") for route in forced.community_routes)
    raw = copy.deepcopy(county_raw)
    forced_plan = solve_checked_locked(raw, scenario, {"dongmen_build": "chosen"})
    assert forced_plan.total_cost == pytest.approx(forced.total_cost, abs=1e-4)
    assert "dongmen_lease (lease) excludes dongmen_build (new build)" in explanation.paragraph


def solve_checked_locked(raw: dict[str, Any], scenario: Any, locks: dict[str, str]) -> Any:
    """The county with the forced route locked, solved and checked against the raw file with
    the same lock (and the 1 m2 least area explain gives a forced route)."""
    from allocator import solve

    for place in raw["communities"]:
        for entry in place.get("options", []):
            if entry["id"] in locks:
                entry["locked"] = locks[entry["id"]]
    plan = solve(with_locks(scenario, locks))
    assert check_plan(raw, plan.to_dict()) == []
    assert result(plan, "dongmen").options[0].id == "dongmen_build"
    return plan


def test_cli_explain_json_and_table() -> None:
    runner = CliRunner()
    data = runner.invoke(
        app, ["explain", "--lang", "en", "scenarios/2024_premises.yaml", "nanqiao", "-f", "json"]
    )
    assert data.exit_code == 0
    explained = json.loads(data.output)
    assert explained["community"] == "nanqiao" and explained["paragraph"].startswith("南桥社区")
    assert {"forced", "binding", "marginal", "runner_up"} <= explained.keys()
    table = runner.invoke(
        app, ["explain", "--lang", "en", "scenarios/2024_premises.yaml", "nanqiao"]
    )
    assert table.exit_code == 0 and "Rules that bind here" in table.output
    unknown = runner.invoke(
        app, ["explain", "--lang", "en", "scenarios/2024_premises.yaml", "nowhere"]
    )
    assert unknown.exit_code == 2 and "no community 'nowhere'" in unknown.output


def test_cli_explain_without_a_plan(demo_file: Path) -> None:
    """A site that cannot reach its target: explain exits 3 and prints the diagnosis."""
    out = CliRunner().invoke(app, ["explain", "--lang", "en", str(demo_file), "demo"])
    assert out.exit_code == 3 and "lacks 200.0 m2" in out.output
    data = CliRunner().invoke(
        app, ["explain", "--lang", "en", str(demo_file), "demo", "-f", "json"]
    )
    assert data.exit_code == 3
    assert json.loads(data.output)["diagnosis"]["short_m2"][0]["missing_m2"] == 200


def test_cli_explain_every_community(tmp_path: Any) -> None:
    """Without a community, every community is explained from one plan: a JSON list."""
    path = tmp_path / "two.yaml"
    path.write_text(
        "name: two\ngroups: [{id: g, name: 城南街道, kind: street}]\n"
        "communities:\n"
        "  - {id: a, name: 新兴社区, group: g, existing_area_m2: 0,"
        " options: [{id: a-l, kind: lease, max_area_m2: 500, annual_cost_per_m2: 0.02}]}\n"
        "  - {id: b, name: 南桥社区, group: g, existing_area_m2: 0,"
        " options: [{id: b-l, kind: lease, max_area_m2: 500, annual_cost_per_m2: 0.02}]}\n"
        "funding: [{id: county, name: 县财政, budget: 15}]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["explain", str(path), "-f", "json"])
    assert result.exit_code == 0
    explained = json.loads(result.output)
    assert [e["community"] for e in explained] == ["a", "b"]
    assert all(e["paragraph"] for e in explained)


def test_plan_json_carries_the_audit(tmp_path: Any) -> None:
    """`solve --variant budget_cut --out DIR`: plan.json says how to reproduce the plan."""
    import allocator

    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "solve",
            "scenarios/2024_premises.yaml",
            "--variant",
            "budget_cut",
            "--time-limit",
            "60",
            "--out",
            str(out),
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0
    written = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    audit = written["audit"]
    assert audit["scenario_sha256"] == written["input_sha256"]
    assert audit["scenario_file"] == "scenarios/2024_premises.yaml"
    assert audit["variant"] == "budget_cut"
    assert audit["changes"] == [{"funding[county].budget": {"scale": 0.8}}]
    assert audit["solver"] == "highs" and audit["solver_version"].startswith("HiGHS")
    assert audit["requested_gap"] == 1e-6 and audit["time_limit_s"] == 60
    assert audit["allocator_version"] == allocator.__version__
