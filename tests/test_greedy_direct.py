"""The greedy plan in the one-model solve (`allocator.solving.direct`, the default gap): with a
short time limit it is built before the matrix and told as the first plan found; a later plan
is told, or kept, only when it is better on the first measure of the objective. Every plan told
and every plan given passes the independent checker. With staffing the greedy builds no plan
(it does not pay the pay rise committed for the cadres in post) and the model's plans stand."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest
from oracle import check_plan

from allocator.scenario.loading import load_scenario, scenario_from_dict
from allocator.scenario.synthetic import generate_scenario
from allocator.solving import direct, first_plan, highs, lexicographic, progress, resolve
from allocator.solving.first_plan import GREEDY_STANDS
from allocator.solving.greedy import greedy_plan
from allocator.solving.highs import Solution
from allocator.solving.status import StageStatus

STAFF_COUNTY = Path(__file__).resolve().parent.parent / "scenarios" / "2024_staff.yaml"


@pytest.fixture(scope="module")
def province() -> dict[str, Any]:
    return generate_scenario(60, seed=3)


def _told(raw: dict[str, Any], scenario: Any = None, **options: Any) -> tuple[Any, list[Any]]:
    """The plan of a one-model solve in this process (of `scenario`, else of `raw`), and every
    plan told on the way as the command would give it (`plan_so_far`), each checked by the
    oracle against `raw`."""
    told: list[Any] = []
    limit = options.get("time_limit")

    def listen(decisions: Any, runs: list[Any]) -> None:
        plan = lexicographic.plan_so_far(decisions(), runs, time_limit=limit, began=0.0)
        assert check_plan(raw, plan.to_dict()) == []
        told.append(plan)

    scenario = scenario or scenario_from_dict(copy.deepcopy(raw))
    with progress.listening(listen):
        plan = lexicographic.solve(scenario, formulation="sets", **options)
    assert plan.status.has_plan
    assert check_plan(raw, plan.to_dict()) == []
    return plan, told


def test_the_greedy_plan_is_told_first_and_later_plans_only_when_better(
    province: dict[str, Any],
) -> None:
    """A short limit at the default gap: the greedy plan is the first told, every later plan
    told has less weighted shortfall than every one before it, and the plan given has no more
    than the greedy's."""
    greedy = greedy_plan(scenario_from_dict(copy.deepcopy(province)))
    assert greedy is not None
    plan, told = _told(province, time_limit=20)
    assert told, "no plan was told on the way"
    assert GREEDY_STANDS in told[0].solver.stages[0].note
    assert told[0].weighted_shortfall == pytest.approx(greedy.weighted_shortfall, abs=1e-3)
    shortfalls = [p.weighted_shortfall for p in told]
    assert all(b < a for a, b in zip(shortfalls, shortfalls[1:], strict=False)), shortfalls
    assert plan.weighted_shortfall <= greedy.weighted_shortfall + 1e-3


def test_a_worse_plan_from_the_model_is_neither_told_nor_given(
    monkeypatch: pytest.MonkeyPatch, province: dict[str, Any]
) -> None:
    """The model's first plan cut short (it starts from each community's cheapest set, not the
    greedy's) and every MIP from a start stopped, as by the limit: that plan is worse than the
    greedy's, so it is not told, and the plan given is the greedy's, checked, not called optimal,
    with the greedy's bound and gap."""
    real_first = first_plan.first_plan
    real_mip = highs.HighsModel.run_mip

    def cheapest_sets(model: Any, matrix: Any, years: int, greedy: Any = None) -> Any:
        return real_first(model, matrix, years)  # no greedy start, and no time for moves

    def stopped_from_a_start(self: Any, start: Any = None, **options: Any) -> Solution:
        if start is not None:
            return Solution(StageStatus.TIME_LIMIT, said="stopped")
        return real_mip(self, start, **options)

    monkeypatch.setattr(direct, "first_plan", cheapest_sets)
    monkeypatch.setattr(first_plan, "MOST_S", 0.0)
    monkeypatch.setattr(highs.HighsModel, "relaxation", lambda self: Solution(StageStatus.UNKNOWN))
    monkeypatch.setattr(highs.HighsModel, "run_mip", stopped_from_a_start)
    monkeypatch.setattr(direct, "solve_again", lambda model, cost, outcome, *a, **k: outcome)
    monkeypatch.setattr(resolve, "solve_again", lambda model, cost, outcome, *a, **k: outcome)
    greedy = greedy_plan(scenario_from_dict(copy.deepcopy(province)))
    assert greedy is not None
    plan, told = _told(province, time_limit=20)
    assert [p.weighted_shortfall for p in told] == [pytest.approx(greedy.weighted_shortfall)]
    assert plan.weighted_shortfall == pytest.approx(greedy.weighted_shortfall, abs=1e-3)
    assert plan.status.value in ("time_limit", "not_proven")  # never proven optimal
    first = plan.solver.stages[0]
    assert GREEDY_STANDS in first.note
    assert first.bound is not None and first.bound <= first.value + 1e-6
    assert first.gap is not None and first.gap > 0


