"""Years in the plan: start years, ready years, yearly budgets with and without carry-over,
due years; solved by hand, checked by the independent oracle, the two formulations against
each other, and one year with all the money against the plan without years."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import community, option, scenario_dict, solve_checked
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracle import RULES, check_plan
from oracle_years import YEAR_RULES
from strategies import scenarios

from allocator import solve
from allocator.errors import ScenarioError
from allocator.scenario.loading import scenario_from_dict

FORMULATIONS = ("naive", "sets")
YEARS = [2024, 2025, 2026]


def two_sites(carry_over: bool = False, **county: Any) -> dict[str, Any]:
    """A: 100 m2, a demonstration site due in 2024, a 400 m2 build (ready a year after its
    start) or a 400 m2 lease at 0.02 万元/m2 a year (8 万元 a year). B: 200 m2, a 300 m2 build
    at 0.2 万元/m2 (60 万元). The county: 200 万元 in all, 30, 60, 60 a year."""
    return scenario_dict(
        [
            community("A", [option("a-build", "allocate_build", 400, min_area_m2=400,
                                   cost_per_m2=0.2),
                            option("a-lease", "lease", 400, annual_cost_per_m2=0.02)],
                      existing_area_m2=100, must_meet=True, due_year=2024),
            community("B", [option("b-build", "allocate_build", 300, min_area_m2=300,
                                   cost_per_m2=0.2)], existing_area_m2=200),
        ],
        funding=[{"id": "county", "name": "县财政", "budget": 200,
                  "budget_by_year": {2024: 30, 2025: 60, 2026: 60},
                  "carry_over": carry_over, **county}],
        years=YEARS,
        horizon_years=3,
    )  # fmt: skip


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_without_carry_over_the_build_never_fits_a_year(formulation: str) -> None:
    """A is due in 2024: only the lease is ready then (8 万元 a year from 2024). B's build costs
    60 万元 in its start year and must be ready by 2026, so it starts in 2024 (30 - 8 left) or
    2025 (60 - 8 left): neither holds 60. B stays 300 m2 short."""
    plan = solve_checked(two_sites(), formulation=formulation)
    assert plan.weighted_shortfall == 300 and plan.total_cost == pytest.approx(24)
    (lease,) = plan.community_results[0].options
    assert (lease.id, lease.start_year, lease.ready_year) == ("a-lease", 2024, 2024)
    assert lease.paid_by_year == {2024: {"county": 8.0}, 2025: {"county": 8.0},
                                  2026: {"county": 8.0}}  # fmt: skip
    assert [y.cost for y in plan.by_year] == [8, 8, 8]


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_with_carry_over_the_build_starts_in_the_second_year(formulation: str) -> None:
    """Carried over, 2025 has 22 + 60 - 8 = 74 万元: B's build starts in 2025, ready in 2026."""
    plan = solve_checked(two_sites(carry_over=True), formulation=formulation)
    assert plan.weighted_shortfall == 0 and plan.total_cost == pytest.approx(84)
    build = plan.community_results[1].options[0]
    assert (build.start_year, build.ready_year) == (2025, 2026)
    by_year = {y.year: y for y in plan.by_year}
    assert [by_year[y].communities_meeting_target for y in YEARS] == [1, 1, 2]
    assert [by_year[y].cost for y in YEARS] == [8, 68, 8]
    rows = {f.year: f for f in plan.funding_by_year}
    assert (rows[2025].used, rows[2025].left) == (68, 14)


def test_a_site_that_cannot_be_ready_in_time_is_no_plan_naming_its_due_year() -> None:
    raw = two_sites()
    raw["communities"][0]["options"] = [raw["communities"][0]["options"][0]]  # the build only
    plan = solve(scenario_from_dict(raw))
    assert plan.status == "infeasible"
    assert "due_year" in {c.rule for c in plan.diagnosis.conflicts}


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_start_window_is_kept(formulation: str) -> None:
    raw = two_sites(carry_over=True)
    raw["communities"][1]["options"][0]["latest_start"] = 2024  # B's build: 2024 or never
    plan = solve_checked(raw, formulation=formulation)
    assert plan.community_results[1].options == ()


def test_capital_only_money_pays_no_rent_in_any_year() -> None:
    raw = two_sites(carry_over=True)
    raw["funding"].append({"id": "grant", "name": "项目", "budget": 100, "capital_only": True})
    plan = solve_checked(raw)
    lease = plan.community_results[0].options[0]
    assert all("grant" not in paid for paid in lease.paid_by_year.values())


