"""Running one MILP stage in HiGHS or CBC and reading back an honest status.

PuLP's own status is not trusted after a time limit (CBC stopped on time reads "Optimal"):
HiGHS's model status, incumbent and bound are read directly; CBC's solution status tells
a proven optimum from a plan found at the limit.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pulp

SOLVERS = ("highs", "cbc")


@dataclass(frozen=True)
class StageRun:
    """What one solver run gave: `status` is optimal, time_limit, infeasible or no_plan."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float


_highs_greeted = False


def quiet_highs() -> None:
    """Create the process's first HiGHS object with the C-level stdout closed.

    HiGHS prints its banner on standard output when the first `Highs()` of a process is made,
    whatever its options; that would spoil `--format json` on stdout.
    """
    global _highs_greeted
    if _highs_greeted:
        return
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _highs_greeted = True


def solver_version(name: str) -> str:
    if name == "highs":
        from importlib.metadata import version

        return f"HiGHS {version('highspy')}"
    return f"CBC (bundled with PuLP {pulp.__version__})"


class BulkHiGHS(pulp.HiGHS):  # type: ignore[misc, valid-type]
    """PuLP's HiGHS interface, handing the whole matrix over in one call.

    Stock PuLP adds columns and rows one call at a time; here the model goes over as arrays
    in one `passModel`. A wall-clock deadline is enforced by a callback that interrupts
    HiGHS, which can overrun its own `time_limit` in its root loop.
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

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's name
        import highspy

        passed = pass_problem(lp.solverModel, lp, objective=True)
        for index, var in enumerate(passed.variables):
            var.index = index
        for index, constraint in enumerate(lp._constraints.values()):
            constraint.index = index
        if self.start:
            solution = highspy.HighsSolution()
            solution.col_value = [self.start.get(v.name, 0.0) for v in passed.variables]
            solution.value_valid = True
            lp.solverModel.setSolution(solution)


def interrupt_after(
    highs: Any, deadline: Callable[[], float | None], *, simplex: bool = False
) -> None:
    """Have `highs` (a highspy.Highs) stop a MIP run, and with `simplex` a simplex run too, once
    the wall clock (time.monotonic) is past `deadline()`; a deadline of None never stops it.

    HiGHS can overrun its own time_limit (in the MIP root loop, in long simplex runs): the
    callback stops it from outside.
    """
    import highspy

    def interrupt(kind: int, message: str, data_out: object, data_in: object, user: object) -> None:
        limit = deadline()
        if limit is not None and time.monotonic() > limit:
            data_in.user_interrupt = True  # type: ignore[attr-defined]

    highs.setCallback(interrupt, None)
    highs.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
    if simplex:
        highs.startCallback(highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt)


@dataclass(frozen=True)
class PassedProblem:
    """A PuLP problem as handed to HiGHS: columns in the order of `problem.variables()`, rows
    in the order of its constraints, bounds with -inf/inf where PuLP has none."""

    variables: list[pulp.LpVariable]
    row_names: list[str]
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # bool, a column a time
    row_lower: np.ndarray
    row_upper: np.ndarray


def pass_problem(highs: Any, problem: pulp.LpProblem, *, objective: bool) -> PassedProblem:
    """Hand `problem` over to `highs` (a highspy.Highs) as arrays in one `passModel`: its
    constraints, and its objective if `objective` (else none: all costs 0)."""
    import highspy

    inf = highspy.kHighsInf
    variables = problem.variables()
    column = {id(v): j for j, v in enumerate(variables)}
    lower = np.array(
        [-math.inf if v.lowBound is None else v.lowBound for v in variables], dtype=np.float64
    )
    upper = np.array(
        [math.inf if v.upBound is None else v.upBound for v in variables], dtype=np.float64
    )
    integer = np.array([v.cat == pulp.LpInteger for v in variables], dtype=bool)
    starts, indices, values, row_lower, row_upper = [], [], [], [], []
    for constraint in problem._constraints.values():  # noqa: SLF001 - PuLP's own store
        starts.append(len(indices))
        for var, coef in constraint.items():
            if coef:
                indices.append(column[id(var)])
                values.append(coef)
        low, high = constraint.getLb(), constraint.getUb()
        row_lower.append(-math.inf if low is None else low)
        row_upper.append(math.inf if high is None else high)
    starts.append(len(indices))
    if objective:
        cost = np.array([problem.objective.get(v, 0.0) for v in variables], dtype=np.float64)
        offset = float(problem.objective.constant)
    else:
        cost, offset = np.zeros(len(variables)), 0.0
    passed = PassedProblem(
        variables,
        list(problem._constraints),  # noqa: SLF001
        lower,
        upper,
        integer,
        np.array(row_lower, dtype=np.float64),
        np.array(row_upper, dtype=np.float64),
    )
    highs.passModel(
        len(variables),
        len(row_lower),
        len(indices),
        2,
        1,
        offset,
        cost,
        np.clip(passed.col_lower, -inf, inf),
        np.clip(passed.col_upper, -inf, inf),
        np.clip(passed.row_lower, -inf, inf),
        np.clip(passed.row_upper, -inf, inf),
        np.array(starts, dtype=np.int32),
        np.array(indices, dtype=np.int32),
        np.array(values, dtype=np.float64),
        integer.astype(np.int32),
    )
    return passed


def run_stage(
    problem: pulp.LpProblem,
    solver: str,
    *,
    gap: float,
    time_limit_s: float | None,
    start: dict[str, float] | None = None,
) -> StageRun:
    """Solve `problem` as it stands; leave the values in its variables."""
    began = time.monotonic()
    if solver == "highs":
        return _run_highs(problem, gap, time_limit_s, start, began)
    if solver == "cbc":
        return _run_cbc(problem, gap, time_limit_s, began)
    raise ValueError(f"unknown solver {solver!r}: use one of {', '.join(SOLVERS)}")


def _run_highs(
    problem: pulp.LpProblem,
    gap: float,
    time_limit_s: float | None,
    start: dict[str, float] | None,
    began: float,
) -> StageRun:
    import highspy

    quiet_highs()
    deadline = began + time_limit_s if time_limit_s is not None else None
    options: dict[str, object] = {"mip_rel_gap": gap, "threads": 1}
    if time_limit_s is not None:
        options["time_limit"] = max(float(time_limit_s), 0.01)
    solver = BulkHiGHS(msg=False, deadline=deadline, start=start, **options)
    problem.solve(solver)
    highs = problem.solverModel
    status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2
    runtime = time.monotonic() - began
    kinds = highspy.HighsModelStatus
    if status == kinds.kOptimal:
        outcome = "optimal"
    elif status in (kinds.kInfeasible, kinds.kUnboundedOrInfeasible):
        return StageRun("infeasible", None, None, None, runtime)
    elif has_solution and status in (kinds.kTimeLimit, kinds.kInterrupt, kinds.kIterationLimit):
        outcome = "time_limit"
    else:
        return StageRun("no_plan", None, None, None, runtime)
    objective = float(info.objective_function_value)
    from_values = pulp.value(problem.objective) or 0.0
    if abs(from_values - objective) > 1e-6 * max(1.0, abs(objective)):
        # Seen with HiGHS 1.16: given a starting plan, it can report the better objective it
        # proved while handing back the starting plan's values. Never report such a pair.
        if start is not None:
            return _run_highs(problem, gap, time_limit_s, None, began)
        objective = from_values
    is_mip = any(v.cat == pulp.LpInteger for v in problem.variables())
    bound = float(info.mip_dual_bound) if is_mip else objective
    bound = bound if math.isfinite(bound) else None
    gap_now = None if bound is None else _gap(objective, bound)
    return StageRun(outcome, objective, bound, gap_now, runtime)


def _run_cbc(
    problem: pulp.LpProblem, gap: float, time_limit_s: float | None, began: float
) -> StageRun:
    limit = None if time_limit_s is None else max(1, int(time_limit_s))
    with warnings.catch_warnings():
        # PuLP 3.x marks its bundled CBC as going away in 4.0; it is the CBC we pin to.
        warnings.simplefilter("ignore", DeprecationWarning)
        problem.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=gap, timeLimit=limit))
    runtime = time.monotonic() - began
    if problem.status == pulp.LpStatusInfeasible:
        return StageRun("infeasible", None, None, None, runtime)
    if problem.sol_status == pulp.LpSolutionOptimal:
        value = pulp.value(problem.objective)
        return StageRun("optimal", value, None, gap, runtime)
    if problem.sol_status == pulp.LpSolutionIntegerFeasible:
        # CBC stopped at its limit with a plan; PuLP does not give the bound, so no gap.
        return StageRun("time_limit", pulp.value(problem.objective), None, None, runtime)
    return StageRun("no_plan", None, None, None, runtime)


def _gap(objective: float, bound: float) -> float | None:
    """Relative gap between a plan and the proven bound; None when no bound is proven yet."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    if abs(objective - bound) <= 1e-9:
        return 0.0
    return abs(objective - bound) / max(abs(objective), 1e-9)
