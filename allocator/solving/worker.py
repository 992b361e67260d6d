"""Solver work under one deadline, stopped from outside when it does not come back in time.

HiGHS can sit in its root cut separation, where neither its time limit nor its interrupt
callback is looked at, and CBC (a program PuLP runs) overruns its own time limit; neither can be
stopped from inside. So when a command is given a time limit, its solver work runs in a worker
process (this module's `_serve`, in a process group of its own) that the command
ends at the deadline plus a small grace; CBC, a child of the worker, is ended with it. Without a
time limit everything runs in the calling process, as it always did.

- `Deadline`: when the command began and its limit, passed down whole; parts that run after the
  main solve get what is left (`left`), and a part that shares the rest with others its share.
- `within(deadline, fn, ...)`: run `fn` in the worker (in process without a limit, or when
  already in the worker); a `Call` says whether it came back, was stopped, or was skipped for
  want of time, with the last partial result `fn` sent (`report`) before it was stopped.
- `solve_within(scenario, deadline, ...)`: the lexicographic solve so run; a solve stopped at the
  deadline is a plan with status no_plan that says so (`stopped_plan`).

The worker reads jobs (pickled: the function, by name, and its arguments) on its standard
input and writes results on a copy of its standard output; what the solvers print at C level
goes to the null device. It ends itself when the command that started it is gone.
"""

from __future__ import annotations

import atexit
import gc
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from allocator.plan import Plan
from allocator.solving.cut_plans import asked_limit, ended_with, stopped_plan
from allocator.solving.deadline import Deadline

if TYPE_CHECKING:
    from allocator.scenario.schema import Scenario

# The solve in the worker is told to stop this much before the deadline (plus a little per
# community, capped at a share of the limit), so that its plan is read back and sent in time.
RESERVE_S = 0.1
RESERVE_PER_COMMUNITY_S = 3e-4
RESERVE_SHARE = 0.25
_POSIX = os.name == "posix"
_IN_WORKER = False


# --- the deadline ---------------------------------------------------------------------------
def process_began(*, at_most_s: float = 5.0) -> float:
    """When this process started, on the clock of `time.monotonic` (Linux), so that a command's
    deadline counts its imports too; now when that is not known or more than `at_most_s` ago
    (a notebook, a test runner: a command run in them counts from its own start)."""
    now = time.monotonic()
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of proc(5): starttime, in clock ticks after boot
        ago = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - ago if 0.0 <= ago <= at_most_s else now


def solver_seconds(deadline: Deadline, communities: int = 0) -> float | None:
    """The time limit to hand a solver now: what is left, less the time its plan needs to be
    read back and sent; None without a limit."""
    if not deadline.limited:
        return None
    limit = deadline.limit_s or 0.0
    reserve = min(RESERVE_S + RESERVE_PER_COMMUNITY_S * communities, RESERVE_SHARE * limit)
    return max(deadline.left() - reserve, 0.01)


