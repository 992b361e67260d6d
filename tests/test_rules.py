"""One small scenario per rule of the model, with the answer worked out by hand.

Numbers are chosen so that the arithmetic is easy to follow: money in 万元, area in m2.
"""

from __future__ import annotations

import pytest
from conftest import chosen, community, demo_site, option, result, scenario_dict, solve_checked

from allocator.plan import Status


def test_area_bounds_and_shortfall() -> None:
    """(1), (13): target 500, existing 100, one lease of at most 300 m2 at 0.01/m2.

    Best: lease all 300 -> 400 m2, shortfall 100; cost 300 * 0.01 = 3.
    """
    raw = scenario_dict(
        [
            community(
                "a", [option("a-lease", max_area_m2=300, cost_per_m2=0.01)], existing_area_m2=100
            )
        ]
    )
    plan = solve_checked(raw)
    assert plan.status == Status.OPTIMAL
    assert chosen(plan) == {"a-lease": 300}
    assert result(plan, "a").shortfall_m2 == pytest.approx(100)
    assert plan.total_cost == pytest.approx(3)


def test_meets_target_at_least_cost() -> None:
    """(16): existing 300; a lease up to 400 m2 at 0.02/m2; the target needs only 200 m2.

    Shortfall 0 with 200 m2; cost 200 * 0.02 = 4 (not 400 m2 for 8).
    """
    raw = scenario_dict(
        [
            community(
                "a", [option("a-lease", max_area_m2=400, cost_per_m2=0.02)], existing_area_m2=300
            )
        ]
    )
    plan = solve_checked(raw)
    assert chosen(plan) == {"a-lease": pytest.approx(200)}
    assert plan.total_cost == pytest.approx(4)


def test_all_or_nothing_area() -> None:
    """(1) with min = max: a 600 m2 building costs 0.2/m2 = 120, but the budget is 100.

    It cannot be built at all, so the lease (300 m2 at 0.05 = 15) is the best the county can
    do: shortfall 500 - 300 = 200.
    """
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option("a-build", "allocate_build", 600, min_area_m2=600, cost_per_m2=0.2),
                    option("a-lease", max_area_m2=300, cost_per_m2=0.05),
                ],
                max_options=1,
            )
        ],
        funding=[{"id": "county", "name": "县财政", "budget": 100}],
    )
    plan = solve_checked(raw)
    assert chosen(plan) == {"a-lease": 300}
    assert plan.weighted_shortfall == pytest.approx(200)


def test_locked_chosen_and_rejected() -> None:
    """(2): the cheap lease (0.01/m2) is locked rejected; the dear heightening (0.3/m2) is
    locked chosen. Target 500, existing 0, both could do 500 m2.

    The plan must use the heightening: 500 * 0.3 = 150.
    """
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option("a-lease", cost_per_m2=0.01, locked="rejected"),
                    option("a-up", "heighten", cost_per_m2=0.3, locked="chosen"),
                ],
            )
        ]
    )
    plan = solve_checked(raw)
    assert chosen(plan) == {"a-up": 500}
    assert plan.total_cost == pytest.approx(150)


def test_excluded_pair() -> None:
    """(3): two 250 m2 options at 0.01/m2 exclude each other; a third gives 250 m2 at 0.1/m2.

    Without the rule the two cheap ones would do (5). With it: one cheap + the dear one,
    250 * 0.01 + 250 * 0.1 = 27.5.
    """
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option("a1", max_area_m2=250, cost_per_m2=0.01, excludes=["a2"]),
                    option("a2", "reclaim", max_area_m2=250, cost_per_m2=0.01),
                    option("a3", "heighten", max_area_m2=250, cost_per_m2=0.1),
                ],
            )
        ]
    )
    plan = solve_checked(raw)
    assert plan.total_cost == pytest.approx(27.5)
    assert "a3" in chosen(plan)


