"""The rules of honest stages, each provoked by hand on the 2024 county.

(a) A stage handed a feasible plan never ends "infeasible", nor falls back silently: it is
    solved again until the solver agrees, else it keeps the best plan and says so.
(b) `time_limit` only when a time limit was given and reached; a plan without proof for any
    other reason is `not_proven`, with the reason in `solver.stages`.
(c) Settling who pays (17): when it fails, the plan says so in a stage of its own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import COUNTY_FILE
from oracle import check_plan
from typer.testing import CliRunner

import allocator.solving.direct as direct
import allocator.solving.lexicographic as lexicographic
from allocator import load_scenario, solve
from allocator.cli import app
from allocator.plan import Status
from allocator.solving import pulp_highs
from allocator.solving.highs import HighsModel, Solution
from allocator.solving.pulp_stages import Stages
from allocator.solving.status import StageRun, StageStatus

W_2024, COST_2024 = 765.0, 823.936
KNOWN = "although a plan that meets every row is known"


@pytest.fixture(scope="module")
def county() -> Any:
    return load_scenario(COUNTY_FILE)


def _stage(plan: Any, objective: str) -> Any:
    return next(s for s in plan.solver.stages if s.objective == objective)


def _checked(plan: Any, county_raw: dict) -> None:
    assert check_plan(county_raw, plan.to_dict()) == []


# --- (a) ------------------------------------------------------------------------------------
def _worse_first_proof(real: Any, otherwise: Any, fooled: list[bool]) -> Any:
    """run_stage whose first run of the first stage with presolve "proves" a worse plan (the
    least shortfall cut off by a row HiGHS does not show, as HiGHS 1.16 has done); every other
    run is `otherwise`'s. `fooled` gets True when it happened."""

    def worse_proof(problem: Any, **options: Any) -> StageRun:
        first_stage = problem.get_constraint_by_name("keep_shortfall") is None
        integer = any(v.cat == "Integer" for v in problem.variables())
        if first_stage and integer and options.get("presolve", True) and not fooled:
            fooled.append(True)
            problem += (problem.objective >= W_2024 + 0.5, "cut_off")
            try:
                return real(problem, **options)
            finally:
                problem._constraints.pop("cut_off")  # noqa: SLF001 - PuLP's own store
        return otherwise(problem, **options)

    return worse_proof


def test_cost_stage_called_infeasible_from_its_start_is_solved_again(
    monkeypatch: pytest.MonkeyPatch, county: Any, county_raw: dict
) -> None:
    """HiGHS says "infeasible" to the cost stage with stage 1's plan in hand: solved again
    without the start, the optimum, and the note says what happened."""
    real = pulp_highs.run_stage
    failed = []

    def infeasible_once(problem: Any, **options: Any) -> StageRun:
        cost_stage = problem.get_constraint_by_name("keep_shortfall") is not None
        if cost_stage and options.get("start") is not None and not failed:
            failed.append(True)
            return StageRun.without_plan(StageStatus.INFEASIBLE, 0.0)
        return real(problem, **options)

    monkeypatch.setattr(pulp_highs, "run_stage", infeasible_once)
    plan = solve(county)
    assert failed
    assert plan.status == Status.OPTIMAL
    assert (plan.weighted_shortfall, plan.total_cost) == (W_2024, COST_2024)
    cost = _stage(plan, "total_cost")
    assert cost.status == "optimal"
    assert KNOWN in cost.note and "solved again without its start: 'optimal'" in cost.note
    assert cost.note in plan.to_dict()["solver"]["stages"][1]["note"]
    _checked(plan, county_raw)


def test_cost_stage_keeps_its_start_when_every_run_fails(
    monkeypatch: pytest.MonkeyPatch, county: Any, county_raw: dict
) -> None:
    """Every run of the cost stage fails, even the LP of stage 1's routes: the plan is stage
    1's (its shortfall kept), `not_proven`, and the stage says it kept that plan."""
    real_once, real_settle = Stages.run_once, lexicographic.settle_payers
    settling = []

    def failing(self: Stages, objective: Any, **options: Any) -> StageRun:
        if objective is self.model.total_cost and not settling:
            return StageRun.without_plan(StageStatus.INFEASIBLE, 0.0)
        return real_once(self, objective, **options)

    def settle(stages: Stages) -> Any:
        settling.append(True)
        return real_settle(stages)

    monkeypatch.setattr(Stages, "run_once", failing)
    monkeypatch.setattr(lexicographic, "settle_payers", settle)
    plan = solve(county)
    assert plan.status == Status.NOT_PROVEN
    assert plan.weighted_shortfall == W_2024 and plan.total_cost >= COST_2024
    cost = _stage(plan, "total_cost")
    assert cost.status == "not_proven" and cost.value is not None
    assert KNOWN in cost.note and "kept the best plan found" in cost.note
    assert "without its start" in cost.note and "without presolve" in cost.note
    _checked(plan, county_raw)


