"""Comparisons, sweeps and plots: hand-worked answers, the properties (a scenario compared with
itself shows no difference; more county money never raises the weighted shortfall), and the
real command line with its formats, files and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import COUNTY_FILE, community, option, scenario_dict
from hypothesis import HealthCheck, given, settings
from oracle import check_plan
from test_variants import checked, oracle_view, small_scenarios
from typer.testing import CliRunner

from allocator import compare, plot_comparison, plot_funding, plot_plan, plot_sweep, solve, sweep
from allocator.catalogue import use_lang
from allocator.cli import app
from allocator.errors import ScenarioError
from allocator.scenario.loading import load_scenario, scenario_from_dict
from allocator.scenario.schema import Scenario
from allocator.whatif.sweeping import Parameter, number_range, parse_vary

LEASE = "communities[a].options[a_lease].annual_cost_per_m2"


def lease_only(budget: float = 10) -> Scenario:
    """Community a: 300 m2 of its own, target 500; a lease of up to 300 m2 at 0.02 万元/m2 for
    the one year; the county pot `budget`. Shortfall = max(0, 200 - budget / 0.02)."""
    lease = option("a_lease", "lease", 300, annual_cost_per_m2=0.02)
    raw = scenario_dict(
        [community("a", [lease], existing_area_m2=300)],
        [{"id": "county", "name": "县财政", "budget": budget}],
        variants=[{"name": "cut", "changes": [{"funding[county].budget": 3}]}],
    )
    return scenario_from_dict(raw)


# --------------------------------------------------------------------------------------------
# compare
# --------------------------------------------------------------------------------------------
def test_compare_hand_worked() -> None:
    """Base: 200 m2 leased for 4 万元, met. Cut to 3 万元: 150 m2, 50 short, cost 3."""
    base = lease_only()
    result = compare([base, base.variant("cut")])
    for scenario, plan in zip(result.scenarios, result.plans, strict=True):
        assert check_plan(oracle_view(scenario), plan.to_dict()) == []
    summary = result.summary.set_index("scenario")
    assert list(summary.index) == ["test", "cut"]
    assert summary.loc["cut", "total_shortfall_m2"] == pytest.approx(50)
    assert summary.loc["test", "used_county_wan"] == pytest.approx(4)
    assert summary.loc["cut", "used_county_wan"] == pytest.approx(3)
    rows = {r["aspect"]: (r["test"], r["cut"]) for r in result.communities.to_dict("records")}
    assert rows == {
        "routes": ("租赁 200.0 m2", "租赁 150.0 m2"),
        "final_m2": (500.0, 450.0),
        "shortfall_m2": (0.0, 50.0),
        "meets_target": (True, False),
        "cost_wan": (4.0, 3.0),
        "paid_by": ("县财政 4.00", "县财政 3.00"),
    }
    assert result.inputs.to_dict("records") == [
        {"entry": "funding source 'county'", "field": "budget", "test": "10", "cut": "3"}
    ]
    assert not result.identical


def test_compare_labels_plans_and_no_plan() -> None:
    """Mapping keys label; a scenario without a plan shows 'no plan' and empty figures."""
    base = lease_only()
    impossible = base.with_changes({"communities[a].must_meet": True, "funding[county].budget": 1})
    result = compare({"now": base, "forced": impossible})
    assert result.labels == ("now", "forced")
    assert result.plan("forced").status.value == "infeasible"
    row = result.summary.set_index("scenario").loc["forced"]
    assert row["status"] == "infeasible" and pd.isna(row["total_cost_wan"])
    assert set(result.communities["forced"]) == {"no plan"}
    again = compare([base, base], plans=list(result.plans[:1]) * 2)
    assert again.labels == ("test", "test (2)") and again.identical
    with pytest.raises(ValueError, match="1 plans for 2 scenarios"):
        compare([base, base], plans=list(result.plans[:1]))
    assert json.dumps(result.to_dict())  # plain JSON, NaN as null
    assert "无解" in result._repr_html_()


@settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(raw=small_scenarios())
def test_compare_with_itself_shows_no_differences(raw: dict[str, Any]) -> None:
    scenario = scenario_from_dict(raw)
    result = compare([scenario, scenario.with_changes({})])
    assert result.identical
    assert result.summary.drop(columns="scenario").nunique(dropna=False).max() == 1


def test_compare_the_county_with_itself() -> None:
    base = load_scenario(COUNTY_FILE)
    assert compare([base, load_scenario(COUNTY_FILE)]).identical


def payers_moved() -> Scenario:
    """Three communities, each leasing what it lacks at 0.02 万元/m2 for the one year: a lacks
    200 m2 (4 万元), b lacks 100 m2 (2 万元), c lacks 200 m2 (4 万元). The base has only county
    money (20 万元; the grant's budget is 0). Variant `moved`: the county's money goes to the
    grant, and c's rent goes up by half (6 万元). So a and b keep their routes, areas and cost and
    are paid by the grant instead: they differ only in who pays; c differs in cost too."""
    raw = scenario_dict(
        [
            community(cid, [option(f"{cid}_lease", "lease", 300, annual_cost_per_m2=0.02)], **f)
            for cid, f in (
                ("a", {"existing_area_m2": 300}),
                ("b", {"existing_area_m2": 400}),
                ("c", {"existing_area_m2": 300}),
            )
        ],
        [
            {"id": "county", "name": "县财政", "budget": 20},
            {"id": "grant", "name": "项目资金", "budget": 0},
        ],
        variants=[
            {
                "name": "moved",
                "changes": [
                    {"funding[county].budget": 0},
                    {"funding[grant].budget": 20},
                    {"communities[c].options[c_lease].annual_cost_per_m2": 0.03},
                ],
            }
        ],
    )
    return scenario_from_dict(raw)


def test_compare_hides_communities_that_differ_only_in_who_pays() -> None:
    base = payers_moved()
    plans = [solve(base), solve(base.variant("moved"))]
    hidden = compare([base, base.variant("moved")], plans=plans)
    rows = {
        (r["community_id"], r["aspect"]): (r["test"], r["moved"])
        for r in hidden.communities.to_dict("records")
    }
    assert rows == {
        ("c", "cost_wan"): (4.0, 6.0),
        ("c", "paid_by"): ("县财政 4.00", "项目资金 6.00"),
    }
    assert hidden.payers_only == ("a", "b") and hidden.payers_hidden == 2
    assert not hidden.identical
    note = hidden.payers_note()
    assert "另有 2 个社区只有资金来源不同" in note and "payers=True" in note
    assert "2 communities differing only in who pays not listed" in repr(hidden)
    assert "另有 2 个社区" in hidden._repr_html_()
    assert hidden.to_dict()["payers_only"] == ["a", "b"]
    assert hidden.to_dict()["payers_shown"] is False

    shown_all = compare([base, base.variant("moved")], plans=plans, payers=True)
    rows = {
        (r["community_id"], r["aspect"]): (r["test"], r["moved"])
        for r in shown_all.communities.to_dict("records")
    }
    assert rows == {
        ("a", "paid_by"): ("县财政 4.00", "项目资金 4.00"),
        ("b", "paid_by"): ("县财政 2.00", "项目资金 2.00"),
        ("c", "cost_wan"): (4.0, 6.0),
        ("c", "paid_by"): ("县财政 4.00", "项目资金 6.00"),
    }
    assert shown_all.payers_only == ("a", "b") and shown_all.payers_hidden == 0
    assert shown_all.payers_note() == "" and "另有" not in shown_all._repr_html_()


def test_compare_with_nothing_but_payers_moved() -> None:
    """Only who pays differs anywhere: the table is empty, and the comparison is not identical."""
    base = payers_moved()
    moved = base.with_changes({"funding[county].budget": 0, "funding[grant].budget": 20})
    result = compare({"now": base, "moved": moved})
    assert result.communities.empty and list(result.communities.columns) == [
        "community_id",
        "community",
        "aspect",
        "now",
        "moved",
    ]
    assert result.payers_only == ("a", "b", "c") and not result.identical


# --------------------------------------------------------------------------------------------
# sweep
# --------------------------------------------------------------------------------------------
def test_sweep_hand_worked() -> None:
    """Budget 0..5: leased 50 m2 per 万元: shortfall 200, 150, 100, 50, 0, 0; cost 0..4, 4."""
    frame = sweep(lease_only(), {"funding[county].budget": range(6)})
    assert list(frame["funding[county].budget"]) == [0, 1, 2, 3, 4, 5]
    assert list(frame["total_shortfall_m2"]) == pytest.approx([200, 150, 100, 50, 0, 0])
    assert list(frame["communities_meeting_target"]) == [0, 0, 0, 0, 1, 1]
    assert list(frame["total_cost_wan"]) == pytest.approx([0, 1, 2, 3, 4, 4])
    assert list(frame["used_county_wan"]) == pytest.approx([0, 1, 2, 3, 4, 4])
    assert set(frame["status"]) == {"optimal"} and frame.attrs["parameters"] == [
        "funding[county].budget"
    ]
    point = lease_only().with_changes({"funding[county].budget": 2})
    assert checked(point).total_shortfall_m2 == pytest.approx(100)


def test_sweep_two_parameters_in_grid_order() -> None:
    """Budget 2 or 4 against rent x1 or x2: 50 m2 per 万元 at x1, 25 at x2:
    (2, 1) 100 short; (2, 2) 150; (4, 1) 0; (4, 2) 100."""
    frame = sweep(
        lease_only(), [("funding[county].budget", [2, 4]), (LEASE, [{"scale": 1}, {"scale": 2}])]
    )
    assert list(frame.columns[:2]) == ["funding[county].budget", f"{LEASE} (scale)"]
    assert [tuple(r) for r in frame.iloc[:, :2].itertuples(index=False)] == [
        (2, 1),
        (2, 2),
        (4, 1),
        (4, 2),
    ]
    assert list(frame["total_shortfall_m2"]) == pytest.approx([100, 150, 0, 100])


def test_sweep_points_without_a_plan_are_rows() -> None:
    forced = lease_only().with_changes({"communities[a].must_meet": True})
    frame = sweep(forced, {"funding[county].budget": [2, 4]})
    assert list(frame["status"]) == ["infeasible", "optimal"]
    assert pd.isna(frame.loc[0, "total_cost_wan"]) and frame.loc[1, "total_cost_wan"] == 4


def test_sweep_in_parallel_gives_the_same_rows() -> None:
    serial = sweep(lease_only(), {"funding[county].budget": [1, 2, 3, 5]})
    parallel = sweep(lease_only(), {"funding[county].budget": [1, 2, 3, 5]}, jobs=2)
    columns = [c for c in serial.columns if c != "runtime_s"]
    pd.testing.assert_frame_equal(serial[columns], parallel[columns])


def test_more_county_money_never_raises_the_weighted_shortfall() -> None:
    frame = sweep(load_scenario(COUNTY_FILE), {"funding[county].budget": [300, 450, 600]})
    shortfalls = list(frame["weighted_shortfall"])
    assert shortfalls == sorted(shortfalls, reverse=True)
    assert (
        frame.loc[1, "communities_meeting_target"]
        == solve(load_scenario(COUNTY_FILE)).communities_meeting_target
    )


def test_sweep_errors_name_the_point() -> None:
    with use_lang("en"), pytest.raises(ScenarioError) as caught:
        sweep(lease_only(), {"funding[county].budget": [5, -1]})
    text = caught.value.report()
    assert "sweep point funding[county].budget = -1: change 'funding[county].budget: -1'" in text
    with pytest.raises(ScenarioError) as caught:
        sweep(lease_only(), {"funding[county].budget": [5, -1]})
    assert "改动 'funding[county].budget: -1'：导致：资金来源 'county'" in caught.value.report()
    with pytest.raises(ScenarioError, match="matches nothing"):
        sweep(lease_only(), {"funding[nope].budget": [1]})
    with pytest.raises(ValueError, match="one kind of change"):
        sweep(lease_only(), {"funding[county].budget": [1, {"scale": 2}]})
    with pytest.raises(ValueError, match="at least one value"):
        sweep(lease_only(), {"funding[county].budget": []})


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "funding[county].budget=300:500:100",
            Parameter("funding[county].budget", (300, 400, 500)),
        ),
        ("x = 1, 2.5 ,4", Parameter("x", (1, 2.5, 4))),
        (
            "communities[*].options[kind=lease].annual_cost_per_m2*=1:1.4:0.2",
            Parameter(
                "communities[*].options[kind=lease].annual_cost_per_m2", (1, 1.2, 1.4), "scale"
            ),
        ),
        ("horizon_years+=0:2:1", Parameter("horizon_years", (0, 1, 2), "add")),
        ("a[*]=1", Parameter("a[*]", (1,))),
    ],
)
def test_parse_vary(spec: str, expected: Parameter) -> None:
    assert parse_vary(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("budget", "write PATH=START:STOP:STEP"),
        ("budget=", "write PATH=START:STOP:STEP"),
        ("budget=1:2", "not enough values"),
        ("budget=5:1:1", "START <= STOP"),
        ("budget=1:2:0", "STEP above 0"),
        ("budget=a,b", "'a' is not a number"),
        ("budget=nan", "not a finite number"),
        ("budget=0:1e9:1", "at most 10000"),
    ],
)
def test_parse_vary_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_vary(spec)


def test_number_range_includes_stop_without_drift() -> None:
    assert number_range(0.8, 1.4, 0.1) == (0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4)


# --------------------------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------------------------
def is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plots(tmp_path: Path) -> None:
    from allocator.report.plots import save

    base = lease_only()
    plan = solve(base)
    impossible = solve(
        base.with_changes({"communities[a].must_meet": True, "funding[county].budget": 1})
    )
    one = sweep(base, {"funding[county].budget": [0, 2, 4]})
    two = sweep(base, [("funding[county].budget", [2, 4]), (LEASE, [{"scale": 1}, {"scale": 2}])])
    figures = {
        "plan": plot_plan(plan),
        "none": plot_plan(impossible),
        "money": plot_funding(plan),
        "frontier": plot_sweep(one),
        "heat": plot_sweep(two),
        "compare": plot_comparison(compare([base, base.variant("cut")])),
    }
    for name, figure in figures.items():
        save(figure, tmp_path / f"{name}.png")
        assert is_png(tmp_path / f"{name}.png"), name
    bars = figures["plan"].axes[0].patches
    assert [b.get_height() for b in bars] == pytest.approx([300, 200])  # existing, then lease
    assert figures["heat"].axes[0].images[0].get_array().tolist() == [[0, 1], [0, 0]]


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------
def invoke(*args: str) -> Any:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def county_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    raw = lease_only().source
    raw["variants"].append({"name": "rich", "changes": [{"funding[county].budget": 50}]})
    import yaml

    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_compare_command_one_file(tmp_path: Path) -> None:
    path = county_file(tmp_path)
    result = invoke("compare", path)
    assert result.exit_code == 0, result.output
    for part in (
        "方案对比",
        "base",
        "cut",
        "rich",
        "租赁 150.0 m2",
        "输入变化",
        "资金来源 'county'",
    ):
        assert part in result.output, part
    data = json.loads(
        invoke("compare", "--lang", "en", path, "--variants", "cut", "--format", "json").stdout
    )
    assert [s["scenario"] for s in data["scenarios"]] == ["base", "cut"]
    assert data["inputs"] == [
        {"entry": "funding source 'county'", "field": "budget", "base": "10", "cut": "3"}
    ]
    assert {r["aspect"] for r in data["communities"]} >= {"routes", "shortfall_m2"}
    csv = invoke("compare", path, "--variants", "base,cut", "--format", "csv").stdout
    assert csv.splitlines()[0].startswith("方案,状态") and len(csv.splitlines()) == 3


def test_compare_command_files_and_out(tmp_path: Path) -> None:
    path = county_file(tmp_path)
    other = tmp_path / "other.yaml"
    other.write_text(
        f"extends: {path.name}\nchanges:\n  - funding[county].budget: 1\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    result = invoke("compare", path, other, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "communities.csv",
        "compare.json",
        "inputs.csv",
        "scenarios.csv",
    ]
    assert (out / "scenarios.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert [s["scenario"] for s in data["scenarios"]] == ["small", "other"]


def test_compare_command_payers(tmp_path: Path) -> None:
    """Communities that differ only in who pays are counted under the table, listed with
    --payers; JSON and the files of --out follow the same choice."""
    import yaml

    path = tmp_path / "payers.yaml"
    path.write_text(yaml.safe_dump(payers_moved().source, allow_unicode=True), encoding="utf-8")
    result = invoke("compare", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "另有 2 个社区只有资金来源不同" in result.output
    assert "加 --payers 可列出" in result.output
    assert "a 社区" not in result.output and "c 社区" in result.output
    communities = (tmp_path / "out" / "communities.csv").read_text(encoding="utf-8-sig")
    assert "c 社区" in communities and "a 社区" not in communities
    saved = json.loads((tmp_path / "out" / "compare.json").read_text(encoding="utf-8"))
    assert saved["payers_only"] == ["a", "b"] and saved["payers_shown"] is False

    listed = invoke("compare", "--lang", "en", path, "--payers")
    assert listed.exit_code == 0, listed.output
    assert "a 社区" in listed.output and "b 社区" in listed.output
    assert "另有" not in listed.output and "--payers" not in listed.output
    data = json.loads(
        invoke("compare", "--lang", "en", path, "--payers", "--format", "json").stdout
    )
    assert {r["community_id"] for r in data["communities"]} == {"a", "b", "c"}
    assert data["payers_shown"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{path}", "{path}", "--variants", "cut"], "--variants takes the variants of one file"),
        (["{path}", "--variants", "nosuch"], "no variant 'nosuch' (variants: cut, rich)"),
        (["{path}", "--variants", " , "], "give variant names separated by commas"),
        (["{missing}"], "no such file"),
    ],
)
def test_compare_command_errors(tmp_path: Path, args: list[str], message: str) -> None:
    path = county_file(tmp_path)
    filled = [a.format(path=path, missing=tmp_path / "missing.yaml") for a in args]
    result = invoke("compare", "--lang", "en", *filled)
    assert result.exit_code == 2 and message in result.output, result.output


def test_sweep_command(tmp_path: Path) -> None:
    path = county_file(tmp_path)
    out, plot = tmp_path / "out", tmp_path / "pictures" / "frontier.png"
    result = invoke(
        "sweep",
        path,
        "--vary",
        "funding[county].budget=0:4:2",
        "--out",
        out,
        "--plot",
        plot,
        "--jobs",
        "1",
    )
    assert result.exit_code == 0, result.output
    assert "参数扫描" in result.output and "funding[county].budget" in result.output
    assert is_png(plot)
    rows = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert [r["total_shortfall_m2"] for r in rows] == pytest.approx([200, 100, 0])
    assert (out / "sweep.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    data = json.loads(
        invoke(
            "sweep",
            path,
            "--vary",
            "funding[county].budget=1,3",
            "--variant",
            "rich",
            "--format",
            "json",
        ).stdout
    )
    assert [r["total_shortfall_m2"] for r in data] == pytest.approx([150, 50])
    csv = invoke(
        "sweep",
        path,
        "--vary",
        "funding[county].budget=1,3",
        "--vary",
        f"{LEASE}*=1,2",
        "--format",
        "csv",
        "--plot",
        tmp_path / "h.png",
    )
    assert csv.exit_code == 0 and len(csv.stdout.splitlines()) == 5 and is_png(tmp_path / "h.png")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "budget"], "--vary 'budget': write PATH=START:STOP:STEP"),
        (["--vary", "a=1", "--vary", "b=1", "--vary", "c=1"], "at most two parameters"),
        (
            ["--vary", "funding[nope].budget=1:2:1"],
            "sweep point funding[nope].budget = 1: change 'funding[nope].budget: 1': matches "
            "nothing",
        ),
        (["--vary", "funding[county].budget=-2:0:1"], "greater than or equal to 0"),
        (["--vary", "funding[county].budget=1", "--variant", "nosuch"], "no variant 'nosuch'"),
        (["--vary", "funding[county].budget=1", "--jobs", "0"], "Invalid value for '--jobs'"),
    ],
)
def test_sweep_command_errors(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    result = invoke("sweep", "--lang", "en", county_file(tmp_path), *args, "--out", out)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not out.exists()
