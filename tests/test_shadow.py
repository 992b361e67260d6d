"""Shadow prices: hand-worked prices, the two documented cases where the LP price and the
re-solve differ, and properties on random tiny scenarios against the independent oracle
(brute force for the re-solve, an LP of its own for the price with routes fixed)."""

from __future__ import annotations

import copy
import json
from typing import Any

import oracle
import pytest
from conftest import community, option, scenario_dict, solve_checked
from hypothesis import HealthCheck, given, settings
from strategies import tiny_scenarios
from typer.testing import CliRunner

from allocator.analysis.shadow import shadow_prices
from allocator.cli import app
from allocator.findings import BudgetPrice, PriceEntry, ShadowPrices, TargetPrice, Trust
from allocator.scenario.loading import scenario_from_dict


def prices_of(raw: dict[str, Any], **options: Any) -> ShadowPrices:
    plan = solve_checked(raw)
    return shadow_prices(scenario_from_dict(copy.deepcopy(raw)), plan, **options)


def budget(prices: ShadowPrices, source: str, unit: str = "county") -> BudgetPrice:
    return next(b for b in prices.budgets if b.source == source and b.unit == unit)


def target(prices: ShadowPrices, community_id: str) -> TargetPrice:
    return next(t for t in prices.targets if t.community == community_id)


def storey_case(county_budget: float) -> dict[str, Any]:
    """300 m2 of 500; the only route is a storey of 200 m2, all or nothing, at 0.25 万元/m2:
    50 万元."""
    return scenario_dict(
        [
            community(
                "a",
                [
                    option(
                        "a-storey", "heighten", min_area_m2=200, max_area_m2=200, cost_per_m2=0.25
                    )
                ],
                existing_area_m2=300,
            )
        ],
        funding=[{"id": "county", "name": "县财政", "budget": county_budget}],
    )


def test_money_that_buys_area() -> None:
    """One community, 0 m2 of 500; a lease at 0.02 万元/m2 a year, 1 year; the county has 5
    万元. It leases 250 m2 and falls 250 short. Each 万元 more leases 1 / 0.02 = 50 m2 more,
    until the lease is full at 500 m2, 5 万元 further: price 50 m2/万元, holding for 5 万元.
    One more m2 of target is one more m2 short (priority 1). LP and re-solve agree."""
    raw = scenario_dict(
        [community("a", [option("a-lease", annual_cost_per_m2=0.02)])],
        funding=[{"id": "county", "name": "县财政", "budget": 5}],
    )
    prices = prices_of(raw)
    county = budget(prices, "county")
    assert county.lp.shortfall_m2 == pytest.approx(50)
    assert county.lp.holds_for == pytest.approx(5)
    assert county.finite_difference.shortfall_m2 == pytest.approx(50)
    assert county.agree is True and county.binding is True
    assert county.buys == "one more 万元 of county cuts the weighted shortfall by 50 m2"
    a = target(prices, "a")
    assert a.lp.shortfall_m2 == pytest.approx(1)
    assert a.finite_difference.shortfall_m2 == pytest.approx(1)


def test_money_that_saves_cost_when_every_target_is_met() -> None:
    """500 m2 to find: a lease at 0.02 万元/m2 that only the county (4 万元) pays, and a new
    build at 0.05 万元/m2 that a grant (100) pays. The plan leases 200 m2 (4 万元) and builds
    300 (15): 19 万元. One more county 万元 leases 50 m2 more and builds 50 less: 2.5 - 1 =
    1.5 万元 saved per 万元, until the lease is full (6 万元 further). The grant has money to
    spare: worth nothing. One more m2 of target is built: 0.05 万元."""
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option("a-lease", annual_cost_per_m2=0.02),
                    option("a-build", "allocate_build", cost_per_m2=0.05),
                ],
            )
        ],
        funding=[
            {"id": "county", "name": "县财政", "budget": 4, "pays_for": ["lease"]},
            {"id": "grant", "name": "项目", "budget": 100, "pays_for": ["allocate_build"]},
        ],
    )
    prices = prices_of(raw)
    county = budget(prices, "county")
    assert county.lp.shortfall_m2 == 0
    assert county.lp.cost_wan == pytest.approx(1.5)
    assert county.lp.holds_for == pytest.approx(6)
    assert county.finite_difference.cost_wan == pytest.approx(1.5)
    grant = budget(prices, "grant")
    assert grant.lp.cost_wan == 0 and grant.binding is False
    a = target(prices, "a")
    assert a.lp.cost_wan == pytest.approx(0.05)
    assert a.finite_difference.cost_wan == pytest.approx(0.05)
    assert a.agree is True


