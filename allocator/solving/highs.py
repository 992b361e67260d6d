"""The one HiGHS layer: a model handed over as arrays, runs under a wall-clock deadline, and
values, objective and bound read back honestly.

Two rules hold for every run (both measured with HiGHS 1.16, see ../shared/SOLVERS.md):
- HiGHS can overrun its own `time_limit` (the MIP root loop, long simplex runs): a callback
  (`interrupt_after`) stops it from outside once the wall clock passes the deadline.
- HiGHS on a model changed in place has reported an objective and a bound that belong to other
  values than those it hands back. The objective is always computed from the values, and
  HiGHS's bound is taken only when its reported objective is that one (`honest_bound`).

`HighsModel` is the model in HiGHS, its rows and columns known by position, and by name when
it came from PuLP (`allocator.solving.pulp_highs.to_highs`). PuLP problems are solved through
the same hand-over and checks by `allocator.solving.pulp_highs.run_stage`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import pulp

from allocator.solving.highs_process import quiet_highs, run_highs
from allocator.solving.status import StageStatus

if TYPE_CHECKING:
    from allocator.model.arrays import Matrix

INF = float("inf")
_MODEL = highspy.HighsModelStatus
NO_SOLUTION_POSSIBLE = (_MODEL.kInfeasible, _MODEL.kUnboundedOrInfeasible)
SHORTEST_LIMIT_S = 0.01  # no run is given a time limit shorter than this

# HiGHS 1.16's MIP restart (presolve again after the root) has proven optima that are not
# (rich random counties, tests/rich_counties.py: W 1374 where 1369.8 exists; a cost 1.1% above
# the least); without it the same models were solved right, and 1,000 communities as fast.
NO_RESTART = {"mip_allow_restart": False}
# HiGHS's searches for plans; with a good start they only repeat work (measured: 44 s -> 11 s
# of a 1,000-community first stage of the sets formulation).
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


def version() -> str:
    return f"HiGHS {package_version('highspy')}"


def seconds_left(deadline: float | None) -> float:
    """Seconds before `deadline` (time.monotonic), at least 0; inf without a deadline."""
    return math.inf if deadline is None else max(deadline - time.monotonic(), 0.0)


def interrupt_after(
    highs: Any, deadline: Callable[[], float | None], *, simplex: bool = False
) -> None:
    """Have `highs` (a highspy.Highs) stop a MIP run, and with `simplex` a simplex run too, once
    the wall clock (time.monotonic) is past `deadline()`; a deadline of None never stops it."""

    def interrupt(kind: int, message: str, data_out: object, data_in: object, user: object) -> None:
        limit = deadline()
        if limit is not None and time.monotonic() > limit:
            data_in.user_interrupt = True  # type: ignore[attr-defined]

    highs.setCallback(interrupt, None)
    highs.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
    if simplex:
        highs.startCallback(highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt)


def honest_bound(highs: Any, objective: float) -> float | None:
    """HiGHS's MIP bound, when its reported objective is `objective` (that of the values it
    hands back) and the bound is finite; else None: such a bound proves nothing."""
    info = highs.getInfo()
    if not reports(highs, objective):
        return None
    bound = float(info.mip_dual_bound)
    return bound if math.isfinite(bound) else None


def reports(highs: Any, objective: float) -> bool:
    """HiGHS's reported objective is `objective`, to 1e-6 (relative, and absolute near 0)."""
    reported = float(highs.getInfo().objective_function_value)
    return math.isclose(reported, objective, rel_tol=1e-6, abs_tol=1e-6)


def has_solution(highs: Any) -> bool:
    """A feasible point is at hand (also after a time limit)."""
    status = highs.getInfo().primal_solution_status
    return status == highspy.SolutionStatus.kSolutionStatusFeasible


# --- handing a model over -------------------------------------------------------------------
@dataclass(frozen=True)
class ModelArrays:
    """A minimisation as HiGHS takes it: column bounds, costs and integrality, row bounds, and
    the matrix by rows (row i's entries are index/value[starts[i]:starts[i + 1]]); no bound
    is None (-inf/inf instead)."""

    col_lower: np.ndarray
    col_upper: np.ndarray
    cost: np.ndarray
    integer: np.ndarray  # bool, a column a time
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    index: np.ndarray
    value: np.ndarray
    offset: float = 0.0


