"""A stage of a model in HiGHS as arrays (`allocator.solving.direct`), read honestly, and solved
again when it ends without proof for any reason but a reached time limit.

HiGHS 1.16 has called a cost stage infeasible although it was handed a plan that meets every
row, "proved" optimal a plan worse than the one it was handed (no proof: the handed plan is
kept), and reported an objective and bound of other values than those it handed back (no
bound, so no proof). Such a stage is solved again in a fresh HiGHS
(the model as it stands, copied): from the best plan so far, then also without presolve, then
without a start; then as an LP with the best plan's integers fixed. It keeps the best plan
found (never less than a plan it was handed) and says what happened in its note.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import highspy
import numpy as np

from allocator.solving.highs import HighsModel, Solution, interrupt_after
from allocator.solving.highs_process import quiet_highs
from allocator.solving.status import (
    StageRun,
    StageStatus,
    better_of,
    lp_told,
    margin,
    proven,
    relative_gap,
    told,
    unproven,
)

# The fresh runs: (label, presolve, from the best plan so far).
_WAYS = (
    ("in a fresh HiGHS from the best plan", True, True),
    ("in a fresh HiGHS without presolve", False, True),
    ("in a fresh HiGHS without a start", True, False),
)


@dataclass(frozen=True)
class Outcome:
    """A stage's run and the values of every column (None without a plan)."""

    run: StageRun
    values: np.ndarray | None


def read_mip(
    model: HighsModel,
    cost: np.ndarray,
    solved: Solution,
    start: np.ndarray | None,
    *,
    gap: float,
    began: float,
) -> Outcome:
    """What a MIP run from `start` gave: OPTIMAL only with a bound from this run that proves
    the gap asked for; TIME_LIMIT only when the model's deadline stopped it; else NOT_PROVEN
    with a note (or INFEASIBLE / NO_PLAN without a plan)."""
    runtime = time.monotonic() - began
    on_time = model.deadline is not None and model.time_left() <= 0
    if solved.status == StageStatus.INFEASIBLE:
        return Outcome(StageRun.without_plan(StageStatus.INFEASIBLE, runtime), None)
    values, bound, note = solved.values, solved.bound, None
    if values is None and start is not None:
        values, note = start, "HiGHS stopped before it took its start in: the start stands"
    if values is None:
        said = "the time limit was reached" if on_time else f"HiGHS says {solved.said!r}"
        return Outcome(
            StageRun.without_plan(StageStatus.NO_PLAN, runtime, f"no plan: {said}"), None
        )
    objective = float(cost @ values)
    if start is not None and values is not start:
        worse = _worse_than_start(solved, objective, float(cost @ start), gap)
        if worse is not None:
            values, objective, note = start, float(cost @ start), worse
            bound = None if bound is None or bound > objective + margin(objective, gap) else bound
    bound = None if bound is None else min(bound, objective)
    gap_now = None if bound is None else relative_gap(objective, bound)
    if note is None and solved.status == StageStatus.OPTIMAL and proven(objective, bound, gap):
        return Outcome(StageRun(StageStatus.OPTIMAL, objective, bound, gap_now, runtime), values)
    if note is None:
        note = _why_unproven(model, solved, objective, gap_now, gap, on_time)
    run = StageRun(unproven(on_time), objective, bound, gap_now, runtime, note)
    return Outcome(run, values)


def _worse_than_start(solved: Solution, objective: float, known: float, gap: float) -> str | None:
    """Why a run's plan is not taken when it is worse than its start (a plan that meets every
    row) by more than the gap: its proof is false, or it stopped before it took the start in.
    None when it is not worse."""
    if objective <= known + margin(known, gap):
        return None
    claimed = "proved optimal" if solved.status == StageStatus.OPTIMAL else "found"
    return (
        f"HiGHS {claimed} a plan of {objective:.9g}, worse than the {known:.9g} of the plan it "
        "was given, which is kept"
    )


