"""The stages of a PuLP model (the reference formulation), each solved until the solver agrees
with what is known, and saying what happened when it does not.

- A stage run that ends without a proof for any reason but a reached time limit (the solver
  says "infeasible" although the stage was handed a feasible plan, "proves" optimal a plan
  worse than that one, stops on its own, or reports a bound that is not its plan's) is solved
  again: without its start, without presolve, then as an LP with every integer fixed to the
  best plan's. The stage keeps the best plan found (never less than its start) and a note of
  each run (`StageRun.note`).
- A stage HiGHS proves is solved once more without presolve, from the plan found: HiGHS 1.16
  has proven optima that are not, with presolve (a cost 2.2% above the least) and without; the
  better plan is kept, and a false proof said (`Stages._checked`).
- Between stages 1 and 2, the plan's routes are made exact (`exact_routes`): stage 1's values
  are integral only to the solver's tolerances (HiGHS: a route "chosen" at 1.4e-8 adds
  4.6e-6 m2), so the W they show can lie below the least W of any plan with exact routes, and a
  cost stage kept within 1e-6 m2 of it has only plans inside the tolerances left (HiGHS has
  called it infeasible, or kept a dearer plan). Stage 2 keeps the least W the rounded routes
  allow, and starts from that plan.
- (17), settling who pays (`settle_payers`), runs with the routes fixed, as LPs: the least W
  for the routes, the least cost at that W, then the order of payers; a stage of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pulp

from allocator.model.costs import kept_room, kept_shortfall_m2
from allocator.model.measures import payer_rank_terms
from allocator.model.reference import Model, measure_expression, terms_expression
from allocator.model.rules import MEASURE, objective_of
from allocator.model.terms import Layout
from allocator.solving import cbc, pulp_highs
from allocator.solving.status import (
    StageRun,
    StageStatus,
    better_of,
    lp_told,
    margin,
    relative_gap,
    told,
    unproven,
)

SETTLE_GAP = 1e-9  # the LPs of (17): the gap plays no part in an LP
Values = dict[str, float]


@dataclass(frozen=True)
class _Found:
    """A plan one run gave (or the start): its run and the values of every variable."""

    run: StageRun
    values: Values


# The check of a proof (`Stages._checked`) may take this many times the stage's own run, and
# at least CHECK_FLOOR_S seconds: on the county with staff, the cost stage's check without
# presolve took 1.4 s against its own 0.25 s.
CHECK_TIMES = 3.0
CHECK_FLOOR_S = 0.5


@dataclass
class Stages:
    """A PuLP model and how its stages are solved: solver, gap, time limit (s, None for none)
    and when the solve began (time.monotonic), from which the time limit counts."""

    model: Model
    solver: str
    gap: float
    time_limit: float | None
    began: float

    # --- one run ------------------------------------------------------------------------------
    def out_of_time(self) -> bool:
        """A time limit was given and is reached."""
        return self.time_limit is not None and time.monotonic() - self.began >= self.time_limit

    def run_once(
        self,
        objective: pulp.LpAffineExpression,
        *,
        start: Values | None = None,
        presolve: bool = True,
        gap: float | None = None,
        cap_s: float | None = None,
    ) -> StageRun:
        """One solver run of `objective` on the model as it stands; values in its variables.
        `cap_s`: seconds this run may take at most, within the time limit."""
        problem = self.model.problem
        problem.setObjective(objective)
        remaining = cap_s
        if self.time_limit is not None:
            remaining = max(self.time_limit - (time.monotonic() - self.began), 0.01)
            remaining = remaining if cap_s is None else min(remaining, cap_s)
        gap = self.gap if gap is None else gap
        if self.solver == "cbc":
            return cbc.run_stage(problem, gap=gap, time_limit_s=remaining, presolve=presolve)
        return pulp_highs.run_stage(
            problem,
            gap=gap,
            time_limit_s=remaining,
            start=start,
            presolve=presolve,
        )

    # --- one stage, with its re-solves --------------------------------------------------------
    def solve(
        self,
        objective: pulp.LpAffineExpression,
        start: Values | None = None,
        *,
        gap: float | None = None,
        feasible: bool = False,
    ) -> StageRun:
        """A stage: `objective` from `start` (a plan known to meet every row, or None), solved
        again until proven, or the time limit is reached, or the ways to solve it again run
        out; also without a start when a plan is known to exist (`feasible`). The best plan
        found (at worst `start`) is left in the variables."""
        began = time.monotonic()
        feasible = feasible or start is not None
        known = _start_found(objective, start)
        run = self._against(self.run_once(objective, start=start, gap=gap), known, gap)
        if _settled(run, feasible):
            return self._checked(objective, run, gap)
        best = _better(known, self._found(run))
        notes = [f"{_said(self.solver)}: {told(run, feasible)}"]
        for label, from_best, presolve in self._ways(start):
            if self.out_of_time():
                break
            from_values = best.values if from_best and best is not None else None
            again = self.run_once(objective, start=from_values, presolve=presolve, gap=gap)
            again = self._against(again, best, gap)
            notes.append(f"solved again {label}: {told(again, False)}")
            if again.status == StageStatus.OPTIMAL:
                again = replace(again, runtime_s=time.monotonic() - began, note="; ".join(notes))
                return self._checked(objective, again, gap)
            best = _better(best, self._found(again))
        if best is not None and self._integers() and not self.out_of_time():
            fixed = self._with_integers_fixed(objective, best.values, gap)
            notes.append(
                f"solved again as an LP with the best plan's routes fixed: {lp_told(fixed.run)}"
            )
            best = _better(best, fixed if fixed.run.status.has_plan else None)
        return self._ending(best, run, notes, began)

    def _against(self, run: StageRun, known: _Found | None, gap: float | None) -> StageRun:
        """`run` held against a plan known to meet every row: when the run's plan is worse by
        more than the gap, the known plan goes back in the variables, and a proof or bound it
        contradicts is dropped (NOT_PROVEN; TIME_LIMIT stays), and said."""
        if known is None or run.objective is None or known.run.objective is None:
            return run
        value = known.run.objective
        room = margin(value, self.gap if gap is None else gap)
        if run.objective <= value + room:
            return run
        _restore(self.model, known.values)
        bound = run.bound if run.bound is not None and run.bound <= value + room else None
        gap_now = None if bound is None else relative_gap(value, bound)
        status = StageStatus.TIME_LIMIT if run.status == StageStatus.TIME_LIMIT else None
        claimed = "proved optimal" if run.status == StageStatus.OPTIMAL else "found"
        said = (
            f"{_said(self.solver)} {claimed} a plan of {run.objective:.9g}, worse than the "
            f"{value:.9g} of the plan it was given, which is kept"
        )
        note = said if not run.note else f"{said} ({run.note})"
        ending = status or StageStatus.NOT_PROVEN
        return StageRun(ending, value, bound, gap_now, run.runtime_s, note)

    def _checked(
        self, objective: pulp.LpAffineExpression, run: StageRun, gap: float | None
    ) -> StageRun:
        """A MIP stage HiGHS proved, solved again without presolve from the plan found (HiGHS
        1.16 has proven optima that are not, with presolve and without; the two rarely err on
        the same model): the plan found then, and said, when it is better by more than the
        gap; else `run` as it was."""
        proved = run.status == StageStatus.OPTIMAL and run.objective is not None
        if not proved or self.solver != "highs" or not self._integers() or self.out_of_time():
            return run
        values = values_of(self.model)
        cap = max(CHECK_FLOOR_S, CHECK_TIMES * run.runtime_s)
        again = self.run_once(objective, start=values, presolve=False, gap=gap, cap_s=cap)
        room = margin(run.objective, self.gap if gap is None else gap)
        if again.objective is None or again.objective >= run.objective - room:
            _restore(self.model, values)
            if again.status != StageStatus.TIME_LIMIT or self.out_of_time():
                return run
            cut = f"checked again without presolve for {cap:.1f} s, no better plan found"
            return run.noted(cut)
        said = (
            f"HiGHS proved {run.objective:.9g} optimal, but solved again without presolve it "
            f"found {again.objective:.9g}"
        )
        if again.status == StageStatus.TIME_LIMIT:  # the check's own cap, not the time limit
            again = replace(again, status=unproven(self.out_of_time()))
        return replace(again, runtime_s=run.runtime_s + again.runtime_s).noted(
            said if not run.note else f"{run.note}; {said}"
        )

    def _ways(self, start: Values | None) -> list[tuple[str, bool, bool]]:
        """The runs to try again: (label, from the best plan so far, with presolve)."""
        if self.solver == "cbc":  # CBC is given no start
            return [("without presolve", False, False)]
        ways = [("without its start", False, True)] if start is not None else []
        return [*ways, ("without presolve", True, False)]

    def _integers(self) -> bool:
        return any(v.cat == pulp.LpInteger for v in self.model.problem.variables())

    def _found(self, run: StageRun) -> _Found | None:
        if not run.status.has_plan:
            return None
        return _Found(run, {v.name: v.varValue for v in self.model.problem.variables()})

    def _with_integers_fixed(
        self, objective: pulp.LpAffineExpression, values: Values, gap: float | None
    ) -> _Found:
        """The LP of `values`'s routes: its plan, which proves nothing about the stage (no
        bound)."""
        with integers_fixed(self.model.problem, values):
            run = self.run_once(objective, start=values, presolve=False, gap=gap)
            found = self._found(replace(run, bound=None, gap=None))
        return found if found is not None else _Found(run, values)

    def _ending(
        self, best: _Found | None, first: StageRun, notes: list[str], began: float
    ) -> StageRun:
        """The stage without proof: the best plan found in the variables, its status and note."""
        runtime = time.monotonic() - began
        if best is None:
            status = StageStatus.NO_PLAN if first.status == StageStatus.UNKNOWN else first.status
            return StageRun.without_plan(status, runtime, "; ".join(notes))
        _restore(self.model, best.values)
        run = best.run
        ending = unproven(self.out_of_time() or run.status == StageStatus.TIME_LIMIT)
        note = "; ".join([*notes, "kept the best plan found, not proven optimal"])
        return StageRun(ending, run.objective, run.bound, run.gap, runtime, note)


def _said(solver: str) -> str:
    return "CBC" if solver == "cbc" else "HiGHS"


def _settled(run: StageRun, feasible: bool) -> bool:
    """A run that is the stage's answer: proven, stopped by the time limit given, or (when no
    plan is known to exist) proven infeasible."""
    if run.status in (StageStatus.OPTIMAL, StageStatus.TIME_LIMIT):
        return True
    return not feasible and run.status == StageStatus.INFEASIBLE


def _start_found(objective: pulp.LpAffineExpression, start: Values | None) -> _Found | None:
    """The start as a plan: its objective, no bound."""
    if start is None:
        return None
    value = objective.constant + sum(c * (start.get(v.name) or 0.0) for v, c in objective.items())
    return _Found(StageRun(StageStatus.NOT_PROVEN, value, None, None, 0.0), start)


def _better(best: _Found | None, found: _Found | None) -> _Found | None:
    """Of two plans, the better (see `better_of`)."""
    if found is None or found.run.objective is None:
        return best
    if best is None or best.run.objective is None:
        return found
    run, takes = better_of(best.run, found.run)
    return _Found(run, found.values if takes else best.values)


@contextmanager
def integers_fixed(problem: pulp.LpProblem, values: Values) -> Iterator[None]:
    """Every integer variable fixed to its value in `values`, rounded, and continuous: what is
    left is the LP of the continuous decisions. Bounds and kinds come back afterwards."""
    fixed = [v for v in problem.variables() if v.cat == pulp.LpInteger]
    saved = [(v.lowBound, v.upBound) for v in fixed]
    for var in fixed:
        var.lowBound = var.upBound = round(values.get(var.name) or 0.0)
        var.cat = pulp.LpContinuous
    try:
        yield
    finally:
        for var, (low, high) in zip(fixed, saved, strict=True):
            var.lowBound, var.upBound, var.cat = low, high, pulp.LpInteger


def _restore(model: Model, values: Values) -> None:
    for var in model.problem.variables():
        var.varValue = values.get(var.name, var.varValue)


def values_of(model: Model) -> Values:
    return {v.name: v.varValue for v in model.problem.variables() if v.varValue is not None}


# --- between the stages, and after them ---------------------------------------------------------
def w_tolerance(solver: str, shortfall: float) -> float:
    """Room over stage 1's W for stage 2 (`allocator.model.costs.kept_shortfall_m2`), with CBC
    also the error of its read-back (`cbc.READ_BACK_REL`)."""
    read_back = cbc.READ_BACK_REL if solver == "cbc" else 0.0
    return kept_shortfall_m2(shortfall, read_back_rel=read_back)


def exact_routes(
    stages: Stages, measure: pulp.LpAffineExpression | None = None
) -> tuple[Values, float]:
    """The plan in the variables with its routes rounded to exact 0/1 and the least of
    `measure` (W when None) those routes allow (an LP): its values and that measure. The plan
    as it was when that LP gives no plan."""
    model = stages.model
    measure = model.weighted_shortfall if measure is None else measure
    values = values_of(model)
    shortfall = pulp.value(measure) or 0.0
    with integers_fixed(model.problem, values):
        run = stages.run_once(measure, gap=SETTLE_GAP)
    if run.status != StageStatus.OPTIMAL:
        _restore(model, values)
        return values, shortfall
    exact = values_of(model)
    for var in model.problem.variables():  # exactly what was fixed, not the solver's echo
        if var.cat == pulp.LpInteger:
            exact[var.name] = float(round(values.get(var.name) or 0.0))
    _restore(model, exact)
    return exact, pulp.value(measure) or 0.0


# The row that keeps each measure once its stage is done (stage 2's W row, (17)'s cost row).
def kept_room_of(solver: str, kind: str, value: float) -> float:
    """The room a stage after this one leaves on a measure of `kind` at `value`
    (`allocator.model.costs.kept_room`), with CBC's read-back error."""
    read_back = cbc.READ_BACK_REL if solver == "cbc" else 0.0
    return kept_room(kind, value, read_back_rel=read_back)


