"""A rule family of the table (`allocator.model.rules`): its equation, its words and how the
analyses treat it. Defined apart so that the modules of the staff's and the years' families
(`allocator.model.staff_rules`, `allocator.model.years`) can list their own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from allocator.model.families import Column
from allocator.model.terms import Instance, Layout
from allocator.scenario.schema import Community, Scenario


class Role(StrEnum):
    """What a family is to the analyses."""

    DECISION = "decision"  # a rule a planner sets: the conflict search may drop it
    STRUCTURE = "structure"  # part of what the variables mean: never dropped


@dataclass(frozen=True)
class Family:
    """One kind of rule: its equation, its words, and how the analyses treat it."""

    name: str
    equation: str
    summary: str  # one line, for docs/model.md
    instances: Callable[[Layout], Iterator[Instance]]
    role: Role = Role.DECISION
    drop_rank: int = 0  # conflict search: lower ranks are dropped first
    # The rows that may hold routes of several groups (the decomposition shares them out):
    # their limits by (family, id), from the scenario alone; `limits_from_rows` for a family the
    # sets formulation adds from the table, whose county-wide rows carry their own limits.
    linking: Callable[[Scenario], dict[tuple[str, str], float]] | None = None
    repairable_with_money: bool = False  # may the diagnosis price more of its right-hand side?
    # For the rules on which routes a community may combine: may these routes (ids) be taken
    # together? The sets formulation and the diagnosis enumerate combinations with it.
    allows: Callable[[Community, frozenset[str]], bool] | None = None
    # Columns of its own that the family's rows use (binaries of a measure), made by both
    # formulations alongside those of `allocator.model.families.columns`.
    columns: Callable[[Layout], Iterator[Column]] | None = None


def limits_from_rows(scenario: Scenario) -> dict[tuple[str, str], float]:
    """`Family.linking` of a family whose rows without a community (staff quotas and pools,
    yearly budgets) link groups: the decomposition reads each row's limit from the row itself
    (`allocator.model.arrays.Matrix.shared_rows`), so none is listed here."""
    return {}
