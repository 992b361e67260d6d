"""Shadow prices per year and for the staff limits: small cases worked by hand (a building that
only the second year's money can pay, with and without carry-over; one more recruit), the
re-solve checked against the scenario changed through the change language and solved again,
and the county campaign priced end to end."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from conftest import community, option, scenario_dict, solve_checked
from typer.testing import CliRunner

from allocator import load_scenario
from allocator.analysis.diagnosis import solve
from allocator.analysis.shadow import shadow_prices
from allocator.cli import app
from allocator.findings import ShadowPrices, StaffLimitPrice, Trust, YearBudgetPrice
from allocator.scenario.loading import scenario_from_dict

GROUPS = [{"id": "g", "name": "城南街道", "kind": "street"}]


def building_case(by_year: dict[int, float], carry_over: bool = False) -> dict[str, Any]:
    """Site a: 0 m2 of 100. Its one route, a building ready the year it starts, is at least
    80 m2 and at most 100, at 0.5 万元/m2 (40 to 50 万元), paid in its start year. The county
    has 100 万元 over 2024-2025 and `by_year` a year."""
    build = option("a-build", "allocate_build", max_area_m2=100, min_area_m2=80,
                   cost_per_m2=0.5, ready_after=0)  # fmt: skip
    county = {"id": "county", "name": "县财政", "budget": 100, "budget_by_year": by_year,
              "carry_over": carry_over}  # fmt: skip
    return scenario_dict([community("a", [build], target_area_m2=100)], funding=[county],
                         years=[2024, 2025], horizon_years=2)  # fmt: skip


def priced(raw: dict[str, Any], **options: Any) -> ShadowPrices:
    plan = solve_checked(raw)
    assert plan.status.has_plan
    return shadow_prices(scenario_from_dict(copy.deepcopy(raw)), plan, **options)


def year_entry(prices: ShadowPrices, year: int, source: str = "county") -> YearBudgetPrice:
    return next(b for b in prices.year_budgets if b.source == source and b.year == year)


def test_money_of_the_first_year_is_worth_nothing_when_the_building_fits_only_the_second() -> None:
    """30 万元 in 2024, 45 in 2025, no carry-over. 2024's 30 cannot pay the smallest building
    (40): it starts in 2025 with 45 万元, 90 m2, 10 short. One more 万元 in 2024 still pays no
    building (31 < 40): worth nothing, by LP (the 2024 row has slack) and by re-solve. One more
    in 2025 builds 1 / 0.5 = 2 m2 more: the weighted shortfall falls by 2 m2 per 万元, until
    the building is at 100 m2, 5 万元 further. The campaign's 100 万元 does not bind."""
    prices = priced(building_case({2024: 30, 2025: 45}))
    first, second = year_entry(prices, 2024), year_entry(prices, 2025)
    assert (first.budget, first.used, first.binding) == (30, 0, False)
    assert first.lp.shortfall_m2 == 0 and first.lp.cost_wan == 0
    assert first.finite_difference.shortfall_m2 == 0 and first.agree is True
    assert first.buys == "one more 万元 of county in 2024 buys nothing"
    assert (second.budget, second.used, second.binding) == (45, 45, True)
    assert second.lp.shortfall_m2 == pytest.approx(2)
    assert second.lp.holds_for == pytest.approx(5)
    assert second.finite_difference.shortfall_m2 == pytest.approx(2)
    assert second.agree is True and second.trust == Trust.BOTH
    assert second.buys == "one more 万元 of county in 2025 cuts the weighted shortfall by 2 m2"
    assert second.by_then is None and "spent in 2025 only" in second.means
    campaign = next(b for b in prices.budgets if b.source == "county")
    assert campaign.lp.shortfall_m2 == 0 and campaign.binding is False


