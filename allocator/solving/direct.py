"""The two stages of the solve on the combinations formulation, in HiGHS directly.

The model (`allocator.model.sets`) goes to HiGHS once, as arrays; each stage then runs:
 (a) the linear relaxation of the stage;
 (b) a starting plan: communities whose set the relaxation takes whole are fixed to it, and
     the few others are solved as a small MIP (with every county-wide row still in force);
 (c) the full MIP from that plan, with HiGHS's own plan-finding heuristics off (the start is
     the plan they would look for, and they cost most of the time); it proves the gap.
Stage 2 adds the row W <= W1 + tolerance and starts from the better of stage 1's plan and
its own (b). A wall-clock deadline interrupts HiGHS from outside (it can overrun its own
time_limit), and every stage reports the objective of the values it hands back.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from allocator.model.sets import Matrix, build_matrix, no_gc
from allocator.scenario.schema import Community, Option, Scenario
from allocator.solving.solvers import StageRun, _gap, interrupt_after, quiet_highs

# HiGHS's searches for plans; with a good start they only repeat work (measured: 44 s -> 11 s
# of a 1,000-community first stage).
_HEURISTICS_OFF = {
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_effort": 0.0,
}
_HEURISTICS_ON = {
    "mip_heuristic_run_rins": True,
    "mip_heuristic_run_rens": True,
    "mip_heuristic_run_root_reduced_cost": True,
    "mip_heuristic_run_feasibility_jump": True,
    "mip_heuristic_effort": 0.05,
}
_WHOLE = 1 - 1e-6  # a set weight this close to 1 is taken whole


@dataclass
class Outcome:
    """A stage's run and the values of every column (None without a plan)."""

    run: StageRun
    values: np.ndarray | None


