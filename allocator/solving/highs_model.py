"""The model as arrays in highspy, with rows and columns known by name.

The analyses that need more than a plan (an IIS, priced elastic budgets, duals with the
integer decisions fixed) work on one `HighsModel`: they switch bounds of named rows and
columns on and off and re-run, without rebuilding anything in PuLP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pulp

INF = float("inf")


@dataclass
class HighsModel:
    """A PuLP problem handed to HiGHS, and the bounds it was built with."""

    highs: object  # highspy.Highs
    columns: dict[str, int]
    rows: dict[str, int]
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    integer: np.ndarray
    deadline: float | None = None  # wall clock (time.monotonic) at which a MIP run stops

    # --- bounds ---------------------------------------------------------------------------
    def set_col_bounds(self, name: str, lower: float, upper: float) -> None:
        self.highs.changeColBounds(self.columns[name], _finite(lower), _finite(upper))

    def set_row_bounds(self, name: str, lower: float, upper: float) -> None:
        self.highs.changeRowBounds(self.rows[name], _finite(lower), _finite(upper))

    def add_column(
        self, name: str, cost: float, lower: float, upper: float, entries: dict[str, float]
    ) -> None:
        """A new column with coefficients in named rows."""
        rows = np.array([self.rows[r] for r in entries], dtype=np.int32)
        values = np.array(list(entries.values()), dtype=np.float64)
        self.highs.addCol(cost, _finite(lower), _finite(upper), len(rows), rows, values)
        self.columns[name] = len(self.columns)
        self.col_lower = np.append(self.col_lower, lower)
        self.col_upper = np.append(self.col_upper, upper)
        self.integer = np.append(self.integer, False)

    def add_row(self, name: str, lower: float, upper: float, entries: dict[str, float]) -> None:
        """A new row over named columns."""
        cols = np.array([self.columns[c] for c in entries], dtype=np.int32)
        values = np.array(list(entries.values()), dtype=np.float64)
        self.highs.addRow(_finite(lower), _finite(upper), len(cols), cols, values)
        self.rows[name] = len(self.rows)
        self.row_lower = np.append(self.row_lower, lower)
        self.row_upper = np.append(self.row_upper, upper)

    # --- objective and integrality ------------------------------------------------------
    def set_objective(self, coefs: dict[str, float], sense: int = pulp.LpMinimize) -> None:
        import highspy

        cost = np.zeros(len(self.columns))
        for name, value in coefs.items():
            cost[self.columns[name]] = value
        self.highs.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
        self.highs.changeObjectiveSense(
            highspy.ObjSense.kMaximize if sense == pulp.LpMaximize else highspy.ObjSense.kMinimize
        )

    def set_integrality(self, integer: bool) -> None:
        """Integer columns as built (True), or the LP relaxation (False)."""
        import highspy

        kinds = np.where(self.integer & integer, 1, 0).astype(np.uint8)
        values = [
            highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous for k in kinds
        ]
        self.highs.changeColsIntegrality(
            len(values), np.arange(len(values), dtype=np.int32), np.array(values)
        )

    def fix_integers(self, values: dict[str, float]) -> None:
        """Fix every integer column to its value in `values` (0 when absent) and relax the
        integrality: what is left is the LP of the continuous decisions."""
        for name, j in self.columns.items():
            if self.integer[j]:
                value = float(round(values.get(name, 0.0)))
                self.highs.changeColBounds(j, value, value)
        self.set_integrality(False)

    def unfix_integers(self) -> None:
        """Undo `fix_integers`: the integer columns get their bounds and integrality back."""
        for j in np.flatnonzero(self.integer):
            self.highs.changeColBounds(
                int(j), _finite(self.col_lower[j]), _finite(self.col_upper[j])
            )
        self.set_integrality(True)

    def set_start(self, values: dict[str, float]) -> None:
        """A starting point for the next MIP run (a known feasible plan)."""
        import highspy

        solution = highspy.HighsSolution()
        solution.col_value = [values.get(name, 0.0) for name in self.columns]
        solution.value_valid = True
        self.highs.setSolution(solution)

    def rows_range_up(self) -> dict[str, float]:
        """For each row, the value its active bound can rise to with the LP's prices unchanged
        (HiGHS ranging of the last LP solved; inf when the basis never changes)."""
        status, ranging = self.highs.getRanging()
        if not getattr(ranging, "valid", False):
            return {}
        values = list(ranging.row_bound_up.value_)
        return {name: float(values[i]) for name, i in self.rows.items()}

    # --- running and reading --------------------------------------------------------------
    def run(self, time_limit_s: float | None = None) -> str:
        """'optimal', 'infeasible' or 'unknown' (time limit or anything else)."""
        import highspy

        limit = highspy.kHighsInf if time_limit_s is None else max(float(time_limit_s), 0.01)
        self.highs.setOptionValue("time_limit", limit)  # every run sets its own
        # HiGHS can overrun its own time_limit in the MIP root loop: the callback of
        # `interrupt_at_deadline` stops it from outside.
        self.deadline = None if time_limit_s is None else time.monotonic() + limit
        self.highs.run()
        status = self.highs.getModelStatus()
        kinds = highspy.HighsModelStatus
        if status == kinds.kOptimal:
            return "optimal"
        if status in (kinds.kInfeasible, kinds.kUnboundedOrInfeasible):
            return "infeasible"
        return "unknown"

    def has_solution(self) -> bool:
        """A feasible point is at hand (also after a time limit)."""
        return int(self.highs.getInfo().primal_solution_status) == 2

    def objective(self) -> float:
        return float(self.highs.getInfo().objective_function_value)

    def values(self) -> dict[str, float]:
        solution = list(self.highs.getSolution().col_value)
        return {name: float(solution[j]) for name, j in self.columns.items()}

    def row_values(self) -> dict[str, float]:
        """Activity of every row in the last solution."""
        activity = list(self.highs.getSolution().row_value)
        return {name: float(activity[i]) for name, i in self.rows.items()}

    def row_dual(self, name: str) -> float:
        """d objective / d bound of the row (HiGHS's sign: minimising, a binding <= row has
        a dual <= 0)."""
        return float(self.highs.getSolution().row_dual[self.rows[name]])


def to_highs(problem: pulp.LpProblem) -> HighsModel:
    """Hand `problem` (its constraints; no objective) to a fresh, quiet highspy.Highs."""
    import highspy

    from allocator.solving.solvers import pass_problem, quiet_highs

    quiet_highs()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    passed = pass_problem(highs, problem, objective=False)
    model = HighsModel(
        highs,
        {v.name: j for j, v in enumerate(passed.variables)},
        {name: i for i, name in enumerate(passed.row_names)},
        passed.col_lower,
        passed.col_upper,
        passed.row_lower,
        passed.row_upper,
        passed.integer,
    )
    interrupt_at_deadline(model)
    return model


def interrupt_at_deadline(model: HighsModel) -> None:
    """Stop a MIP run once `model.deadline` has passed."""
    from allocator.solving.solvers import interrupt_after

    interrupt_after(model.highs, lambda: model.deadline)


def _finite(value: float) -> float:
    import highspy

    return float(np.clip(value, -highspy.kHighsInf, highspy.kHighsInf))
