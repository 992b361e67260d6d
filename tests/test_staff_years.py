"""Staff year by year: the year each post is added, each year's staff money, the per-year quota,
pool and limit, a first secretary's term and the year the pay rise starts; small cases solved
by hand in both formulations, each plan checked by the independent oracle."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import community, scenario_dict, solve_checked
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracle import check_plan
from typer.testing import CliRunner

from allocator.cli import app
from allocator.errors import ScenarioError
from allocator.model.rules import FAMILIES
from allocator.model.terms import Layout
from allocator.scenario.loading import scenario_from_dict

FORMULATIONS = ("naive", "sets")
GROUPS = [{"id": "g", "name": "城南街道", "kind": "street"}]


def one_street(staffing: dict[str, Any], years: list[int], budget_by_year: dict[int, float],
               posts_now: int = 5, **fields: Any) -> dict[str, Any]:  # fmt: skip
    """S, a street community with its 500 m2 already and `posts_now` posts of 7; one county pot
    of 100 万元 with a budget a year, paying everything."""
    county = {"id": "county", "name": "县财政", "budget": 100, "pays_for": "all",
              "budget_by_year": budget_by_year}  # fmt: skip
    return scenario_dict(
        [community("S", [], existing_area_m2=500, posts_now=posts_now)],
        funding=[county],
        groups=GROUPS,
        staffing=copy.deepcopy(staffing),
        years=years,
        horizon_years=len(years),
        **fields,
    )


def _posts(plan: Any, cid: str = "S") -> Any:
    return next(c for c in plan.community_results if c.id == cid).posts


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_posts_are_paid_from_the_year_they_are_added(formulation: str) -> None:
    """Two recruits at 5.5 万元 a year are short; 2024 has no money, 2025 has 11. Counted as
    1/H of their money in every year (the rule before), they would need 11 in 2024 too: none
    would be taken. Paid from their year, both start in 2025 and cost 11 then; the campaign
    still counts them over horizon_years (2 x 2 x 5.5 = 22), as a late route's rent."""
    raw = one_street({"recruit": {"cost_per_person_year": 5.5}}, [2024, 2025], {2024: 0, 2025: 11})
    plan = solve_checked(raw, formulation=formulation)
    assert plan.posts_short == 0
    assert _posts(plan).added_by_year == {"recruit": {2025: 2}}
    assert plan.total_cost == pytest.approx(22)
    assert [(y.year, y.cost, y.posts_short) for y in plan.by_year] == [(2024, 0, 2), (2025, 11, 0)]
    row = plan.community_results[0]
    assert row.staff_funding_by_year == {"recruit": {2025: {"county": 11}}}


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_quota_a_year_spreads_the_added_posts(formulation: str) -> None:
    """Two posts short, 增编 only, at most one a year: one in 2024 and one in 2025."""
    staffing = {"add_post": {"quota_by_year": {2024: 1, 2025: 1}, "cost_per_post_year": 7.5}}
    plan = solve_checked(one_street(staffing, [2024, 2025], {2024: 50, 2025: 50}),
                         formulation=formulation)  # fmt: skip
    assert plan.posts_short == 0
    assert _posts(plan).added_by_year == {"add_post": {2024: 1, 2025: 1}}
    assert [y.posts_short for y in plan.by_year] == [1, 0]


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_year_not_listed_has_no_limit_of_its_own(formulation: str) -> None:
    """quota_by_year says 0 for 2024 and nothing of 2025: both posts are added in 2025; the
    campaign's quota of 1 still holds: one post, one short."""
    staffing = {"add_post": {"quota": 1, "quota_by_year": {2024: 0}, "cost_per_post_year": 7.5}}
    plan = solve_checked(one_street(staffing, [2024, 2025], {2024: 50, 2025: 50}),
                         formulation=formulation)  # fmt: skip
    assert plan.posts_short == 1
    assert _posts(plan).added_by_year == {"add_post": {2025: 1}}
    staffing["add_post"].pop("quota")
    plan = solve_checked(one_street(staffing, [2024, 2025], {2024: 50, 2025: 50}),
                         formulation=formulation)  # fmt: skip
    assert _posts(plan).added_by_year == {"add_post": {2025: 2}}


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_recruits_a_year_and_the_pool_a_year(formulation: str) -> None:
    """Three short; one recruit a year at most and no first secretary serving in 2024: a
    recruit in each year and the secretary in 2025 (the money, 5.5 then 11, pays them)."""
    staffing = {
        "recruit": {"cost_per_person_year": 5.5, "most_by_year": {2024: 1, 2025: 1}},
        "dispatch": {"pool_by_year": {2024: 0, 2025: 1}},
    }
    raw = one_street(staffing, [2024, 2025], {2024: 5.5, 2025: 11}, posts_now=4)
    plan = solve_checked(raw, formulation=formulation)
    assert plan.posts_short == 0
    assert _posts(plan).added_by_year == {"dispatch": {2025: 1}, "recruit": {2024: 1, 2025: 1}}


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_the_pay_rise_starts_in_its_year(formulation: str) -> None:
    """No post short (7 of 7); a rise of 400 元 a month on 7 cadres is 3.36 万元 a year. From
    2025, 2024's budget of 0 is kept; from the first year it is not: no plan, and the report
    names the pay rise and the yearly budget."""
    staffing = {"pay_rise": {"street_yuan_per_month": 400, "from_year": 2025}}
    raw = one_street(staffing, [2024, 2025], {2024: 0, 2025: 5}, posts_now=7)
    plan = solve_checked(raw, formulation=formulation)
    row = plan.community_results[0]
    assert row.staff_funding_by_year == {"pay_rise": {2025: {"county": pytest.approx(3.36)}}}
    assert [y.cost for y in plan.by_year] == [0, pytest.approx(3.36)]
    assert row.staff_cost == pytest.approx(2 * 3.36)  # over horizon_years, as every rent
    raw["staffing"]["pay_rise"].pop("from_year")
    unpaid = scenario_solved(raw, formulation)
    assert unpaid.status.value == "infeasible"
    assert {c.rule for c in unpaid.diagnosis.conflicts} == {"budget_by_year", "pay_rise"}