class HighsRunner:
    """One HiGHS instance holding the model; runs relaxations and MIPs against a deadline."""

    def __init__(self, matrix: Matrix, *, gap: float, deadline: float | None) -> None:
        import highspy

        quiet_highs()
        self.matrix = matrix
        self.gap = gap
        self.deadline = deadline
        arrays = matrix.arrays()
        inf = highspy.kHighsInf
        self.lower = np.clip(arrays["col_lower"], -inf, inf)
        self.upper = np.clip(arrays["col_upper"], -inf, inf)
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("threads", 1)
        highs.setOptionValue("mip_rel_gap", gap)
        columns = len(self.lower)
        highs.passModel(
            columns,
            len(arrays["row_lower"]),
            len(arrays["index"]),
            2,
            1,
            0.0,
            np.zeros(columns),
            self.lower,
            self.upper,
            np.clip(arrays["row_lower"], -inf, inf),
            np.clip(arrays["row_upper"], -inf, inf),
            arrays["starts"],
            arrays["index"],
            arrays["value"],
            arrays["integrality"],
        )
        self.highs = highs
        self.integer = arrays["integrality"].astype(bool)
        self.integer_on = True
        if deadline is not None:
            interrupt_after(highs, lambda: deadline, simplex=True)

    def set_integer(self, on: bool) -> None:
        """Integer columns as built (True), or a plain LP (False: relaxations solved by the
        simplex from the last basis, with less memory than the MIP solver's relaxation, and
        without presolve: it would start each solve afresh and keeps its reduced model; at
        10,000 communities a warm round of relaxations 2.0 s -> 0.9 s, 19 -> 15 MB a chunk)."""
        import highspy

        if on == self.integer_on:
            return
        self.highs.setOptionValue("presolve", "choose" if on else "off")
        columns = np.flatnonzero(self.integer).astype(np.int32)
        kind = highspy.HighsVarType.kInteger if on else highspy.HighsVarType.kContinuous
        self.highs.changeColsIntegrality(len(columns), columns, np.full(len(columns), kind))
        self.integer_on = on

    # --- the stage -------------------------------------------------------------------------
    def stage(self, cost: np.ndarray, start: np.ndarray | None = None) -> Outcome:
        """Steps (a)-(c) for objective `cost`; `start` is a plan known to be feasible."""
        began = time.monotonic()
        self._set_cost(cost)
        relaxed = self.relaxation()
        if isinstance(relaxed, str):
            return Outcome(StageRun("infeasible", None, None, None, time.monotonic() - began), None)
        best = start
        if isinstance(relaxed, np.ndarray):
            own = self._fix_and_solve(relaxed, start)
            if own is not None and (best is None or cost @ own < cost @ best - 1e-9):
                best = own
        return self.mip(cost, best, began)

    def relaxation(self) -> np.ndarray | str | None:
        """Values of the linear relaxation, 'infeasible', or None (stopped by the deadline)."""
        import highspy

        if not self._time_left():
            return None
        if not self.integer_on:
            self._run()
        else:
            self.highs.setOptionValue("solve_relaxation", True)
            try:
                self._run()
            finally:
                self.highs.setOptionValue("solve_relaxation", False)
        status = self.highs.getModelStatus()
        if status in (
            highspy.HighsModelStatus.kInfeasible,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            return "infeasible"
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        return np.array(self.highs.getSolution().col_value)

    def _fix_and_solve(self, relaxed: np.ndarray, start: np.ndarray | None) -> np.ndarray | None:
        """Step (b): the small MIP over communities the relaxation splits between sets (or,
        given a start, where the relaxation and the start disagree: the start stays feasible)."""
        columns, values = [], []
        for sets in self.matrix.sets.values():
            weights = [w for _, w in sets]
            taken = [w for w in weights if relaxed[w] > _WHOLE]
            if taken and (start is None or start[taken[0]] > _WHOLE):
                columns.extend(weights)
                values.extend(1.0 if w == taken[0] else 0.0 for w in weights)
        if not columns or not self._time_left():
            return None
        index = np.array(columns, dtype=np.int32)
        fixed = np.array(values)
        self.highs.changeColsBounds(len(index), index, fixed, fixed)
        try:
            outcome = self._run_mip(None, heuristics=True)
        finally:
            self.highs.changeColsBounds(len(index), index, self.lower[index], self.upper[index])
        return outcome

    def mip(self, cost: np.ndarray, start: np.ndarray | None, began: float) -> Outcome:
        """Step (c): the full MIP; heuristics only when there is no start."""
        import highspy

        values = self._run_mip(start, heuristics=start is None)
        status = self.highs.getModelStatus()
        runtime = time.monotonic() - began
        kinds = highspy.HighsModelStatus
        if status in (kinds.kInfeasible, kinds.kUnboundedOrInfeasible):
            return Outcome(StageRun("infeasible", None, None, None, runtime), None)
        if values is None:
            values = start  # stopped before HiGHS took the start in: the start stands
        if values is None:
            return Outcome(StageRun("no_plan", None, None, None, runtime), None)
        objective = float(cost @ values)
        info = self.highs.getInfo()
        bound = float(info.mip_dual_bound)
        # HiGHS 1.16, on a model changed in place, has reported an objective and a bound that
        # belong to other values than those it hands back: such a bound proves nothing.
        if not math.isclose(info.objective_function_value, objective, rel_tol=1e-6, abs_tol=1e-6):
            bound = math.nan
        bound = min(bound, objective) if math.isfinite(bound) else None
        gap_now = None if bound is None else _gap(objective, bound)
        proven = status == kinds.kOptimal and gap_now is not None and gap_now <= self.gap * 1.0001
        outcome = "optimal" if proven else "time_limit"
        return Outcome(StageRun(outcome, objective, bound, gap_now, runtime), values)

    def _run_mip(self, start: np.ndarray | None, *, heuristics: bool) -> np.ndarray | None:
        if not self._time_left():
            return None
        for name, value in (_HEURISTICS_ON if heuristics else _HEURISTICS_OFF).items():
            self.highs.setOptionValue(name, value)
        if start is not None:
            import highspy

            solution = highspy.HighsSolution()
            solution.col_value = start.tolist()
            solution.value_valid = True
            self.highs.setSolution(solution)
        self._run()
        if self.highs.getInfo().primal_solution_status != 2:
            return None
        return np.array(self.highs.getSolution().col_value)

    def keep_at_most(self, coefs: np.ndarray, upper: float) -> None:
        """Add the row coefs . x <= upper (stage 2 keeps stage 1's shortfall)."""
        import highspy

        index = np.flatnonzero(coefs).astype(np.int32)
        self.highs.addRow(-highspy.kHighsInf, upper, len(index), index, coefs[index])
        self.kept_row = self.highs.getNumRow() - 1

    def polish(self, values: np.ndarray, shortfall: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """With the plan's choices fixed: the least shortfall they allow, then the least cost
        at exactly that shortfall. Stage 2's tolerance never shows as area traded for money."""
        import highspy

        if not self._time_left():
            return values
        columns = np.flatnonzero(self.integer).astype(np.int32)
        fixed = np.round(values[columns])
        self.highs.changeColsBounds(len(columns), columns, fixed, fixed)
        self.highs.changeRowBounds(self.kept_row, -highspy.kHighsInf, highspy.kHighsInf)
        try:
            self._set_cost(shortfall)
            least = self.relaxation()
            if not isinstance(least, np.ndarray):
                return values
            allowed = float(shortfall @ least)
            self.highs.changeRowBounds(
                self.kept_row, -highspy.kHighsInf, allowed + 1e-9 * max(1.0, abs(allowed))
            )
            self._set_cost(cost)
            polished = self.relaxation()
        finally:
            self.highs.changeColsBounds(
                len(columns), columns, self.lower[columns], self.upper[columns]
            )
        if not isinstance(polished, np.ndarray) or cost @ polished > cost @ values + 1e-6 * max(
            1.0, abs(cost @ values)
        ):
            return values
        return polished

    # --- plumbing --------------------------------------------------------------------------
    def _set_cost(self, cost: np.ndarray) -> None:
        self.highs.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)

    def _time_left(self) -> float | None:
        """Seconds left before the deadline (inf without one); 0 means stop."""
        if self.deadline is None:
            return math.inf
        return max(self.deadline - time.monotonic(), 0.0)

    def _run(self) -> None:
        left = self._time_left()
        self.highs.setOptionValue("time_limit", left if math.isfinite(left) else math.inf)
        self.highs.run()


# --- the two stages, and reading the plan back ----------------------------------------------
# Stage 2 keeps W within a hair of stage 1's: 1e-5 m2, or 1e-8 of W for large W, far below
# what a plan shows (0.1 m2), and the polish (least W for the plan's choices) takes it back.
# Tighter, HiGHS's presolve declares the fixed-set MIPs infeasible (measured: 1e-6 m2 at
# W = 24,000 took the cost stage of 1,000 communities from 2.4 s to 36 s; 1e-5 m2 at
# W = 250,000 made the 10,000-community cost stage infeasible).
W_TOLERANCE_M2 = 1e-5
W_TOLERANCE_REL = 1e-8


def w_tolerance(shortfall: float) -> float:
    """How far stage 2 may let W exceed stage 1's W (m2)."""
    return max(W_TOLERANCE_M2, W_TOLERANCE_REL * abs(shortfall))


@dataclass
class Value:
    """A solved value, shaped like a PuLP variable for the plan read-back."""

    varValue: float  # noqa: N815 - PuLP's name


@dataclass
class Readout:
    """The decisions per option, in the shape `allocator.solving.lexicographic` reads a PuLP model."""

    scenario: Scenario
    options: list[tuple[Community, Option]]
    chosen: list[Value]
    area: list[Value]
    funding: dict[tuple[int, str], Value]
    unit_budgets: dict[str, dict[str, float]]


@no_gc()
def solve_direct(
    scenario: Scenario, *, gap: float, time_limit: float | None, began: float
) -> tuple[Readout | None, list[StageRun]]:
    """Both stages on the combinations formulation; the plan's decisions and each stage's run."""
    matrix = build_matrix(scenario)
    deadline = None if time_limit is None else began + time_limit
    runner = HighsRunner(matrix, gap=gap, deadline=deadline)
    shortfall = matrix.objective("weighted_shortfall")
    first = runner.stage(shortfall)
    stages = [first.run]
    values = first.values
    if values is not None:
        first_w = float(shortfall @ values)
        runner.keep_at_most(shortfall, first_w + w_tolerance(first_w))
        total_cost = matrix.objective("total_cost")
        second = runner.stage(total_cost, start=values)
        stages.append(second.run)
        if second.values is not None:
            values = runner.polish(second.values, shortfall, total_cost)
    if values is None:
        return None, stages
    return readout(scenario, matrix, values), stages


def readout(scenario: Scenario, matrix: Matrix, values: np.ndarray) -> Readout:
    """Decisions per option; pooled money (C3) split over the options it paid for."""
    chosen = [Value(float(v)) for v in values[matrix.chosen]]
    area = [Value(float(v)) for v in values[matrix.area]]
    funding = {key: Value(float(values[col])) for key, col in matrix.funding.items()}
    if matrix.pooled:
        _split_pooled(scenario, matrix, values, area, funding)
    return Readout(scenario, matrix.options, chosen, area, funding, matrix.unit_budgets)


def _split_pooled(
    scenario: Scenario,
    matrix: Matrix,
    values: np.ndarray,
    area: list[Value],
    funding: dict[tuple[int, str], Value],
) -> None:
    """Each option's cost not met by its per-option sources, filled from the pooled money of
    its community, source by source and option by option."""
    years = scenario.horizon_years
    paid: dict[int, float] = {}
    for (i, _), value in funding.items():
        paid[i] = paid.get(i, 0.0) + value.varValue
    pooled_ids = matrix.pooled_sources
    first = 0
    for community in scenario.communities:
        count = len(community.options)
        left = {s: float(values[matrix.pooled[(community.id, s)]]) for s in pooled_ids}
        for i in range(first, first + count):
            option = community.options[i - first]
            if matrix_chosen(matrix, values, i):
                x = area[i].varValue
                cost = (
                    option.fixed_cost
                    + option.cost_per_m2 * x
                    + years * (option.annual_cost + option.annual_cost_per_m2 * x)
                )
                owed = max(cost - paid.get(i, 0.0), 0.0)
            else:
                owed = 0.0
            for source_id in pooled_ids:
                take = min(owed, left[source_id])
                owed -= take
                left[source_id] -= take
                funding[(i, source_id)] = Value(take)
        first += count


def matrix_chosen(matrix: Matrix, values: np.ndarray, i: int) -> bool:
    return bool(values[matrix.chosen[i]] > 0.5)
