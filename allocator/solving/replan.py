"""Equation (20), the fewest changes from a plan given (`allocator.model.closeness`), in the
two ways the stages hold a model: PuLP variables and the sets formulation's arrays."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pulp

from allocator.model.arrays import INF, Matrix
from allocator.model.closeness import Closeness, Money, PostKey, Previous, closeness
from allocator.model.reference import Model
from allocator.model.terms import name_of
from allocator.scenario.schema import Community, Option


def closeness_expression(model: Model, previous: Previous) -> pulp.LpAffineExpression:
    """(20) on a PuLP model: its flags and rows added to the problem; the changes to minimise."""
    chosen = {option.id: model.chosen[i] for i, (_, option) in enumerate(model.options)}
    money = {}
    for (i, source_id), paid in model.funding.items():
        oid = model.options[i][1].id
        was = (oid, source_id) in previous.payers
        money[(oid, source_id)] = Money(paid, float(paid.upBound or 0.0), (chosen[oid],), was)
    money.update(_pooled(model.options, model.pooled, chosen, previous, model_most(model)))
    most = {v: float(v.upBound or 0.0) for v in model.extra.values()}
    spec = closeness(previous, chosen, money, _started(model.extra), _posted(model.extra, most))
    flags = {
        ("pays", *pair): model.problem.add_variable(name_of("pays", *pair), 0, 1, cat=pulp.LpBinary)
        for pair in spec.flags
    }
    flags.update({m: model.problem.add_variable(name_of(*m), 0, None) for m in spec.moves})

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
    money = {}
    for (i, source_id), j in matrix.funding.items():
        oid = matrix.options[i][1].id
        was = (oid, source_id) in previous.payers
        money[(oid, source_id)] = Money(j, matrix.col_upper[j], (chosen[oid],), was)
    most = {j: matrix.col_upper[j] for j in matrix.pooled.values()}
    money.update(_pooled(matrix.options, matrix.pooled, chosen, previous, most))
    posted = _posted(matrix.extra, {j: matrix.col_upper[j] for j in matrix.extra.values()})
    spec: Closeness = closeness(previous, chosen, money, _started(matrix.extra), posted)
    flags = {
        ("pays", *pair): matrix.column(name_of("pays", *pair), 0.0, 1.0, True)
        for pair in spec.flags
    }
    flags.update({m: matrix.column(name_of(*m), 0.0, INF) for m in spec.moves})

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


def _started(extra: dict[tuple[str, ...], Hashable]) -> dict[tuple[str, int], Hashable]:
    """The start binaries of the years' families, by (option id, year)."""
    return {(label[1], int(label[2])): v for label, v in extra.items() if label[0] == "start"}


def _posted(
    extra: dict[tuple[str, ...], Hashable], most: dict[Hashable, float]
) -> dict[PostKey, tuple[Hashable, float]]:
    """The posts each route adds to each community (and with years, in each year), by
    (community id, route, year or None): their column and the most it may be."""
    posted: dict[PostKey, tuple[Hashable, float]] = {}
    for label, v in extra.items():
        if label[0] == "posts":
            posted[(label[1], label[2], None)] = (v, most[v])
        elif label[0] == "posts_in":
            posted[(label[1], label[2], int(label[3]))] = (v, most[v])
    return posted


def model_most(model: Model) -> dict[Hashable, float]:
    return {g: float(g.upBound or 0.0) for g in model.pooled.values()}


def _pooled(
    options: list[tuple[Community, Option]],
    pooled: dict[tuple[str, str], Hashable],
    chosen: dict[str, Hashable],
    previous: Previous,
    most: dict[Hashable, float],
) -> dict[tuple[str, str], Money]:
    """Money pooled per community (C3) as payers of the community: it paid in the plan given
    when it paid any of the community's routes there."""
    routes: dict[str, list[str]] = {}
    for community, option in options:
        routes.setdefault(community.id, []).append(option.id)
    found = {}
    for (cid, source_id), g in pooled.items():
        was = any((oid, source_id) in previous.payers for oid in routes.get(cid, ()))
        ys = tuple(chosen[oid] for oid in routes.get(cid, ()))
        found[(cid, source_id)] = Money(g, most[g], ys, was)
    return found
