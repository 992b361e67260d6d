"""Near-optimal alternatives: each is a full plan that passes the independent checker, costs
within the margin at the optimum's shortfall, and differs from the optimum and from the others."""

from __future__ import annotations

import copy
import json
from itertools import combinations
from typing import Any

import pytest
from conftest import community, option, scenario_dict, solve_checked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import check_plan
from strategies import routes
from typer.testing import CliRunner

from allocator.analysis.alternatives import alternatives
from allocator.cli import app
from allocator.cli.explain import parse_share
from allocator.scenario.loading import scenario_from_dict


def twins() -> dict[str, Any]:
    """Three communities, each with 0 m2 of 500 and one route allowed (max_options 1): lease
    A at 0.02 万元/m2 (10 万元) or lease B at 0.0204 (10.2, 2% dearer). Money is plenty."""
    return scenario_dict(
        [
            community(
                c,
                [
                    option(f"{c}-A", annual_cost_per_m2=0.02),
                    option(f"{c}-B", annual_cost_per_m2=0.0204),
                ],
                max_options=1,
            )
            for c in ("a", "b", "c")
        ]
    )


def assert_valid(raw: dict[str, Any], found: Any, within: float) -> None:
    """Every plan passes the checker; same weighted shortfall; cost within the margin; the
    route sets of the optimum and of every alternative are pairwise different."""
    optimal = found.optimal
    sets = [routes(optimal)]
    for alt in found.alternatives:
        plan = alt.plan
        assert check_plan(raw, plan.to_dict()) == []
        assert plan.weighted_shortfall == pytest.approx(optimal.weighted_shortfall, abs=1e-4)
        assert plan.total_cost <= optimal.total_cost * (1 + within) + 1e-4
        assert alt.cost_difference == pytest.approx(plan.total_cost - optimal.total_cost)
        sets.append(routes(plan))
    for one, other in combinations(sets, 2):
        assert one != other


def test_within_five_percent_all_twins_switch_first() -> None:
    """Optimum: A everywhere, 30 万元. Within 5% (31.5) the plan that leaves out the most of
    the optimum's routes takes B everywhere: 30.6 (+2%), all 3 routes out and 3 in, so 6 route
    choices change. The next must leave out at least one route of each of the two plans so far;
    with 3 communities the best it can do is one of one and two of the other, and for the same
    distance the cheaper is preferred: one B and two A, 30.2 万元."""
    raw = twins()
    found = alternatives(scenario_from_dict(copy.deepcopy(raw)), within=0.05, count=3)
    assert_valid(raw, found, 0.05)
    assert found.optimal.total_cost == pytest.approx(30)
    first, second = found.alternatives[0], found.alternatives[1]
    assert routes(first.plan) == {"a-B", "b-B", "c-B"}
    assert first.plan.total_cost == pytest.approx(30.6) and first.routes_changed == 6
    assert first.cost_above_optimum == pytest.approx(0.02)
    assert {d.community for d in first.differences} == {"a", "b", "c"}
    assert second.plan.total_cost == pytest.approx(30.2)
    assert sum(r.endswith("-B") for r in routes(second.plan)) == 1
    assert len(found.alternatives) == 3


def test_a_tight_margin_leaves_only_so_many() -> None:
    """Within 1% (30.3) only one B fits: the alternatives are B in a, in b, in c: three, and
    no fourth. Asked for five, it gives three and says so."""
    raw = twins()
    found = alternatives(scenario_from_dict(copy.deepcopy(raw)), within=0.01, count=5)
    assert_valid(raw, found, 0.01)
    assert sorted(tuple(sorted(routes(a.plan))) for a in found.alternatives) == [
        ("a-A", "b-A", "c-B"),
        ("a-A", "b-B", "c-A"),
        ("a-B", "b-A", "c-A"),
    ]
    assert "Only 3 distinct alternatives" in found.summary


def test_no_margin_no_alternative() -> None:
    found = alternatives(scenario_from_dict(twins()), within=0.0, count=3)
    assert found.alternatives == ()
    assert "No other plan" in found.summary