def test_years_are_checked_before_a_plan() -> None:
    raw = two_sites()
    raw["communities"][0]["due_year"] = 2030
    raw["horizon_years"] = 1
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(raw)
    text = str(error.value)
    assert "2030" in text and "horizon_years" in text


# --- the oracle sees every years rule broken ------------------------------------------------
def _planned() -> tuple[dict[str, Any], dict[str, Any]]:
    raw = two_sites(carry_over=True)
    return raw, solve_checked(raw, formulation="naive").to_dict()


def _build(plan: dict) -> dict:
    return plan["communities"][1]["options"][0]


def _early_start(raw: dict, plan: dict) -> None:
    _build(plan)["start_year"] = 2026


def _unpaid_year(raw: dict, plan: dict) -> None:
    _build(plan)["paid_by_year"][2025]["county"] = 50.0


def _over_year(raw: dict, plan: dict) -> None:
    raw["funding"][0]["carry_over"] = False


def _late_site(raw: dict, plan: dict) -> None:
    raw["communities"][1]["due_year"] = 2025


def _wrong_figures(raw: dict, plan: dict) -> None:
    plan["by_year"][0]["communities_meeting_target"] = 2


YEAR_MUTATIONS = [
    (_early_start, "start-year"),
    (_unpaid_year, "paid-by-year"),
    (_over_year, "budget-by-year"),
    (_late_site, "due-year"),
    (_wrong_figures, "by-year"),
]


@pytest.mark.parametrize(("mutate", "rule"), YEAR_MUTATIONS, ids=[r for _, r in YEAR_MUTATIONS])
def test_each_years_violation_is_reported(mutate: Any, rule: str) -> None:
    raw, plan = _planned()
    assert check_plan(raw, plan) == []
    mutate(raw, plan)
    problems = check_plan(raw, plan)
    assert any(p.startswith(f"[{rule}]") for p in problems), problems


def test_every_years_rule_has_a_mutation() -> None:
    assert {rule for _, rule in YEAR_MUTATIONS} == set(YEAR_RULES)
    assert set(YEAR_RULES) <= set(RULES)


# --- random scenarios ------------------------------------------------------------------------
def _valid(raw: dict[str, Any]) -> bool:
    try:
        scenario_from_dict(copy.deepcopy(raw))
    except ScenarioError:
        return False
    return True


def _in_years(raw: dict[str, Any], years: list[int], carry: bool, ready: bool) -> dict[str, Any]:
    """`raw` over `years`: every source's budget spread evenly over them (or the whole of it
    in each year, with `ready` 0 for every route when there is one year)."""
    timed = copy.deepcopy(raw)
    timed["years"] = years
    timed["horizon_years"] = max(raw.get("horizon_years", 1), len(years))
    for source in timed["funding"]:
        if "budget" in source and source.get("scope", "county") == "county":
            share = source["budget"] / len(years)
            source["budget_by_year"] = {y: share for y in years}
            source["carry_over"] = carry
    for c in timed["communities"]:
        for o in c["options"]:
            if ready:
                o["ready_after"] = 0
    return timed


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.booleans())
def test_formulations_agree_year_by_year(raw: dict[str, Any], carry: bool) -> None:
    assume(_valid(raw))  # the drawn scenario may break a rule of the format (two locks, one route)
    timed = _in_years(raw, YEARS, carry, ready=False)
    plans = [solve_checked(timed, formulation=form) for form in FORMULATIONS]
    if plans[0].status == "infeasible":
        assert plans[1].status == "infeasible"
        return
    a, b = plans
    assert a.weighted_shortfall == pytest.approx(b.weighted_shortfall, abs=1e-3)
    assert a.total_cost == pytest.approx(b.total_cost, rel=1e-5, abs=1e-3)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_one_year_with_all_the_money_is_the_plan_without_years(raw: dict[str, Any]) -> None:
    """One planning year, every route ready at once and each county budget whole in that year:
    the plan of before (the same least shortfall and cost)."""
    assume(_valid(raw))
    before = solve_checked(raw)
    timed = _in_years(raw, [2024], carry=False, ready=True)
    timed["horizon_years"] = raw.get("horizon_years", 1)
    after = solve_checked(timed)
    assert after.status == before.status
    if before.status.has_plan:
        assert after.weighted_shortfall == pytest.approx(before.weighted_shortfall, abs=1e-3)
        assert after.total_cost == pytest.approx(before.total_cost, rel=1e-5, abs=1e-3)


