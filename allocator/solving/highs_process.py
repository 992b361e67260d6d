"""What HiGHS keeps per process, and how our runs live with it: the banner its first object
prints, and the thread scheduler its first run of a thread makes."""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import Any

import highspy


@cache
def quiet_highs() -> None:
    """Create the process's first HiGHS object with the C-level stdout closed.

    HiGHS prints its banner on standard output when the first `Highs()` of a process is made,
    whatever its options; that would spoil `--format json` on stdout.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def run_highs(highs: Any) -> None:
    """`highs.run()`, once more after resetting HiGHS's thread scheduler when it refused to
    start. The scheduler is made by the first run of a thread with that run's thread count; a
    later run asking for another (ours ask for 1) ends at once, model status "Not Set", as if
    no plan existed. Seen when code before ours in the process had run HiGHS with its default
    threads (a notebook, another library, the tests' oracle). No other thread of this process
    runs HiGHS meanwhile (its workers are processes), so the reset is safe here."""
    if highs.run() == highspy.HighsStatus.kError and (
        highs.getModelStatus() == highspy.HighsModelStatus.kNotset
    ):
        highspy.Highs.resetGlobalScheduler(True)
        highs.run()