# --- running a function in the worker -------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """How a call under a deadline ended: `done` with its `value`; or not done, `how` saying
    why ("stopped": ended at the deadline; "skipped": no time was left to start it), with the
    last partial result it reported before it was stopped (None if none)."""

    value: Any = None
    done: bool = True
    how: str = ""
    partial: Any = None


def within(deadline: Deadline | None, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Call:
    """`fn(*args, **kwargs)` in the worker, ended at `deadline.stop_at` if it has not come back;
    in this process when there is no limit or this is the worker. `fn` must be importable by
    name (a module-level function) and its arguments and result picklable. An exception in
    `fn` is raised here again."""
    if deadline is None or not deadline.limited or _IN_WORKER:
        return Call(bounded(deadline, fn, args, kwargs))
    if deadline.passed():
        return Call(done=False, how="skipped")
    return _shared().call(deadline, bounded, (deadline, fn, args, kwargs), {})


_CURRENT: ContextVar[Deadline | None] = ContextVar("deadline", default=None)


def bounded(deadline: Deadline | None, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """`fn(*args, **kwargs)` with `deadline` as the deadline of the work at hand, which the
    solves inside it that take a plain time limit read (`left_s`, `out_of_time`)."""
    token = _CURRENT.set(deadline)
    try:
        return fn(*args, **kwargs)
    finally:
        _CURRENT.reset(token)


def left_s(time_limit: float | None, communities: int = 0) -> float | None:
    """The time limit for a solve inside work under a deadline: what is left of it now (less
    the read-back reserve), else `time_limit` as given."""
    deadline = _CURRENT.get()
    if deadline is None or not deadline.limited:
        return time_limit
    return solver_seconds(deadline, communities)


def out_of_time() -> bool:
    """The deadline of the work at hand has passed."""
    deadline = _CURRENT.get()
    return deadline is not None and deadline.passed()


def warm(deadline: Deadline) -> Deadline:
    """Start the worker now when `deadline` is limited (its imports then overlap the command's
    own loading); `deadline` as it is."""
    if deadline.limited and not _IN_WORKER:
        _shared().start()
    return deadline


def ready(limited: bool = True) -> None:
    """With `limited`, have the worker started and through its imports before a clock starts
    (a sweep's point: its limit is for its own solve)."""
    if limited and not _IN_WORKER:
        _shared().wait_ready()


def report(partial: Any) -> None:
    """In the worker, send `partial` (what is done so far) to the command, which keeps the
    last one it gets if the work is stopped; elsewhere nothing."""
    if _IN_WORKER and _OUT is not None:
        _send(_OUT, ("partial", partial))


def in_worker() -> bool:
    return _IN_WORKER


class Worker:
    """One worker process, started on first use and again after it was ended."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._frames: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._ready = False

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Start the worker if need be and wait until it has made its imports."""
        self.start()
        ends = time.monotonic() + timeout_s
        while not self._ready and time.monotonic() < ends:
            try:
                kind, value = self._frames.get(timeout=max(ends - time.monotonic(), 0.0))
            except queue.Empty:
                return
            if kind == "ready":
                self._ready = True
            elif kind == "gone":
                self.stop()
                return

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def call(
        self, deadline: Deadline, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]
    ) -> Call:
        process = self.start()
        assert process.stdin is not None
        try:
            _send(process.stdin, (fn, args, kwargs))
        except (BrokenPipeError, OSError):
            self.stop()
            return Call(done=False, how="stopped")
        partial = None
        while True:
            wait = max((deadline.stop_at or 0.0) - time.monotonic(), 0.0)
            try:
                kind, value = self._frames.get(timeout=wait)
            except queue.Empty:
                self.stop()
                return Call(done=False, how="stopped", partial=partial)
            if kind == "ready":
                self._ready = True
            elif kind == "partial":
                partial = value
            elif kind == "done":
                return Call(value)
            elif kind == "error":
                raise value
            else:  # the worker died
                self.stop()
                raise RuntimeError(f"the solver's worker process ended unexpectedly: {value}")

    def start(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._frames = queue.Queue()
        self._ready = False
        flags = {"start_new_session": True} if _POSIX else {"creationflags": _NEW_GROUP}
        process = subprocess.Popen(  # noqa: S603 - this very interpreter, this very module
            [sys.executable, "-c", _START],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            **flags,
        )
        assert process.stdin is not None and process.stdout is not None
        _send(process.stdin, list(sys.path))
        threading.Thread(target=_read, args=(process.stdout, self._frames), daemon=True).start()
        self._process = process
        return process

    def stop(self) -> None:
        """End the worker and everything it started (CBC), and reap it: no orphan is left."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if _POSIX:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


_NEW_GROUP = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
# The worker's start: its imports (pandas, PuLP, HiGHS) make many objects and no garbage, so
# Python's cyclic garbage collector is off until they are made (`_serve` turns it on again).
_START = "import gc; gc.disable(); from allocator.solving import worker; worker._serve()"
_WORKER: Worker | None = None


def _shared() -> Worker:
    global _WORKER
    if _WORKER is None:
        _WORKER = Worker()
        atexit.register(_WORKER.stop)
    return _WORKER


def _send(stream: BinaryIO, message: object) -> None:
    pickle.dump(message, stream, protocol=pickle.HIGHEST_PROTOCOL)
    stream.flush()


def _read(stream: BinaryIO, frames: queue.Queue[tuple[str, Any]]) -> None:
    """The command's side: every message of the worker into `frames`, then ("gone", why)."""
    while True:
        try:
            message = pickle.load(stream)
        except EOFError:
            frames.put(("gone", "it closed its output"))
            return
        except Exception as error:  # noqa: BLE001 - a message that cannot be read ends it
            frames.put(("gone", repr(error)))
            return
        frames.put(message)


# --- the solve ------------------------------------------------------------------------------
def solve_within(scenario: Scenario, deadline: Deadline | None, **options: Any) -> Plan:
    """`allocator.solving.lexicographic.solve(scenario, **options)` under `deadline`: in the
    worker when limited, its time limit what is left. A solve that does not come back by
    `deadline.stop_at` is ended and the plan says so (`stopped_plan`); one not started for want
    of time too."""
    options.pop("time_limit", None)
    if deadline is None or not deadline.limited:
        from allocator.solving.lexicographic import solve

        return solve(scenario, **options)
    call = within(deadline, _solve_here, scenario, deadline, options)
    if not call.done and isinstance(call.partial, Plan):
        return asked_limit(ended_with(call.partial, deadline), deadline)
    if not call.done:
        return stopped_plan(scenario, deadline, call.how, **options)
    plan: Plan = call.value
    return asked_limit(plan, deadline)


def _solve_here(scenario: Scenario, deadline: Deadline, options: dict[str, Any]) -> Plan:
    """The solve, in the worker; every plan it finds on the way is sent to the command
    (`report`), which gives the last one if it has to end the solve."""
    from allocator.solving import progress
    from allocator.solving.lexicographic import plan_so_far, solve

    limit = solver_seconds(deadline, len(scenario.communities))
    began = time.monotonic()
    told = {k: options[k] for k in ("solver", "gap") if k in options}

    def tell(decisions: Callable[[], Any], runs: list[Any]) -> None:
        report(plan_so_far(decisions(), runs, time_limit=limit, began=began, **told))

    with progress.listening(tell):
        return solve(scenario, time_limit=limit, **options)


# --- the worker's side ----------------------------------------------------------------------
_OUT: BinaryIO | None = None


def _serve() -> None:
    """Answer jobs until the command closes the pipe; results on a private copy of stdout."""
    global _IN_WORKER, _OUT
    _IN_WORKER = True
    _OUT = os.fdopen(os.dup(1), "wb")
    sink = os.open(os.devnull, os.O_WRONLY)
    os.dup2(sink, 1)  # what HiGHS or CBC print at C level goes nowhere
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the worker
    jobs = sys.stdin.buffer
    sys.path[:] = pickle.load(jobs)
    import allocator.solving.lexicographic  # noqa: F401 - the solver's imports, before any job

    gc.freeze()  # what the imports made lives as long as the worker: no collection walks it
    gc.enable()

    _send(_OUT, ("ready", None))
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    while True:
        try:
            fn, args, kwargs = pickle.load(jobs)
        except EOFError:
            return
        except Exception as error:  # noqa: BLE001 - a job that cannot be read is an error
            _send(_OUT, ("error", RuntimeError(f"cannot read the job: {error!r}")))
            continue
        try:
            message = ("done", fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - sent to the command, raised there
            message = ("error", _portable(error))
        _send(_OUT, message)


def _portable(error: Exception) -> Exception:
    """`error` if it can be pickled, else a RuntimeError with its traceback."""
    try:
        pickle.dumps(error)
        return error
    except Exception:  # noqa: BLE001
        return RuntimeError("".join(traceback.format_exception(error)))


def _watch_parent(parent: int) -> None:
    """End the worker (and CBC with it) once the command that started it is gone."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            if _POSIX:
                os.killpg(0, signal.SIGKILL)
            os._exit(1)


if __name__ == "__main__":
    # Run as a script this file is `__main__`; the functions sent by name live in the module.
    from allocator.solving import worker

    gc.disable()
    worker._serve()
