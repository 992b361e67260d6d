"""The scenario's model with each rule a group that can be switched off.

Each rule of a scenario (a must_meet site, a lock, the budget of one source in one unit, an
exclusion, a route's largest or least area, a funding rule) is a set of rows and column bounds
of the model of `allocator.model.reference`, found by its row names (budget_*, excl_*,
min_area_*, ...).
`RelaxableModel` hands the model to HiGHS once and switches rules on and off by their bounds:
the ground for the conflict search (a deletion filter, seeded by HiGHS's IIS of the LP
relaxation) and for the priced elastic budgets of `allocator.analysis.diagnosis`.

To keep bounds derived from budgets, areas and per-option caps out of the matrix, the model is
built from an "opened" copy of the scenario (`allocator.scenario.edits.opened`) and the real
values are
put back as bounds in HiGHS: with every rule on, the feasible set is the scenario's own.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from allocator.model.reference import Model, build_model
from allocator.scenario.edits import opened
from allocator.scenario.schema import COUNTY_UNIT, Scenario
from allocator.solving.highs_model import INF, HighsModel, to_highs

# The order in which the deletion filter tries to drop rules: details first, so that what is
# left names the rules a planner decides about (must_meet, locks, budgets) where it can.
DROP_ORDER = (
    "max_per_option",
    "max_share",
    "capital_only",
    "max_options_funded",
    "one_replacing",
    "min_area",
    "max_options",
    "excludes",
    "max_area",
    "budget",
    "locked",
    "must_meet",
)
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
        ordered = sorted(candidates, key=lambda r: DROP_ORDER.index(r.kind))
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


# --- rules, built from the scenario and the model's row names -----------------------------
def _rules(
    scenario: Scenario,
    model: Model,
    lp: HighsModel,
    real_rows: dict[str, tuple[float, float]],
    real_cols: dict[str, tuple[float, float]],
) -> list[Rule]:
    for name, i in lp.rows.items():
        real_rows[name] = (float(lp.row_lower[i]), float(lp.row_upper[i]))
    for name, j in lp.columns.items():
        real_cols[name] = (float(lp.col_lower[j]), float(lp.col_upper[j]))
    raw = scenario.source
    rules: list[Rule] = []
    rules += _community_rules(scenario, model, lp, raw)
    rules += _option_rules(scenario, model, lp, real_cols)
    rules += _funding_rules(scenario, model, lp, real_rows, real_cols, raw)
    return rules


def _community_rules(
    scenario: Scenario, model: Model, lp: HighsModel, raw: dict[str, Any]
) -> list[Rule]:
    rules = []
    for ci, c in enumerate(scenario.communities):
        where = f"{c.name} ({c.id})"
        if c.must_meet:
            column = model.shortfall[c.id].name
            rules.append(
                Rule(
                    "must_meet",
                    f"{where} is a demonstration site: it must reach its target of "
                    f"{c.target_area_m2:g} m2 (it has {c.existing_area_m2:g} m2)",
                    ("communities", ci, "must_meet"),
                    community=c.id,
                    cols=((column, 0.0, c.target_area_m2),),
                )
            )
        if f"max_options_{c.id}" in lp.rows:
            raw_c = _raw_community(raw, ci)
            loc = (
                ("communities", ci, "max_options")
                if "max_options" in raw_c
                else ("defaults", "max_options_per_community")
            )
            rules.append(
                Rule(
                    "max_options",
                    f"{where} may combine at most {c.max_options} routes",
                    loc,
                    community=c.id,
                    rows=(f"max_options_{c.id}",),
                )
            )
        if f"one_replacing_{c.id}" in lp.rows:
            rules.append(
                Rule(
                    "one_replacing",
                    f"{where}: at most one route may replace the existing premises",
                    ("communities", ci, "options"),
                    community=c.id,
                    rows=(f"one_replacing_{c.id}",),
                )
            )
    return rules


def _option_rules(
    scenario: Scenario, model: Model, lp: HighsModel, real_cols: dict[str, tuple[float, float]]
) -> list[Rule]:
    rules = []
    position = {
        o.id: (ci, oi)
        for ci, c in enumerate(scenario.communities)
        for oi, o in enumerate(c.options)
    }
    index = {o.id: i for i, (_, o) in enumerate(model.options)}
    for i, (c, o) in enumerate(model.options):
        ci, oi = position[o.id]
        loc = ("communities", ci, "options", oi)
        label = f"route {o.id} ({o.kind}) of {c.id}"
        y, x = model.chosen[i].name, model.area[i].name
        if o.locked is not None:
            verb = "must be taken" if o.locked == "chosen" else "may not be used"
            rules.append(
                Rule(
                    "locked",
                    f"{label} is locked {o.locked}: it {verb}",
                    (*loc, "locked"),
                    community=c.id,
                    option=o.id,
                    cols=((y, 0.0, 1.0),),
                )
            )
        relaxed_area = float(lp.col_upper[lp.columns[x]])
        real = scenario.communities[ci].options[oi]  # the scenario's own, not the opened copy
        real_cols[x] = (0.0, real.max_area_m2)
        counted = f", counted at {o.area_factor:g}" if o.area_factor < 1 else ""
        rules.append(
            Rule(
                "max_area",
                f"{label} adds at most {real.max_area_m2:g} m2{counted}",
                (*loc, "max_area_m2"),
                community=c.id,
                option=o.id,
                cols=((x, 0.0, relaxed_area),),
            )
        )
        if f"min_area_{i}" in lp.rows:
            words = "all or nothing" if o.min_area_m2 >= real.max_area_m2 else "if chosen"
            rules.append(
                Rule(
                    "min_area",
                    f"{label} adds at least {o.min_area_m2:g} m2 ({words})",
                    (*loc, "min_area_m2"),
                    community=c.id,
                    option=o.id,
                    rows=(f"min_area_{i}",),
                )
            )
        for other in o.excludes:
            j = index[other]
            row = f"excl_{min(i, j)}_{max(i, j)}"
            if row in lp.rows:
                rules.append(
                    Rule(
                        "excludes",
                        f"routes {o.id} and {other} of {c.id} exclude each other",
                        (*loc, "excludes"),
                        community=c.id,
                        option=o.id,
                        rows=(row,),
                    )
                )
    return _unique_rows(rules)


def _unique_rows(rules: list[Rule]) -> list[Rule]:
    """One rule per exclusion row (a pair may be listed from both sides)."""
    seen: set[tuple[str, ...]] = set()
    unique = []
    for rule in rules:
        if rule.kind == "excludes":
            if rule.rows in seen:
                continue
            seen.add(rule.rows)
        unique.append(rule)
    return unique


def _funding_rules(
    scenario: Scenario,
    model: Model,
    lp: HighsModel,
    real_rows: dict[str, tuple[float, float]],
    real_cols: dict[str, tuple[float, float]],
    raw: dict[str, Any],
) -> list[Rule]:
    rules = []
    for si, s in enumerate(scenario.funding):
        loc = ("funding", si)
        name = f"{s.name} ({s.id})"
        units = scenario.units(s)
        for (source_id, unit), row in model.budget_rows.items():
            if source_id != s.id:
                continue
            real_rows[row] = (-INF, units[unit])
            where = "" if unit == COUNTY_UNIT else f" for {unit}"
            rules.append(
                Rule(
                    "budget",
                    f"{name} has {units[unit]:g} 万元{where}",
                    _budget_loc(scenario, raw, si, unit),
                    source=s.id,
                    unit=unit,
                    rows=(row,),
                )
            )
        rules += _route_rows_rule(
            model,
            lp,
            loc,
            s.id,
            "max_share",
            "share_{i}_{source}",
            f"{name} pays at most {s.max_share:.0%} of a route's "
            "cost; the rest needs matching money",
        )
        if s.capital_only:
            rules += _route_rows_rule(
                model,
                lp,
                loc,
                s.id,
                "capital_only",
                "capital_only_{i}",
                f"{name} pays one-off costs only, no rent or running costs",
            )
        if s.max_per_option is not None:
            cols = []
            for (_i, sid), f in model.funding.items():
                if sid == s.id:
                    relaxed = float(lp.col_upper[lp.columns[f.name]])
                    real_cols[f.name] = (0.0, min(relaxed, s.max_per_option))
                    cols.append((f.name, 0.0, relaxed))
            if cols:
                rules.append(
                    Rule(
                        "max_per_option",
                        f"{name} pays at most {s.max_per_option:g} 万元 towards one route",
                        (*loc, "max_per_option"),
                        source=s.id,
                        cols=tuple(cols),
                    )
                )
        if f"max_funded_{s.id}" in lp.rows:
            rules.append(
                Rule(
                    "max_options_funded",
                    f"{name} funds at most {s.max_options_funded} routes",
                    (*loc, "max_options_funded"),
                    source=s.id,
                    rows=(f"max_funded_{s.id}",),
                )
            )
    return rules


def _route_rows_rule(
    model: Model,
    lp: HighsModel,
    loc: tuple[str | int, ...],
    source_id: str,
    kind: str,
    row_name: str,
    text: str,
) -> list[Rule]:
    """The rule `kind` of the source at `loc` over the rows it puts on each route it may fund,
    named by `row_name` ({i}: the route, {source}: the source); none when the model has none of
    those rows."""
    names = (row_name.format(i=i, source=sid) for (i, sid) in model.funding if sid == source_id)
    rows = tuple(row for row in names if row in lp.rows)
    if not rows:
        return []
    return [Rule(kind, text, (*loc, kind), source=source_id, rows=rows)]


def _budget_loc(
    scenario: Scenario, raw: dict[str, Any], si: int, unit: str
) -> tuple[str | int, ...]:
    source = scenario.funding[si]
    if source.budgets and unit in source.budgets:
        return ("funding", si, "budgets", unit)
    if source.scope != "county" and source.budget_by_kind:
        kind = _unit_kind(scenario, source.scope, unit)
        if kind in source.budget_by_kind:
            return ("funding", si, "budget_by_kind", kind)
    return ("funding", si, "budget")


def _unit_kind(scenario: Scenario, scope: str, unit: str) -> str | None:
    groups = {g.id: g.kind for g in scenario.groups}
    if scope == "group":
        return groups.get(unit)
    community = next((c for c in scenario.communities if c.id == unit), None)
    return groups.get(community.group) if community else None


def _raw_community(raw: dict[str, Any], ci: int) -> dict[str, Any]:
    try:
        entry = raw["communities"][ci]
    except (KeyError, IndexError, TypeError):
        return {}
    return entry if isinstance(entry, dict) else {}