def test_max_options() -> None:
    """(4): three 200 m2 options, at most 2 combined: 400 m2 at best, shortfall 100."""
    raw = scenario_dict(
        [community("a", [option(f"a{i}", max_area_m2=200, cost_per_m2=0.01) for i in range(3)])]
    )
    plan = solve_checked(raw)
    assert len(chosen(plan)) == 2
    assert plan.weighted_shortfall == pytest.approx(100)


def test_costs_over_the_horizon() -> None:
    """(5): a lease of 500 m2 with a 2/year fee and 0.01/m2/year, over 3 years, plus 1 one-off.

    capital = 1; running = 3 * (2 + 500 * 0.01) = 21; cost = 22.
    """
    raw = scenario_dict(
        [community("a", [option("a-lease", fixed_cost=1, annual_cost=2, annual_cost_per_m2=0.01)])],
        horizon_years=3,
    )
    plan = solve_checked(raw)
    lease = result(plan, "a").options[0]
    assert (lease.capital_cost, lease.running_cost, lease.cost) == pytest.approx((1, 21, 22))


def test_capital_only_money() -> None:
    """(7): a 500 m2 lease costs 0.04/m2/year over 2 years = 40, all running cost. A region
    grant of 100 is capital only; the county has 15. Only the county may pay rent, and the fee
    is per m2 (0.04/m2/year), so its 15 buys 15 / (2 * 0.04) = 187.5 m2.
    Shortfall 500 - 187.5 = 312.5.
    """
    raw = scenario_dict(
        [community("a", [option("a-lease", annual_cost_per_m2=0.04)])],
        funding=[
            {"id": "grant", "name": "自治区项目", "budget": 100, "capital_only": True},
            {"id": "county", "name": "县财政", "budget": 15},
        ],
        horizon_years=2,
    )
    plan = solve_checked(raw)
    assert chosen(plan)["a-lease"] == pytest.approx(187.5)
    assert result(plan, "a").options[0].funding == {"county": pytest.approx(15)}


def test_max_share_needs_matching_money() -> None:
    """(8): a 500 m2 build at 0.2/m2 = 100. The grant pays at most 80% (80); the county has 10.

    80 + 10 = 90 < 100: the whole build is out of reach; the share rule caps the grant at 0.8
    of the cost, so cost <= grant + county with grant <= 0.8 cost gives cost <= 10 / 0.2 = 50:
    250 m2, shortfall 250, the grant paying 40 and the county 10.
    """
    raw = scenario_dict(
        [community("a", [option("a-build", "allocate_build", cost_per_m2=0.2)])],
        funding=[
            {"id": "grant", "name": "自治区项目", "budget": 200, "max_share": 0.8},
            {"id": "county", "name": "县财政", "budget": 10},
        ],
    )
    plan = solve_checked(raw)
    assert chosen(plan)["a-build"] == pytest.approx(250)
    assert result(plan, "a").options[0].funding == {
        "grant": pytest.approx(40),
        "county": pytest.approx(10),
    }


def test_max_per_option() -> None:
    """(9): two communities each need a 500 m2 build at 0.1/m2 = 50. The grant (budget 200)
    pays at most 30 per option; the county has 40. Need 100, available 30 + 30 + 40 = 100:
    both are met, the grant paying exactly 30 to each.
    """
    raw = scenario_dict(
        [community(c, [option(f"{c}-build", "allocate_build", cost_per_m2=0.1)]) for c in "ab"],
        funding=[
            {"id": "grant", "name": "自治区项目", "budget": 200, "max_per_option": 30},
            {"id": "county", "name": "县财政", "budget": 40},
        ],
    )
    plan = solve_checked(raw)
    assert plan.weighted_shortfall == pytest.approx(0)
    for c in "ab":
        assert result(plan, c).options[0].funding["grant"] == pytest.approx(30)


