"""The measures of the objective in the sets formulation (`allocator.model.sets`): each
measure of the rule table's `MEASURES` as a cost vector over the formulation's columns."""

from __future__ import annotations

import numpy as np

from allocator.model.arrays import Matrix
from allocator.model.measures import payer_rank_terms
from allocator.model.rules import MEASURE
from allocator.model.sets_families import columns_by_label
from allocator.model.terms import Layout, Var, name_of
from allocator.scenario.schema import Scenario


def measure_vector(m: Matrix, scenario: Scenario, name: str) -> np.ndarray:
    """The measure `name` of the objective (`allocator.model.rules.MEASURES`, as minimised) as
    a cost vector over this formulation's columns: the table's terms read through its columns;
    money of a pooled source (C3) is its community's g_cs, counted once per community."""
    if name in ("weighted_shortfall", "total_cost"):
        return m.objective(name)
    return terms_vector(m, scenario, MEASURE[name].terms(Layout.of(scenario)))


def payer_vector(m: Matrix, scenario: Scenario) -> np.ndarray:
    """The spending of (17) by payers' rank (`allocator.model.measures.payer_rank_terms`)."""
    return terms_vector(m, scenario, payer_rank_terms(Layout.of(scenario)))


def terms_vector(m: Matrix, scenario: Scenario, terms: list[tuple[Var, float]]) -> np.ndarray:
    """Terms over the reference formulation's variables as a cost vector over this
    formulation's columns (a pooled source's money once per community, its g_cs)."""
    column = columns_by_label(m)
    position = {label: j for j, label in enumerate(m.col_names)}
    community_of = {o.id: c.id for c, o in m.options}
    vector = np.zeros(m.columns)
    pooled_seen: set[int] = set()
    for label, coef in terms:
        if label in column:
            vector[column[label]] += coef
        elif label[0] == "f" and (community_of[label[1]], label[2]) in m.pooled:
            pooled = m.pooled[(community_of[label[1]], label[2])]
            if pooled not in pooled_seen:  # the same money of the community, once
                pooled_seen.add(pooled)
                vector[pooled] += coef
        else:
            vector[position[name_of(*label)]] += coef
    return vector
