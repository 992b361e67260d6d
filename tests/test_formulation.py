"""The sets formulation (allocator.model.sets) against the reference
(allocator.model.reference): the same two
optima on random small scenarios and on small generated provinces, plans that pass the
independent checker, and a relaxation that is tighter where the reference is weak."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import community, option, scenario_dict, solve_checked
from conftest import same_objectives as _same
from hypothesis import HealthCheck, given, settings
from strategies import SETS, scenarios

from allocator import solve
from allocator.model.reference import build_model
from allocator.model.sets import build_matrix
from allocator.scenario.loading import scenario_from_dict
from allocator.scenario.synthetic import generate_scenario
from allocator.solving.pulp_highs import to_highs

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _objectives(raw: dict[str, Any], **options: Any) -> tuple[float, float] | None:
    plan = solve_checked(raw, **options)
    return (plan.weighted_shortfall, plan.total_cost) if plan.status.has_plan else None


def _valid(raw: dict[str, Any]) -> bool:
    from allocator.errors import ScenarioError

    try:
        scenario_from_dict(copy.deepcopy(raw))
    except ScenarioError:
        return False
    return True


@SETTINGS
@given(scenarios(SETS, max_options_total=None))
def test_sets_and_reference_reach_the_same_optima(raw: dict[str, Any]) -> None:
    if not _valid(raw):
        return
    reference = _objectives(raw, formulation="naive")
    assert _same(_objectives(raw, formulation="sets"), reference), raw


@SETTINGS
@given(scenarios(SETS, max_options_total=None))
def test_sets_model_through_pulp_and_cbc(raw: dict[str, Any]) -> None:
    """The PuLP form of the sets formulation (build_model(..., "sets")) with CBC."""
    if not _valid(raw):
        return
    reference = _objectives(raw, formulation="naive")
    assert _same(_objectives(raw, solver="cbc", formulation="sets"), reference), raw


@pytest.mark.parametrize("seed", [11, 12])
def test_generated_province_same_optima(seed: int) -> None:
    """30 generated communities: binding budgets, pooled money, every rule."""
    raw = generate_scenario(30, seed=seed)
    assert _same(_objectives(raw, formulation="sets"), _objectives(raw, formulation="naive"))


def _relaxed_shortfall(problem_of: Any) -> float:
    model = problem_of
    lp = to_highs(model.problem)
    lp.set_objective({v.name: coef for v, coef in model.weighted_shortfall.items()})
    lp.set_integrality(False)
    assert lp.run() == "optimal"
    return lp.objective()


def test_relaxation_counts_no_fraction_of_a_storey() -> None:
    """Existing 280 m2, target 500, one storey of 240 m2 (all or nothing) at 0.25 万元/m2 =
    60 万元, and 30 万元 of money.

    Reference relaxation: y = 30/60 = 0.5 buys 120 m2, shortfall 220 - 120 = 100.
    Sets relaxation: the set {storey} lacks nothing (520 >= 500), the empty set lacks 220;
    money allows weight 0.5 on {storey}: shortfall >= 0.5 * 220 = 110.
    The plan itself cannot afford the storey: shortfall 220.
    """
    raw = scenario_dict(
        [
            community(
                "a",
                [option("a-up", "heighten", 240, min_area_m2=240, cost_per_m2=0.25)],
                existing_area_m2=280,
            )
        ],
        funding=[{"id": "county", "name": "县财政", "budget": 30}],
    )
    scenario = scenario_from_dict(copy.deepcopy(raw))
    assert _relaxed_shortfall(build_model(scenario)) == pytest.approx(100)
    assert _relaxed_shortfall(build_model(scenario, formulation="sets")) == pytest.approx(110)
    assert solve_checked(raw, formulation="sets").weighted_shortfall == pytest.approx(220)


def test_pooled_money_is_split_over_the_options_it_paid() -> None:
    """Two leases in one community, 100 m2 each at 0.1 万元/m2 a year (1 year): 10 + 10.
    A county pot (pooled: no rule per option) of 15 and a lease-only grant of 5 with a 50%
    share: the grant pays 5 of one lease, the pot the other 15; every option is paid in full."""
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option("a-l1", max_area_m2=100, annual_cost_per_m2=0.1),
                    option("a-l2", max_area_m2=100, annual_cost_per_m2=0.1),
                ],
                existing_area_m2=300,
            )
        ],
        funding=[
            {"id": "pot", "name": "县财政", "budget": 15},
            {
                "id": "rent",
                "name": "租赁补贴",
                "budget": 5,
                "pays_for": ["lease"],
                "max_share": 0.5,
            },
        ],
    )
    matrix = build_matrix(scenario_from_dict(copy.deepcopy(raw)))
    assert matrix.pooled_sources == ["pot"] and ("a", "pot") in matrix.pooled
    plan = solve_checked(raw, formulation="sets")
    assert plan.total_cost == pytest.approx(20) and plan.weighted_shortfall == 0
    paid = [sum(o.funding.values()) for o in plan.community_results[0].options]
    assert paid == pytest.approx([10, 10])
    assert sum(o.funding.get("rent", 0) for o in plan.community_results[0].options) == 5


@pytest.mark.parametrize("seed", [8, 9])
def test_decomposition_bound_holds_and_plan_checks(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Decomposition by group, forced on 200 communities in chunks of 50: the plan passes the
    checker, its status is optimal only within the gap asked for, and the bounds it proves
    are no higher than the exact optima (stage 2's: its plan may keep up to stage 1's W, so
    the exact plan is one of its plans)."""
    import allocator.solving.decompose as decompose
    import allocator.solving.lexicographic as solving

    raw = generate_scenario(200, seed=seed)
    exact = solve(scenario_from_dict(copy.deepcopy(raw)), formulation="sets", gap=1e-6)
    monkeypatch.setattr(decompose, "CHUNK_COMMUNITIES", 50)
    monkeypatch.setattr(decompose, "SAMPLE_COMMUNITIES", 100)
    monkeypatch.setattr(solving, "DECOMPOSE_FROM", 100)
    plan = solve_checked(raw, formulation="sets", gap=1e-3)
    first, second = plan.solver.stages
    assert first.bound <= exact.weighted_shortfall + 1e-6
    assert second.bound <= exact.total_cost * (1 + 1e-9) + 1e-6
    assert plan.weighted_shortfall >= exact.weighted_shortfall - 1e-6
    for stage in (first, second):
        assert stage.gap is not None
        assert (stage.status == "optimal") == (stage.gap <= 1e-3 * 1.0001)
