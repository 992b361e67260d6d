"""Tests of the test oracle itself, so that it cannot silently pass a wrong plan.

The oracle (tests/oracle.py) must not import ``allocator``; these tests use hand-written
scenarios and plans only.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from oracle import RULES, brute_force, check_plan, normalise
from oracle_bridge import BRIDGE_RULES
from oracle_staff import STAFF_RULES
from oracle_years import YEAR_RULES

Json = dict[str, Any]


def tiny_scenario() -> Json:
    """Two communities, four sources; horizon two years.

    A (street g1): 300 m2, must meet 500, priority 2; options build (100..400 m2, 5 + 0.2/m2,
    excludes swap), lease (..200 m2, 0.01/m2/year), swap (600 m2 all or nothing, 10, replaces
    the existing premises), heighten (locked rejected).
    B (town g2): 100 m2, target 400; integrate (locked chosen, ..300 m2, counts half,
    0.04/m2), reclaim (50 m2 all or nothing, 1).
    Sources: county 200; startup per community (street 10, town 5, capital only); grant 60
    (build and heighten only, capital only, 80% share, 30 per option, one option); self-raised
    per group (10, g2 8; integrate, reclaim, lease).
    """
    return {
        "name": "oracle-tiny",
        "horizon_years": 2,
        "defaults": {"target_area_m2": 500, "max_options_per_community": 2},
        "groups": [
            {"id": "g1", "name": "城南街道", "kind": "street"},
            {"id": "g2", "name": "某镇", "kind": "town"},
        ],
        "communities": [
            {
                "id": "A",
                "name": "新兴社区",
                "group": "g1",
                "existing_area_m2": 300,
                "must_meet": True,
                "priority": 2,
                "options": [
                    {
                        "id": "a-build",
                        "kind": "allocate_build",
                        "min_area_m2": 100,
                        "max_area_m2": 400,
                        "fixed_cost": 5,
                        "cost_per_m2": 0.2,
                        "excludes": ["a-swap"],
                    },
                    {
                        "id": "a-lease",
                        "kind": "lease",
                        "max_area_m2": 200,
                        "annual_cost_per_m2": 0.01,
                    },
                    {
                        "id": "a-swap",
                        "kind": "asset_swap",
                        "min_area_m2": 600,
                        "max_area_m2": 600,
                        "fixed_cost": 10,
                        "replaces_existing": True,
                    },
                    {
                        "id": "a-heighten",
                        "kind": "heighten",
                        "max_area_m2": 100,
                        "cost_per_m2": 0.25,
                        "locked": "rejected",
                    },
                ],
            },
            {
                "id": "B",
                "name": "某村社区",
                "group": "g2",
                "existing_area_m2": 100,
                "target_area_m2": 400,
                "options": [
                    {
                        "id": "b-integrate",
                        "kind": "integrate",
                        "max_area_m2": 300,
                        "area_factor": 0.5,
                        "cost_per_m2": 0.04,
                        "locked": "chosen",
                    },
                    {
                        "id": "b-reclaim",
                        "kind": "reclaim",
                        "min_area_m2": 50,
                        "max_area_m2": 50,
                        "fixed_cost": 1,
                    },
                ],
            },
        ],
        "funding": [
            {"id": "county", "name": "县财政", "budget": 200},
            {
                "id": "startup",
                "name": "启动资金",
                "scope": "community",
                "budget_by_kind": {"street": 10, "town": 5},
                "capital_only": True,
            },
            {
                "id": "grant",
                "name": "自治区项目",
                "budget": 60,
                "pays_for": ["allocate_build", "heighten"],
                "capital_only": True,
                "max_share": 0.8,
                "max_per_option": 30,
                "max_options_funded": 1,
            },
            {
                "id": "self",
                "name": "街镇自筹",
                "scope": "group",
                "budget": 10,
                "budgets": {"g2": 8},
                "pays_for": ["integrate", "reclaim", "lease"],
            },
        ],
    }


def _option(
    oid: str, kind: str, area: float, factor: float, capital: float, running: float, **money: float
) -> Json:
    return {
        "id": oid,
        "kind": kind,
        "area_m2": area,
        "counted_area_m2": factor * area,
        "capital_cost": capital,
        "running_cost": running,
        "cost": capital + running,
        "funding": money,
    }


def valid_plan() -> Json:
    """A valid (not optimal) plan for tiny_scenario, worked out by hand.

    A: build 150 m2: capital 5 + 0.2*150 = 35, paid grant 28 (= 0.8*35, <= 30) + startup 7;
       lease 50 m2: running 2 years * 0.01 * 50 = 1.0, paid county 0.4 + self (g1) 0.6.
       final 300 + 150 + 50 = 500: meets, cost 36.
    B: integrate 300 m2 counts 0.5*300 = 150: capital 0.04*300 = 12, paid startup 5 + self 7.
       final 100 + 150 = 250, shortfall 150, cost 12.
    Totals: cost 48, shortfall 150, weighted 2*0 + 1*150 = 150, one community meets.
    """
    return {
        "scenario": "oracle-tiny",
        "status": "optimal",
        "total_cost": 48.0,
        "total_shortfall_m2": 150.0,
        "weighted_shortfall": 150.0,
        "communities_meeting_target": 1,
        "communities": [
            {
                "id": "A",
                "name": "新兴社区",
                "group": "g1",
                "existing_area_m2": 300.0,
                "target_area_m2": 500.0,
                "final_area_m2": 500.0,
                "shortfall_m2": 0.0,
                "meets_target": True,
                "cost": 36.0,
                "options": [
                    _option("a-build", "allocate_build", 150, 1, 35, 0, grant=28, startup=7),
                    _option("a-lease", "lease", 50, 1, 0, 1.0, county=0.4, self=0.6),
                ],
            },
            {
                "id": "B",
                "name": "某村社区",
                "group": "g2",
                "existing_area_m2": 100.0,
                "target_area_m2": 400.0,
                "final_area_m2": 250.0,
                "shortfall_m2": 150.0,
                "meets_target": False,
                "cost": 12.0,
                "options": [
                    _option("b-integrate", "integrate", 300, 0.5, 12, 0, startup=5, self=7)
                ],
            },
        ],
        "funding": [
            {"source": "county", "unit": "county", "budget": 200, "used": 0.4, "left": 199.6},
            {"source": "startup", "unit": "A", "budget": 10, "used": 7, "left": 3},
            {"source": "startup", "unit": "B", "budget": 5, "used": 5, "left": 0},
            {"source": "grant", "unit": "county", "budget": 60, "used": 28, "left": 32},
            {"source": "self", "unit": "g1", "budget": 10, "used": 0.6, "left": 9.4},
            {"source": "self", "unit": "g2", "budget": 8, "used": 7, "left": 1},
        ],
        "solver": {"name": "hand", "version": "0", "gap": 0.0, "runtime_s": 0.0},
        "input_sha256": "0" * 64,
    }


def community(plan: Json, cid: str) -> Json:
    return next(c for c in plan["communities"] if c["id"] == cid)


def option(plan: Json, oid: str) -> Json:
    return next(o for c in plan["communities"] for o in c["options"] if o["id"] == oid)


def funding_row(plan: Json, source: str, unit: str) -> Json:
    return next(r for r in plan["funding"] if (r["source"], r["unit"]) == (source, unit))


def source(scenario: Json, sid: str) -> Json:
    return next(s for s in scenario["funding"] if s["id"] == sid)


def scenario_option(scenario: Json, oid: str) -> Json:
    return next(o for c in scenario["communities"] for o in c["options"] if o["id"] == oid)


def rules(problems: list[str]) -> set[str]:
    return {p[1 : p.index("]")] for p in problems}


# ---------------------------------------------------------------------------------------------
# normalise
# ---------------------------------------------------------------------------------------------


def test_normalise_applies_defaults() -> None:
    raw = {
        "name": "d",
        "groups": [{"id": "g", "name": "G", "kind": "town"}],
        "communities": [
            {
                "id": "c",
                "name": "C",
                "group": "g",
                "options": [{"id": "o", "kind": "lease", "max_area_m2": 10}],
            }
        ],
        "funding": [{"id": "s"}],
    }
    scenario = normalise(raw)
    assert scenario["horizon_years"] == 1
    c = scenario["communities"]["c"]
    assert (c["existing_area_m2"], c["target_area_m2"], c["must_meet"]) == (0, 500, False)
    assert (c["priority"], c["max_options"], c["options"]) == (1, 2, ["o"])
    o = scenario["options"]["o"]
    assert (o["min_area_m2"], o["area_factor"], o["replaces_existing"], o["locked"]) == (
        0,
        1,
        False,
        None,
    )
    assert (o["fixed_cost"], o["cost_per_m2"], o["annual_cost"], o["annual_cost_per_m2"]) == (
        0,
        0,
        0,
        0,
    )
    assert o["excludes"] == [] and o["community"] == "c"
    s = scenario["sources"]["s"]
    assert (s["scope"], s["capital_only"], s["max_share"]) == ("county", False, 1)
    assert (s["max_per_option"], s["max_options_funded"]) == (None, None)
    assert len(s["pays_for"]) == 7 and s["budgets"] == {"county": 0}


def test_normalise_defaults_section_and_symmetric_excludes() -> None:
    raw = tiny_scenario()
    raw["defaults"] = {"target_area_m2": 450, "max_options_per_community": 3}
    scenario = normalise(raw)
    assert scenario["communities"]["A"]["target_area_m2"] == 450
    assert scenario["communities"]["B"]["target_area_m2"] == 400  # its own
    assert scenario["communities"]["A"]["max_options"] == 3
    assert scenario["options"]["a-swap"]["excludes"] == ["a-build"]
    assert scenario["options"]["a-build"]["excludes"] == ["a-swap"]


def test_normalise_unit_budgets_budgets_win_over_kind_over_budget() -> None:
    raw = tiny_scenario()
    raw["groups"].append({"id": "g3", "name": "第二街道", "kind": "street"})
    raw["communities"].append({"id": "C", "name": "C", "group": "g3"})
    raw["funding"] = [
        {"id": "county", "budget": 100, "budget_by_kind": {"street": 1}},
        {
            "id": "per-group",
            "scope": "group",
            "budget": 4,
            "budget_by_kind": {"town": 6},
            "budgets": {"g1": 9},
        },
        {
            "id": "per-community",
            "scope": "community",
            "budget_by_kind": {"street": 2},
            "budgets": {"C": 7},
        },
    ]
    sources = normalise(raw)["sources"]
    assert sources["county"]["budgets"] == {"county": 100}
    assert sources["per-group"]["budgets"] == {"g1": 9, "g2": 6, "g3": 4}
    assert sources["per-community"]["budgets"] == {"A": 2, "B": 0, "C": 7}


# ---------------------------------------------------------------------------------------------
# check_plan: valid plans pass
# ---------------------------------------------------------------------------------------------


def test_valid_plan_passes() -> None:
    assert check_plan(tiny_scenario(), valid_plan()) == []


def swap_plan() -> Json:
    """valid_plan, but A takes the swap: 600 m2 replace the 300 m2, so final is 600 (not 900).

    Swap capital 10, paid by startup (A: 10). Totals: cost 10 + 12 = 22, weighted 150.
    County, grant and self (g1) are left unused.
    """
    plan = valid_plan()
    a = community(plan, "A")
    a["options"] = [_option("a-swap", "asset_swap", 600, 1, 10, 0, startup=10)]
    a.update(final_area_m2=600.0, cost=10.0)
    plan["total_cost"] = 22.0
    used = {
        ("county", "county"): 0,
        ("startup", "A"): 10,
        ("grant", "county"): 0,
        ("self", "g1"): 0,
    }
    for key, amount in used.items():
        row = funding_row(plan, *key)
        row.update(used=amount, left=row["budget"] - amount)
    return plan


def test_valid_swap_plan_passes() -> None:
    assert check_plan(tiny_scenario(), swap_plan()) == []


def test_swap_plan_counting_the_replaced_premises_fails() -> None:
    plan = swap_plan()
    community(plan, "A")["final_area_m2"] = 900.0
    assert rules(check_plan(tiny_scenario(), plan)) == {"final-area"}


def test_unused_rows_may_be_left_out_of_the_funding_table() -> None:
    plan = swap_plan()
    plan["funding"] = [r for r in plan["funding"] if r["used"] > 0]
    assert len(plan["funding"]) == 3
    assert check_plan(tiny_scenario(), plan) == []


def test_rounding_noise_is_tolerated() -> None:
    plan = valid_plan()
    option(plan, "a-build")["capital_cost"] = 35.0000004
    option(plan, "a-build")["area_m2"] = 150.0000003
    plan["total_cost"] = 48.0000009
    funding_row(plan, "county", "county")["left"] = 199.6000004
    assert check_plan(tiny_scenario(), plan) == []


# ---------------------------------------------------------------------------------------------
# check_plan: one mutation per rule
# ---------------------------------------------------------------------------------------------

Mutation = Callable[[Json, Json], None]


def _remove_option(plan: Json, oid: str) -> None:
    for c in plan["communities"]:
        c["options"] = [o for o in c["options"] if o["id"] != oid]


def _missing_key(scenario: Json, plan: Json) -> None:
    del plan["total_cost"]


def _text_area(scenario: Json, plan: Json) -> None:
    option(plan, "a-lease")["area_m2"] = "50"


def _other_scenario(scenario: Json, plan: Json) -> None:
    plan["scenario"] = "2024"


def _infeasible_status(scenario: Json, plan: Json) -> None:
    plan["status"] = "infeasible"


def _drop_b(scenario: Json, plan: Json) -> None:
    plan["communities"] = [community(plan, "A")]


def _duplicate_a(scenario: Json, plan: Json) -> None:
    plan["communities"].append(copy.deepcopy(community(plan, "A")))


def _unknown_community(scenario: Json, plan: Json) -> None:
    extra = copy.deepcopy(community(plan, "B"))
    extra.update(id="Z", options=[])
    plan["communities"].append(extra)


def _wrong_existing(scenario: Json, plan: Json) -> None:
    community(plan, "A")["existing_area_m2"] = 250.0


def _unknown_option(scenario: Json, plan: Json) -> None:
    community(plan, "B")["options"].append(_option("b-ghost", "developer", 10, 1, 0, 0))


def _other_communitys_option(scenario: Json, plan: Json) -> None:
    community(plan, "A")["options"].append(_option("b-reclaim", "reclaim", 50, 1, 1, 0, county=1))


def _option_twice(scenario: Json, plan: Json) -> None:
    community(plan, "A")["options"].append(copy.deepcopy(option(plan, "a-lease")))


def _wrong_kind(scenario: Json, plan: Json) -> None:
    option(plan, "a-lease")["kind"] = "heighten"


def _area_above_max(scenario: Json, plan: Json) -> None:
    option(plan, "a-lease")["area_m2"] = 250


def _area_below_min(scenario: Json, plan: Json) -> None:
    option(plan, "a-build")["area_m2"] = 50


def _locked_chosen_missing(scenario: Json, plan: Json) -> None:
    _remove_option(plan, "b-integrate")


def _locked_rejected_chosen(scenario: Json, plan: Json) -> None:
    _remove_option(plan, "a-lease")
    community(plan, "A")["options"].append(_option("a-heighten", "heighten", 4, 1, 1, 0, county=1))


def _excluded_pair(scenario: Json, plan: Json) -> None:
    _remove_option(plan, "a-lease")
    community(plan, "A")["options"].append(
        _option("a-swap", "asset_swap", 600, 1, 10, 0, county=10)
    )


def _max_options_one(scenario: Json, plan: Json) -> None:
    scenario["communities"][0]["max_options"] = 1


def _two_replacing(scenario: Json, plan: Json) -> None:
    scenario_option(scenario, "a-build")["replaces_existing"] = True
    scenario_option(scenario, "a-lease")["replaces_existing"] = True


def _wrong_counted(scenario: Json, plan: Json) -> None:
    option(plan, "b-integrate")["counted_area_m2"] = 300


def _wrong_capital(scenario: Json, plan: Json) -> None:
    option(plan, "a-build")["capital_cost"] = 36


def _wrong_running(scenario: Json, plan: Json) -> None:
    option(plan, "a-lease")["running_cost"] = 0.5  # one year instead of two


def _wrong_option_cost(scenario: Json, plan: Json) -> None:
    option(plan, "a-lease")["cost"] = 2.0


def _unknown_source(scenario: Json, plan: Json) -> None:
    option(plan, "a-lease")["funding"] = {"county": 0.4, "bank": 0.6}


def _negative_money(scenario: Json, plan: Json) -> None:
    option(plan, "a-lease")["funding"] = {"county": 1.4, "self": -0.4}


def _money_short(scenario: Json, plan: Json) -> None:
    option(plan, "a-build")["funding"] = {"grant": 28, "startup": 6}


def _self_not_for_lease(scenario: Json, plan: Json) -> None:
    source(scenario, "self")["pays_for"] = ["integrate", "reclaim"]


def _self_capital_only(scenario: Json, plan: Json) -> None:
    source(scenario, "self")["capital_only"] = True  # then it cannot pay the lease's rent


def _grant_half_share(scenario: Json, plan: Json) -> None:
    source(scenario, "grant")["max_share"] = 0.5  # 28 > 0.5 * 35


def _grant_cap_25(scenario: Json, plan: Json) -> None:
    source(scenario, "grant")["max_per_option"] = 25  # 28 > 25


def _startup_one_option(scenario: Json, plan: Json) -> None:
    source(scenario, "startup")["max_options_funded"] = 1  # it funds a-build and b-integrate


def _self_over_budget(scenario: Json, plan: Json) -> None:
    source(scenario, "self")["budgets"] = {"g2": 6}  # uses 7
    funding_row(plan, "self", "g2").update(budget=6, left=-1)


def _wrong_left(scenario: Json, plan: Json) -> None:
    funding_row(plan, "grant", "county")["left"] = 31


def _missing_used_row(scenario: Json, plan: Json) -> None:
    plan["funding"].remove(funding_row(plan, "grant", "county"))


def _unknown_unit_row(scenario: Json, plan: Json) -> None:
    plan["funding"].append({"source": "self", "unit": "g9", "budget": 0, "used": 0, "left": 0})


def _wrong_final(scenario: Json, plan: Json) -> None:
    community(plan, "A")["final_area_m2"] = 450.0


def _wrong_shortfall(scenario: Json, plan: Json) -> None:
    community(plan, "B")["shortfall_m2"] = 100.0


def _wrong_meets(scenario: Json, plan: Json) -> None:
    community(plan, "B")["meets_target"] = True


def _wrong_community_cost(scenario: Json, plan: Json) -> None:
    community(plan, "A")["cost"] = 35.0


def _wrong_total_cost(scenario: Json, plan: Json) -> None:
    plan["total_cost"] = 47.0


def _wrong_total_shortfall(scenario: Json, plan: Json) -> None:
    plan["total_shortfall_m2"] = 100.0


def _unweighted_shortfall(scenario: Json, plan: Json) -> None:
    scenario["communities"][1]["priority"] = 2  # B's 150 m2 now weigh 300


def _wrong_meeting_count(scenario: Json, plan: Json) -> None:
    plan["communities_meeting_target"] = 2


def _wrong_county_money(scenario: Json, plan: Json) -> None:
    """The plan states more county money than its options take from the county."""
    plan["county_money_used"] = 999.0


def _a_short_of_target(scenario: Json, plan: Json) -> None:
    """A drops the lease: 300 + 150 = 450, 50 m2 short of 500, though it must meet.

    Every figure is kept consistent (A: cost 35; totals: cost 47, shortfall 200,
    weighted 2*50 + 150 = 250, none meeting; county and self g1 unused).
    """
    _remove_option(plan, "a-lease")
    community(plan, "A").update(
        final_area_m2=450.0, shortfall_m2=50.0, meets_target=False, cost=35.0
    )
    plan.update(total_cost=47.0, total_shortfall_m2=200.0, weighted_shortfall=250.0)
    plan["communities_meeting_target"] = 0
    funding_row(plan, "county", "county").update(used=0, left=200)
    funding_row(plan, "self", "g1").update(used=0, left=10)


MUTATIONS: list[tuple[Mutation, str]] = [
    (_missing_key, "contract"),
    (_text_area, "contract"),
    (_other_scenario, "contract"),
    (_infeasible_status, "status"),
    (_drop_b, "community-missing"),
    (_duplicate_a, "community-duplicate"),
    (_unknown_community, "community-unknown"),
    (_wrong_existing, "community-data"),
    (_unknown_option, "option-unknown"),
    (_other_communitys_option, "option-community"),
    (_option_twice, "option-duplicate"),
    (_wrong_kind, "option-kind"),
    (_area_above_max, "area-range"),
    (_area_below_min, "area-range"),
    (_locked_chosen_missing, "locked"),
    (_locked_rejected_chosen, "locked"),
    (_excluded_pair, "excludes"),
    (_max_options_one, "max-options"),
    (_two_replacing, "replacing"),
    (_wrong_counted, "counted-area"),
    (_wrong_capital, "capital-cost"),
    (_wrong_running, "running-cost"),
    (_wrong_option_cost, "option-cost"),
    (_unknown_source, "source-unknown"),
    (_negative_money, "funding-negative"),
    (_money_short, "funding-sum"),
    (_self_not_for_lease, "pays-for"),
    (_self_capital_only, "capital-only"),
    (_grant_half_share, "max-share"),
    (_grant_cap_25, "max-per-option"),
    (_startup_one_option, "max-options-funded"),
    (_self_over_budget, "budget"),
    (_wrong_left, "funding-table"),
    (_missing_used_row, "funding-table"),
    (_unknown_unit_row, "funding-table"),
    (_wrong_final, "final-area"),
    (_wrong_shortfall, "shortfall"),
    (_wrong_meets, "meets-target"),
    (_wrong_community_cost, "community-cost"),
    (_a_short_of_target, "must-meet"),
    (_wrong_total_cost, "total-cost"),
    (_wrong_total_shortfall, "total-shortfall"),
    (_unweighted_shortfall, "weighted-shortfall"),
    (_wrong_meeting_count, "communities-meeting"),
    (_wrong_county_money, "county-money"),
]

# Mutations that leave every other figure consistent, so that exactly one rule fires.
CLEAN = {
    _wrong_county_money,
    _other_scenario,
    _a_short_of_target,
    _self_not_for_lease,
    _self_capital_only,
    _grant_half_share,
    _grant_cap_25,
    _startup_one_option,
    _self_over_budget,
    _max_options_one,
    _wrong_left,
    _wrong_capital,
    _wrong_running,
    _wrong_counted,
    _wrong_shortfall,
    _wrong_meets,
    _wrong_total_cost,
    _wrong_meeting_count,
    _unweighted_shortfall,
    _wrong_existing,
    _wrong_kind,
}


@pytest.mark.parametrize(
    ("mutate", "rule"), MUTATIONS, ids=[m.__name__.lstrip("_") for m, _ in MUTATIONS]
)
def test_each_violation_is_reported(mutate: Mutation, rule: str) -> None:
    scenario, plan = tiny_scenario(), valid_plan()
    mutate(scenario, plan)
    problems = check_plan(scenario, plan)
    assert rule in rules(problems), problems
    if mutate in CLEAN:
        assert rules(problems) == {rule}, problems


def test_every_rule_has_a_mutation() -> None:
    """The staffing, years and bridge leases' rules' mutations are in tests/test_staff.py,
    tests/test_years.py and tests/test_bridge.py, on plans with staff, years and bridges."""
    others = set(STAFF_RULES) | set(YEAR_RULES) | set(BRIDGE_RULES)
    assert {rule for _, rule in MUTATIONS} == set(RULES) - others


def test_must_meet_is_the_only_complaint_about_a_consistent_short_plan() -> None:
    scenario, plan = tiny_scenario(), valid_plan()
    _a_short_of_target(scenario, plan)
    assert rules(check_plan(scenario, plan)) == {"must-meet"}
    scenario["communities"][0]["must_meet"] = False
    assert check_plan(scenario, plan) == []


def test_problems_name_the_entry() -> None:
    scenario, plan = tiny_scenario(), valid_plan()
    _grant_cap_25(scenario, plan)
    (problem,) = check_plan(scenario, plan)
    assert "a-build" in problem and "grant" in problem and "25" in problem


# ---------------------------------------------------------------------------------------------
# brute_force
# ---------------------------------------------------------------------------------------------


def _one_group(*communities: Json, funding: list[Json], horizon_years: int = 1) -> Json:
    return {
        "name": "bf",
        "horizon_years": horizon_years,
        "groups": [{"id": "g", "name": "G", "kind": "town"}],
        "communities": [{"group": "g", "name": c["id"], **c} for c in communities],
        "funding": funding,
    }


def lease_then_build(max_options: int = 2, budget: float = 100) -> Json:
    return _one_group(
        {
            "id": "C",
            "existing_area_m2": 300,
            "max_options": max_options,
            "options": [
                {
                    "id": "build",
                    "kind": "allocate_build",
                    "max_area_m2": 400,
                    "fixed_cost": 5,
                    "cost_per_m2": 0.2,
                },
                {"id": "lease", "kind": "lease", "max_area_m2": 150, "annual_cost_per_m2": 0.01},
            ],
        },
        funding=[{"id": "county", "budget": budget}],
        horizon_years=2,
    )


def test_brute_force_lease_first_then_build() -> None:
    """C has 300 m2 and needs 200 more (target 500); horizon 2 years.

    Lease costs 2 * 0.01 = 0.02 per m2 but gives at most 150; build costs 5 + 0.2 per m2.
    - both: lease 150 (3) + build 50 (5 + 10 = 15) = 18, no shortfall;
    - build alone: 5 + 0.2 * 200 = 45; lease alone: 50 m2 short.
    Optimum (0, 18). With max_options 1: build alone, (0, 45).
    With max_options 1 and a budget of 40: build reaches (40 - 5) / 0.2 = 175 m2, 25 short
    (lease alone is 50 short), so (25, 40).
    """
    assert brute_force(lease_then_build()) == pytest.approx((0, 18), abs=1e-6)
    assert brute_force(lease_then_build(max_options=1)) == pytest.approx((0, 45), abs=1e-6)
    result = brute_force(lease_then_build(max_options=1, budget=40))
    assert result == pytest.approx((25, 40), abs=1e-6)


def priorities(q_all_or_nothing: bool) -> Json:
    def build(oid: str) -> Json:
        o = {"id": oid, "kind": "allocate_build", "max_area_m2": 100, "cost_per_m2": 1}
        return {**o, "min_area_m2": 100} if q_all_or_nothing and oid == "q-build" else o

    return _one_group(
        {"id": "P", "target_area_m2": 100, "priority": 2, "options": [build("p-build")]},
        {"id": "Q", "target_area_m2": 100, "priority": 1, "options": [build("q-build")]},
        funding=[{"id": "county", "budget": 150}],
    )


def test_brute_force_priorities_and_cost_tie_break() -> None:
    """P (priority 2) and Q (priority 1) have nothing; each needs 100 m2 at 1 per m2; 150 to spend.

    Continuous: each unit of money buys 1 m2; P's m2 weigh 2, so P gets 100 and Q 50:
    weighted 1 * 50 = 50, cost 150.
    Q all or nothing (exactly 100 m2): Q = 0, P = 100 gives 0 + 100 = 100 at cost 100;
    Q = 100, P = 50 gives 2 * 50 = 100 at cost 150. Tie on shortfall, so the cheaper: (100, 100).
    """
    assert brute_force(priorities(False)) == pytest.approx((50, 150), abs=1e-6)
    assert brute_force(priorities(True)) == pytest.approx((100, 100), abs=1e-6)


def funding_rules(capital_only: bool = True, max_options: int = 2) -> Json:
    return _one_group(
        {
            "id": "C",
            "target_area_m2": 100,
            "must_meet": True,
            "max_options": max_options,
            "options": [
                {"id": "build", "kind": "allocate_build", "max_area_m2": 100, "cost_per_m2": 1},
                {"id": "lease", "kind": "lease", "max_area_m2": 100, "annual_cost_per_m2": 0.5},
            ],
        },
        funding=[
            {
                "id": "grant",
                "budget": 1000,
                "capital_only": capital_only,
                "max_share": 0.8,
                "max_per_option": 40,
            },
            {"id": "county", "budget": 40},
        ],
    )


def test_brute_force_matching_caps_and_capital_only() -> None:
    """C must reach 100 m2. Build x m2 costs x; lease the rest, 0.5 per m2: cost 50 + 0.5 x.

    The grant pays at most 0.8 of the build and 40, nothing of the rent (capital only);
    the county has 40 for everything else.
    - x <= 50: county pays 0.2 x + 0.5 (100 - x) = 50 - 0.3 x <= 40, so x >= 100/3;
    - x >= 50: county pays x - 40 + 50 - 0.5 x = 10 + 0.5 x <= 40, so x <= 60, cost >= 75.
    Optimum x = 100/3: (0, 50 + 50/3 = 200/3).
    If the grant could pay rent: lease alone, grant 0.8 * 50 = 40 + county 10: (0, 50).
    With one option only: build needs 100 - 40 = 60 > 40 from the county, lease 50 > 40:
    infeasible (None).
    """
    assert brute_force(funding_rules()) == pytest.approx((0, 200 / 3), abs=1e-6)
    assert brute_force(funding_rules(capital_only=False)) == pytest.approx((0, 50), abs=1e-6)
    assert brute_force(funding_rules(max_options=1)) is None


def projects(max_options_funded: int | None) -> Json:
    def community_(cid: str) -> Json:
        option_ = {
            "id": f"{cid}-build",
            "kind": "allocate_build",
            "max_area_m2": 100,
            "cost_per_m2": 1,
        }
        return {"id": cid, "target_area_m2": 100, "options": [option_]}

    grant: Json = {"id": "grant", "budget": 200, "max_options_funded": max_options_funded}
    return _one_group(
        community_("C1"), community_("C2"), funding=[grant, {"id": "county", "budget": 50}]
    )


def test_brute_force_max_options_funded() -> None:
    """C1 and C2 need 100 m2 each at 1 per m2. Grant 200 for one project; county 50.

    The grant can fund one build fully (100); the other gets the county's 50:
    150 m2 in all, 50 short: (50, 150). Without the project limit: (0, 200).
    """
    assert brute_force(projects(1)) == pytest.approx((50, 150), abs=1e-6)
    assert brute_force(projects(None)) == pytest.approx((0, 200), abs=1e-6)


def swap(**swap_changes: Any) -> Json:
    build: Json = {"id": "build", "kind": "allocate_build", "max_area_m2": 100, "cost_per_m2": 0.2}
    swap_: Json = {
        "id": "swap",
        "kind": "asset_swap",
        "min_area_m2": 450,
        "max_area_m2": 450,
        "fixed_cost": 10,
        "replaces_existing": True,
    }
    build_locked = swap_changes.pop("build_locked", None)
    if build_locked:
        build["locked"] = build_locked
    swap_.update(swap_changes)
    return _one_group(
        {"id": "C", "existing_area_m2": 300, "options": [build, swap_]},
        funding=[{"id": "county", "budget": 100}],
    )


def test_brute_force_replacing_excludes_and_locks() -> None:
    """C has 300 m2, target 500. Build: up to 100 m2 at 0.2. Swap: 450 m2 for 10, replacing.

    - build alone: 400, 100 short, cost 20;
    - swap alone: 450 (the 300 no longer count), 50 short, cost 10;
    - swap + build 50: 500, cost 10 + 10 = 20. Optimum (0, 20).
    Swap excluding build: swap alone, (50, 10). Build locked rejected: the same.
    Swap locked rejected, build locked chosen: (100, 20).
    """
    assert brute_force(swap()) == pytest.approx((0, 20), abs=1e-6)
    assert brute_force(swap(excludes=["build"])) == pytest.approx((50, 10), abs=1e-6)
    assert brute_force(swap(build_locked="rejected")) == pytest.approx((50, 10), abs=1e-6)
    locked = swap(locked="rejected", build_locked="chosen")
    assert brute_force(locked) == pytest.approx((100, 20), abs=1e-6)


def test_brute_force_on_the_tiny_scenario() -> None:
    """A must gain 200 m2: lease 200 (2 years * 0.01 * 200 = 4) is cheapest (swap 10, build >= 25).

    B: integrate is locked (300 m2 count 150, cost 12); reclaim adds 50 for 1:
    100 + 150 + 50 = 300, 100 short of 400; money is ample. Optimum (1 * 100, 4 + 12 + 1 = 17).
    The hand-written valid plan (weighted 150) is no better than that.
    """
    assert brute_force(tiny_scenario()) == pytest.approx((100, 17), abs=1e-6)
    assert valid_plan()["weighted_shortfall"] >= 100


def test_brute_force_refuses_large_scenarios() -> None:
    with pytest.raises(ValueError, match="tiny"):
        brute_force(tiny_scenario(), max_total_options=5)
