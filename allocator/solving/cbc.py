"""A stage in CBC (as bundled with PuLP), the second opinion to HiGHS.

PuLP's own status is not trusted after a time limit (CBC stopped on time reads "Optimal"):
CBC's solution status tells a proven optimum from a plan found at the limit.
"""

from __future__ import annotations

import time
import warnings

import pulp

from allocator.solving.status import StageRun, StageStatus


def version() -> str:
    return f"CBC (bundled with PuLP {pulp.__version__})"


def run_stage(problem: pulp.LpProblem, *, gap: float, time_limit_s: float | None) -> StageRun:
    """Solve `problem` as it stands in CBC; leave the values in its variables. A proven plan
    carries the gap asked for (PuLP gives no bound); a plan at the limit carries none."""
    began = time.monotonic()
    limit = None if time_limit_s is None else max(1, int(time_limit_s))
    with warnings.catch_warnings():
        # PuLP 3.x marks its bundled CBC as going away in 4.0; it is the CBC we pin to.
        warnings.simplefilter("ignore", DeprecationWarning)
        problem.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=gap, timeLimit=limit))
    runtime = time.monotonic() - began
    if problem.status == pulp.LpStatusInfeasible:
        return StageRun.without_plan(StageStatus.INFEASIBLE, runtime)
    if problem.sol_status == pulp.LpSolutionOptimal:
        return StageRun(StageStatus.OPTIMAL, pulp.value(problem.objective), None, gap, runtime)
    if problem.sol_status == pulp.LpSolutionIntegerFeasible:
        objective = pulp.value(problem.objective)
        return StageRun(StageStatus.TIME_LIMIT, objective, None, None, runtime)
    return StageRun.without_plan(StageStatus.NO_PLAN, runtime)