def test_max_options_funded() -> None:
    """(10): three communities each need 50 (500 m2 at 0.1/m2). The grant (budget 150) may
    fund only 2 options; no other money. Two communities are met, the third gets nothing:
    weighted shortfall 500.
    """
    raw = scenario_dict(
        [community(c, [option(f"{c}-build", "allocate_build", cost_per_m2=0.1)]) for c in "abc"],
        funding=[{"id": "grant", "name": "自治区项目", "budget": 150, "max_options_funded": 2}],
    )
    plan = solve_checked(raw)
    assert plan.communities_meeting_target == 2
    assert plan.weighted_shortfall == pytest.approx(500)


def test_budget_units_by_scope() -> None:
    """(11): startup money per community (street 10, town 5, and `budgets` gives b 20);
    each community needs 500 m2 of lease at 0.04/m2 = 20 and has nothing else.

    a (street): 10 buys 250 m2, shortfall 250. b: 20 buys 500, met. t (town): 5 buys 125,
    shortfall 375. Money cannot move between communities.
    """
    raw = scenario_dict(
        [
            community("a", [option("a-lease", cost_per_m2=0.04)]),
            community("b", [option("b-lease", cost_per_m2=0.04)]),
            community("t", [option("t-lease", cost_per_m2=0.04)], group="town1"),
        ],
        funding=[
            {
                "id": "startup",
                "name": "启动经费",
                "scope": "community",
                "budget_by_kind": {"street": 10, "town": 5},
                "budgets": {"b": 20},
            }
        ],
        groups=[
            {"id": "g", "name": "城南街道", "kind": "street"},
            {"id": "town1", "name": "大安镇", "kind": "town"},
        ],
    )
    plan = solve_checked(raw)
    assert [result(plan, c).shortfall_m2 for c in "abt"] == pytest.approx([250, 0, 375])


def test_group_budget_is_shared_within_the_group() -> None:
    """(11), group scope: two communities of one street share 30; each needs 20 of lease.

    30 buys 750 m2 of the 1,000 needed: weighted shortfall 250, whichever way it is split.
    """
    raw = scenario_dict(
        [community(c, [option(f"{c}-lease", cost_per_m2=0.04)]) for c in "ab"],
        funding=[{"id": "self", "name": "自筹", "scope": "group", "budget": 30}],
    )
    plan = solve_checked(raw)
    assert plan.weighted_shortfall == pytest.approx(250)
    assert plan.funding_results[0].used == pytest.approx(30)


def test_area_factor_counts_a_share() -> None:
    """(13): sharing a culture station of 500 m2 where 0.6 counts: 300 m2 counted.
    Existing 100: final 400, shortfall 100.
    """
    raw = scenario_dict(
        [
            community(
                "a",
                [option("a-share", "integrate", area_factor=0.6, cost_per_m2=0.01)],
                existing_area_m2=100,
            )
        ]
    )
    plan = solve_checked(raw)
    assert result(plan, "a").final_area_m2 == pytest.approx(400)


def test_replacing_existing_premises() -> None:
    """(12)-(13): existing 200 m2 in a condemned building. Swap for a 450 m2 office (replaces
    the existing, all or nothing, fixed 5) or lease up to 300 m2 at 0.1/m2.

    Lease 300: 500 m2 for 30. Swap: 450 m2 for 5 (shortfall 50). The swap plus a 50 m2 lease:
    500 m2 for 5 + 5 = 10, the best. The existing 200 m2 no longer count.
    """
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option(
                        "a-swap",
                        "asset_swap",
                        450,
                        min_area_m2=450,
                        fixed_cost=5,
                        replaces_existing=True,
                    ),
                    option("a-lease", max_area_m2=300, cost_per_m2=0.1),
                ],
                existing_area_m2=200,
            )
        ]
    )
    plan = solve_checked(raw)
    assert chosen(plan) == {"a-swap": 450, "a-lease": pytest.approx(50)}
    assert plan.total_cost == pytest.approx(10)
    assert result(plan, "a").final_area_m2 == pytest.approx(500)