def scenario_solved(raw: dict[str, Any], formulation: str) -> Any:
    from allocator import solve

    return solve(scenario_from_dict(copy.deepcopy(raw)), formulation=formulation)


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_first_secretary_counts_while_he_serves(formulation: str) -> None:
    """One post short, a pool of one and a term of one year over 2024-2025: a secretary sent
    in 2024 has gone by the end; the one the plan sends serves in 2025."""
    staffing = {"dispatch": {"pool": 1, "term_years": 1}}
    plan = solve_checked(one_street(staffing, [2024, 2025], {2024: 5, 2025: 5}, posts_now=6),
                         formulation=formulation)  # fmt: skip
    assert plan.posts_short == 0
    assert _posts(plan).added_by_year == {"dispatch": {2025: 1}}
    assert [y.posts_short for y in plan.by_year] == [1, 0]


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_one_secretary_at_a_time_but_one_after_another(formulation: str) -> None:
    """A pool of two and a term of one year: one may serve in 2024 and another in 2025, never
    two at once (the oracle checks each year): one serving at the end."""
    staffing = {"dispatch": {"pool": 2, "pool_by_year": {2024: 1, 2025: 1}, "term_years": 1}}
    raw = one_street(staffing, [2024, 2025], {2024: 5, 2025: 5}, posts_now=5)
    plan = solve_checked(raw, formulation=formulation)
    assert plan.posts_short == 1  # one serving at the end: 6 of 7
    assert _posts(plan).added["dispatch"] == 1