def test_documented_difference_a_route_that_comes_whole() -> None:
    """300 m2 of 500; the only route is a storey of 200 m2, all or nothing, at 0.25 万元/m2:
    50 万元. The county has 49.5: the storey waits, 200 m2 short. With the routes fixed (no
    storey) money buys nothing: LP price 0. One more 万元 (50.5) pays the storey and the
    shortfall falls by 200 m2: 200 m2 per 万元. They differ because the step changes the
    routes; the re-solve is the one to trust for this step."""
    raw = storey_case(49.5)
    county = budget(prices_of(raw), "county")
    assert county.lp.shortfall_m2 == 0
    assert county.finite_difference.shortfall_m2 == pytest.approx(200)
    assert county.finite_difference.routes_in == ("a-storey",)
    assert county.agree is False and county.trust == "finite_difference"
    assert "changes the routes (+a-storey)" in county.why


def test_documented_difference_a_step_past_the_range_of_the_price() -> None:
    """300 m2 of 500; a lease of at most 100 m2 at 0.02 万元/m2; the county has 1.5 万元: 75 m2
    leased, 125 short. The LP price is 50 m2/万元 but holds only 0.5 万元 further (the lease
    is then full). One more 万元 buys just 25 m2: re-solve 25 m2/万元. The words say to trust
    the LP price below 0.5 万元 and the re-solve for the whole step."""
    raw = scenario_dict(
        [
            community(
                "a",
                [option("a-lease", max_area_m2=100, annual_cost_per_m2=0.02)],
                existing_area_m2=300,
            )
        ],
        funding=[{"id": "county", "name": "县财政", "budget": 1.5}],
    )
    county = budget(prices_of(raw), "county")
    assert county.lp.shortfall_m2 == pytest.approx(50)
    assert county.lp.holds_for == pytest.approx(0.5)
    assert county.finite_difference.shortfall_m2 == pytest.approx(25)
    assert county.agree is False and county.trust == "finite_difference"
    assert "holds for 0.5 万元 only" in county.why


def test_a_larger_step_says_what_that_sum_buys() -> None:
    """The storey of the route-jump case with a step of 50 万元: 200 m2 for 50 万元."""
    raw = storey_case(10)
    county = budget(prices_of(raw, step_wan=50), "county")
    assert county.buys == "50 万元 more of county cuts the weighted shortfall by 200 m2"


def test_solve_explain_prints_and_writes_the_prices(tmp_path: Any) -> None:
    """`solve --explain` on the lease of the first case: the JSON carries `shadow_prices` with
    the county's 50 m2 per 万元, plan.json in --out too, and the table names the prices."""
    path = tmp_path / "lease.yaml"
    path.write_text(
        "name: lease\ngroups: [{id: g, name: 城南街道, kind: street}]\n"
        "communities:\n  - {id: a, name: 新兴社区, group: g, existing_area_m2: 0, options: "
        "[{id: a-lease, kind: lease, max_area_m2: 500, annual_cost_per_m2: 0.02}]}\n"
        "funding: [{id: county, name: 县财政, budget: 5}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["solve", str(path), "--explain", "-f", "json", "--out", str(out)]
    )
    assert result.exit_code == 0
    prices = json.loads(result.output)["shadow_prices"]
    [county] = prices["budgets"]
    assert county["lp"]["shortfall_reduction_m2_per_wan"] == pytest.approx(50)
    written = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert written["shadow_prices"]["budgets"][0]["agree"] is True
    table = CliRunner().invoke(app, ["solve", "--lang", "en", str(path), "--explain"])
    assert table.exit_code == 0 and "Shadow prices" in table.output
    assert "cuts the weighted shortfall by 50 m2" in table.output


