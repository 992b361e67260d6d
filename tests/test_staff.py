"""Staff in the plan: posts, the three routes to a post, the pay rise and the money for them,
solved by hand and by brute force, checked by the independent oracle in both formulations."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import pytest
from conftest import community, scenario_dict, solve_checked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import RULES, check_plan
from oracle_staff import STAFF_RULES

from allocator import solve
from allocator.scenario.loading import scenario_from_dict

FORMULATIONS = ("naive", "sets")
STAFFING = {
    "posts_target": 7,
    "add_post": {"quota": 1, "cost_per_post_year": 7.5},
    "dispatch": {"pool": 1},
    "recruit": {"cost_per_person_year": 5.5, "most": 10},
    "pay_rise": {"street_yuan_per_month": 400, "town_yuan_per_month": 300},
}
GROUPS = [
    {"id": "g", "name": "城南街道", "kind": "street"},
    {"id": "t", "name": "大安镇", "kind": "town"},
]


def two_communities(budget: float, staffing: dict[str, Any] | None = None) -> dict[str, Any]:
    """S, a street community with 5 posts, and T, a town one with 4; both have their 500 m2
    already. Target 7 posts each; one county pot pays everything."""
    return scenario_dict(
        [
            community("S", [], existing_area_m2=500, posts_now=5),
            community("T", [], existing_area_m2=500, posts_now=4, group="t"),
        ],
        funding=[{"id": "county", "name": "县财政", "budget": budget, "pays_for": "all"}],
        groups=GROUPS,
        staffing=copy.deepcopy(STAFFING if staffing is None else staffing),
    )


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_enough_money_fills_every_post_at_least_cost(formulation: str) -> None:
    """5 posts short. The pay rise of the 9 cadres in post: 12 x 400 / 10^4 x 5 + 12 x 300 /
    10^4 x 4 = 3.84 万元, committed. Recruits (5.5 + the rise) are cheaper than added posts (7.5
    + the rise); the one first secretary is free and goes where a recruit costs more (S: 5.98
    against T's 5.86). So: S gets the secretary and 1 recruit, T 3 recruits:
    3.84 + 5.98 + 3 x 5.86 = 27.40 万元."""
    plan = solve_checked(two_communities(100), formulation=formulation)
    assert plan.posts_short == 0
    assert plan.total_cost == pytest.approx(27.40)
    s, t = plan.community_results
    assert s.posts.added == {"add_post": 0, "dispatch": 1, "recruit": 1}
    assert t.posts.added == {"add_post": 0, "dispatch": 0, "recruit": 3}
    assert (s.posts.final, t.posts.final, s.posts.short, t.posts.short) == (7, 7, 0, 0)
    assert s.staff_cost == pytest.approx(2.4 + 5.98)
    assert s.staff_funding["pay_rise"]["county"] == pytest.approx(2.4 + 0.48)
    assert plan.communities_meeting_both == 2
    assert plan.objective["order"] == ["weighted_shortfall", "posts_short", "total_cost"]


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_short_money_buys_the_cheapest_posts(formulation: str) -> None:
    """20 万元: 3.84 committed leaves 16.16, two recruits in T (11.72); a third (5.86 or more)
    does not fit. The secretary is free: 3 posts, 2 short, at 15.56 万元."""
    plan = solve_checked(two_communities(20), formulation=formulation)
    assert plan.posts_short == 2
    assert plan.total_cost == pytest.approx(15.56)
    funding = {row.source: row for row in plan.funding_results}
    assert funding["county"].used == pytest.approx(15.56)


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_without_recruits_the_quota_and_pool_are_all(formulation: str) -> None:
    staffing = {k: v for k, v in STAFFING.items() if k != "recruit"}
    plan = solve_checked(two_communities(100, staffing), formulation=formulation)
    assert plan.posts_short == 3
    assert sum(c.posts.added["add_post"] for c in plan.community_results) == 1
    assert sum(c.posts.added["dispatch"] for c in plan.community_results) == 1


def test_posts_first_puts_the_money_on_staff() -> None:
    """A community 100 m2 short with a 100 m2 lease at 0.5 万元 a m2 (50 万元), and 4 posts
    short; 30 万元. Premises first (the default) leases 60 m2 and leaves the posts; posts first
    recruits what it can, then leases with the rest."""
    raw = scenario_dict(
        [community("A", [{"id": "a-lease", "kind": "lease", "max_area_m2": 100,
                          "cost_per_m2": 0.5}], existing_area_m2=400, posts_now=3)],
        funding=[{"id": "county", "name": "县财政", "budget": 30, "pays_for": "all"}],
        staffing={"recruit": {"cost_per_person_year": 5.5}},
    )  # fmt: skip
    premises = solve_checked(raw)
    assert premises.total_shortfall_m2 == pytest.approx(40) and premises.posts_short == 4
    raw["objective"] = ["posts_short", "weighted_shortfall", "total_cost"]
    posts = solve_checked(raw)
    assert posts.posts_short == 0
    assert posts.total_shortfall_m2 == pytest.approx(100 - (30 - 4 * 5.5) / 0.5)


def test_committed_pay_beyond_the_money_is_no_plan_that_names_it() -> None:
    """3.84 万元 of pay rise is committed; 3 万元 cannot pay it."""
    plan = solve(scenario_from_dict(two_communities(3)))
    assert plan.status == "infeasible"
    found = {conflict.rule for conflict in plan.diagnosis.conflicts}
    assert "pay_rise" in found and "budget" in found


def test_a_file_without_staffing_plans_no_staff() -> None:
    raw = two_communities(100)
    del raw["staffing"]
    for c in raw["communities"]:
        del c["posts_now"]
    plan = solve_checked(raw)
    assert plan.posts_short is None and plan.communities_meeting_both is None
    assert all(c.posts is None and c.staff_cost == 0 for c in plan.community_results)


def test_staffing_needs_the_posts_of_every_community() -> None:
    from allocator.errors import ScenarioError

    raw = two_communities(100)
    del raw["communities"][1]["posts_now"]
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(raw)
    assert "posts_now" in str(error.value)


# --- the oracle sees every staffing rule broken --------------------------------------------
def _staffed_plan() -> tuple[dict[str, Any], dict[str, Any]]:
    raw = two_communities(100)
    return raw, solve_checked(raw, formulation="naive").to_dict()


def _posts(plan: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in plan["communities"] if c["id"] == cid)["posts"]


def _wrong_final(raw: dict, plan: dict) -> None:
    _posts(plan, "S")["final"] = 8


def _over_quota(raw: dict, plan: dict) -> None:
    raw["staffing"]["add_post"]["quota"] = 0
    _posts(plan, "T")["added"]["add_post"] = 1
    _posts(plan, "T")["added"]["recruit"] = 2


def _two_secretaries(raw: dict, plan: dict) -> None:
    _posts(plan, "T")["added"]["dispatch"] = 1


def _recruit_limit(raw: dict, plan: dict) -> None:
    raw["staffing"]["recruit"]["most"] = 3


def _staff_unpaid(raw: dict, plan: dict) -> None:
    row = next(c for c in plan["communities"] if c["id"] == "T")
    row["staff_funding"]["recruit"]["county"] -= 1


def _pay_unpaid(raw: dict, plan: dict) -> None:
    row = next(c for c in plan["communities"] if c["id"] == "S")
    row["staff_funding"]["pay_rise"]["county"] -= 1


def _wrong_both(raw: dict, plan: dict) -> None:
    plan["communities_meeting_both"] = 1


STAFF_MUTATIONS = [
    (_wrong_final, "staff-posts"),
    (_over_quota, "post-quota"),
    (_two_secretaries, "dispatch-pool"),
    (_recruit_limit, "recruit-limit"),
    (_staff_unpaid, "staff-paid"),
    (_pay_unpaid, "pay-rise"),
    (_wrong_both, "communities-meeting-both"),
]


@pytest.mark.parametrize(("mutate", "rule"), STAFF_MUTATIONS, ids=[r for _, r in STAFF_MUTATIONS])
def test_each_staffing_violation_is_reported(mutate: Any, rule: str) -> None:
    raw, plan = _staffed_plan()
    assert check_plan(raw, plan) == []
    mutate(raw, plan)
    problems = check_plan(raw, plan)
    assert any(p.startswith(f"[{rule}]") for p in problems), problems


def test_every_staffing_rule_has_a_mutation() -> None:
    by_year = {"staff-by-year"}  # its mutations: tests/test_staff_years.py
    assert {rule for _, rule in STAFF_MUTATIONS} | by_year == set(STAFF_RULES)
    assert set(STAFF_RULES) <= set(RULES)


# --- brute force on tiny staff-only counties ------------------------------------------------
def brute_force_staff(raw: dict[str, Any]) -> tuple[int, float] | None:
    """(least posts short, least cost at it) over every whole number of posts by every route
    in every community, with one county pot paying everything (and an optional per-community
    pot paying the pay rise only). Recomputed from the file, as the README states the rules."""
    staffing, years = raw["staffing"], raw.get("horizon_years", 1)
    kinds = {g["id"]: g["kind"] for g in raw["groups"]}
    budget = raw["funding"][0]["budget"]
    local = raw["funding"][1]["budget"] if len(raw["funding"]) > 1 else 0.0
    per_community = []
    for c in raw["communities"]:
        gap = max(0, staffing["posts_target"] - c["posts_now"])
        rise = 12 * staffing["pay_rise"][f"{kinds[c['group']]}_yuan_per_month"] / 1e4
        choices = []
        for a, d, r in itertools.product(range(gap + 1), range(min(1, gap) + 1), range(gap + 1)):
            pay = years * rise * (c["posts_now"] + a + r)
            other = years * (7.5 * a + 5.5 * r)
            county = other + max(0.0, pay - local)
            short = max(0, gap - a - d - r)
            choices.append((short, other + pay, county, a, d))
        per_community.append(choices)
    best = None
    for pick in itertools.product(*per_community):
        if sum(p[3] for p in pick) > staffing["add_post"]["quota"]:
            continue
        if sum(p[4] for p in pick) > staffing["dispatch"]["pool"]:
            continue
        if sum(p[2] for p in pick) > budget + 1e-9:
            continue
        value = (sum(p[0] for p in pick), round(sum(p[1] for p in pick), 6))
        best = value if best is None or value < best else best
    return best


@st.composite
def tiny_staffed(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    communities = [
        community(f"c{i}", [], existing_area_m2=500, group=draw(st.sampled_from(["g", "t"])),
                  posts_now=draw(st.integers(4, 7)))
        for i in range(n)
    ]  # fmt: skip
    funding = [{"id": "county", "name": "县财政", "budget": draw(st.integers(0, 40)),
                "pays_for": "all"}]  # fmt: skip
    if draw(st.booleans()):
        funding.append({"id": "own", "name": "社区自有", "scope": "community",
                        "budget": draw(st.integers(0, 3)), "pays_for": ["pay"]})  # fmt: skip
    staffing = {
        "posts_target": 7,
        "add_post": {"quota": draw(st.integers(0, 2)), "cost_per_post_year": 7.5},
        "dispatch": {"pool": draw(st.integers(0, 2))},
        "recruit": {"cost_per_person_year": 5.5},
        "pay_rise": {"street_yuan_per_month": draw(st.sampled_from([0, 200, 400])),
                     "town_yuan_per_month": draw(st.sampled_from([0, 300]))},
    }  # fmt: skip
    years = draw(st.integers(1, 3))
    return scenario_dict(communities, funding=funding, groups=GROUPS, staffing=staffing,
                         horizon_years=years)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_staffed())
def test_both_formulations_match_brute_force(raw: dict[str, Any]) -> None:
    expected = brute_force_staff(raw)
    for formulation in FORMULATIONS:
        plan = solve_checked(raw, formulation=formulation)
        if expected is None:
            assert plan.status == "infeasible"
            continue
        assert plan.status == "optimal"
        assert (plan.posts_short, plan.total_cost) == (expected[0], pytest.approx(expected[1]))


# --- the county with staff, and the change language ----------------------------------------
STAFF_COUNTY = Path(__file__).resolve().parent.parent / "scenarios" / "2024_staff.yaml"


def test_the_county_with_staff_keeps_its_premises_plan_and_plans_posts() -> None:
    """The staff money is a budget line of its own: the premises plan of
    scenarios/2024_premises.yaml stays (765 m2 weighted, 21 of 27 meeting), and the posts are
    planned beside it."""
    from allocator.scenario.loading import load_scenario

    scenario = load_scenario(STAFF_COUNTY)
    plan = solve(scenario)
    assert check_plan(scenario.source, plan.to_dict()) == []
    assert plan.status == "optimal"
    assert (plan.weighted_shortfall, plan.communities_meeting_target) == (765.0, 21)
    funding = {row.source: row for row in plan.funding_results}
    assert funding["staff_fund"].used <= 500 + 1e-6
    assert 0 < plan.posts_short < sum(7 - c.posts.now for c in plan.community_results)
    assert sum(c.posts.added["dispatch"] for c in plan.community_results) == 10  # free: all used


def test_a_change_adds_an_entry_to_a_list() -> None:
    raw = two_communities(100)
    scenario = scenario_from_dict(raw).with_changes(
        {"funding": {"add": [{"id": "own", "name": "自筹", "budget": 5, "pays_for": "pay"}]}}
    )
    assert [s.id for s in scenario.funding] == ["county", "own"]
    assert scenario.funding[1].pays_for == ("pay_rise",)


def test_plan_workbook_has_the_staff_sheet_and_figures(tmp_path: Path) -> None:
    import openpyxl

    from allocator.report.workbook import write_plan_workbook

    plan = solve_checked(two_communities(20))
    write_plan_workbook(plan, tmp_path / "plan.xlsx")
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    rows = list(book["人员配备"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:-1]
    short = header.index("缺编（人）")
    cost = header.index("人员及提标费用（万元）")
    assert sum(r[short] for r in body) == plan.posts_short == 2
    assert sum(r[cost] for r in body) == pytest.approx(plan.total_cost)
    county = header.index("县财政（万元）")
    assert sum(r[county] for r in body) == pytest.approx(15.56)
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True) if r[0]}
    assert summary["缺编合计（人）"] == 2
    assert summary["其中人员及提标费用（万元）"] == pytest.approx(15.56)


def test_compare_shows_posts_and_the_staffing_inputs() -> None:
    from allocator.whatif.comparison import compare

    base = scenario_from_dict(two_communities(20))
    fewer = base.with_changes({"funding[county].budget": 40, "staffing.recruit.most": 0})
    result = compare({"base": base, "more": fewer})
    summary = result.summary.set_index("scenario")
    assert summary.loc["base", "posts_short"] == 2 and summary.loc["more", "posts_short"] == 3
    inputs = {(r.entry, r.field) for r in result.inputs.itertuples()}
    assert ("staffing", "recruit.most") in inputs
    aspects = set(result.communities["aspect"])
    assert "posts_final" in aspects


def test_staff_figures_implausible_in_their_unit_are_warned() -> None:
    """A cost per person-year written in 元 (55000), a pay rise written in 万元 (0.03)."""
    from allocator.scenario.plausible import warnings_of

    staffing = copy.deepcopy(STAFFING)
    staffing["recruit"]["cost_per_person_year"] = 55000
    staffing["pay_rise"]["town_yuan_per_month"] = 0.03
    doubts = warnings_of(scenario_from_dict(two_communities(100, staffing)))
    said = {d.field: d.describe() for d in doubts}
    assert "请改为 5.5" in said["recruit.cost_per_person_year"]
    assert "请改为 300" in said["pay_rise.town_yuan_per_month"]
    assert warnings_of(scenario_from_dict(two_communities(100))) == []