def test_per_year_fields_are_checked_before_a_plan() -> None:
    staffing = {
        "add_post": {"quota_by_year": {2023: 1}, "cost_per_post_year": 7.5},
        "dispatch": {"pool": 1, "pool_by_year": {2030: 1}},
        "pay_rise": {"street_yuan_per_month": 400, "from_year": 2031},
    }
    raw = one_street(staffing, [2024, 2025], {2024: 5, 2025: 5})
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(raw)
    words = str(error.value)
    assert "2023 不是规划年度 [2024, 2025] 之一" in words
    assert "2030 不是规划年度" in words and "2031 不是规划年度" in words
    raw = one_street({"dispatch": {"term_years": 2}, "recruit": {"cost_per_person_year": 5,
                      "most_by_year": {2024: 1}}}, [2024], {2024: 5})  # fmt: skip
    raw.pop("years")
    raw["funding"][0].pop("budget_by_year")
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(raw)
    words = str(error.value)
    assert "staffing.dispatch.pool" in words  # a pool for the campaign or by year
    assert "写了年份，但情景没有规划年度 `years`" in words
    assert words.count("情景没有规划年度 `years`") == 2


def test_each_year_limit_is_a_rule_the_conflict_search_can_name() -> None:
    staffing = {"add_post": {"quota": 3, "quota_by_year": {2025: 2}, "cost_per_post_year": 7.5}}
    scenario = scenario_from_dict(one_street(staffing, [2024, 2025], {2024: 5, 2025: 5}))
    layout = Layout.of(scenario)
    quota = next(f for f in FAMILIES if f.name == "post_quota")
    rules = {rule.key: rule for rule in quota.instances(layout)}
    assert set(rules) == {("county",), ("2025",)}
    assert rules[("2025",)].text.startswith("2025 年增编指标")
    assert rules[("2025",)].loc == ("staffing", "add_post", "quota_by_year", 2025)


def test_a_file_without_years_keeps_its_plan() -> None:
    """The per-year parts are off without `years`: the same columns, the same plan."""
    raw = one_street({"recruit": {"cost_per_person_year": 5.5}}, [2024], {2024: 0})
    raw.pop("years")
    raw["funding"][0].pop("budget_by_year")
    plan = solve_checked(raw)
    assert (
        _posts(plan).added_by_year == {} and plan.community_results[0].staff_funding_by_year == {}
    )
    assert _posts(plan).added == {"add_post": 0, "dispatch": 0, "recruit": 2}


def _planned() -> tuple[dict[str, Any], dict[str, Any]]:
    staffing = {"recruit": {"cost_per_person_year": 5.5, "most_by_year": {2025: 2}},
                "dispatch": {"pool": 1, "term_years": 1}}  # fmt: skip
    raw = one_street(staffing, [2024, 2025], {2024: 0, 2025: 11}, posts_now=4)
    return raw, json.loads(json.dumps(solve_checked(raw).to_dict()))


def _row(plan: dict[str, Any]) -> dict[str, Any]:
    return plan["communities"][0]


def _early_recruit(raw: dict, plan: dict) -> None:  # paid in 2025 only
    _row(plan)["posts"]["added_by_year"]["recruit"] = {"2024": 1, "2025": 1}


def _unpaid_year(raw: dict, plan: dict) -> None:
    _row(plan)["staff_funding_by_year"]["recruit"]["2025"]["county"] -= 1


def _over_year_limit(raw: dict, plan: dict) -> None:
    raw["staffing"]["recruit"]["most_by_year"] = {2025: 1}


def _two_serving(raw: dict, plan: dict) -> None:
    raw["staffing"]["dispatch"]["term_years"] = 2
    raw["staffing"]["dispatch"]["pool"] = 2
    _row(plan)["posts"]["added_by_year"]["dispatch"] = {"2024": 1, "2025": 1}


def _wrong_year_short(raw: dict, plan: dict) -> None:
    plan["by_year"][0]["posts_short"] = 0