def test_money_carried_over_counts_in_every_later_year() -> None:
    """30 万元 in 2024 and 10 in 2025, carried over: 40 by 2025 pays the smallest building
    (80 m2) in 2025, 20 short. One more 万元 approved in 2024 may be spent in 2025 too: 2 m2
    more, as one more in 2025. Its LP price adds up the duals of the cumulative rows of 2024
    (slack: nothing is spent by then, 0) and 2025 (2 m2). The 2024 row alone (by_then: money
    brought forward into 2024, 2025's total unchanged) is worth nothing, the building being
    paid in 2025; 2025's row alone is 2."""
    prices = priced(building_case({2024: 30, 2025: 10}, carry_over=True))
    first, second = year_entry(prices, 2024), year_entry(prices, 2025)
    for entry in (first, second):
        assert entry.carry_over is True
        assert entry.lp.shortfall_m2 == pytest.approx(2)
        assert entry.finite_difference.shortfall_m2 == pytest.approx(2)
        assert entry.agree is True
    assert first.by_then.shortfall_m2 == 0
    assert second.by_then.shortfall_m2 == pytest.approx(2)
    assert (first.used, second.used) == (0, 40)
    assert "2024 or later" in first.means and "2024 or earlier" in first.means
    data = prices.to_dict()["budgets_by_year"][0]
    assert data["year"] == 2024 and data["carry_over"] is True
    assert data["lp"]["shortfall_reduction_m2_per_wan"] == pytest.approx(2)
    assert data["by_then"]["shortfall_reduction_m2_per_wan"] == 0


@pytest.mark.parametrize(("carry_over", "year"), [(False, 2025), (True, 2024), (True, 2025)])
def test_the_re_solve_is_the_scenario_changed_and_solved_again(carry_over: bool, year: int) -> None:
    """The finite difference of a year is what the change language's `budget_by_year.<year>:
    {add: 1}` does to the plan solved again, and agrees with the LP price where the routes do
    not change (the building grows; no route comes in or leaves)."""
    raw = building_case({2024: 30, 2025: 45 if not carry_over else 10}, carry_over)
    prices = priced(raw)
    entry = year_entry(prices, year)
    base = solve_checked(raw)
    raw_more = copy.deepcopy(raw)
    raw_more["funding"][0]["budget_by_year"][year] += 1
    more = solve_checked(raw_more)
    assert entry.finite_difference.shortfall_m2 == pytest.approx(
        base.weighted_shortfall - more.weighted_shortfall, abs=1e-6
    )
    assert entry.finite_difference.routes_in == entry.finite_difference.routes_out == ()
    assert entry.lp.shortfall_m2 == pytest.approx(entry.finite_difference.shortfall_m2)


def recruit_case() -> dict[str, Any]:
    """S, 500 m2 already, 5 posts of 7; recruits only, 5.5 万元 a year each, at most 1 over
    the campaign and at most 1 in 2024; 50 万元 a year."""
    recruit = {"cost_per_person_year": 5.5, "most": 1, "most_by_year": {2024: 1}}
    county = {"id": "county", "name": "县财政", "budget": 100, "pays_for": "all",
              "budget_by_year": {2024: 50, 2025: 50}}  # fmt: skip
    return scenario_dict([community("S", [], existing_area_m2=500, posts_now=5)],
                         funding=[county], groups=GROUPS, staffing={"recruit": recruit},
                         years=[2024, 2025], horizon_years=2)  # fmt: skip


def limit_entry(prices: ShadowPrices, limit: str, year: int | None) -> StaffLimitPrice:
    return next(s for s in prices.staff_limits if s.limit == limit and s.year == year)


def test_one_more_recruit_cuts_the_posts_short() -> None:
    """One recruit is taken (the campaign's limit), one post short. One more recruit over the
    campaign: the second comes (in 2024 or 2025: 2024's limit of 1 leaves 2025 free), posts
    short 1 -> 0. The posts are fixed in the LP: its price is 0, and the re-solve, which adds
    the recruit, is the one to trust. One more in 2024's limit buys nothing: the campaign's
    limit of 1 binds."""
    raw = recruit_case()
    assert solve_checked(raw).posts_short == 1
    prices = priced(raw)
    campaign = limit_entry(prices, "recruit_limit", None)
    assert (campaign.most, campaign.used, campaign.binding) == (1, 1, True)
    assert campaign.lp.shortfall_m2 == 0 and campaign.lp.posts_short == 0
    assert campaign.finite_difference.posts_short == pytest.approx(1)
    assert campaign.finite_difference.posts_changed == ("recruit+1",)
    assert campaign.trust == Trust.FINITE_DIFFERENCE and campaign.agree is False
    assert campaign.buys == (
        "one more post of the county's limit of recruits (招聘) cuts the posts short by 1"
    )
    in_2024 = limit_entry(prices, "recruit_limit", 2024)
    assert in_2024.finite_difference.posts_short == 0 and in_2024.agree is True
    data = prices.to_dict()["staff_limits"][0]
    assert data["finite_difference"]["posts_short_reduction_per_post"] == pytest.approx(1)