def settle_payers(stages: Stages) -> StageRun | None:
    """Stage (17): with the routes fixed, each measure of the objective in order at its least
    (by default the least W they allow, the least cost at that W), then the money split by
    the payers' rank (`allocator.model.measures.payer_rank_terms`), each an LP. Equal-cost
    plans may split a route's cost between sources in many ways; without this the split would
    be whatever the solver met first. None when there is no money to split. When it fails, the
    money stays as the cost stage left it and the stage says so."""
    model = stages.model
    if not model.funding:
        return None
    began = time.monotonic()
    as_left = "the money is split as the cost stage left it"
    if stages.out_of_time():
        return StageRun(StageStatus.TIME_LIMIT, None, None, None, 0.0, f"not run: {as_left}")
    values = values_of(model)
    spending = terms_expression(model, payer_rank_terms(Layout.of(model.scenario)))
    order = objective_of(model.scenario)
    measures = [(name, measure_expression(model, name)) for name in order]
    with integers_fixed(model.problem, values):
        run, step = _settle(stages, spending, measures)
    runtime = time.monotonic() - began
    if run.status == StageStatus.OPTIMAL:
        return replace(run, runtime_s=runtime)
    _restore(model, values)
    note = f"{step}: '{run.status}'" + (f" ({run.note})" if run.note else "")
    status = unproven(stages.out_of_time() or run.status == StageStatus.TIME_LIMIT)
    return StageRun(status, None, None, None, runtime, f"{note}; {as_left}")