def test_sets_cost_stage_called_infeasible_is_solved_again(
    monkeypatch: pytest.MonkeyPatch, county: Any, county_raw: dict
) -> None:
    """The same on the sets formulation in HiGHS: the full MIP of the cost stage says
    "infeasible" from its start; a fresh HiGHS proves the optimum."""
    real_run, real_keep = HighsModel.run_mip, direct.keep_at_most
    stage_two, failed = [], []

    def keep(*args: Any) -> int:
        stage_two.append(True)
        return real_keep(*args)

    def run_mip(self: HighsModel, start: Any = None, *, heuristics: bool = True) -> Solution:
        if stage_two and start is not None and not heuristics and not failed:
            failed.append(True)
            return Solution(StageStatus.INFEASIBLE, said="Infeasible")
        return real_run(self, start, heuristics=heuristics)

    expected = solve(county, formulation="sets")
    monkeypatch.setattr(direct, "keep_at_most", keep)
    monkeypatch.setattr(HighsModel, "run_mip", run_mip)
    # the full MIP runs even where the relaxation's bound already proves the start
    monkeypatch.setattr(direct, "_proven_by_relaxation", lambda *args: None)
    plan = solve(county, formulation="sets")
    assert failed
    assert plan.status == Status.OPTIMAL
    assert plan.weighted_shortfall == pytest.approx(expected.weighted_shortfall, abs=1e-4)
    assert plan.total_cost == pytest.approx(expected.total_cost, abs=1e-4)
    cost = _stage(plan, "total_cost")
    assert KNOWN in cost.note and "in a fresh HiGHS from the best plan: 'optimal'" in cost.note
    _checked(plan, county_raw)


def test_a_false_proof_is_caught(
    monkeypatch: pytest.MonkeyPatch, county: Any, county_raw: dict
) -> None:
    """HiGHS "proves" a worse plan optimal (as HiGHS 1.16 has, with presolve): the stage's
    check without presolve finds the least, and the note says which proof was false. The
    first stage: it has no start that would show the proof wrong before the check does."""
    fooled: list[bool] = []
    worse_proof = _worse_first_proof(pulp_highs.run_stage, pulp_highs.run_stage, fooled)
    monkeypatch.setattr(pulp_highs, "run_stage", worse_proof)
    plan = solve(county)
    assert fooled
    assert plan.status == Status.OPTIMAL
    assert (plan.weighted_shortfall, plan.total_cost) == (W_2024, COST_2024)
    first = _stage(plan, "weighted_shortfall")
    assert "but solved again without presolve it found" in first.note
    _checked(plan, county_raw)


def test_a_proof_worse_than_its_start_is_no_proof(county: Any) -> None:
    """A run of the sets formulation that "proves" a plan worse than the one it was handed:
    the handed plan is kept, without the proof, and the note says why."""
    from allocator.model.sets import build_matrix
    from allocator.solving.highs import from_matrix
    from allocator.solving.resolve import read_mip

    matrix = build_matrix(county)
    model = from_matrix(matrix, gap=1e-6, deadline=None)
    shortfall = matrix.objective("weighted_shortfall")
    start = direct.solve_stage(model, matrix, shortfall, gap=1e-6).values
    worse = start.copy()
    column = int(shortfall.nonzero()[0][0])
    worse[column] += 5.0
    value = float(shortfall @ worse)
    solved = Solution(StageStatus.OPTIMAL, worse, value, value, "Optimal")
    outcome = read_mip(model, shortfall, solved, start, gap=1e-6, began=0.0)
    assert outcome.values is start
    assert outcome.run.status == StageStatus.NOT_PROVEN and outcome.run.bound is None
    assert outcome.run.objective == pytest.approx(float(shortfall @ start))
    assert "worse than the" in outcome.run.note and "which is kept" in outcome.run.note


