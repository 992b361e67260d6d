"""The greedy first plan (allocator.solving.greedy), built without a solver: every plan it
gives passes the independent checker, on random county-size scenarios with every rule and on
the small random scenarios of the property tests; where a demonstration site or a locked route
cannot be paid for, it says none could be built; and the bound it is measured against
(allocator.solving.shortfall_bound) is never above the optimum."""

from __future__ import annotations

import copy
import random
import time
from typing import Any

import pytest
from conftest import community, option, scenario_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import brute_force, check_plan
from rich_counties import rich_county
from strategies import scenarios

from allocator.errors import ScenarioError
from allocator.scenario.loading import scenario_from_dict
from allocator.scenario.schema import Scenario
from allocator.solving.decompose import greedy_readout
from allocator.solving.first_plan import greedy_first
from allocator.solving.greedy import GreedyPlan, greedy_plan
from allocator.solving.lexicographic import plan_so_far, solve
from allocator.solving.shortfall_bound import shortfall_bound

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _scenario(raw: dict[str, Any]) -> Scenario | None:
    try:
        return scenario_from_dict(copy.deepcopy(raw))
    except ScenarioError:
        return None


def _checked(raw: dict[str, Any], scenario: Scenario) -> GreedyPlan | None:
    """The greedy plan, made into the plan a command gives and checked by the oracle."""
    plan = greedy_plan(scenario)
    if plan is None:
        return None
    found = greedy_first(scenario, time.monotonic() + 60)
    assert found is not None
    decided = plan_so_far(greedy_readout(found[0]), [found[1]], time_limit=60, began=0.0)
    assert decided.status.has_plan
    assert check_plan(raw, decided.to_dict()) == []
    assert decided.weighted_shortfall == pytest.approx(plan.weighted_shortfall, abs=1e-3)
    return plan


def test_the_bound_is_below_the_optimum_of_rich_counties() -> None:
    """Against the MIP's proven optimum on a few rich counties."""
    checked = 0
    for seed in range(40):
        raw = rich_county(random.Random(seed))
        scenario = _scenario(raw)
        if scenario is None:
            continue
        plan = solve(scenario, gap=1e-6)
        if plan.status.value != "optimal":
            continue
        assert shortfall_bound(scenario) <= plan.weighted_shortfall + 1e-4, seed
        checked += 1
        if checked == 8:
            break
    assert checked == 8


@SETTINGS
@given(st.integers(0, 10_000))
def test_greedy_plans_of_rich_counties_pass_the_checker(seed: int) -> None:
    """Every rule at once (locks, excludes, max_options, replacing routes, least areas,
    demonstration sites, every funding rule): the plan passes the checker, and the bound is
    no higher than its weighted shortfall."""
    raw = rich_county(random.Random(seed))
    scenario = _scenario(raw)
    if scenario is None:
        return
    plan = _checked(raw, scenario)
    if plan is not None:
        assert shortfall_bound(scenario) <= plan.weighted_shortfall + 1e-6


@SETTINGS
@given(scenarios())
def test_greedy_plans_of_small_scenarios_pass_the_checker(raw: dict[str, Any]) -> None:
    """The small scenarios of the property tests: the plan passes the checker; the bound is no
    higher than the optimum (brute force), and the greedy builds a plan whenever one exists
    with no demonstration site and no route locked chosen."""
    scenario = _scenario(raw)
    if scenario is None:
        return
    plan = _checked(raw, scenario)
    best = brute_force(raw)
    if best is not None:
        assert shortfall_bound(scenario) <= best[0] + 1e-6
        if plan is not None:
            assert plan.weighted_shortfall >= best[0] - 1e-6
    if best is None:
        assert plan is None  # it never builds what cannot be
    plain = all(
        not c.must_meet and all(o.locked != "chosen" for o in c.options)
        for c in scenario.communities
    )
    if plain:
        assert plan is not None  # doing nothing new is always a plan


def test_a_demonstration_site_the_money_cannot_pay_for() -> None:
    """Its only route reaching the target costs 60 万元, the budget is 50: no plan is built."""
    raw = scenario_dict(
        [
            community("c1", [option("c1a", "allocate_build", 500, min_area_m2=500, fixed_cost=60)],
                      must_meet=True),
            community("c2", [option("c2a", "lease", 500, cost_per_m2=0.01)]),
        ],
        funding=[{"id": "county", "name": "县财政", "budget": 50}],
    )  # fmt: skip
    scenario = scenario_from_dict(copy.deepcopy(raw))
    assert greedy_plan(scenario) is None
    assert greedy_first(scenario, time.monotonic() + 10) is None
    assert not solve(scenario).status.has_plan  # the solver agrees: there is none


def test_a_demonstration_site_no_route_reaches() -> None:
    """300 m2 at most against a target of 500: no plan is built."""
    raw = scenario_dict(
        [community("c1", [option("c1a", "lease", 300, cost_per_m2=0.01)], must_meet=True)]
    )
    assert greedy_plan(scenario_from_dict(raw)) is None


def test_a_locked_route_the_money_cannot_pay_for() -> None:
    raw = scenario_dict(
        [community("c1", [option("c1a", "lease", 200, min_area_m2=200, fixed_cost=20,
                                 locked="chosen")])],
        funding=[{"id": "county", "name": "县财政", "budget": 10}],
    )  # fmt: skip
    assert greedy_plan(scenario_from_dict(raw)) is None


def test_worked_by_hand() -> None:
    """The demonstration site c3 is paid first: the grant pays 80% of its build (capital
    only, 40 万元), the county the rest (10). 100 万元 of the county's are left. c1 lacks 500 m2
    (a lease at 0.25 万元/m2: 4 m2 a 万元); c2 lacks 400 m2, priority 2 (a build at 0.2 万元/m2:
    10 weighted m2 a 万元). The greedy pays c2 first (400 m2, 80 万元), then c1 with the 20 万元
    left: 80 m2, found by halving the area it lacks 8 times (within 500/256 m2, below)."""
    raw = scenario_dict(
        [
            community("c1", [option("c1a", "lease", 500, cost_per_m2=0.25)]),
            community("c2", [option("c2a", "allocate_build", 400, cost_per_m2=0.2)],
                      existing_area_m2=100, priority=2),
            community("c3", [option("c3a", "allocate_build", 500, cost_per_m2=0.1)],
                      must_meet=True),
        ],
        funding=[
            {"id": "county", "name": "县财政", "budget": 110},
            {"id": "grant", "name": "补助", "budget": 40, "capital_only": True, "max_share": 0.8,
             "pays_for": ["allocate_build"], "max_options_funded": 1},
        ],
    )  # fmt: skip
    scenario = scenario_from_dict(copy.deepcopy(raw))
    plan = _checked(raw, scenario)
    assert plan is not None
    c1, c2, c3 = plan.taken
    assert c3.areas == (500.0,) and c3.payments == (
        (("grant", "county", 40.0), ("county", "county", 10.0)),
    )
    assert c2.areas == pytest.approx((400.0,)) and c2.shortfall_m2 == pytest.approx(0.0)
    assert 80 - 500 / 256 <= c1.areas[0] <= 80 and c1.shortfall_m2 == 500 - c1.areas[0]
    assert plan.weighted_shortfall == c1.shortfall_m2
    assert plan.total_cost == pytest.approx(50 + 80 + 0.25 * c1.areas[0])