def test_the_plan_year_by_year_on_screen_and_in_plan_xlsx(tmp_path: Any) -> None:
    import openpyxl
    from rich.console import Console

    from allocator.report.render import print_plan
    from allocator.report.workbook import write_plan_workbook

    plan = solve_checked(two_sites(carry_over=True))
    console = Console(width=120, record=True)
    print_plan(plan, console)
    text = console.export_text()
    assert "年度计划" in text and "无偿划拨新建 300.0 (2025)" in text
    write_plan_workbook(plan, tmp_path / "plan.xlsx")
    rows = list(
        openpyxl.load_workbook(tmp_path / "plan.xlsx")["年度计划"].iter_rows(values_only=True)
    )
    assert rows[0][:4] == ("年度", "当年支出（万元）", "当年启动路径数", "年末达标社区数")
    assert [r[1] for r in rows[1:4]] == [8, 68, 8]


def test_the_campaign_county_over_three_years() -> None:
    """scenarios/2024.yaml: the 9 demonstration sites up to standard by the end of
    2024, every route started within the years, the plan checked rule by rule."""
    from pathlib import Path

    from allocator.scenario.loading import load_scenario

    path = Path(__file__).resolve().parent.parent / "scenarios" / "2024.yaml"
    scenario = load_scenario(path)
    plan = solve(scenario)
    assert plan.status == "optimal"
    assert check_plan(scenario.source, plan.to_dict()) == []
    first = plan.by_year[0]
    sites = [c for c in plan.community_results if c.must_meet]
    assert len(sites) == 9 and first.communities_meeting_target >= 9
    assert plan.by_year[-1].communities_meeting_target == plan.communities_meeting_target


def test_changes_reach_the_years() -> None:
    base = scenario_from_dict(two_sites())
    cut = base.with_changes({"funding[county].budget_by_year": {"scale": 0.5}})
    assert cut.funding[0].budget_by_year == {2024: 15, 2025: 30, 2026: 30}
    more = base.with_changes({"funding[county].budget_by_year.2025": {"add": 10},
                              "communities[A].due_year": 2025})  # fmt: skip
    assert more.funding[0].budget_by_year[2025] == 70
    assert more.communities[0].due_year == 2025


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_capital_profile_spreads_the_build_over_two_years(formulation: str) -> None:
    """B's 60 万元 build paid 50% in its start year and 50% the next: 30 in 2024 (with the
    lease's 8, 38 > 30: no), 30 in 2025 ... so it starts in 2025 and pays 30 in 2025 and 30 in
    2026 (30 + 8 <= 60 each year, no carry-over needed); ready in 2026."""
    raw = two_sites()
    raw["communities"][1]["options"][0]["capital_profile"] = [0.5, 0.5]
    plan = solve_checked(raw, formulation=formulation)
    build = plan.community_results[1].options[0]
    assert (build.start_year, build.ready_year) == (2025, 2026)
    assert build.paid_by_year == {2025: {"county": 30.0}, 2026: {"county": 30.0}}
    assert plan.weighted_shortfall == 0


def test_a_capital_profile_adds_up_to_one() -> None:
    raw = two_sites()
    raw["communities"][1]["options"][0]["capital_profile"] = [0.5, 0.4]
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(raw)
    assert "capital_profile" in str(error.value)


def test_prices_hold_the_plans_start_years_and_posts() -> None:
    """Shadow prices fix the plan's integer decisions: routes, and their start years and the
    posts (every integer column of the families' own), so the priced LP is the plan's."""
    from allocator.analysis.shadow import shadow_prices

    raw = two_sites(carry_over=True)
    raw["staffing"] = {"recruit": {"cost_per_person_year": 5.5}}
    for c in raw["communities"]:
        c["posts_now"] = 6
    raw["funding"][0]["pays_for"] = "all"
    scenario = scenario_from_dict(raw)
    plan = solve(scenario)
    prices = shadow_prices(scenario, plan)
    assert prices.budgets  # priced, not "no LP solution"


def test_the_first_plan_without_a_solver_leaves_years_to_the_solver() -> None:
    from allocator.solving.greedy import greedy_plan

    assert greedy_plan(scenario_from_dict(two_sites())) is None


