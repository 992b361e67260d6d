"""Equation (20), the fewest changes from a plan given (`allocator.model.closeness`), in the
two ways the stages hold a model: PuLP variables and the sets formulation's arrays."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pulp

from allocator.model.arrays import INF, Matrix
from allocator.model.closeness import Closeness, Previous, closeness
from allocator.model.reference import Model
from allocator.model.terms import name_of


def closeness_expression(model: Model, previous: Previous) -> pulp.LpAffineExpression:
    """(20) on a PuLP model: its flags and rows added to the problem; the changes to minimise."""
    chosen = {option.id: model.chosen[i] for i, (_, option) in enumerate(model.options)}
    money = {
        (model.options[i][1].id, source_id): (paid, float(paid.upBound or 0.0))
        for (i, source_id), paid in model.funding.items()
    }
    spec = closeness(previous, chosen, money)
    flags = {
        ("pays", *pair): pulp.LpVariable(name_of("pays", *pair), 0, 1, pulp.LpBinary)
        for pair in spec.flags
    }

    def var(handle: Hashable) -> pulp.LpVariable:
        return flags[handle] if isinstance(handle, tuple) else handle  # type: ignore[return-value]

    for name, terms, lower, upper in spec.rows:
        expr = pulp.LpAffineExpression([(var(h), coef) for h, coef in terms])
        if lower == -INF:
            constraint = pulp.LpConstraint(expr, pulp.LpConstraintLE, name_of(name), upper)
        else:
            constraint = pulp.LpConstraint(expr, pulp.LpConstraintGE, name_of(name), lower)
        model.problem += constraint
    return pulp.LpAffineExpression([(var(h), coef) for h, coef in spec.terms], spec.constant)


def closeness_vector(matrix: Matrix, previous: Previous) -> np.ndarray:
    """(20) on the sets formulation before it goes to HiGHS: its flags, rows and a column fixed
    at 1 that carries the constant; the changes as a cost vector."""
    chosen = {option.id: matrix.chosen[i] for i, (_, option) in enumerate(matrix.options)}
    money = {
        (matrix.options[i][1].id, source_id): (j, matrix.col_upper[j])
        for (i, source_id), j in matrix.funding.items()
    }
    spec: Closeness = closeness(previous, chosen, money)
    flags = {
        ("pays", *pair): matrix.column(name_of("pays", *pair), 0.0, 1.0, True)
        for pair in spec.flags
    }

    def column(handle: Hashable) -> int:
        return flags[handle] if isinstance(handle, tuple) else handle  # type: ignore[return-value]

    for name, terms, lower, upper in spec.rows:
        matrix.row(name_of(name), [(column(h), coef) for h, coef in terms], lower, upper)
    one = matrix.column("changes_constant", 1.0, 1.0)
    cost = np.zeros(matrix.columns)
    for handle, coef in spec.terms:
        cost[column(handle)] += coef
    cost[one] = spec.constant
    return cost