# --- (b) ------------------------------------------------------------------------------------
def test_a_solver_that_stops_on_its_own_is_not_a_time_limit(
    monkeypatch: pytest.MonkeyPatch, county_raw: dict
) -> None:
    """HiGHS stops at its first plan (a solution limit) with no time limit given: the plan is
    `not_proven` (never `time_limit`), exit code 0, and the screen says why."""
    real = pulp_highs.BulkHiGHS.createAndConfigureSolver

    def first_plan_only(self: Any, lp: Any) -> None:
        real(self, lp)
        lp.solverModel.setOptionValue("mip_max_improving_sols", 1)

    monkeypatch.setattr(pulp_highs.BulkHiGHS, "createAndConfigureSolver", first_plan_only)
    result = CliRunner().invoke(
        app, ["solve", "--lang", "en", str(COUNTY_FILE), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["status"] == "not_proven"
    statuses = [s["status"] for s in plan["solver"]["stages"]]
    assert "time_limit" not in statuses and "not_proven" in statuses
    assert any("Solution limit reached" in (s["note"] or "") for s in plan["solver"]["stages"])
    assert check_plan(county_raw, plan) == []
    table = CliRunner().invoke(app, ["solve", str(COUNTY_FILE)])
    assert table.exit_code == 0
    assert "未证明最优" in table.output
    assert "Solution limit reached" in table.output


def test_sets_bound_that_is_not_the_plans_is_solved_again(
    monkeypatch: pytest.MonkeyPatch, county: Any
) -> None:
    """HiGHS says optimal but its bound is not its plan's (seen with HiGHS 1.16): not taken
    as a time limit; a fresh run proves the plan, and the note says so."""
    real_run = HighsModel.run_mip
    dropped = []

    def no_bound(self: HighsModel, start: Any = None, *, heuristics: bool = True) -> Solution:
        solved = real_run(self, start, heuristics=heuristics)
        if start is not None and not heuristics and not dropped and solved.values is not None:
            dropped.append(True)
            return Solution(solved.status, solved.values, solved.objective, None, solved.said)
        return solved

    monkeypatch.setattr(HighsModel, "run_mip", no_bound)
    plan = solve(county, formulation="sets")
    assert dropped
    assert plan.status == Status.OPTIMAL
    noted = [s for s in plan.solver.stages if s.note]
    assert noted and "no bound" in noted[0].note and "'optimal'" in noted[0].note


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((StageStatus.OPTIMAL, StageStatus.OPTIMAL), Status.OPTIMAL),
        ((StageStatus.OPTIMAL, StageStatus.NOT_PROVEN), Status.NOT_PROVEN),
        ((StageStatus.NOT_PROVEN, StageStatus.TIME_LIMIT), Status.TIME_LIMIT),
        ((StageStatus.OPTIMAL, StageStatus.OPTIMAL, StageStatus.NOT_PROVEN), Status.NOT_PROVEN),
        ((StageStatus.INFEASIBLE,), Status.INFEASIBLE),
        ((StageStatus.NO_PLAN,), Status.NO_PLAN),
    ],
)
def test_plan_status_from_its_stages(statuses: tuple[StageStatus, ...], expected: Status) -> None:
    runs = [StageRun(s, 1.0 if s.has_plan else None, None, None, 0.0) for s in statuses]
    assert lexicographic._overall_status(runs) == expected  # noqa: SLF001


# --- (c) ------------------------------------------------------------------------------------
def test_settling_who_pays_that_fails_is_said(
    monkeypatch: pytest.MonkeyPatch, county: Any, county_raw: dict
) -> None:
    """The LP of (17) fails (also without presolve): the money stays as the cost stage left
    it, and a stage `payer_rank` says so; shortfall and cost are the optimum's."""
    real = pulp_highs.run_stage

    def settling_fails(problem: Any, **options: Any) -> StageRun:
        if problem.get_constraint_by_name("keep_cost") is not None:
            return StageRun.without_plan(StageStatus.INFEASIBLE, 0.0)
        return real(problem, **options)

    monkeypatch.setattr(pulp_highs, "run_stage", settling_fails)
    plan = solve(county)
    assert plan.status == Status.NOT_PROVEN
    assert (plan.weighted_shortfall, plan.total_cost) == (W_2024, COST_2024)
    payers = _stage(plan, "payer_rank")
    assert payers.status == "not_proven" and payers.value is None
    assert "settling who pays by rank" in payers.note
    assert "split as the cost stage left it" in payers.note
    assert [s.status for s in plan.solver.stages[:2]] == ["optimal", "optimal"]
    _checked(plan, county_raw)


