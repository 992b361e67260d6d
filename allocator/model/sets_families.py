"""The rule families the sets formulation (`allocator.model.sets`) does not write itself, added
over its columns as the reference formulation writes them, and the families' own columns."""

from __future__ import annotations

from allocator.model.arrays import INF, Matrix
from allocator.model.rules import FAMILIES
from allocator.model.terms import Layout, Sense, Var, name_of
from allocator.scenario.schema import COUNTY_UNIT, Scenario

# The families this formulation writes itself (as the reference does, or tighter: (C1)-(C5)).
# Any other family of the table is added as the reference formulation writes it.
WRITTEN_HERE = frozenset(
    {
        "area_when_chosen", "max_area", "min_area", "locked", "excludes", "max_options", "paid",
        "capital_only", "max_share", "max_per_option", "funded", "max_options_funded", "budget",
        "one_replacing", "target", "must_meet",
    }
)  # fmt: skip


def add_own_columns(m: Matrix, scenario: Scenario) -> None:
    """The columns of the table's families that have their own (`Family.columns`): money a
    column pays counts in its budget's row and in the total cost."""
    layout = Layout.of(scenario)
    for family in FAMILIES:
        for own in family.columns(layout) if family.columns else ():
            j = m.column(name_of(*own.var), own.lower, own.upper, own.integer)
            m.extra[own.var] = j
            if own.community is not None:
                m.community_extra.setdefault(own.community, []).append(j)
            if own.pays is not None:
                m.members.setdefault(own.pays, []).append(j)
                m.money_cost[j] = m.money_cost.get(j, 0.0) + 1.0


def add_other_families(m: Matrix, scenario: Scenario) -> None:
    """Rows and bounds of the table's families this module does not write, over its columns."""
    others = [family for family in FAMILIES if family.name not in WRITTEN_HERE]
    if not others:
        return
    column = columns_by_label(m)
    layout = Layout.of(scenario)
    for family in others:
        for rule in family.instances(layout):
            for row in rule.rows:
                merged: dict[int, float] = {}  # a variable twice in a row is one term, as in PuLP
                for label, coef in row.terms:
                    j = _column(column, label, family.name)
                    merged[j] = merged.get(j, 0.0) + coef
                terms = list(merged.items())
                low = row.rhs if row.sense in (Sense.GE, Sense.EQ) else -INF
                high = row.rhs if row.sense in (Sense.LE, Sense.EQ) else INF
                j = m.row(row.name, terms, low, high)
                if family.linking is not None and rule.community is None:
                    _shared(m, row.name, j, high, rule.unit in (None, COUNTY_UNIT))
            for bound in rule.bounds:
                j = _column(column, bound.var, family.name)
                m.col_lower[j] = max(m.col_lower[j], bound.lower)
                m.col_upper[j] = min(m.col_upper[j], bound.upper)


def _shared(m: Matrix, name: str, row: int, upper: float, county: bool) -> None:
    if upper == INF:
        raise ValueError(f"row {name!r} of a linking family is not a limit (<=)")
    m.shared_rows[name] = (row, upper, county)


def columns_by_label(m: Matrix) -> dict[Var, int]:
    column: dict[Var, int] = {}
    for i, (_, option) in enumerate(m.options):
        column[("y", option.id)], column[("x", option.id)] = m.chosen[i], m.area[i]
    for (i, source_id), j in m.funding.items():
        column[("f", m.options[i][1].id, source_id)] = j
    for (i, source_id), j in m.funded.items():
        column[("z", m.options[i][1].id, source_id)] = j
    for community_id, j in m.shortfall.items():
        column[("short", community_id)] = j
    column.update(m.extra)
    return column


def _column(column: dict[Var, int], label: Var, family: str) -> int:
    if label not in column:
        raise ValueError(
            f"rule family {family!r} uses {label}, which the sets formulation does not have "
            "(money of a source with no rule per route is pooled per community): write the "
            "family in allocator/model/sets.py or solve with formulation='naive'"
        )
    return column[label]
