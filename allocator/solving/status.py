"""How a stage of the solve ended: one status vocabulary and the record of one run.

A stage's status is a `StageStatus`; the plan's own status (`allocator.plan.Status`) is made
from its stages' by `allocator.solving.lexicographic`. The string values are those written in
the plan's JSON (`solver.stages[].status`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

# A proven gap counts as within the gap asked for up to this factor: HiGHS stops on its own
# measure of the gap, which differs from `relative_gap` in the last digits.
GAP_SLACK = 1.0001


class StageStatus(StrEnum):
    """How one stage, or one solver run, ended."""

    OPTIMAL = "optimal"
    """A plan, proven within the gap asked for."""
    TIME_LIMIT = "time_limit"
    """A plan without that proof: the time ran out, or the bound could not be trusted."""
    INFEASIBLE = "infeasible"
    """The solver says no plan exists."""
    NO_PLAN = "no_plan"
    """No plan found, and none proven impossible (time ran out first, or the solver failed)."""
    UNKNOWN = "unknown"
    """A single solver run that ended with neither a proof nor infeasibility (a time limit,
    numerical trouble): the outcome of `HighsModel.run` and of a relaxation, never a stage's."""

    @property
    def has_plan(self) -> bool:
        return self in (StageStatus.OPTIMAL, StageStatus.TIME_LIMIT)


@dataclass(frozen=True)
class StageRun:
    """What one stage gave: its status, the objective of its plan, the proven bound and the
    relative gap between them (None when not known), and its wall-clock time."""

    status: StageStatus
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float

    @classmethod
    def without_plan(cls, status: StageStatus, runtime_s: float) -> StageRun:
        return cls(status, None, None, None, runtime_s)


def relative_gap(objective: float, bound: float) -> float | None:
    """Relative gap between a plan and the proven bound; None when either is not finite."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    if abs(objective - bound) <= 1e-9:
        return 0.0
    return abs(objective - bound) / max(abs(objective), 1e-9)


def within_gap(gap: float | None, asked: float) -> bool:
    """A proven gap at most the one asked for (with GAP_SLACK); an unknown gap never is."""
    return gap is not None and gap <= asked * GAP_SLACK
