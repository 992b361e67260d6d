"""A stage in CBC (as bundled with PuLP), the second opinion to HiGHS.

PuLP's own status is not trusted after a time limit (CBC stopped on time reads "Optimal"):
CBC's solution status tells a proven optimum from a plan found at the limit.

CBC hands its values back through a text file, to 8 or 9 significant digits (a weighted
shortfall of 2039.978293 reads back as 2039.97829): a row that keeps an objective found by CBC
needs room for that (`READ_BACK_REL`).
"""

from __future__ import annotations

import time
import warnings

import pulp

from allocator.solving.status import StageRun, StageStatus, unproven

READ_BACK_REL = 2e-8  # relative error of a sum of values read back from CBC's solution file


def version() -> str:
    return f"CBC (bundled with PuLP {pulp.__version__})"


def run_stage(
    problem: pulp.LpProblem, *, gap: float, time_limit_s: float | None, presolve: bool = True
) -> StageRun:
    """Solve `problem` as it stands in CBC (with its presolve unless not `presolve`); leave the
    values in its variables. A proven plan carries the gap asked for (PuLP gives no bound); a
    plan without proof carries none, and is TIME_LIMIT only when the time limit given was
    reached."""
    began = time.monotonic()
    limit = None if time_limit_s is None else max(1, int(time_limit_s))
    with warnings.catch_warnings():
        # PuLP 3.x marks its bundled CBC as going away in 4.0; it is the CBC we pin to.
        warnings.simplefilter("ignore", DeprecationWarning)
        options = {} if presolve else {"presolve": False}
        problem.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=gap, timeLimit=limit, **options))
    runtime = time.monotonic() - began
    # The only limit CBC is given is the time limit: a stop without proof under one is on time.
    on_time = limit is not None
    if problem.status == pulp.LpStatusInfeasible:
        return StageRun.without_plan(StageStatus.INFEASIBLE, runtime)
    if problem.sol_status == pulp.LpSolutionOptimal:
        return StageRun(StageStatus.OPTIMAL, pulp.value(problem.objective), None, gap, runtime)
    if problem.sol_status == pulp.LpSolutionIntegerFeasible:
        objective = pulp.value(problem.objective)
        note = "CBC stopped at the time limit" if on_time else "CBC stopped without a proof"
        return StageRun(unproven(on_time), objective, None, None, runtime, note)
    said = "the time limit was reached" if on_time else f"CBC says {pulp.LpStatus[problem.status]}"
    return StageRun.without_plan(StageStatus.NO_PLAN, runtime, f"no plan found: {said}")
