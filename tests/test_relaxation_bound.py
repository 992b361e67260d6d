"""A stage cut short is bounded by its linear relaxation: its gap is known, and a plan that
bound proves within the gap asked is optimal, whatever stopped the MIP."""

from __future__ import annotations

import numpy as np
import pytest

from allocator.solving.highs import Solution
from allocator.solving.resolve import Outcome, with_relaxation_bound
from allocator.solving.status import StageRun, StageStatus

COST = np.array([1.0, 2.0])
PLAN = np.array([40.0, 30.0])  # worth 100


def _stopped(bound: float | None = None) -> Outcome:
    run = StageRun(StageStatus.TIME_LIMIT, 100.0, bound, None, 1.0, "HiGHS stopped")
    return Outcome(run, PLAN)


def _relaxed(worth: float) -> Solution:
    values = np.array([worth, 0.0])
    return Solution(StageStatus.OPTIMAL, values, worth, worth)


def test_the_gap_to_the_relaxation_is_said() -> None:
    outcome = with_relaxation_bound(_stopped(), COST, _relaxed(90.0), gap=1e-6)
    run = outcome.run
    assert run.status == StageStatus.TIME_LIMIT
    assert run.bound == pytest.approx(90.0)
    assert run.gap == pytest.approx(0.1)
    assert "HiGHS stopped" in run.note and "linear relaxation" in run.note
    assert outcome.values is PLAN


def test_a_bound_that_proves_the_gap_makes_the_plan_optimal() -> None:
    run = with_relaxation_bound(_stopped(), COST, _relaxed(99.9995), gap=1e-6).run
    assert run.status == StageStatus.TIME_LIMIT  # a gap of 5e-6 proves 1e-5, not 1e-6
    run = with_relaxation_bound(_stopped(), COST, _relaxed(99.9995), gap=1e-5).run
    assert run.status == StageStatus.OPTIMAL
    assert "proves it within the gap asked" in run.note


def test_a_better_bound_of_the_mip_is_kept() -> None:
    outcome = _stopped(bound=95.0)
    assert with_relaxation_bound(outcome, COST, _relaxed(90.0), gap=1e-6) is outcome


def test_no_relaxation_no_bound() -> None:
    outcome = _stopped()
    unsolved = Solution(StageStatus.UNKNOWN)
    assert with_relaxation_bound(outcome, COST, unsolved, gap=1e-6) is outcome
    no_plan = Outcome(StageRun.without_plan(StageStatus.NO_PLAN, 1.0), None)
    assert with_relaxation_bound(no_plan, COST, _relaxed(90.0), gap=1e-6) is no_plan


def test_the_bound_never_passes_the_plan() -> None:
    """A relaxation a hair above the plan (LP tolerances) bounds it at the plan itself."""
    run = with_relaxation_bound(_stopped(), COST, _relaxed(100.0 + 1e-12), gap=1e-6).run
    assert run.bound <= 100.0 and run.status == StageStatus.OPTIMAL
