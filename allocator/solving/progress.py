"""Plans found on the way, told to whoever listens: a solve in a worker process that may be ended
at its deadline sends each one to the command (`allocator.solving.worker`), which then has the
best plan found before the end to give instead of none.

The solver functions call `found(decisions, runs)` when they have a plan: `decisions` makes the
plan's decisions (a Readout) when called, so nothing is read back unless someone listens, and
`runs` are the stages so far. The listener is set for the work at hand (`listening`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from allocator.solving.status import StageRun

Listener = Callable[[Callable[[], Any], list[StageRun]], None]
_LISTENER: ContextVar[Listener | None] = ContextVar("plans_found", default=None)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Tell `listener` of every plan found inside the block."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def found(decisions: Callable[[], Any], runs: list[StageRun]) -> None:
    """A plan was found: its decisions (made when called) and the stages so far."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(decisions, runs)
