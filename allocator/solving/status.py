"""How a stage of the solve ended: one status vocabulary and the record of one run.

A stage's status is a `StageStatus`; the plan's own status (`allocator.plan.Status`) is made
from its stages' by `allocator.solving.lexicographic`. The string values are those written in
the plan's JSON (`solver.stages[].status`), next to a stage's `note`: what happened when a stage
ends without a proof, or was solved again to get one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

# A proven gap counts as within the gap asked for up to this factor: HiGHS stops on its own
# measure of the gap, which differs from `relative_gap` in the last digits.
GAP_SLACK = 1.0001
# HiGHS's own absolute gap (its option mip_abs_gap, 1e-6 by default): near an objective of 0 it
# stops on this one, and a plan this close to its bound is proven whatever the relative gap.
ABSOLUTE_GAP = 1e-6


class StageStatus(StrEnum):
    """How one stage, or one solver run, ended."""

    OPTIMAL = "optimal"
    """A plan, proven within the gap asked for."""
    TIME_LIMIT = "time_limit"
    """A plan without that proof because the time limit given was reached."""
    NOT_PROVEN = "not_proven"
    """A plan without that proof for another reason (the note says which: a bound that could
    not be trusted, a solver that stopped on its own, a re-solve that still disagreed)."""
    INFEASIBLE = "infeasible"
    """The solver says no plan exists (never a stage that was handed a feasible plan)."""
    NO_PLAN = "no_plan"
    """No plan found, and none proven impossible (time ran out first, or the solver failed)."""
    UNKNOWN = "unknown"
    """A single solver run that ended with neither a proof nor infeasibility (a time limit,
    numerical trouble): the outcome of `HighsModel.run` and of a relaxation, never a stage's."""

    @property
    def has_plan(self) -> bool:
        return self in (StageStatus.OPTIMAL, StageStatus.TIME_LIMIT, StageStatus.NOT_PROVEN)


@dataclass(frozen=True)
class StageRun:
    """What one stage gave: its status, the objective of its plan, the proven bound and the
    relative gap between them (None when not known), its wall-clock time, and a note saying
    what happened when it is not simply proven (None otherwise)."""

    status: StageStatus
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float
    note: str | None = None

    @classmethod
    def without_plan(
        cls, status: StageStatus, runtime_s: float, note: str | None = None
    ) -> StageRun:
        return cls(status, None, None, None, runtime_s, note)

    def noted(self, note: str | None) -> StageRun:
        """The same run with `note` before its own note (if any)."""
        if not note:
            return self
        return replace(self, note=note if not self.note else f"{note}; {self.note}")


def unproven(time_limit_reached: bool) -> StageStatus:
    """The status of a plan without proof: TIME_LIMIT only when a time limit given was
    reached, NOT_PROVEN otherwise."""
    return StageStatus.TIME_LIMIT if time_limit_reached else StageStatus.NOT_PROVEN


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


def margin(value: float, asked: float) -> float:
    """How much worse than a plan of objective `value` another may be and still be proven
    within the gap `asked` (or ABSOLUTE_GAP): by more, it is a worse plan."""
    return max(ABSOLUTE_GAP, asked * abs(value))


def proven(objective: float, bound: float | None, asked: float) -> bool:
    """`bound` proves `objective` within the relative gap `asked`, or within ABSOLUTE_GAP
    (where HiGHS stops near an objective of 0); never without a bound."""
    if bound is None or not math.isfinite(bound):
        return False
    return abs(objective - bound) <= ABSOLUTE_GAP or within_gap(
        relative_gap(objective, bound), asked
    )


def better_of(best: StageRun, found: StageRun) -> tuple[StageRun, bool]:
    """Of two runs with plans (objectives), the one of lower objective (`best` on a tie),
    carrying the higher of their bounds; and whether it is `found`. Every bound is one on the
    stage's optimum, whichever plan its run handed back."""
    assert best.objective is not None and found.objective is not None
    takes = found.objective < best.objective - 1e-9
    winner = found if takes else best
    bounds = [b for b in (best.bound, found.bound) if b is not None]
    if bounds:
        bound = min(max(bounds), winner.objective)  # type: ignore[type-var]
        winner = replace(winner, bound=bound, gap=relative_gap(winner.objective, bound))
    return winner, takes


def told(run: StageRun, feasible: bool) -> str:
    """How a run ended, for a stage's note: its status, its own note, and whether it called
    "infeasible" a stage with a plan known to meet every row."""
    said = f"'{run.status}'" + (f" ({run.note})" if run.note else "")
    if run.status == StageStatus.INFEASIBLE and feasible:
        return f"{said} although a plan that meets every row is known"
    return said


def lp_told(run: StageRun) -> str:
    """How the LP of a plan's routes ended, for a stage's note: the objective of its plan."""
    if run.objective is None:
        return told(run, False)
    return f"a plan of {run.objective:.9g}"
