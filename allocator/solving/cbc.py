"""A stage in CBC (as bundled with PuLP), the second opinion to HiGHS.

PuLP's own status is not trusted after a time limit (CBC stopped on time reads "Optimal"):
CBC's solution status tells a proven optimum from a plan found at the limit.

CBC hands its values back through a text file, to 8 or 9 significant digits (a weighted
shortfall of 2039.978293 reads back as 2039.97829): a row that keeps an objective found by CBC
needs room for that (`READ_BACK_REL`).

CBC can run well past its own time limit (1,000 communities at 10 s: 37 s). Past it by
`OVERRUN_S` it is interrupted (SIGINT: it stops and writes the best plan it has), and a second
later ended; on Linux, where this process's children can be read from /proc. Under a command's
time limit the worker that runs it is ended with it anyway (`allocator.solving.worker`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pulp

from allocator.solving.status import StageRun, StageStatus, unproven

READ_BACK_REL = 2e-8  # relative error of a sum of values read back from CBC's solution file
OVERRUN_S = 0.2  # CBC is interrupted this long past its time limit
ENDED_AFTER_S = 0.5  # and ended this long after that


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
        overrun = None if time_limit_s is None else time_limit_s + OVERRUN_S
        with _interrupted_after(overrun) as fired:
            try:
                problem.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=gap, timeLimit=limit, **options))
            except pulp.PulpSolverError:
                if not fired.is_set():
                    raise
                said = "no plan found: CBC ran past its time limit and was ended"
                return StageRun.without_plan(StageStatus.NO_PLAN, time.monotonic() - began, said)
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


@contextlib.contextmanager
def _interrupted_after(seconds: float | None) -> Iterator[threading.Event]:
    """Interrupt this process's CBC children `seconds` from now, end them ENDED_AFTER_S later;
    the event is set once that began. None: never."""
    fired = threading.Event()
    if seconds is None:
        yield fired
        return
    stop = threading.Event()

    def interrupt() -> None:
        if stop.wait(seconds):
            return
        fired.set()
        for sig, wait in ((signal.SIGINT, ENDED_AFTER_S), (signal.SIGKILL, 0.0)):
            for pid in _cbc_children():
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
            if stop.wait(wait):
                return

    watcher = threading.Thread(target=interrupt, daemon=True)
    watcher.start()
    try:
        yield fired
    finally:
        stop.set()


def _cbc_children() -> list[int]:
    """This process's child processes running CBC (Linux; elsewhere none are found)."""
    pids = []
    for task in Path("/proc/self/task").glob("*/children"):
        with contextlib.suppress(OSError, ValueError):
            pids += [int(pid) for pid in task.read_text().split()]
    return [pid for pid in pids if _command(pid).startswith("cbc")]


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
