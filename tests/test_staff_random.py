"""Random counties with staff (tests/staff_counties.py): the reference formulation ("naive")
and the sets formulation agree on every measure the objective orders, and every plan passes
the independent checker (tests/oracle.py, its staffing part tests/oracle_staff.py).

Both are solved with no time limit; two plans each proven within the requested MIP gap (1e-6
relative) agree within 1e-4 plus twice that gap, measure by measure in the objective's order.
A draw that is not valid input is left out; one without a plan must have none in both.
"""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracle import check_plan
from staff_counties import BOTH_FIRST, MONEY_WAYS, POSTS_FIRST, staffed_county

from allocator import Plan, ScenarioError, scenario_from_dict, solve

FORMULATIONS = ("naive", "sets")
ABS_TOL = 1e-4
REL_TOL = 2e-6


def solved(raw: dict[str, Any]) -> dict[str, Plan] | None:
    """The plan of each formulation; None when the draw is not valid input."""
    try:
        scenario = scenario_from_dict(copy.deepcopy(raw))
    except ScenarioError:
        return None
    return {f: solve(scenario, formulation=f) for f in FORMULATIONS}


def disagreements(raw: dict[str, Any], plans: dict[str, Plan]) -> list[str]:
    """What the two formulations disagree on, and every plan's findings of the checker."""
    naive, sets = plans["naive"], plans["sets"]
    found = []
    if naive.status.has_plan != sets.status.has_plan:
        found.append(f"status: naive {naive.status.value}, sets {sets.status.value}")
    for name, plan in plans.items():
        if plan.status.has_plan:
            if plan.status.value != "optimal":
                found.append(f"{name}: {plan.status.value} with no time limit")
            found += [f"{name}: {v}" for v in check_plan(raw, plan.to_dict())]
    if naive.status.has_plan and sets.status.has_plan:
        order = naive.objective["order"]
        if sets.objective["order"] != order:
            found.append(f"order: naive {order}, sets {sets.objective['order']}")
        for measure in order:
            a, b = naive.objective["values"][measure], sets.objective["values"][measure]
            if abs(a - b) > ABS_TOL + REL_TOL * max(abs(a), abs(b)):
                found.append(f"{measure}: naive {a}, sets {b}")
    return found


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(st.randoms(use_true_random=False))
def test_formulations_agree_on_every_measure_and_pass_the_checker(rng: random.Random) -> None:
    raw = staffed_county(rng)
    plans = solved(raw)
    assume(plans is not None)
    assert disagreements(raw, plans) == []


def test_both_standards_first_on_fixed_seeds() -> None:
    """The objective with communities meeting both standards first, on draws made to have it:
    the formulations agree and the plans pass the checker; most of the draws have a plan."""
    planned = 0
    for seed in range(6):
        raw = staffed_county(random.Random(seed))
        raw["objective"] = list(BOTH_FIRST)
        plans = solved(raw)
        if plans is None:
            continue
        assert disagreements(raw, plans) == [], seed
        planned += plans["naive"].status.has_plan
    assert planned >= 3


def test_a_disagreement_is_seen() -> None:
    """The comparison is not empty: a plan whose posts short differ from the other's is caught,
    and so is a plan the checker refuses."""
    for seed in range(10):  # the first draw with a plan
        raw = staffed_county(random.Random(seed))
        raw["objective"] = list(BOTH_FIRST)
        plans = solved(raw)
        if plans is not None and plans["naive"].status.has_plan:
            break
    assert plans is not None and plans["naive"].status.has_plan
    values = {**plans["sets"].objective["values"]}
    values["posts_short"] += 1
    wrong = replace(plans["sets"], objective={**plans["sets"].objective, "values": values})
    naive = plans["naive"].objective["values"]["posts_short"]
    expected = [f"posts_short: naive {naive}, sets {values['posts_short']}"]
    assert disagreements(raw, {**plans, "sets": wrong}) == expected
    worse = replace(plans["sets"], posts_short=plans["sets"].posts_short + 1)
    assert any(line.startswith("sets: [communities-meeting-both]")
               for line in disagreements(raw, {**plans, "sets": worse}))  # fmt: skip


def money_way(raw: dict[str, Any]) -> str:
    """Which of the ways of tests/staff_counties.py pays for staff in a draw."""
    ids = {s["id"]: s for s in raw["funding"]}
    if "own_pay" in ids:
        return "line_and_communities"
    if "staff_group" in ids:
        return "per_group"
    return "own_line" if "staff_fund" in ids else "county_all"


def test_the_draws_hold_every_staffing_rule() -> None:
    """Over 60 draws: every way of paying staff, every route present and absent, each order of
    the objective, posts at and below target, own targets; most draws are valid input."""
    draws = [staffed_county(random.Random(seed)) for seed in range(60)]
    assert {money_way(raw) for raw in draws} == set(MONEY_WAYS)
    for route in ("add_post", "dispatch", "recruit", "pay_rise"):
        present = [route in raw["staffing"] for raw in draws]
        assert any(present) and not all(present), route
    assert {tuple(raw.get("objective", ())) for raw in draws} == {(), tuple(BOTH_FIRST),
                                                                   tuple(POSTS_FIRST)}  # fmt: skip
    communities = [c for raw in draws for c in raw["communities"]]
    assert all(isinstance(c["posts_now"], int) for c in communities)
    assert any(c["posts_now"] >= 7 for c in communities) and any(
        c["posts_now"] < 5 for c in communities
    )
    assert any("posts_target" in c for c in communities)
    valid = 0
    for raw in draws:
        try:
            scenario_from_dict(copy.deepcopy(raw))
            valid += 1
        except ScenarioError:
            pass
    assert valid >= 50
