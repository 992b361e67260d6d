"""The scenario's model with each rule a group that can be switched off.

Each rule of a scenario (a must_meet site, a lock, the budget of one source in one unit, an
exclusion, a route's largest or least area, a funding rule) is a set of rows and column bounds
of the model of `allocator.model.reference`, found by its row names (budget_*, excl_*,
min_area_*, ...).
`RelaxableModel` hands the model to HiGHS once and switches rules on and off by their bounds:
the ground for the conflict search (a deletion filter, seeded by HiGHS's IIS of the LP
relaxation) and for the priced elastic budgets of `allocator.analysis.diagnosis`.

To keep bounds derived from budgets, areas and per-option caps out of the matrix, the model is
built from an "opened" copy of the scenario (`allocator.model.opened`) and the real
values are
put back as bounds in HiGHS: with every rule on, the feasible set is the scenario's own.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from allocator.model.families import columns
from allocator.model.opened import opened
from allocator.model.reference import Model, build_model
from allocator.model.rules import BY_NAME, decision_rules
from allocator.model.terms import Layout, Row, Sense, name_of
from allocator.scenario.schema import Scenario
from allocator.solving.highs import INF, HighsModel
from allocator.solving.pulp_highs import to_highs


def drop_rank(rule: Rule) -> int:
    """The deletion filter tries to drop rules of low rank first: details first, so that what
    is left names the rules a planner decides about (must_meet, locks, budgets)."""
    return BY_NAME[rule.kind].drop_rank


_SCOPE_PRICE = {"county": 1.0, "group": 1.0001, "community": 1.0002}


@dataclass(frozen=True)
class Rule:
    """One rule of the scenario as a group of model rows and column bounds."""

    kind: str
    text: str
    loc: tuple[str | int, ...]
    community: str | None = None
    option: str | None = None
    source: str | None = None
    unit: str | None = None
    rows: tuple[str, ...] = ()
    cols: tuple[tuple[str, float, float], ...] = ()  # column, relaxed lower, relaxed upper


# --- the model with rules that can be switched off ---------------------------------------
@dataclass
class RelaxableModel:
    """The scenario's model in HiGHS, with each rule a group that can be switched off."""

    scenario: Scenario
    model: Model = field(init=False)
    lp: HighsModel = field(init=False)
    rules: list[Rule] = field(init=False)
    real_rows: dict[str, tuple[float, float]] = field(init=False)
    real_cols: dict[str, tuple[float, float]] = field(init=False)
    solves: int = 0

    def __post_init__(self) -> None:
        self.model = build_model(opened(self.scenario, areas_and_caps=True))
        self.lp = to_highs(self.model.problem)
        self.real_rows, self.real_cols = {}, {}
        self.rules = _rules(self.scenario, self.model, self.lp, self.real_rows, self.real_cols)

    # --- switching rules ------------------------------------------------------------------
    def activate(self, active: list[Rule]) -> None:
        on_rows = {r for rule in active for r in rule.rows}
        on_cols = {c for rule in active for c, _, _ in rule.cols}
        for rule in self.rules:
            for row in rule.rows:
                low, high = self.real_rows[row] if row in on_rows else (-INF, INF)
                self.lp.set_row_bounds(row, low, high)
            for col, relaxed_low, relaxed_high in rule.cols:
                low, high = self.real_cols[col] if col in on_cols else (relaxed_low, relaxed_high)
                self.lp.set_col_bounds(col, low, high)

    def feasible(self, active: list[Rule], deadline: float | None) -> bool | None:
        """MIP feasibility with only `active` rules on; None when time ran out."""
        self.activate(active)
        self.solves += 1
        status = self.lp.run(_remaining(deadline))
        return None if status == "unknown" else status != "infeasible"

    # --- conflicts ------------------------------------------------------------------------
    def conflict(self, deadline: float | None) -> tuple[list[Rule], str, bool]:
        """An irreducible set of rules that cannot hold together, how it was found, and
        whether it was proven irreducible in the time given."""
        self.lp.set_objective({})
        if self.feasible(self.rules, deadline) is not False:
            return [], "the scenario has a plan with every rule on: no conflict", True
        seed = self._relaxation_iis()
        method = "deletion filter over every rule (MIP feasibility runs)"
        candidates = self.rules
        if seed and self.feasible(seed, deadline) is False:
            candidates = seed
            method = (
                "HiGHS IIS of the LP relaxation, mapped to rules, then a deletion filter "
                "(MIP feasibility runs)"
            )
        ordered = sorted(candidates, key=drop_rank)
        kept, minimal = self._deletion_filter(ordered, deadline)
        return kept, f"{method}; {self.solves} solver runs", minimal

    def _relaxation_iis(self) -> list[Rule]:
        """Rules named by HiGHS's IIS of the LP relaxation, when the relaxation is infeasible."""
        self.activate(self.rules)
        self.lp.set_integrality(False)
        try:
            if self.lp.run() != "infeasible":
                return []
            status, iis = self.lp.highs.getIis()
            if not getattr(iis, "valid_", False):
                return []
            row_names = {i: name for name, i in self.lp.rows.items()}
            col_names = {j: name for name, j in self.lp.columns.items()}
            rows = {row_names[i] for i in iis.row_index_}
            cols = {col_names[j] for j in iis.col_index_}
        finally:
            self.lp.set_integrality(True)
        return [
            rule
            for rule in self.rules
            if rows.intersection(rule.rows) or cols.intersection(c for c, _, _ in rule.cols)
        ]

    def _deletion_filter(
        self, rules: list[Rule], deadline: float | None
    ) -> tuple[list[Rule], bool]:
        """Drop rules, in chunks and then one by one, while the rest stays infeasible. The
        last pass tries each rule alone, so the result is irreducible."""
        kept = list(rules)
        chunk = max(1, len(kept) // 8)
        while True:
            index = 0
            while index < len(kept):
                trial = kept[:index] + kept[index + chunk :]
                verdict = self.feasible(trial, deadline)
                if verdict is None:
                    return kept, False
                if verdict is False:
                    kept = trial
                else:
                    index += chunk
            if chunk == 1:
                return kept, True
            chunk = max(1, chunk // 4)

    # --- repairs --------------------------------------------------------------------------
    def _add_elastic_columns(self) -> dict[tuple[str, str], str]:
        if hasattr(self, "_elastic"):
            return self._elastic
        sources = {s.id: s for s in self.scenario.funding}
        self._elastic: dict[tuple[str, str], str] = {}
        for (source_id, unit), row in self.model.budget_rows.items():
            name = f"extra_{source_id}_{unit}"
            price = _SCOPE_PRICE[sources[source_id].scope]
            self.lp.add_column(name, price, 0.0, INF, {row: -1.0})
            self._elastic[(source_id, unit)] = name
        return self._elastic

    def _cheapest_money(
        self, hopeless: set[str], movable: set[str] | None, deadline: float | None
    ) -> list[dict[str, Any]] | str:
        """The least extra money, per unit, with only `movable` sources' budgets elastic
        (all when None); "infeasible" when no money helps, "unknown" when time ran out."""
        elastic = self._add_elastic_columns()
        active = [r for r in self.rules if not (r.kind == "must_meet" and r.community in hopeless)]
        self.activate(active)
        sources = {s.id: s for s in self.scenario.funding}
        costs = {}
        for (source_id, _unit), column in elastic.items():
            may_move = movable is None or source_id in movable
            self.lp.set_col_bounds(column, 0.0, INF if may_move else 0.0)
            costs[column] = _SCOPE_PRICE[sources[source_id].scope]
        self.lp.set_objective(costs)
        self.solves += 1
        status = self.lp.run(_remaining(deadline))
        values = self.lp.values() if status == "optimal" else {}  # before any change clears it
        self.lp.set_objective({})
        for column in elastic.values():
            self.lp.set_col_bounds(column, 0.0, 0.0)
        if status != "optimal":
            return status
        repairs = []
        for (source_id, unit), column in elastic.items():
            amount = _round_up_wan(values[column])
            if amount > 0:
                repairs.append(
                    {
                        "source": source_id,
                        "source_name": sources[source_id].name,
                        "unit": unit,
                        "budget": self.scenario.units(sources[source_id])[unit],
                        "extra_budget": amount,
                    }
                )
        return repairs

    def repairs(
        self, hopeless: set[str], deadline: float | None
    ) -> tuple[list[dict[str, Any]], bool | None]:
        """The cheapest extra money per source and unit, and whether money alone repairs the
        scenario (None: not known in the time given). Communities in `hopeless` cannot reach
        their targets whatever the money: the money is found for the rest, and money alone
        does not repair it."""
        found = self._cheapest_money(hopeless, None, deadline)
        if isinstance(found, str):
            return [], (None if found == "unknown" else False)
        return found, not hopeless

    def repairs_by_source(self, hopeless: set[str], deadline: float | None) -> list[dict[str, Any]]:
        """For each source, the least extra money when only that source's budgets move."""
        menu = []
        for source in self.scenario.funding:
            if not any(s == source.id for s, _ in self.model.budget_rows):
                continue
            found = self._cheapest_money(hopeless, {source.id}, deadline)
            amounts = [] if isinstance(found, str) else found
            menu.append(
                {
                    "source": source.id,
                    "source_name": source.name,
                    "possible": (None if found == "unknown" else False)
                    if isinstance(found, str)
                    else True,
                    "units": [
                        {"unit": r["unit"], "extra_budget": r["extra_budget"]} for r in amounts
                    ],
                    "total_extra": round(sum(r["extra_budget"] for r in amounts), 2),
                }
            )
        return menu


def _round_up_wan(value: float) -> float:
    """Up to the next 0.01 万元 (100 yuan), ignoring solver noise below 1e-6."""
    rounded = round(value, 6)
    if rounded <= 0:
        return 0.0
    return math.ceil(rounded * 100 - 1e-9) / 100


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.monotonic(), 0.01)


# --- rules, from the rule table -----------------------------------------------------------
def _rules(
    scenario: Scenario,
    model: Model,
    lp: HighsModel,
    real_rows: dict[str, tuple[float, float]],
    real_cols: dict[str, tuple[float, float]],
) -> list[Rule]:
    """The scenario's decision rules (`allocator.model.rules`) over the rows and columns of the
    model of its opened copy: each rule's own bounds are the real ones, the opened copy's
    column definitions what a rule switched off leaves."""
    for name, i in lp.rows.items():
        real_rows[name] = (float(lp.row_lower[i]), float(lp.row_upper[i]))
    for name, j in lp.columns.items():
        real_cols[name] = (float(lp.col_lower[j]), float(lp.col_upper[j]))
    relaxed = {c.var: (c.lower, c.upper) for c in columns(Layout.of(model.scenario))}
    rules = []
    for instance in decision_rules(scenario):
        for row in instance.rows:
            real_rows[row.name] = _row_bounds(row)
        cols = []
        for bound in instance.bounds:
            name = name_of(*bound.var)
            real_cols[name] = (bound.lower, bound.upper)
            cols.append((name, *relaxed[bound.var]))
        rules.append(
            Rule(
                instance.family,
                instance.text,
                instance.loc,
                community=instance.community,
                option=instance.option,
                source=instance.source,
                unit=instance.unit,
                rows=tuple(row.name for row in instance.rows),
                cols=tuple(cols),
            )
        )
    return rules


def _row_bounds(row: Row) -> tuple[float, float]:
    if row.sense == Sense.LE:
        return (-INF, row.rhs)
    if row.sense == Sense.GE:
        return (row.rhs, INF)
    return (row.rhs, row.rhs)
