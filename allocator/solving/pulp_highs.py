"""PuLP problems in HiGHS, through the one HiGHS layer (`allocator.solving.highs`).

`to_highs` hands a problem's constraints over as a `HighsModel` whose rows and columns are known
by name (the analyses switch them on and off and re-run). `run_stage` solves a stage of the
reference formulation through PuLP's own interface, with the matrix handed over in one call
(`BulkHiGHS`), the layer's deadline and its honest read-back, and says how the stage ended.
"""

from __future__ import annotations

import math
import time
from typing import Any

import highspy
import numpy as np
import pulp

from allocator.solving.highs import (
    NO_SOLUTION_POSSIBLE,
    SHORTEST_LIMIT_S,
    HighsModel,
    ModelArrays,
    from_arrays,
    has_solution,
    honest_bound,
    interrupt_after,
    pass_arrays,
)
from allocator.solving.highs_process import quiet_highs, run_highs
from allocator.solving.status import StageRun, StageStatus, proven, relative_gap, unproven

_MODEL = highspy.HighsModelStatus
# How HiGHS ends when the time limit given (its own, or the deadline's interrupt) stops it.
_ON_TIME = (_MODEL.kTimeLimit, _MODEL.kInterrupt)


def problem_arrays(
    problem: pulp.LpProblem, *, objective: bool
) -> tuple[list[pulp.LpVariable], list[str], ModelArrays]:
    """`problem`'s columns (in the order of `problem.variables()`), its rows (in the order of its
    constraints) and its arrays; its objective if `objective`, else all costs 0."""
    if objective and problem.sense != pulp.LpMinimize:
        raise ValueError(f"{problem.name}: only minimisations are handed to HiGHS as arrays")
    variables = problem.variables()
    column = {id(v): j for j, v in enumerate(variables)}
    constraints = problem._constraints  # noqa: SLF001 - PuLP's own store, read once
    starts, indices, values, row_lower, row_upper = [], [], [], [], []
    for constraint in constraints.values():
        starts.append(len(indices))
        for var, coef in constraint.items():
            if coef:
                indices.append(column[id(var)])
                values.append(coef)
        low, high = constraint.getLb(), constraint.getUb()
        row_lower.append(-math.inf if low is None else low)
        row_upper.append(math.inf if high is None else high)
    starts.append(len(indices))
    cost = np.zeros(len(variables))
    if objective:
        cost = np.array([problem.objective.get(v, 0.0) for v in variables], dtype=np.float64)
    lower = [-math.inf if v.lowBound is None else v.lowBound for v in variables]
    upper = [math.inf if v.upBound is None else v.upBound for v in variables]
    arrays = ModelArrays(
        col_lower=np.array(lower, dtype=np.float64),
        col_upper=np.array(upper, dtype=np.float64),
        cost=cost,
        integer=np.array([v.cat == pulp.LpInteger for v in variables], dtype=bool),
        row_lower=np.array(row_lower, dtype=np.float64),
        row_upper=np.array(row_upper, dtype=np.float64),
        starts=np.array(starts, dtype=np.int32),
        index=np.array(indices, dtype=np.int32),
        value=np.array(values, dtype=np.float64),
        offset=float(problem.objective.constant) if objective else 0.0,
    )
    return variables, list(constraints), arrays


def to_highs(problem: pulp.LpProblem) -> HighsModel:
    """Hand `problem` (its constraints; no objective) to a fresh, quiet HiGHS, its rows and
    columns known by name. MIP runs stop at the time limit of each `run`."""
    variables, row_names, arrays = problem_arrays(problem, objective=False)
    model = from_arrays(arrays)
    model.columns.update((v.name, j) for j, v in enumerate(variables))
    model.rows.update((name, i) for i, name in enumerate(row_names))
    interrupt_after(model.highs, lambda: model.stop_at)
    return model