def _settle(
    stages: Stages,
    spending: pulp.LpAffineExpression,
    measures: list[tuple[str, pulp.LpAffineExpression]],
) -> tuple[StageRun, str]:
    """The LPs of (17) on the model with its routes fixed: each measure of the objective in
    its order at its least (its row, when a stage kept it, opened first: the routes may need a
    hair more than before), kept; then the money split by rank. The last run, and its step."""
    model, problem = stages.model, stages.model.problem
    runs = []
    for name, measure in measures:
        kept = problem.get_constraint_by_name(MEASURE[name].keep_row)
        if kept is not None:  # opened: the routes may need a hair more than before
            kept.changeRHS(MEASURE[name].largest(model.scenario) + 1.0)
        least = stages.solve(measure, gap=SETTLE_GAP, feasible=True)
        runs.append(least)
        if least.status != StageStatus.OPTIMAL:
            return least, f"the least {MEASURE[name].words} of the plan's routes"
        value = least.objective or 0.0
        if kept is not None:
            kept.changeRHS(value + _settle_room(stages.solver, name, value))
        else:
            allowed = value + _settle_room(stages.solver, name, value)
            row = MEASURE[name].keep_row
            problem += pulp.LpConstraint(measure, pulp.LpConstraintLE, row, allowed)
    settled = stages.solve(spending, gap=SETTLE_GAP, feasible=True)
    note = "; ".join(r.note for r in (*runs, settled) if r.note) or None
    return replace(settled, note=note), "settling who pays by rank"


def _settle_room(solver: str, name: str, value: float) -> float:
    """(17)'s room on a measure: W as stage 2 keeps it; money 1e-6 of itself, as (17) has kept
    the cost since before the order could be chosen; a count exactly."""
    kind = MEASURE[name].kept
    if kind == "m2":
        return w_tolerance(solver, value)
    return kept_room(kind, value)