def pass_arrays(highs: Any, arrays: ModelArrays) -> None:
    """Hand `arrays` over to `highs` (a highspy.Highs) in one `passModel`; a model HiGHS
    refuses (a column twice in a row, say) is a fault of the model's maker, said at once, not a
    run that finds no plan."""
    inf = highspy.kHighsInf
    status = highs.passModel(
        len(arrays.col_lower),
        len(arrays.row_lower),
        len(arrays.index),
        highspy.MatrixFormat.kRowwise,
        highspy.ObjSense.kMinimize,
        arrays.offset,
        arrays.cost,
        np.clip(arrays.col_lower, -inf, inf),
        np.clip(arrays.col_upper, -inf, inf),
        np.clip(arrays.row_lower, -inf, inf),
        np.clip(arrays.row_upper, -inf, inf),
        arrays.starts.astype(np.int32, copy=False),
        arrays.index.astype(np.int32, copy=False),
        arrays.value.astype(np.float64, copy=False),
        arrays.integer.astype(np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the model's arrays (passModel): a bug in its making")


def from_arrays(
    arrays: ModelArrays, *, options: dict[str, object] | None = None, deadline: float | None = None
) -> HighsModel:
    """Hand `arrays` to a fresh, quiet HiGHS (no output, one thread, and `options`); every run,
    simplex runs too, stops at `deadline` (time.monotonic; None: no deadline)."""
    quiet_highs()
    highs = highspy.Highs()
    for name, value in {"output_flag": False, "threads": 1, **(options or {})}.items():
        highs.setOptionValue(name, value)
    pass_arrays(highs, arrays)
    model = HighsModel.of(highs, arrays, deadline=deadline)
    if deadline is not None:
        interrupt_after(highs, lambda: model.stop_at, simplex=True)
    return model


def from_matrix(matrix: Matrix, *, gap: float, deadline: float | None) -> HighsModel:
    """Hand the sets formulation's `matrix` (no objective) to a fresh, quiet HiGHS whose MIPs
    stop within `gap`, without restarts (`NO_RESTART`); every run, simplex ones too, stops at
    `deadline` (time.monotonic)."""
    built = matrix.arrays()
    arrays = ModelArrays(
        col_lower=built["col_lower"],
        col_upper=built["col_upper"],
        cost=np.zeros(len(built["col_lower"])),
        integer=built["integrality"].astype(bool),
        row_lower=built["row_lower"],
        row_upper=built["row_upper"],
        starts=built["starts"],
        index=built["index"],
        value=built["value"],
    )
    return from_arrays(arrays, options={"mip_rel_gap": gap, **NO_RESTART}, deadline=deadline)


# --- reading a run back ---------------------------------------------------------------------
@dataclass(frozen=True)
class Solution:
    """What one run handed back: how it ended (OPTIMAL, INFEASIBLE or UNKNOWN), a feasible point
    when there is one (also after a time limit), the objective computed from that point, and
    the proven bound when HiGHS's report is about that point (see `honest_bound`)."""

    status: StageStatus
    values: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None
    said: str = ""  # HiGHS's own words for how the run ended


@dataclass(eq=False)
class HighsModel:
    """A model in HiGHS, the bounds and integrality it was built with, and its costs as set.

    Rows and columns are addressed by position, or by name when the model came from PuLP
    (`to_highs`). `deadline` (time.monotonic) stops every run; a run may stop sooner.
    """

    highs: Any  # highspy.Highs
    columns: dict[str, int]
    rows: dict[str, int]
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    integer: np.ndarray
    cost: np.ndarray
    offset: float = 0.0  # the objective's constant
    deadline: float | None = None
    stop_at: float | None = field(default=None, init=False)  # of the run under way
    integer_on: bool = field(default=True, init=False)
    _presolve_off: bool = field(default=False, init=False)

    @classmethod
    def of(cls, highs: Any, arrays: ModelArrays, *, deadline: float | None) -> HighsModel:
        return cls(
            highs,
            {},
            {},
            arrays.col_lower,
            arrays.col_upper,
            arrays.row_lower,
            arrays.row_upper,
            arrays.integer,
            arrays.cost,
            arrays.offset,
            deadline,
        )

    # --- bounds, rows and columns ---------------------------------------------------------
    def set_col_bounds(self, column: str | int, lower: float, upper: float) -> None:
        j = self.columns[column] if isinstance(column, str) else column
        self.highs.changeColBounds(j, _finite(lower), _finite(upper))

    def set_row_bounds(self, row: str | int, lower: float, upper: float) -> None:
        i = self.rows[row] if isinstance(row, str) else row
        self.highs.changeRowBounds(i, _finite(lower), _finite(upper))

    def fix_columns(self, columns: np.ndarray, values: np.ndarray) -> None:
        """Fix each of `columns` (positions) to its value in `values`."""
        index = columns.astype(np.int32, copy=False)
        self.highs.changeColsBounds(len(index), index, values, values)

    def unfix_columns(self, columns: np.ndarray) -> None:
        """Give `columns` back the bounds they were built with."""
        index = columns.astype(np.int32, copy=False)
        lower, upper = self.col_lower[index], self.col_upper[index]
        self.highs.changeColsBounds(len(index), index, _finite(lower), _finite(upper))

    def integer_columns(self) -> np.ndarray:
        return np.flatnonzero(self.integer).astype(np.int32)

    def add_column(
        self, name: str, cost: float, lower: float, upper: float, entries: dict[str, float]
    ) -> None:
        """A new column with coefficients in named rows."""
        rows = np.array([self.rows[r] for r in entries], dtype=np.int32)
        values = np.array(list(entries.values()), dtype=np.float64)
        self.highs.addCol(cost, _finite(lower), _finite(upper), len(rows), rows, values)
        self.columns[name] = len(self.col_lower)
        self.col_lower = np.append(self.col_lower, lower)
        self.col_upper = np.append(self.col_upper, upper)
        self.integer = np.append(self.integer, False)
        self.cost = np.append(self.cost, cost)

    def add_row(
        self,
        name: str | None,
        lower: float,
        upper: float,
        entries: dict[str, float] | tuple[np.ndarray, np.ndarray],
    ) -> int:
        """A new row over columns named in `entries`, or given as (positions, coefficients);
        known by `name` unless it is None. Returns its position."""
        if isinstance(entries, dict):
            cols = np.array([self.columns[c] for c in entries], dtype=np.int32)
            values = np.array(list(entries.values()), dtype=np.float64)
        else:
            cols, values = entries[0].astype(np.int32, copy=False), entries[1]
        self.highs.addRow(_finite(lower), _finite(upper), len(cols), cols, values)
        position = len(self.row_lower)
        if name is not None:
            self.rows[name] = position
        self.row_lower = np.append(self.row_lower, lower)
        self.row_upper = np.append(self.row_upper, upper)
        return position

    # --- objective, integrality, start ----------------------------------------------------
    def set_cost(self, cost: np.ndarray) -> None:
        """Every column's cost, by position."""
        self.cost = cost
        self.highs.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)

    def set_objective(self, coefs: dict[str, float], sense: int = pulp.LpMinimize) -> None:
        """Costs of named columns (0 for the others), minimised or maximised (PuLP's sense)."""
        cost = np.zeros(len(self.col_lower))
        for name, value in coefs.items():
            cost[self.columns[name]] = value
        self.set_cost(cost)
        maximise = sense == pulp.LpMaximize
        self.highs.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        )

    def set_integrality(self, integer: bool, *, warm: bool = False) -> None:
        """Integer columns as built (True), or the LP relaxation (False). A `warm` LP runs
        without presolve: presolve would start each solve afresh, and the simplex starts from
        the last basis, with less memory than the MIP solver's relaxation (at 10,000
        communities a round of chunk relaxations 2.0 s -> 0.9 s, 19 -> 15 MB a chunk). The
        next MIP gets presolve back."""
        if integer == self.integer_on:
            return
        if not integer and warm:
            self.highs.setOptionValue("presolve", "off")
            self._presolve_off = True
        if integer and self._presolve_off:
            self.highs.setOptionValue("presolve", "choose")
            self._presolve_off = False
        columns = self.integer_columns()
        kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
        self.highs.changeColsIntegrality(len(columns), columns, np.full(len(columns), kind))
        self.integer_on = integer

    def fix_integers(self, values: dict[str, float]) -> None:
        """Fix every integer column to its value in `values` (0 when absent) and relax the
        integrality: what is left is the LP of the continuous decisions."""
        names = {j: name for name, j in self.columns.items()}
        columns = self.integer_columns()
        fixed = np.array([float(round(values.get(names[j], 0.0))) for j in columns])
        self.fix_columns(columns, fixed)
        self.set_integrality(False)

    def unfix_integers(self) -> None:
        """Undo `fix_integers`: the integer columns get their bounds and integrality back."""
        self.unfix_columns(self.integer_columns())
        self.set_integrality(True)

    def set_start(self, values: dict[str, float] | np.ndarray) -> None:
        """A starting point for the next MIP run (a known feasible plan), by name or position."""
        solution = highspy.HighsSolution()
        if isinstance(values, dict):
            solution.col_value = [values.get(name, 0.0) for name in self.columns]
        else:
            solution.col_value = values.tolist()
        solution.value_valid = True
        self.highs.setSolution(solution)

    # --- running --------------------------------------------------------------------------
    def time_left(self) -> float:
        """Seconds before the model's deadline (inf without one); 0 means stop."""
        return seconds_left(self.deadline)

    def run(self, time_limit_s: float | None = None) -> StageStatus:
        """Run HiGHS for at most `time_limit_s` seconds of wall clock (None: no limit of its
        own), and never past the deadline: OPTIMAL, INFEASIBLE or UNKNOWN (anything else)."""
        limit = min(self.time_left(), INF if time_limit_s is None else time_limit_s)
        if math.isfinite(limit):
            limit = max(limit, SHORTEST_LIMIT_S)
            self.stop_at = time.monotonic() + limit
        else:
            self.stop_at = None
        self.highs.setOptionValue("time_limit", limit)  # every run sets its own
        run_highs(self.highs)
        status = self.highs.getModelStatus()
        if status == _MODEL.kOptimal:
            return StageStatus.OPTIMAL
        if status in NO_SOLUTION_POSSIBLE:
            return StageStatus.INFEASIBLE
        return StageStatus.UNKNOWN

    def relaxation(self) -> Solution:
        """The linear relaxation of the model as it stands (nothing run when the deadline has
        passed: UNKNOWN); values only when it is solved to optimality."""
        if self.time_left() <= 0:
            return Solution(StageStatus.UNKNOWN)
        if not self.integer_on:
            status = self.run()
        else:
            self.highs.setOptionValue("solve_relaxation", True)
            try:
                status = self.run()
            finally:
                self.highs.setOptionValue("solve_relaxation", False)
        if status != StageStatus.OPTIMAL:
            return Solution(status)
        values = np.array(self.highs.getSolution().col_value)
        objective = float(self.cost @ values) + self.offset
        return Solution(status, values, objective, objective)

    def run_mip(self, start: np.ndarray | None = None, *, heuristics: bool = True) -> Solution:
        """The MIP from `start` (a feasible plan), with HiGHS's own searches for plans only
        when `heuristics`; nothing run when the deadline has passed (UNKNOWN)."""
        if self.time_left() <= 0:
            return Solution(StageStatus.UNKNOWN)
        for name, value in (_HEURISTICS_ON if heuristics else _HEURISTICS_OFF).items():
            self.highs.setOptionValue(name, value)
        if start is not None:
            self.set_start(start)
        status = self.run()
        said = self.highs.modelStatusToString(self.highs.getModelStatus())
        if not self.has_solution():
            return Solution(status, said=said)
        values = np.array(self.highs.getSolution().col_value)
        objective = float(self.cost @ values) + self.offset
        return Solution(status, values, objective, honest_bound(self.highs, objective), said)

    # --- reading --------------------------------------------------------------------------
    def has_solution(self) -> bool:
        return has_solution(self.highs)

    def objective(self) -> float:
        """The objective of the values of the last run, computed from them."""
        return float(self.cost @ np.array(self.highs.getSolution().col_value)) + self.offset

    def values(self) -> dict[str, float]:
        solution = list(self.highs.getSolution().col_value)
        return {name: float(solution[j]) for name, j in self.columns.items()}

    def row_values(self) -> dict[str, float]:
        """Activity of every named row in the last solution."""
        activity = list(self.highs.getSolution().row_value)
        return {name: float(activity[i]) for name, i in self.rows.items()}

    def row_dual(self, row: str | int) -> float:
        """d objective / d bound of the row (HiGHS's sign: minimising, a binding <= row has
        a dual <= 0)."""
        i = self.rows[row] if isinstance(row, str) else row
        return float(self.highs.getSolution().row_dual[i])

    def row_duals(self) -> np.ndarray:
        """`row_dual` of every row, by position."""
        return np.array(self.highs.getSolution().row_dual)

    def rows_range_up(self) -> dict[str, float]:
        """For each named row, the value its active bound can rise to with the LP's prices
        unchanged (HiGHS ranging of the last LP solved; inf when the basis never changes)."""
        status, ranging = self.highs.getRanging()
        if not getattr(ranging, "valid", False):
            return {}
        values = list(ranging.row_bound_up.value_)
        return {name: float(values[i]) for name, i in self.rows.items()}

    # --- memory ---------------------------------------------------------------------------
    def basis(self) -> Any:
        return self.highs.getBasis()

    def clear_solver(self, basis: Any | None = None) -> None:
        """Free what the solver holds (the MIP's trees and copies); the next LP starts from
        `basis` when given."""
        self.highs.clearSolver()
        if basis is not None:
            self.highs.setBasis(basis)

    def free(self) -> None:
        """Free the whole model in HiGHS: it is done with."""
        self.highs.clear()


def _finite(value: Any) -> Any:
    return np.clip(value, -highspy.kHighsInf, highspy.kHighsInf)
