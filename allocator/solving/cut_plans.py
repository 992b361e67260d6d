"""The plans of a solve cut short at its deadline (`allocator.solving.worker`): none, said
(`stopped_plan`), or the last plan it found before it was ended (`ended_with`), and the note of
any part of a command cut short (`cut_note`)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from allocator.findings import CutShort
from allocator.plan import Plan, SolverInfo, StageResult, Status
from allocator.solving.deadline import Deadline

if TYPE_CHECKING:
    from allocator.scenario.schema import Scenario

STOPPED = "stopped at the time limit"


def ended_with(plan: Plan, deadline: Deadline) -> Plan:
    """The last plan the solve found before it was ended at the deadline: time_limit, and
    said (its stages already say which were not done)."""
    note = f"{stopped_note(deadline, 'stopped')}; the plan it had found before stands"
    return replace(
        plan,
        status=Status.TIME_LIMIT,
        solver=replace(plan.solver, runtime_s=ran_s(deadline)),
        cut_short=(*plan.cut_short, CutShort("solve", "stopped", note)),
    )


def asked_limit(plan: Plan, deadline: Deadline) -> Plan:
    """The plan with the command's time limit as its own (the solve was told what was left)."""
    solver = replace(plan.solver, time_limit_s=deadline.limit_s)
    return replace(plan, solver=solver, audit={**plan.audit, "time_limit_s": deadline.limit_s})


def stopped_plan(
    scenario: Scenario,
    deadline: Deadline,
    how: str = "stopped",
    *,
    solver: str = "highs",
    gap: float | None = None,
    **_: Any,
) -> Plan:
    """No plan, because the solve was ended at the deadline ("stopped") or not started for
    want of time ("skipped"); it claims nothing a cut run cannot back."""
    from allocator.solving import cbc, highs
    from allocator.solving.lexicographic import DEFAULT_GAP, audit_record

    note = stopped_note(deadline, how)
    info = SolverInfo(
        name=solver,
        version=cbc.version() if solver == "cbc" else highs.version(),
        gap=None,
        requested_gap=DEFAULT_GAP if gap is None else gap,
        time_limit_s=deadline.limit_s,
        runtime_s=round(deadline.limit_s or 0.0, 3) if how == "skipped" else ran_s(deadline),
        stages=(StageResult("weighted_shortfall", Status.NO_PLAN.value, None, None, None, note),),
    )
    audit = audit_record(scenario, info)
    cut = (CutShort("solve", how, note),)
    return Plan.without_plan(scenario.name, Status.NO_PLAN, info, scenario.sha256(), audit, cut)


def stopped_note(deadline: Deadline, how: str) -> str:
    limit = f"{deadline.limit_s:g} s"
    if how == "skipped":
        return f"{STOPPED} ({limit}): no time was left to start the solve"
    return f"{STOPPED} ({limit}): the solver did not come back in time and was ended"


def ran_s(deadline: Deadline) -> float:
    began = (deadline.at or 0.0) - (deadline.limit_s or 0.0)
    return round(time.monotonic() - began, 3)


def cut_note(deadline: Deadline | None, how: str, part: str) -> CutShort:
    """A part of a command cut short: `how` "skipped" (no time left to start it), "stopped"
    (ended at the deadline) or "time_limit" (it ran out of time and kept what it had)."""
    limit = f"{deadline.limit_s:g} s" if deadline and deadline.limit_s is not None else "limit"
    said = {
        "skipped": f"no time was left after the parts before it ({limit})",
        "stopped": f"{STOPPED} ({limit}): ended before it finished",
    }.get(how, f"the time limit ({limit}) was reached before it finished")
    return CutShort(part, how, said)