def _why_unproven(
    model: HighsModel,
    solved: Solution,
    objective: float,
    gap_now: float | None,
    gap: float,
    on_time: bool,
) -> str:
    if solved.status != StageStatus.OPTIMAL:
        return "HiGHS stopped at the time limit" if on_time else f"HiGHS says {solved.said!r}"
    if gap_now is None:
        reported = float(model.highs.getInfo().objective_function_value)
        return f"HiGHS reported objective {reported:.9g} for a plan of {objective:.9g}: no bound"
    return f"HiGHS stopped at a gap of {gap_now:.2e}, above the {gap:.1e} asked"


def with_relaxation_bound(
    outcome: Outcome, cost: np.ndarray, relaxed: Solution, gap: float
) -> Outcome:
    """A stage that ended without proof, bounded by its linear relaxation (solved first, to
    build the start): no plan of the stage costs less than the relaxation's optimum, so the gap
    to it is known, and the plan is OPTIMAL when that bound proves the gap asked. The bound is
    taken 1e-9 below the optimum (HiGHS's LP tolerances)."""
    run = outcome.run
    if run.status == StageStatus.OPTIMAL or run.objective is None or relaxed.values is None:
        return outcome
    optimum = float(cost @ relaxed.values)
    bound = min(optimum - 1e-9 * max(1.0, abs(optimum)), run.objective)
    if run.bound is not None and run.bound >= bound:
        return outcome
    gap_now = relative_gap(run.objective, bound)
    if proven(run.objective, bound, gap):
        said = f"the linear relaxation's bound {bound:.9g} proves it within the gap asked"
        proved = replace(
            run, status=StageStatus.OPTIMAL, bound=bound, gap=gap_now, note=_joined(run.note, said)
        )
        return Outcome(proved, outcome.values)
    said = f"gap {gap_now:.2e} to the linear relaxation's bound {bound:.9g}"
    return Outcome(
        replace(run, bound=bound, gap=gap_now, note=_joined(run.note, said)), outcome.values
    )


def _joined(note: str | None, said: str) -> str:
    return said if not note else f"{note}; {said}"


def settled(outcome: Outcome, feasible: bool, model: HighsModel) -> bool:
    """The stage's answer as it stands: proven, or stopped by the deadline with a plan; when no
    plan is known to exist, also infeasible, or anything once the deadline has passed. (With a
    known plan, `solve_again` keeps it when the deadline has passed.)"""
    status = outcome.run.status
    if status in (StageStatus.OPTIMAL, StageStatus.TIME_LIMIT):
        return True
    return not feasible and (status == StageStatus.INFEASIBLE or model.time_left() <= 0)


def solve_again(
    model: HighsModel,
    cost: np.ndarray,
    first: Outcome,
    known: np.ndarray | None,
    *,
    gap: float,
    began: float,
) -> Outcome:
    """The stage after `first` ended without proof: fresh runs and the LP of the best plan's
    integers (see the module), until one proves its plan or the deadline passes. `known` is a
    plan that meets every row (or None)."""
    best = _better(_known(cost, known), first)
    notes = [f"HiGHS: {told(first.run, known is not None)}"]
    for label, presolve, from_best in _WAYS:
        if model.time_left() <= 0:
            break
        start = best.values if from_best and best is not None else None
        again = _fresh_run(model, cost, start, presolve=presolve, gap=gap)
        notes.append(f"solved again {label}: {told(again.run, False)}")
        if again.run.status == StageStatus.OPTIMAL and not _worse(again, best, gap):
            run = replace(again.run, runtime_s=time.monotonic() - began, note="; ".join(notes))
            return Outcome(run, again.values)
        best = _better(best, again)
    if best is not None and model.time_left() > 0:
        fixed = _integers_fixed(model, cost, best.values)
        notes.append(
            f"solved again as an LP with the best plan's integers fixed: {lp_told(fixed.run)}"
        )
        best = _better(best, fixed)
    runtime = time.monotonic() - began
    if best is None or best.values is None:
        status = (
            first.run.status if first.run.status != StageStatus.UNKNOWN else StageStatus.NO_PLAN
        )
        return Outcome(StageRun.without_plan(status, runtime, "; ".join(notes)), None)
    on_time = model.deadline is not None and model.time_left() <= 0
    note = "; ".join([*notes, "kept the best plan found, not proven optimal"])
    run = best.run
    ending = unproven(on_time or run.status == StageStatus.TIME_LIMIT)
    return Outcome(StageRun(ending, run.objective, run.bound, run.gap, runtime, note), best.values)