def test_must_meet_takes_money_first() -> None:
    """(14): 50 of money; two communities each need 500 m2 at 0.1/m2 = 50. The second has
    priority 3, but the first is a demonstration site (must_meet): it gets all the money.
    """
    raw = scenario_dict(
        [
            community("demo", [option("d-lease", cost_per_m2=0.1)], must_meet=True),
            community("other", [option("o-lease", cost_per_m2=0.1)], priority=3),
        ],
        funding=[{"id": "county", "name": "县财政", "budget": 50}],
    )
    plan = solve_checked(raw)
    assert result(plan, "demo").meets_target
    assert result(plan, "other").shortfall_m2 == pytest.approx(500)


def test_priority_weights_shortfall() -> None:
    """(15): 30 of money; a (priority 1) and b (priority 2) each need 500 m2 at 0.1/m2.
    All 300 m2 that 30 buys go to b: weighted shortfall 500 * 1 + 200 * 2 = 900.
    """
    raw = scenario_dict(
        [
            community("a", [option("a-lease", cost_per_m2=0.1)]),
            community("b", [option("b-lease", cost_per_m2=0.1)], priority=2),
        ],
        funding=[{"id": "county", "name": "县财政", "budget": 30}],
    )
    plan = solve_checked(raw)
    assert result(plan, "b").final_area_m2 == pytest.approx(300)
    assert plan.weighted_shortfall == pytest.approx(900)


def test_shortfall_first_then_cost() -> None:
    """(15)-(16): closing the gap beats saving money. Options: lease 400 m2 at 0.01/m2 (4) or
    build 500 m2 at 0.2/m2 (100); only one route. The build meets the target: it is chosen
    although it costs 25 times more.
    """
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option("a-lease", max_area_m2=400, cost_per_m2=0.01),
                    option("a-build", "allocate_build", cost_per_m2=0.2),
                ],
                max_options=1,
            )
        ]
    )
    plan = solve_checked(raw)
    assert chosen(plan) == {"a-build": 500}


def test_pays_for_restricts_kinds() -> None:
    """(6): the grant pays only for building; the lease can only be paid by the county's 5.
    Lease 500 m2 at 0.02/m2 = 10 is out of reach; the build at 0.1/m2 = 50 is paid by the
    grant. Least cost at shortfall 0 is the build, 50.
    """
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option("a-lease", cost_per_m2=0.02),
                    option("a-build", "allocate_build", cost_per_m2=0.1),
                ],
                max_options=1,
            )
        ],
        funding=[
            {"id": "grant", "name": "项目", "budget": 100, "pays_for": ["allocate_build"]},
            {"id": "county", "name": "县财政", "budget": 5},
        ],
    )
    plan = solve_checked(raw)
    assert chosen(plan) == {"a-build": 500}
    assert result(plan, "a").options[0].funding == {"grant": pytest.approx(50)}


def test_infeasible_demonstration_site_is_named() -> None:
    """A demonstration site with 100 m2 and one 200 m2 lease reaches 300 at most: it lacks
    200 m2 whatever the money. The plan is infeasible and says so.
    """
    raw = demo_site()
    plan = solve_checked(raw)
    assert plan.status == Status.INFEASIBLE
    assert plan.diagnosis is not None
    short = plan.diagnosis.short_m2
    assert [(s.community, s.missing_m2) for s in short] == [("demo", pytest.approx(200))]


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_both_solvers_agree_on_the_county(solver: str, county_raw: dict) -> None:
    """The 2024 county: both solvers reach the same two objectives, and the plan is believable:
    every demonstration site meets the standard, but not every community does."""
    plan = solve_checked(county_raw, solver=solver)
    assert plan.status == Status.OPTIMAL
    reference = solve_checked(county_raw)
    assert plan.weighted_shortfall == pytest.approx(reference.weighted_shortfall, abs=1e-4)
    assert plan.total_cost == pytest.approx(reference.total_cost, rel=1e-5)
    demo = [c for c in plan.community_results if c.must_meet]
    assert len(demo) == 9 and all(c.meets_target for c in demo)
    assert 0 < plan.communities_meeting_target < len(plan.community_results)