MUTATIONS = [
    (_early_recruit, "staff-by-year"),
    (_unpaid_year, "staff-by-year"),
    (_over_year_limit, "recruit-limit"),
    (_two_serving, "staff-by-year"),
    (_wrong_year_short, "by-year"),
]


@pytest.mark.parametrize(("mutate", "rule"), MUTATIONS, ids=[m.__name__ for m, _ in MUTATIONS])
def test_each_staff_year_violation_is_reported(mutate: Any, rule: str) -> None:
    raw, plan = _planned()
    assert check_plan(raw, plan) == []
    assert _row(plan)["posts"]["added_by_year"] == {"dispatch": {"2025": 1},
                                                    "recruit": {"2025": 2}}  # fmt: skip
    mutate(raw, plan)
    problems = check_plan(raw, plan)
    assert any(p.startswith(f"[{rule}]") for p in problems), problems


def test_a_variant_changes_a_years_quota(tmp_path: Path) -> None:
    """The change language reaches the new fields: `allocator solve` of a variant that opens
    2025's quota plans the second post that year."""
    staffing = {"add_post": {"quota_by_year": {2024: 1, 2025: 0}, "cost_per_post_year": 7.5}}
    raw = one_street(staffing, [2024, 2025], {2024: 50, 2025: 50})
    raw["variants"] = [{"name": "more", "changes": [{"staffing.add_post.quota_by_year.2025": 1}]}]
    path = tmp_path / "county.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    base = scenario_from_dict(copy.deepcopy(raw))
    more = base.with_changes({"staffing.add_post.quota_by_year.2025": 1})
    assert more.staffing.add_post.quota_by_year == {2024: 1, 2025: 1}
    result = CliRunner().invoke(app, ["solve", str(path), "--variant", "more", "-f", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["posts_short"] == 0
    assert plan["communities"][0]["posts"]["added_by_year"]["add_post"] == {"2024": 1, "2025": 1}


def test_the_staff_table_says_the_year_posts_are_added() -> None:
    """With years, the staff table (and staff.csv) ends with the posts added by year; without,
    its columns are those of before."""
    from allocator.catalogue import use_lang
    from allocator.report.staff import staff_rows, staff_table

    staffing = {
        "recruit": {"cost_per_person_year": 5.5, "most_by_year": {2024: 1, 2025: 1}},
        "add_post": {"quota_by_year": {2024: 0, 2025: 1}, "cost_per_post_year": 7.5},
    }
    raw = one_street(staffing, [2024, 2025], {2024: 5.5, 2025: 18.5}, posts_now=4)
    plan = solve_checked(raw)
    with use_lang("zh"):
        assert staff_rows(plan)[0]["posts_by_year"] == "2024 招聘1; 2025 增编1 招聘1"
    assert list(staff_table(plan).columns)[-1] == "posts_by_year"
    raw.pop("years")
    raw["funding"][0].pop("budget_by_year")
    raw["staffing"]["recruit"].pop("most_by_year")
    raw["staffing"]["add_post"] = {"quota": 1, "cost_per_post_year": 7.5}
    assert "posts_by_year" not in staff_table(solve_checked(raw)).columns


def test_the_workbook_carries_the_staff_years(tmp_path: Path) -> None:
    """人员配备 has the per-year limits (2024:1, 2025:0), the term and the rise's first year:
    a scenario written to a workbook reads back with the same staffing; a count by year that
    is not one is named by its cell."""
    from openpyxl import load_workbook

    from allocator.scenario.loading import load_scenario
    from allocator.scenario.workbook_write import write_workbook

    staffing = {
        "add_post": {"quota_by_year": {2024: 1, 2025: 0}, "cost_per_post_year": 7.5},
        "dispatch": {"pool": 2, "pool_by_year": {2025: 1}, "term_years": 1},
        "recruit": {"cost_per_person_year": 5.5, "most_by_year": {2024: 2}},
        "pay_rise": {"street_yuan_per_month": 400, "from_year": 2025},
    }
    scenario = scenario_from_dict(one_street(staffing, [2024, 2025], {2024: 50, 2025: 50}))
    path = tmp_path / "staff_years.xlsx"
    write_workbook(path, scenario)
    assert load_scenario(path).staffing == scenario.staffing
    book = load_workbook(path)
    sheet = book["人员配备"]
    row = next(r for r in sheet.iter_rows() if r[0].value == "增编：分年度额度（年:人）")
    assert row[1].value == "2024:1, 2025:0"
    row[1].value = "2024 五人"
    book.save(path)
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert f"人员配备!B{row[1].row}" in str(error.value) and "2024 五人" in str(error.value)


def test_plan_workbook_staff_sheet_ends_with_the_years(tmp_path: Path) -> None:
    import openpyxl

    from allocator.report.workbook import write_plan_workbook

    staffing = {"recruit": {"cost_per_person_year": 5.5}}
    plan = solve_checked(one_street(staffing, [2024, 2025], {2024: 0, 2025: 11}))
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, path)
    rows = list(openpyxl.load_workbook(path)["人员配备"].values)
    assert rows[0][-1] == "逐年增加（人）" and rows[1][-1] == "2025 招聘2"


@st.composite
def staffed_years(draw: st.DrawFn) -> dict[str, Any]:
    """One to three communities, a street's or a town's, over two or three years, with each
    year's money drawn, and sometimes a limit by year, a term or the rise's first year."""
    years = [2024, 2025, 2026][: draw(st.integers(2, 3))]
    groups = [*GROUPS, {"id": "t", "name": "大安镇", "kind": "town"}]
    communities = [
        community(f"c{i}", [], existing_area_m2=500, group=draw(st.sampled_from(["g", "t"])),
                  posts_now=draw(st.integers(4, 7)))
        for i in range(draw(st.integers(1, 3)))
    ]  # fmt: skip
    money = st.sampled_from([0, 3, 6, 12, 20])
    county = {"id": "county", "name": "县财政", "budget": draw(st.integers(10, 80)),
              "pays_for": "all", "budget_by_year": {t: draw(money) for t in years},
              "carry_over": draw(st.booleans())}  # fmt: skip
    limits = st.dictionaries(st.sampled_from(years), st.integers(0, 2), max_size=len(years))
    staffing = {
        "add_post": {"quota": draw(st.integers(0, 3)), "cost_per_post_year": 7.5,
                     "quota_by_year": draw(limits)},
        "dispatch": {"pool": draw(st.integers(0, 3)), "pool_by_year": draw(limits),
                     "term_years": draw(st.none() | st.integers(1, 2))},
        "recruit": {"cost_per_person_year": 5.5, "most_by_year": draw(limits)},
        "pay_rise": {"street_yuan_per_month": draw(st.sampled_from([0, 400])),
                     "town_yuan_per_month": 300, "from_year": draw(st.sampled_from(years))},
    }  # fmt: skip
    return scenario_dict(communities, funding=[county], groups=groups, staffing=staffing,
                         years=years, horizon_years=len(years))  # fmt: skip


def _valid(raw: dict[str, Any]) -> bool:
    try:
        scenario_from_dict(copy.deepcopy(raw))
    except ScenarioError:
        return False
    return True


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(staffed_years())
def test_formulations_agree_on_staff_by_year(raw: dict[str, Any]) -> None:
    """Both formulations reach the same measures, each plan passing the oracle year by year."""
    assume(_valid(raw))
    naive, sets = (solve_checked(raw, formulation=f) for f in FORMULATIONS)
    assert naive.status == sets.status
    if naive.status.has_plan:
        assert naive.posts_short == sets.posts_short
        assert naive.total_cost == pytest.approx(sets.total_cost, abs=1e-4)