def _worse(found: Outcome, best: Outcome | None, gap: float) -> bool:
    """`found`'s plan is worse than the best so far by more than the gap: no proof."""
    if best is None or best.run.objective is None or found.run.objective is None:
        return False
    return found.run.objective > best.run.objective + margin(best.run.objective, gap)


def fresh_copy(model: HighsModel, *, presolve: bool) -> HighsModel:
    """The model as it stands (bounds, rows, costs, integrality) in a new, quiet HiGHS with the
    same gap and deadline, and HiGHS's presolve unless not `presolve`."""
    quiet_highs()
    highs = highspy.Highs()
    options = {
        "output_flag": False,
        "threads": 1,
        "mip_allow_restart": _option(model.highs, "mip_allow_restart"),
        "mip_rel_gap": _option(model.highs, "mip_rel_gap"),
        "presolve": "choose" if presolve else "off",
    }
    for name, value in options.items():
        highs.setOptionValue(name, value)
    highs.passModel(model.highs.getLp())
    copy = replace(model, highs=highs, columns=dict(model.columns), rows=dict(model.rows))
    copy.integer_on = model.integer_on
    if model.deadline is not None:
        interrupt_after(highs, lambda: copy.stop_at, simplex=True)
    return copy


def _option(highs: object, name: str) -> object:
    value = highs.getOptionValue(name)  # type: ignore[attr-defined]
    return value[1] if isinstance(value, tuple) else value


def _fresh_run(
    model: HighsModel, cost: np.ndarray, start: np.ndarray | None, *, presolve: bool, gap: float
) -> Outcome:
    began = time.monotonic()
    copy = fresh_copy(model, presolve=presolve)
    try:
        solved = copy.run_mip(start, heuristics=start is None)
        return read_mip(copy, cost, solved, start, gap=gap, began=began)
    finally:
        copy.free()


def _integers_fixed(model: HighsModel, cost: np.ndarray, values: np.ndarray) -> Outcome:
    """The LP of the continuous columns with every integer one fixed to its value in `values`:
    a plan at least as good as `values`, which proves nothing about the stage (no bound)."""
    began = time.monotonic()
    columns = model.integer_columns()
    model.fix_columns(columns, np.round(values[columns]))
    try:
        relaxed = model.relaxation()
    finally:
        model.unfix_columns(columns)
    runtime = time.monotonic() - began
    if relaxed.values is None:
        return Outcome(StageRun.without_plan(relaxed.status, runtime), None)
    objective = float(cost @ relaxed.values)
    return Outcome(StageRun(StageStatus.NOT_PROVEN, objective, None, None, runtime), relaxed.values)


def _known(cost: np.ndarray, values: np.ndarray | None) -> Outcome | None:
    if values is None:
        return None
    return Outcome(StageRun(StageStatus.NOT_PROVEN, float(cost @ values), None, None, 0.0), values)


def _better(best: Outcome | None, found: Outcome | None) -> Outcome | None:
    """Of two outcomes, the one with the better plan (see `better_of`)."""
    if found is None or found.values is None or found.run.objective is None:
        return best
    if best is None or best.values is None or best.run.objective is None:
        return found
    run, takes = better_of(best.run, found.run)
    return Outcome(run, found.values if takes else best.values)
