"""A MILP as arrays (columns, CSR rows, two objectives) and the switch that keeps Python's
garbage collector out of building one."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from allocator.scenario.schema import Community, Option

INF = float("inf")


@dataclass
class Matrix:
    """A MILP as arrays: columns, rows (CSR), two objectives, and where each decision lives."""

    col_names: list[str] = field(default_factory=list)
    col_lower: list[float] = field(default_factory=list)
    col_upper: list[float] = field(default_factory=list)
    col_integer: list[bool] = field(default_factory=list)
    row_names: list[str] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    starts: list[int] = field(default_factory=lambda: [0])
    index: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    shortfall_cost: dict[int, float] = field(default_factory=dict)  # W of (15), by column
    money_cost: dict[int, float] = field(default_factory=dict)  # C of (16), by column
    options: list[tuple[Community, Option]] = field(default_factory=list)
    chosen: list[int] = field(default_factory=list)
    area: list[int] = field(default_factory=list)
    capital: list[list[tuple[int, float]]] = field(default_factory=list)
    running: list[list[tuple[int, float]]] = field(default_factory=list)
    funding: dict[tuple[int, str], int] = field(default_factory=dict)
    pooled: dict[tuple[str, str], int] = field(default_factory=dict)
    funded: dict[tuple[int, str], int] = field(default_factory=dict)
    shortfall: dict[str, int] = field(default_factory=dict)
    budget_rows: dict[tuple[str, str], int] = field(default_factory=dict)
    target_rows: dict[str, int] = field(default_factory=dict)
    unit_budgets: dict[str, dict[str, float]] = field(default_factory=dict)
    members: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    pooled_sources: list[str] = field(default_factory=list)
    funded_rows: dict[str, int] = field(default_factory=dict)
    community_columns: dict[str, tuple[int, int]] = field(default_factory=dict)  # [start, end)
    # A community's columns made by the rule families (staff, years) after every community's.
    community_extra: dict[str, list[int]] = field(default_factory=dict)
    # Rows of the families that may hold several groups' columns (`Family.linking`), not
    # written per community: by name, their position and upper limit, and whether the unit
    # they limit is the county's (a row the decomposition shares out between its chunks).
    shared_rows: dict[str, tuple[int, float, bool]] = field(default_factory=dict)
    _columns: int | None = None  # the count of columns, once the lists are dropped
    _dense: dict[str, np.ndarray] = field(default_factory=dict)  # objectives, once slim
    sets: dict[str, list[tuple[tuple[int, ...], int]]] = field(default_factory=dict)
    # The columns of the rule families that make their own (staff, counts), by label.
    extra: dict[tuple[str, ...], int] = field(default_factory=dict)

    def column(self, name: str, lower: float, upper: float, integer: bool = False) -> int:
        self.col_names.append(name)
        self.col_lower.append(lower)
        self.col_upper.append(upper)
        self.col_integer.append(integer)
        return len(self.col_names) - 1

    def row(self, name: str, terms: list[tuple[int, float]], lower: float, upper: float) -> int:
        for column, coef in terms:
            if coef:
                self.index.append(column)
                self.value.append(coef)
        self.starts.append(len(self.index))
        self.row_names.append(name)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        return len(self.row_names) - 1

    def columns_of(self, community_id: str) -> np.ndarray:
        """Every column of a community: its own range and the families' columns of it."""
        start, end = self.community_columns[community_id]
        extra = self.community_extra.get(community_id, [])
        return np.r_[np.arange(start, end), np.array(extra, dtype=np.int64)].astype(np.int64)

    @property
    def columns(self) -> int:
        return self._columns if self._columns is not None else len(self.col_names)

    def slim(self) -> None:
        """Drop the arrays once the solver holds them, and what only building needs (money
        terms per option); keep where each decision lives, and both objectives as arrays
        (read-only). At 100,000 communities in chunks, that is the chunks' Python memory."""
        for which in ("weighted_shortfall", "total_cost"):
            self._dense[which] = self.objective(which)
            self._dense[which].flags.writeable = False
        self._columns = len(self.col_names)
        self.shortfall_cost, self.money_cost = {}, {}
        self.capital, self.running = [], []
        for name in (
            "col_names",
            "col_lower",
            "col_upper",
            "col_integer",
            "row_names",
            "row_lower",
            "row_upper",
            "starts",
            "index",
            "value",
        ):
            setattr(self, name, [])

    def objective(self, which: str) -> np.ndarray:
        """Dense cost vector of `weighted_shortfall` (W) or `total_cost` (C)."""
        if which in self._dense:
            return self._dense[which]
        coefs = self.shortfall_cost if which == "weighted_shortfall" else self.money_cost
        cost = np.zeros(self.columns)
        if coefs:
            cost[np.fromiter(coefs.keys(), dtype=np.int64)] = np.fromiter(coefs.values(), float)
        return cost

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "col_lower": np.array(self.col_lower, dtype=np.float64),
            "col_upper": np.array(self.col_upper, dtype=np.float64),
            "integrality": np.array(self.col_integer, dtype=np.int32),
            "row_lower": np.array(self.row_lower, dtype=np.float64),
            "row_upper": np.array(self.row_upper, dtype=np.float64),
            "starts": np.array(self.starts, dtype=np.int32),
            "index": np.array(self.index, dtype=np.int32),
            "value": np.array(self.value, dtype=np.float64),
        }


@contextmanager
def no_gc() -> Iterator[None]:
    """Python's cyclic garbage collector off while a model's many objects are made: each
    collection walks every object alive (measured at 10,000 communities: PuLP variables
    1.0 s -> 0.15 s, rows 2.5 s -> 0.76 s). What it would have found is found after."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