def test_prices_on_the_county() -> None:
    """The 2024 county, for the county budget and 东门 (dongmen). 东门 falls 150 m2 short
    (its lease is full and excludes the build), so one more m2 of its target is one more m2
    short, weighted by its priority 1.5. The county money is not spent in full (13.56 of 450
    left, as money tied to a place is spent first), and one more 万元 buys nothing: every route
    that could still grow is at its largest, and the next route (a build of at least 200 m2 at
    0.22 万元/m2) costs 44 万元 or more. Both ways agree."""
    from allocator.scenario.loading import load_scenario

    scenario = load_scenario("scenarios/2024_premises.yaml")
    prices = shadow_prices(scenario, budgets=[("county", "county")], communities=["dongmen"])
    [county], [dongmen] = prices.budgets, prices.targets
    assert county.binding is False and county.agree is True
    assert county.lp.shortfall_m2 == 0
    assert county.finite_difference.shortfall_m2 == 0
    assert dongmen.lp.shortfall_m2 == pytest.approx(1.5)
    assert dongmen.finite_difference.shortfall_m2 == pytest.approx(1.5)


# --- against the oracle ---------------------------------------------------------------------
def raised(raw: dict[str, Any], entry: PriceEntry, step: float) -> dict[str, Any]:
    """The raw scenario with one budget unit or one target raised by `step`, by hand."""
    bigger = copy.deepcopy(raw)
    if isinstance(entry, BudgetPrice):
        source = next(s for s in bigger["funding"] if s["id"] == entry.source)
        if source.get("scope", "county") == "county":
            source["budget"] += step
        else:
            source.setdefault("budgets", {})[entry.unit] = entry.budget + step
    else:
        place = next(c for c in bigger["communities"] if c["id"] == entry.community)
        place["target_area_m2"] = place.get("target_area_m2", 500) + step
    return bigger


def fixed_routes(raw: dict[str, Any], plan: Any) -> tuple[float, float] | None:
    """(W, C) of the oracle's own LP with the plan's routes fixed."""
    scenario = oracle.normalise(raw)
    chosen = sorted(
        {o.id for c in plan.community_results for o in c.options}
        | {o for o, d in scenario["options"].items() if d["locked"] == "chosen"}
    )
    funders = {}
    for sid, source in scenario["sources"].items():
        eligible = [o for o in chosen if scenario["options"][o]["kind"] in source["pays_for"]]
        if source["max_options_funded"] is not None:
            paid = {
                o.id for c in plan.community_results for o in c.options if o.funding.get(sid, 0) > 0
            }
            eligible = [o for o in eligible if o in paid]
        funders[sid] = tuple(eligible)
    return oracle._solve_fixed_choice(scenario, chosen, funders)  # noqa: SLF001


def close(a: float | None, b: float | None, tol: float = 2e-3) -> bool:
    a, b = a or 0.0, b or 0.0
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(raw=tiny_scenarios(areas=(200, 300, 500)))
def test_prices_against_the_oracle(raw: dict[str, Any]) -> None:
    """For every budget unit and target of a random tiny scenario with a plan:
    - the re-solve equals the brute-force optimum of the scenario raised by the step;
    - the LP price equals the slope of the oracle's LP with the plan's routes fixed over a
      small rise (0.01), wherever the price is said to hold that far;
    - where the two differ, the entry says why and trusts the re-solve."""
    plan = solve_checked(raw)
    if not plan.status.has_plan:
        return
    prices = shadow_prices(scenario_from_dict(copy.deepcopy(raw)), plan)
    base = oracle.brute_force(raw)
    here = fixed_routes(raw, plan)
    assert base is not None and here is not None
    for entry in (*prices.budgets, *prices.targets):
        sign = -1.0 if isinstance(entry, BudgetPrice) else 1.0
        step = 1.0
        fd = entry.finite_difference
        assert fd is not None
        after = oracle.brute_force(raised(raw, entry, step))
        if after is None:
            assert fd.feasible is False
        else:
            d_short, d_cost = after[0] - base[0], after[1] - base[1]
            assert close(fd.shortfall_m2, sign * d_short), (entry, after, base)
            if abs(d_short) < 1e-4:
                assert close(fd.cost_wan, sign * d_cost), (entry, after, base)
        lp = entry.lp
        if lp.holds_for is None or lp.holds_for >= 0.01:
            moved = fixed_routes(raised(raw, entry, 0.01), plan)
            if moved is not None:
                slope_short = sign * (moved[0] - here[0]) / 0.01
                assert close(lp.shortfall_m2, slope_short, 5e-3), (entry, moved, here)
                if abs(slope_short) < 1e-3:
                    slope_cost = sign * (moved[1] - here[1]) / 0.01
                    assert close(lp.cost_wan, slope_cost, 5e-3), (entry, moved, here)
        assert entry.agree is True or (entry.trust == Trust.FINITE_DIFFERENCE and entry.why)
