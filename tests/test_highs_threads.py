"""HiGHS makes its thread scheduler at the first run of a thread, with that run's thread
count; a later run asking for another count (ours ask for 1) used to end at once ("Not Set")
and the plan said "no plan" for a scenario with a plan, or for one that is infeasible. Code
before ours in the same process (a notebook, another library) may have run HiGHS with its
default count: every solve must still say what is true."""

from __future__ import annotations

import copy

import highspy
from conftest import community, option, scenario_dict

from allocator.scenario.loading import scenario_from_dict
from allocator.solving import lexicographic


def _others_ran_highs_first() -> None:
    """A run with HiGHS's default thread count (0: its own choice), as other code makes."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.addVar(0.0, 1.0)
    highs.changeColCost(0, 1.0)
    highs.changeColIntegrality(0, highspy.HighsVarType.kInteger)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal


def _site(**fields: object) -> dict:
    lease = option("a-lease", "lease", 300, min_area_m2=300, annual_cost=1.0)
    return scenario_dict([community("a", [lease], existing_area_m2=100, **fields)])


def test_a_plan_and_no_plan_are_told_after_other_code_ran_highs() -> None:
    for formulation in ("naive", "sets"):
        _others_ran_highs_first()
        plan = lexicographic.solve(
            scenario_from_dict(copy.deepcopy(_site())), formulation=formulation
        )
        assert plan.status == "optimal" and plan.total_shortfall_m2 == 100
        _others_ran_highs_first()
        wrong = _site(must_meet=True, target_area_m2=900)
        plan = lexicographic.solve(scenario_from_dict(wrong), formulation=formulation)
        assert plan.status == "infeasible"