class BulkHiGHS(pulp.HiGHS):  # type: ignore[misc, valid-type]
    """PuLP's HiGHS interface, handing the whole matrix over in one call.

    Stock PuLP adds columns and rows one call at a time; here the model goes over as arrays
    in one `passModel`. A wall-clock deadline is enforced by `interrupt_after`.
    """

    def __init__(
        self,
        *,
        deadline: float | None = None,
        start: dict[str, float] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline
        self.start = start

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's name
        super().createAndConfigureSolver(lp)
        if self.deadline is not None:
            deadline = self.deadline
            # also inside long simplex runs (the root relaxation of a large model)
            interrupt_after(lp.solverModel, lambda: deadline, simplex=True)

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's name
        run_highs(lp.solverModel)

    def findSolutionValues(self, lp: pulp.LpProblem) -> tuple[int, int]:  # noqa: N802
        """PuLP's read-back, also after a way of ending PuLP has no entry for (HiGHS 1.16's
        kSolutionLimit, a node limit): the values are read all the same, and `run_stage` reads
        HiGHS's own status."""
        try:
            return super().findSolutionValues(lp)
        except KeyError:
            return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's name
        variables, _, arrays = problem_arrays(lp, objective=True)
        pass_arrays(lp.solverModel, arrays)
        for index, var in enumerate(variables):
            var.index = index
        for index, constraint in enumerate(lp._constraints.values()):  # noqa: SLF001
            constraint.index = index
        if self.start:
            solution = highspy.HighsSolution()
            solution.col_value = [self.start.get(v.name, 0.0) for v in variables]
            solution.value_valid = True
            lp.solverModel.setSolution(solution)


def run_stage(
    problem: pulp.LpProblem,
    *,
    gap: float,
    time_limit_s: float | None,
    start: dict[str, float] | None = None,
    began: float | None = None,
    presolve: bool = True,
) -> StageRun:
    """Solve `problem` as it stands in HiGHS, from `start` if given and with HiGHS's presolve
    unless not `presolve`; leave the values in its variables. The time limit counts from
    `began` (time.monotonic; now if None). OPTIMAL only with a bound that proves the gap;
    TIME_LIMIT only when the time limit given stopped HiGHS; NOT_PROVEN, with a note, for a
    plan without proof otherwise."""
    began = time.monotonic() if began is None else began
    deadline = began + time_limit_s if time_limit_s is not None else None
    options: dict[str, object] = {"mip_rel_gap": gap, "threads": 1}
    if time_limit_s is not None:
        options["time_limit"] = max(float(time_limit_s), SHORTEST_LIMIT_S)
    if not presolve:
        options["presolve"] = "off"
    quiet_highs()
    problem.solve(BulkHiGHS(msg=False, deadline=deadline, start=start, **options))
    highs = problem.solverModel
    runtime = time.monotonic() - began
    status = highs.getModelStatus()
    on_time = time_limit_s is not None and status in _ON_TIME
    if status in NO_SOLUTION_POSSIBLE:
        return StageRun.without_plan(StageStatus.INFEASIBLE, runtime)
    if status != _MODEL.kOptimal and not has_solution(highs):
        said = "the time limit was reached" if on_time else _said(highs, status)
        return StageRun.without_plan(StageStatus.NO_PLAN, runtime, f"no plan found: {said}")
    # Seen with HiGHS 1.16: given a starting plan, it can report the better objective it proved
    # while handing back the starting plan's values. Its bound then proves nothing (no bound:
    # NOT_PROVEN), and `allocator.solving.pulp_stages` solves it again without the start.
    objective = pulp.value(problem.objective) or 0.0
    is_mip = any(v.cat == pulp.LpInteger for v in problem.variables())
    bound = honest_bound(highs, objective) if is_mip else objective
    gap_now = None if bound is None else relative_gap(objective, bound)
    if status == _MODEL.kOptimal and proven(objective, bound, gap):
        return StageRun(StageStatus.OPTIMAL, objective, bound, gap_now, runtime)
    if status != _MODEL.kOptimal:
        note = "HiGHS stopped at the time limit" if on_time else f"stopped: {_said(highs, status)}"
    elif bound is None:
        note = f"{_mismatch(highs, objective)}: its bound is not this plan's"
    else:
        note = f"HiGHS stopped at a gap of {gap_now:.2e}, above the {gap:.1e} asked"
    return StageRun(unproven(on_time), objective, bound, gap_now, runtime, note)


def _said(highs: Any, status: Any) -> str:
    return f"HiGHS says {highs.modelStatusToString(status)!r}"


def _mismatch(highs: Any, objective: float) -> str:
    reported = float(highs.getInfo().objective_function_value)
    return f"HiGHS reported objective {reported:.9g} for a plan of {objective:.9g}"