def test_cost_stage_reports_the_plan_it_proved() -> None:
    """A case where HiGHS, started from the first stage's plan, proved cost 22 but handed back
    the starting plan (27). The plan must be the one whose cost is proven.

    Target 300, existing 100: 200 m2 are needed. Cheapest: o5 alone, 200 m2 at
    0.05 + 3 * 0.02 = 0.11/m2 = 22 (o4 adds a fixed 5 for nothing).
    """
    raw = scenario_dict(
        [
            community(
                "c0",
                [
                    option("o0", "developer", 100, fixed_cost=10, annual_cost_per_m2=0.02),
                    option("o1", "heighten", 300, cost_per_m2=0.25),
                    option("o2", "reclaim", 100, min_area_m2=100, fixed_cost=10, cost_per_m2=0.2),
                    option("o3", "developer", 300, cost_per_m2=0.25, annual_cost_per_m2=0.02),
                    option(
                        "o4",
                        "integrate",
                        300,
                        fixed_cost=5,
                        cost_per_m2=0.2,
                        annual_cost_per_m2=0.02,
                    ),
                    option("o5", "integrate", 200, cost_per_m2=0.05, annual_cost_per_m2=0.02),
                ],
                existing_area_m2=100,
                target_area_m2=300,
            )
        ],
        funding=[{"id": "county", "name": "county", "budget": 30}],
        horizon_years=3,
    )
    plan = solve_checked(raw)
    assert chosen(plan) == {"o5": 200}
    assert plan.total_cost == pytest.approx(22)


def test_locked_option_is_listed_even_when_it_adds_nothing() -> None:
    """A lease locked chosen but not needed (existing 600 m2 already meet 500): it stays in the
    plan at 0 m2 and no cost, because the decision was taken."""
    raw = scenario_dict(
        [community("a", [option("a-lease", locked="chosen")], existing_area_m2=600)]
    )
    plan = solve_checked(raw)
    assert chosen(plan) == {"a-lease": 0}


def test_money_tied_to_a_place_is_spent_first() -> None:
    """(17): a 500 m2 lease at 0.04/m2 costs 20. The county (100) or the community's startup
    money (10) may pay; both plans cost 20. The startup money goes first (it can be used
    nowhere else): startup 10, county 10, leaving 90 of county money free."""
    raw = scenario_dict(
        [community("a", [option("a-lease", cost_per_m2=0.04)])],
        funding=[
            {"id": "county", "name": "县财政", "budget": 100},
            {"id": "startup", "name": "启动经费", "scope": "community", "budget": 10},
        ],
    )
    plan = solve_checked(raw)
    assert result(plan, "a").options[0].funding == {
        "county": pytest.approx(10),
        "startup": pytest.approx(10),
    }


def test_capital_only_share_is_of_the_whole_cost() -> None:
    """(7)-(8) together: a 100 m2 developer space costs 0.05/m2 one-off (5) and 0.02/m2 a
    year (2, one year): 7 in all. A capital-only fund of 5 with max_share 0.8 may pay
    min(capital 5, 0.8 * 7 = 5.6) = 5; the county's 2 pays the rest, and the target is met.
    (Reading the share as a share of the capital alone, 0.8 * 5 = 4, would leave 14.3 m2.)"""
    raw = scenario_dict(
        [
            community(
                "a",
                [option("a-dev", "developer", 100, cost_per_m2=0.05, annual_cost_per_m2=0.02)],
                existing_area_m2=400,
            )
        ],
        funding=[
            {"id": "county", "name": "县财政", "budget": 2},
            {"id": "fund", "name": "基金", "budget": 5, "capital_only": True, "max_share": 0.8},
        ],
    )
    plan = solve_checked(raw)
    assert result(plan, "a").meets_target
    assert result(plan, "a").options[0].funding == {
        "county": pytest.approx(2),
        "fund": pytest.approx(5),
    }