def test_locked_routes_stay() -> None:
    """With a-A locked chosen, no alternative may drop it."""
    raw = twins()
    raw["communities"][0]["options"][0]["locked"] = "chosen"
    found = alternatives(scenario_from_dict(copy.deepcopy(raw)), within=0.05, count=3)
    assert_valid(raw, found, 0.05)
    assert all("a-A" in routes(a.plan) for a in found.alternatives)


def test_county_alternatives_from_the_command_line(county_raw: dict) -> None:
    """`allocator alternatives scenarios/2024_premises.yaml --within 5% --count 3 -f json`: the
    optimum and three alternatives, each a plan in the solve contract that passes the
    checker, at the same shortfall, within 5%, all different."""
    result = CliRunner().invoke(
        app,
        [
            "alternatives",
            "scenarios/2024_premises.yaml",
            "--within",
            "5%",
            "--count",
            "3",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0
    data = json.loads(result.output)
    optimal, others = data["optimal"], data["alternatives"]
    assert len(others) == 3
    sets = [routes(optimal)]
    for plan in others:
        assert check_plan(county_raw, plan) == []
        assert plan["weighted_shortfall"] == pytest.approx(optimal["weighted_shortfall"], abs=1e-4)
        assert plan["total_cost"] <= optimal["total_cost"] * 1.05 + 1e-4
        assert plan["differences"] and plan["routes_changed"] >= 1
        sets.append(routes(plan))
    assert all(one != other for one, other in combinations(sets, 2))
    table = CliRunner().invoke(
        app, ["alternatives", "--lang", "en", "scenarios/2024_premises.yaml", "--count", "1"]
    )
    assert table.exit_code == 0 and "Alternative 1" in table.output


@pytest.mark.parametrize(
    ("text", "share"), [("5%", 0.05), ("0.05", 0.05), ("5", 0.05), ("12.5%", 0.125), ("0", 0.0)]
)
def test_parse_share(text: str, share: float) -> None:
    assert parse_share(text) == pytest.approx(share)


def test_a_bad_margin_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        app, ["alternatives", "--lang", "en", "scenarios/2024_premises.yaml", "--within", "lots"]
    )
    assert result.exit_code == 2 and "not a share" in result.output


@st.composite
def near_twins(draw: st.DrawFn) -> dict[str, Any]:
    """1-3 communities, each with 2-3 routes of similar price (0.020-0.025 万元/m2) and
    enough money for all: plans that tie or nearly tie, the ground alternatives grow on. Some
    routes come whole, some are locked, some communities may combine two routes."""
    places = []
    for c in range(draw(st.integers(1, 3))):
        routes_here = []
        for k in range(draw(st.integers(2, 3))):
            high = draw(st.sampled_from([300, 500]))
            entry: dict[str, Any] = {
                "id": f"c{c}o{k}",
                "kind": draw(st.sampled_from(["lease", "allocate_build"])),
                "max_area_m2": high,
                "min_area_m2": draw(st.sampled_from([0, high])),
                "cost_per_m2": draw(st.sampled_from([0.02, 0.021, 0.022, 0.025])),
            }
            if k == 0 and draw(st.integers(0, 4)) == 0:
                entry["locked"] = "chosen"
            routes_here.append(entry)
        places.append(
            community(
                f"c{c}",
                routes_here,
                existing_area_m2=draw(st.sampled_from([0, 200])),
                max_options=draw(st.sampled_from([1, 2])),
            )
        )
    budget = draw(st.sampled_from([15, 40, 100]))
    return scenario_dict(places, funding=[{"id": "county", "name": "县财政", "budget": budget}])


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(raw=near_twins())
def test_alternatives_on_random_scenarios(raw: dict[str, Any]) -> None:
    """Whatever is found is valid: it passes the checker, keeps the optimum's shortfall,
    costs within 10% more, and differs from the optimum and from the other alternative.
    (Most draws have near-ties: about two in three give at least one alternative.)"""
    plan = solve_checked(raw)
    found = alternatives(scenario_from_dict(copy.deepcopy(raw)), within=0.1, count=2, optimal=plan)
    assert_valid(raw, found, 0.1)