def test_settled_payers_are_a_stage_of_the_plan(county: Any) -> None:
    plan = solve(county)
    assert [(s.objective, s.status, s.note) for s in plan.solver.stages] == [
        ("weighted_shortfall", "optimal", None),
        ("total_cost", "optimal", None),
        ("payer_rank", "optimal", None),
    ]
    assert plan.to_dict()["solver"]["stages"][2]["note"] is None


def test_the_sets_formulation_settles_payers_as_the_reference_does(county: Any) -> None:
    """Equal-cost plans split money between sources in many ways: the sets formulation settles
    it by the payers' rank too (earmarked money before the county's own), so both formulations
    spend the same county money (before, the sets one spent all 450 万元 of it)."""
    naive, sets = (solve(county, formulation=f) for f in ("naive", "sets"))
    assert sets.total_cost == pytest.approx(naive.total_cost, abs=1e-4)
    assert sets.objective["values"]["county_money"] == naive.objective["values"]["county_money"]
    assert naive.objective["values"]["county_money"] < 450 - 1


def test_a_file_with_years_or_staff_is_solved_in_the_sets_formulation() -> None:
    """Formulation "auto": the premises county in the reference formulation (its explanations
    were written against its ties), a file with years or staff in the sets one at any size
    (the county campaign: about 0.6 s against 2.8 s in the reference)."""
    from allocator.solving.lexicographic import auto_formulation

    assert auto_formulation(load_scenario(COUNTY_FILE)) == "naive"
    for staffed in ("2024.yaml", "2024_staff.yaml"):
        assert auto_formulation(load_scenario(COUNTY_FILE.with_name(staffed))) == "sets"


def _cut_checks(real: Any) -> Any:
    """run_stage whose checks without presolve end at their cap (as if cut there)."""
    from dataclasses import replace

    def cut(problem: Any, **options: Any) -> StageRun:
        run = real(problem, **options)
        if not options.get("presolve", True) and run.status.has_plan:
            return replace(run, status=StageStatus.TIME_LIMIT)
        return run

    return cut


def test_a_check_cut_at_its_cap_leaves_the_proof_and_says_so(
    monkeypatch: pytest.MonkeyPatch, county: Any, county_raw: dict
) -> None:
    """The check of a proof runs at most CHECK_TIMES the stage's own time: cut there without a
    better plan, the stage stays proven (HiGHS's proof) and its note says the check was cut."""
    monkeypatch.setattr(pulp_highs, "run_stage", _cut_checks(pulp_highs.run_stage))
    plan = solve(county)
    assert plan.status == Status.OPTIMAL
    first = _stage(plan, "weighted_shortfall")
    assert "checked again without presolve for" in first.note
    _checked(plan, county_raw)


def test_a_better_plan_from_a_cut_check_is_not_a_time_limit(
    monkeypatch: pytest.MonkeyPatch, county: Any, county_raw: dict
) -> None:
    """No time limit was given: a check cut at its own cap that finds a better plan than
    HiGHS proved leaves the stage not proven, never `time_limit`."""
    original = pulp_highs.run_stage
    fooled: list[bool] = []
    worse_proof = _worse_first_proof(original, _cut_checks(original), fooled)
    monkeypatch.setattr(pulp_highs, "run_stage", worse_proof)
    plan = solve(county)
    assert fooled
    assert plan.status == Status.NOT_PROVEN
    first = _stage(plan, "weighted_shortfall")
    assert first.status == StageStatus.NOT_PROVEN
    assert "but solved again without presolve it found" in first.note
    _checked(plan, county_raw)


def test_a_start_the_relaxation_proves_is_not_solved_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The campaign's cost stage: the plan of step (b) is within the gap of the linear
    relaxation's bound, so no full MIP runs after it; the stage is optimal and says why."""
    campaign = load_scenario(COUNTY_FILE.with_name("2024.yaml"))
    runs: list[bool] = []
    real_run = HighsModel.run_mip

    def counted(self: HighsModel, start: Any = None, *, heuristics: bool = True) -> Solution:
        runs.append(start is not None)
        return real_run(self, start, heuristics=heuristics)

    monkeypatch.setattr(HighsModel, "run_mip", counted)
    plan = solve(campaign)
    cost = _stage(plan, "total_cost")
    assert cost.status == "optimal" and cost.gap <= 1e-6
    assert "the linear relaxation's bound" in cost.note and "proves it" in cost.note
    assert runs.count(True) < len(plan.solver.stages)  # a stage ran no MIP from its start
    assert check_plan(campaign.source, plan.to_dict()) == []
