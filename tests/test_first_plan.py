"""The first plan: built before the MIP when a time limit is given, so that a limit that comes
before the relaxation is solved still leaves a plan; that plan meets every rule (the
independent checker says so) and the stage says it stands."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from oracle import check_plan

from allocator.model.sets import build_matrix
from allocator.scenario.loading import scenario_from_dict
from allocator.scenario.synthetic import generate_scenario
from allocator.solving import direct, highs, lexicographic, resolve
from allocator.solving.first_plan import GREEDY_STANDS, first_plan
from allocator.solving.highs import Solution, from_matrix
from allocator.solving.status import StageStatus


@pytest.fixture(scope="module")
def province() -> dict[str, Any]:
    return generate_scenario(60, seed=3)


def test_the_first_plan_is_a_plan(province: dict[str, Any]) -> None:
    """Its values meet every row of the model, and it saves shortfall over doing nothing."""
    scenario = scenario_from_dict(province)
    matrix = build_matrix(scenario)
    model = from_matrix(matrix, gap=1e-6, deadline=None)
    shortfall = matrix.objective("weighted_shortfall")
    model.set_cost(shortfall)
    values = first_plan(model, matrix, scenario.horizon_years)
    assert values is not None
    arrays = matrix.arrays()
    rows = (
        np.add.reduceat(arrays["value"] * values[arrays["index"]], arrays["starts"][:-1])
        if len(arrays["value"])
        else np.zeros(0)
    )
    slack = 1e-6 * np.maximum(1.0, np.abs(arrays["row_upper"]))
    assert np.all(rows <= arrays["row_upper"] + slack)
    assert np.all(rows >= arrays["row_lower"] - 1e-6 * np.maximum(1.0, np.abs(arrays["row_lower"])))
    nothing = sum(
        c.priority * max(0.0, c.target_area_m2 - c.existing_area_m2) for c in scenario.communities
    )
    assert float(shortfall @ values) < nothing


def test_a_limit_before_the_relaxation_leaves_the_first_plan(
    monkeypatch: pytest.MonkeyPatch, province: dict[str, Any]
) -> None:
    """The relaxation and every MIP from a start cut short (as by a time limit): the plan is the
    first plan, it passes the checker, and the stages say so."""
    real = highs.HighsModel.run_mip

    def stopped_from_a_start(self: Any, start: Any = None, **options: Any) -> Solution:
        if start is not None:
            return Solution(StageStatus.UNKNOWN, said="stopped")
        return real(self, start, **options)

    monkeypatch.setattr(highs.HighsModel, "relaxation", lambda self: Solution(StageStatus.UNKNOWN))
    monkeypatch.setattr(highs.HighsModel, "run_mip", stopped_from_a_start)
    monkeypatch.setattr(direct, "solve_again", lambda model, cost, outcome, *a, **k: outcome)
    monkeypatch.setattr(resolve, "solve_again", lambda model, cost, outcome, *a, **k: outcome)
    scenario = scenario_from_dict(province)
    plan = lexicographic.solve(scenario, formulation="sets", time_limit=20)  # in this process
    assert plan.status.has_plan
    assert check_plan(province, plan.to_dict()) == []
    first = plan.solver.stages[0]
    assert direct.FIRST_PLAN_STANDS in first.note


def test_the_decomposition_falls_back_on_the_first_plan(
    monkeypatch: pytest.MonkeyPatch, province: dict[str, Any]
) -> None:
    """Decomposed, with a time limit: when its first stage ends without a plan, the first plan
    of the whole model is the plan, checked, and said."""
    from allocator.solving import decompose
    from allocator.solving.status import StageRun

    def no_plan(work: Any, began: float) -> list[StageRun]:
        return [StageRun.without_plan(StageStatus.NO_PLAN, 0.1, "no plan: cut short")]

    monkeypatch.setattr(lexicographic, "DECOMPOSE_FROM", 10)
    monkeypatch.setattr(decompose, "_stages", no_plan)
    scenario = scenario_from_dict(province)
    plan = lexicographic.solve(scenario, formulation="sets", gap=1e-3, time_limit=20)
    assert plan.status.has_plan
    assert check_plan(province, plan.to_dict()) == []
    note = plan.solver.stages[0].note
    assert GREEDY_STANDS in note and "cut short" in note


def test_only_a_short_limit_wants_a_first_plan() -> None:
    """With no limit or a long one the solver finds its own plan: none is built (it would only
    cost time); a short one, for the size, wants one."""
    from allocator.solving.first_plan import wanted

    assert not wanted(None, 1000)
    assert not wanted(600, 1000) and not wanted(600, 10_000)
    assert wanted(10, 1000) and wanted(40, 10_000) and not wanted(40, 1000)