def test_a_plan_without_years_or_staff_keeps_its_json() -> None:
    """No years, no staff: no `budgets_by_year`, no `staff_limits`, no posts' keys."""
    raw = scenario_dict(
        [community("a", [option("a-lease", annual_cost_per_m2=0.02)])],
        funding=[{"id": "county", "name": "县财政", "budget": 5}],
    )
    data = priced(raw).to_dict()
    assert "budgets_by_year" not in data and "staff_limits" not in data
    assert "posts_short_reduction_per_wan" not in data["budgets"][0]["lp"]


def test_the_screen_shows_the_years_and_the_limits(tmp_path: Any) -> None:
    """`solve --explain` prints a table of the years' budgets and one of the staff limits in
    Chinese, with the words of the catalogue, and writes them in the plan's JSON."""
    raw = recruit_case()
    path = tmp_path / "s.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    shown = CliRunner().invoke(app, ["solve", str(path), "--explain"], terminal_width=120)
    assert shown.exit_code == 0, shown.output
    assert "各年度预算" in shown.output and "人员限额每多 1 人" in shown.output
    assert "招聘人数上限" in shown.output and "缺编减 1 人" in shown.output
    out = tmp_path / "out"
    CliRunner().invoke(app, ["solve", str(path), "--explain", "-f", "json", "--out", str(out)])
    written = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert {e["year"] for e in written["shadow_prices"]["budgets_by_year"]} == {2024, 2025}


def test_the_county_campaign_prices_its_years_and_staff_limits() -> None:
    """scenarios/2024.yaml: the county's money of 2024, 2025 and 2026 (carried over) and the
    three staff limits are priced, each by LP and re-solve. The sites due in 2024 spend all of
    2024's 200 万元; one more first secretary in the pool of 10 cuts the posts short by one."""
    scenario = load_scenario("scenarios/2024.yaml")
    plan = solve(scenario)
    prices = shadow_prices(scenario, plan, communities=[], budgets=[])
    years = {(b.source, b.year): b for b in prices.year_budgets}
    assert set(years) == {("county", 2024), ("county", 2025), ("county", 2026)}
    assert years[("county", 2024)].used == pytest.approx(200) and years[("county", 2024)].binding
    assert all(b.finite_difference is not None and b.by_then is not None for b in years.values())
    limits = {s.limit: s for s in prices.staff_limits}
    assert set(limits) == {"post_quota", "dispatch_pool", "recruit_limit"}
    pool = limits["dispatch_pool"]
    assert pool.binding and pool.finite_difference.posts_short == pytest.approx(1)
    assert prices.total_cost == pytest.approx(plan.total_cost, abs=1e-3)


def test_money_that_buys_a_recruit_leads_the_prices(tmp_path: Any) -> None:
    """S, 5 posts of 7, recruits at 5.5 万元 a year over 2 years (11 each); the county has 11
    万元: one recruit, one post short. 1, 2, 5 or 10 万元 more (12 to 21) pays no second recruit
    (22); 20 more does: the posts short fall by one (the cost rises by 11, which the posts
    come before). `solve --explain` leads with it."""
    county = {"id": "county", "name": "县财政", "budget": 11, "pays_for": "all"}
    raw = scenario_dict([community("S", [], existing_area_m2=500, posts_now=5)],
                        funding=[county], groups=GROUPS, horizon_years=2,
                        staffing={"recruit": {"cost_per_person_year": 5.5}})  # fmt: skip
    assert solve_checked(raw).posts_short == 1
    path = tmp_path / "s.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    shown = CliRunner().invoke(app, ["solve", str(path), "--explain"], terminal_width=160)
    assert shown.exit_code == 0, shown.output
    assert "每多 20 万元：县财政减少缺编 1 人" in shown.output