def test_no_greedy_without_a_short_limit_or_with_another_first_measure(
    monkeypatch: pytest.MonkeyPatch, province: dict[str, Any]
) -> None:
    """Without a time limit, or with an objective whose first measure is not the weighted
    shortfall, the greedy plan is not built (its measure would not rank the plans)."""
    calls: list[Any] = []
    real = direct.greedy_first
    monkeypatch.setattr(direct, "greedy_first", lambda *a: calls.append(a) or real(*a))
    raw = generate_scenario(20, seed=5)
    _told(raw)
    assert calls == []
    _told({**raw, "objective": ["total_cost", "weighted_shortfall"]}, time_limit=20)
    assert calls == []
    _told(raw, time_limit=20)
    assert len(calls) == 1


def _staffed(raw: dict[str, Any], seed: int) -> dict[str, Any]:
    """`raw` with posts per community, every route to a post and the pay rise, and a staff
    budget line."""
    rng = random.Random(seed)
    staffed = copy.deepcopy(raw)
    staffed["staffing"] = {
        "add_post": {"quota": len(raw["communities"]) // 4, "cost_per_post_year": 7.5},
        "dispatch": {"pool": len(raw["communities"]) // 6},
        "recruit": {"cost_per_person_year": 5.5, "most": len(raw["communities"]) // 3},
        "pay_rise": {"street_yuan_per_month": 400, "town_yuan_per_month": 300},
    }
    for community in staffed["communities"]:
        community["posts_now"] = rng.randint(3, 7)
    money = 30.0 * len(raw["communities"])
    staffed["funding"].append(
        {
            "id": "staff_fund",
            "name": "县财政社区工作者经费",
            "budget": money,
            "pays_for": ["staff", "pay"],
        }
    )
    return staffed


def test_the_greedy_builds_no_plan_with_staffing(province: dict[str, Any]) -> None:
    """It would not pay the pay rise committed for the cadres in post."""
    assert greedy_plan(scenario_from_dict(_staffed(province, 1))) is None
    assert greedy_plan(load_scenario(STAFF_COUNTY)) is None


@pytest.mark.parametrize("seed", [1, 2])
def test_staffed_provinces_at_a_short_limit_give_checked_plans(seed: int) -> None:
    """A staffed province solved with a short limit at the default gap: every plan told and
    the plan given pass the checker, staffing rules included; none is the greedy's."""
    raw = _staffed(generate_scenario(40, seed=seed), seed)
    plan, told = _told(raw, time_limit=5)
    assert all(GREEDY_STANDS not in (p.solver.stages[0].note or "") for p in told)
    assert plan.to_dict()["posts_short"] is not None


def test_the_county_with_staff_at_a_short_limit() -> None:
    """scenarios/2024_staff.yaml with a short limit, on the one model: a checked plan."""
    county = load_scenario(STAFF_COUNTY)
    plan, _ = _told(county.source, county, time_limit=3)
    assert plan.status.has_plan


def test_too_little_time_for_the_model_gives_the_greedy_plan(
    monkeypatch: pytest.MonkeyPatch, province: dict[str, Any]
) -> None:
    """When the time left would not build the model (as 10,000 communities at 10 s), the greedy
    plan is the plan, checked and said, and no model is built."""
    monkeypatch.setattr(direct, "MODEL_S_PER_COMMUNITY", 1e6)
    monkeypatch.setattr(direct, "build_matrix", lambda *a: pytest.fail("the model was built"))
    plan, told = _told(province, time_limit=20)
    assert len(told) == 1
    assert plan.weighted_shortfall == pytest.approx(told[0].weighted_shortfall)
    first = plan.solver.stages[0]
    assert direct.NO_TIME_FOR_MODEL in first.note and GREEDY_STANDS in first.note
    assert plan.status.value == "time_limit" and first.gap is not None