def test_staff_money_carried_over_is_one_term_a_row_in_both_formulations() -> None:
    """With carry_over, a year's row sums the years so far: each year's staff money is a term
    of its own, each variable once in a row, which HiGHS's arrays need (the sets formulation)."""
    raw = two_sites(carry_over=True)
    raw["staffing"] = {"recruit": {"cost_per_person_year": 5.5}}
    for c in raw["communities"]:
        c["posts_now"] = 6
    raw["funding"][0]["pays_for"] = "all"
    plans = [solve_checked(raw, formulation=form) for form in FORMULATIONS]
    assert plans[0].status == plans[1].status == "optimal"
    assert plans[0].posts_short == plans[1].posts_short
    assert plans[0].total_cost == pytest.approx(plans[1].total_cost)


def test_a_model_highs_refuses_is_said_not_taken_for_no_plan() -> None:
    import highspy
    import numpy as np

    from allocator.solving.highs import ModelArrays, pass_arrays
    from allocator.solving.highs_process import quiet_highs

    quiet_highs()
    twice = ModelArrays(col_lower=np.zeros(1), col_upper=np.ones(1), cost=np.zeros(1),
                        integer=np.zeros(1, bool), row_lower=np.zeros(1), row_upper=np.ones(1),
                        starts=np.array([0, 2]), index=np.array([0, 0]),
                        value=np.array([1.0, 1.0]))  # fmt: skip
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    with pytest.raises(RuntimeError, match="refused"):
        pass_arrays(highs, twice)


def test_generate_makes_provinces_over_years() -> None:
    """`allocator generate --years 3`: the same province, its county-wide budgets in three equal
    yearly parts, carried over; it solves in both formulations to the same measures, and every
    plan passes the checker. Without --years the province is the one of before."""
    from allocator.scenario.synthetic import generate_scenario

    plain = generate_scenario(25, seed=3)
    timed = generate_scenario(25, seed=3, years=3)
    assert "years" not in plain and timed["years"] == YEARS
    county = [s for s in timed["funding"] if s.get("scope", "county") == "county"]
    assert all(sum(s["budget_by_year"].values()) == pytest.approx(s["budget"]) for s in county)
    plans = [solve_checked(timed, formulation=form) for form in FORMULATIONS]
    assert plans[0].weighted_shortfall == pytest.approx(plans[1].weighted_shortfall, abs=1e-3)
    assert plans[0].total_cost == pytest.approx(plans[1].total_cost, rel=1e-5)


@pytest.mark.parametrize("formulation", FORMULATIONS)
@pytest.mark.parametrize("year", [2024, 2025])
def test_keeping_close_to_a_plan_keeps_its_start_years(formulation: str, year: int) -> None:
    """With money enough in every year, B's build may start in 2024 or 2025 at the same cost:
    kept close to a plan that starts it in `year`, the plan starts it then, and says so."""
    raw = two_sites(carry_over=True)
    raw["funding"][0]["budget_by_year"] = dict.fromkeys(YEARS, 100)
    given = solve_checked(raw, formulation=formulation).to_dict()
    build = given["communities"][1]["options"][0]
    build["start_year"], build["ready_year"] = year, year + 1
    kept = solve_checked(raw, formulation=formulation, keep_close_to=given)
    assert kept.community_results[1].options[0].start_year == year
    note = next(s.note for s in kept.solver.stages if s.objective == "keep_close_to")
    assert "0项启动年份变动" in note


def test_explain_says_why_a_route_starts_when_it_does() -> None:
    """B's build starts in 2025: started in 2024 there is no plan, and the rule that says so
    is the year's budget (not the lock the question itself puts on the route)."""
    from allocator.analysis.explanation import explain

    scenario = scenario_from_dict(two_sites(carry_over=True))
    explained = explain(scenario, "B", lang="zh")
    (earlier,) = explained.earlier
    assert (earlier.option, earlier.start, earlier.earlier, earlier.feasible) == (
        "b-build", 2025, 2024, False)  # fmt: skip
    assert earlier.why == ("budget_by_year",)
    assert "若提前到 2024 年，则没有方案（年度预算）" in explained.paragraph
    english = explain(scenario, "B", lang="en")
    assert "started in 2024, there is no plan (yearly budget)" in english.paragraph
