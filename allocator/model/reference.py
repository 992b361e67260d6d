"""The reference formulation of the plan, through PuLP: equations (1)-(14) of docs/model.md.

Its columns and rows are those of the rule table (`allocator.model.rules`), named by ids
("budget.county.county", "y.xinxing~build"); its rows carry the documented meaning (a target
row in m2, a budget row in 万元), which is what duals, IIS and re-solves with fixed choices
read. The objectives (15)-(17) are set by the solve stages (`allocator.solving.lexicographic`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pulp
from pulp import LpAffineExpression, LpConstraint, LpVariable

from allocator.model.families import capital_terms, columns, running_terms
from allocator.model.rules import FAMILIES, MEASURE
from allocator.model.terms import Instance, Layout, Sense, Var, f, name_of, short, x, y
from allocator.scenario.schema import Community, Option, Scenario

_ROUTE_VARIABLES = ("y", "x", "f", "z", "short")
LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ
_SENSE = {Sense.LE: LE, Sense.GE: GE, Sense.EQ: EQ}


@dataclass
class Model:
    """The MILP with its variables indexed by scenario ids."""

    scenario: Scenario
    problem: pulp.LpProblem
    options: list[tuple[Community, Option]]
    chosen: list[LpVariable]
    area: list[LpVariable]
    capital: list[LpAffineExpression]
    running: list[LpAffineExpression]
    funding: dict[tuple[int, str], LpVariable]
    shortfall: dict[str, LpVariable]
    weighted_shortfall: LpAffineExpression
    total_cost: LpAffineExpression
    unit_budgets: dict[str, dict[str, float]] = field(default_factory=dict)
    budget_rows: dict[tuple[str, str], str] = field(default_factory=dict)
    target_rows: dict[str, str] = field(default_factory=dict)
    funded: dict[tuple[int, str], LpVariable] = field(default_factory=dict)
    pooled: dict[tuple[str, str], LpVariable] = field(default_factory=dict)
    matrix: Any = None  # the allocator.model.sets.Matrix a "sets" model was made from
    rules: list[Instance] = field(default_factory=list)  # the reference formulation's rules
    # The variables of the families with columns of their own (staff posts and money, counts).
    extra: dict[Var, LpVariable] = field(default_factory=dict)


def build_model(scenario: Scenario, formulation: str = "naive") -> Model:
    """Build equations (1)-(14); the objective is set by the solver stage.

    `formulation="naive"` (default) is the reference formulation written out above: its rows
    carry the documented meaning (a target row in m2, a budget row in 万元), which is what
    duals, IIS and re-solves with fixed choices read. `formulation="sets"` is the same MILP
    as `allocator.model.sets` builds it (tighter relaxation, the one `solve` uses), as PuLP
    objects; pooled money is in `Model.pooled`, not in `Model.funding`.
    """
    from allocator.model.arrays import no_gc

    with no_gc():
        if formulation == "sets":
            return _model_from_matrix(scenario)
        if formulation != "naive":
            raise ValueError(f"unknown formulation {formulation!r}: use 'naive' or 'sets'")
        return _reference_model(scenario)


def _reference_model(scenario: Scenario) -> Model:
    """Equations (1)-(14): the columns and the rows of every rule family of the table."""
    layout = Layout.of(scenario)
    rules = _by_route([rule for family in FAMILIES for rule in family.instances(layout)])
    problem = pulp.LpProblem(_safe_name(scenario.name), pulp.LpMinimize)
    var = _columns(problem, layout, rules)
    rows: dict[str, LpConstraint] = {}
    for rule in rules:
        for row in rule.rows:
            if row.name not in rows:  # a row two rules share (capital-only money) is one row
                expr = LpAffineExpression([(var[label], coef) for label, coef in row.terms])
                rows[row.name] = LpConstraint(expr, _SENSE[row.sense], None, row.rhs)
    problem.extend(rows)
    years = scenario.horizon_years
    funding = {
        (i, s.id): var[f(r.option, s)] for i, r in enumerate(layout.routes) for s in r.payers
    }

    def expression(terms: list[tuple[Var, float]]) -> LpAffineExpression:
        return LpAffineExpression([(var[label], coef) for label, coef in terms])

    return Model(
        scenario=scenario,
        problem=problem,
        options=[(r.community, r.option) for r in layout.routes],
        chosen=[var[y(r.option)] for r in layout.routes],
        area=[var[x(r.option)] for r in layout.routes],
        capital=[expression(capital_terms(r)) for r in layout.routes],
        running=[expression(running_terms(r, years)) for r in layout.routes],
        funding=funding,
        shortfall={c.id: var[short(c)] for c in scenario.communities},
        weighted_shortfall=expression([(short(c), c.priority) for c in scenario.communities]),
        total_cost=expression(MEASURE["total_cost"].terms(layout)),
        unit_budgets={s.id: scenario.units(s) for s in scenario.funding},
        budget_rows={rule.key: rule.rows[0].name for rule in rules if rule.family == "budget"},
        target_rows={rule.key[0]: rule.rows[0].name for rule in rules if rule.family == "target"},
        funded={
            (i, sid): var[("z", oid, sid)]
            for (i, sid), _ in funding.items()
            for oid in [layout.routes[i].option.id]
            if ("z", oid, sid) in var
        },
        rules=rules,
        extra={label: v for label, v in var.items() if label[0] not in _ROUTE_VARIABLES},
    )


def _by_route(rules: list[Instance]) -> list[Instance]:
    """The rules in the file's order of communities and routes (each route's rows together,
    the rules of no one community last), the table's order of families within a route.

    HiGHS's path through a model depends on the order of its rows: on the county the first
    stage takes about 0.2 s in this order and 0.45 s family by family (the same rows; on random
    provinces neither order is faster in general). This is the order the model had before the
    rule table, the one docs/performance.md measured."""
    place: dict[tuple[str | None, str | None], int] = {}
    for rule in rules:
        if rule.community is not None:
            place.setdefault((rule.community, None), len(place))
            place.setdefault((rule.community, rule.option), len(place))
    last = len(place)
    return sorted(rules, key=lambda rule: place.get((rule.community, rule.option), last))


def _columns(
    problem: pulp.LpProblem, layout: Layout, rules: list[Instance]
) -> dict[Var, LpVariable]:
    """The variables, each bounded by its definition and by every rule's bound on it."""
    bounds = {}
    integer = {}
    own = [column for family in FAMILIES if family.columns for column in family.columns(layout)]
    for column in [*columns(layout), *own]:
        bounds[column.var] = (column.lower, column.upper)
        integer[column.var] = column.integer
    for rule in rules:
        for bound in rule.bounds:
            low, high = bounds[bound.var]
            bounds[bound.var] = (max(low, bound.lower), min(high, bound.upper))
    var = {}
    for label, (low, high) in bounds.items():
        if integer[label]:
            v = problem.add_variable(name_of(*label), cat=pulp.LpBinary)
            v.lowBound, v.upBound = low, high
        else:
            v = problem.add_variable(name_of(*label), low, high)
        var[label] = v
    return var


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in name) or "scenario"


def _model_from_matrix(scenario: Scenario) -> Model:
    """The sets formulation (allocator.model.sets) as PuLP variables and constraints."""
    from allocator.model.sets import build_matrix

    matrix = build_matrix(scenario)
    problem = pulp.LpProblem(_safe_name(scenario.name), pulp.LpMinimize)
    make_variable, make_row = _makers()
    columns = [
        make_variable(name, low, high, pulp.LpInteger if integer else pulp.LpContinuous)
        for name, low, high, integer in zip(
            matrix.col_names, matrix.col_lower, matrix.col_upper, matrix.col_integer, strict=True
        )
    ]
    rows: dict[str, LpConstraint] = {}
    starts, index, value = matrix.starts, matrix.index, matrix.value
    for r, name in enumerate(matrix.row_names):
        low, high = matrix.row_lower[r], matrix.row_upper[r]
        terms = [(columns[index[k]], value[k]) for k in range(starts[r], starts[r + 1])]
        if low == high:
            rows[name] = make_row(terms, EQ, low)
        elif high == float("inf"):
            rows[name] = make_row(terms, GE, low)
        else:
            rows[name] = make_row(terms, LE, high)
    problem.extend(rows)

    def expression(terms: list[tuple[int, float]] | dict[int, float]) -> LpAffineExpression:
        items = terms.items() if isinstance(terms, dict) else terms
        return LpAffineExpression([(columns[j], coef) for j, coef in items])

    return Model(
        scenario=scenario,
        problem=problem,
        options=matrix.options,
        chosen=[columns[j] for j in matrix.chosen],
        area=[columns[j] for j in matrix.area],
        capital=[expression(t) for t in matrix.capital],
        running=[expression(t) for t in matrix.running],
        funding={key: columns[j] for key, j in matrix.funding.items()},
        shortfall={cid: columns[j] for cid, j in matrix.shortfall.items()},
        weighted_shortfall=expression(matrix.shortfall_cost),
        total_cost=expression(matrix.money_cost),
        unit_budgets=matrix.unit_budgets,
        budget_rows={key: matrix.row_names[r] for key, r in matrix.budget_rows.items()},
        target_rows={cid: matrix.row_names[r] for cid, r in matrix.target_rows.items()},
        funded={key: columns[j] for key, j in matrix.funded.items()},
        pooled={key: columns[j] for key, j in matrix.pooled.items()},
        matrix=matrix,
        extra={label: columns[j] for label, j in matrix.extra.items()},
    )


def _makers() -> tuple[Any, Any]:
    """Makers of PuLP variables and rows from values already checked (names safe, bounds
    finite or infinite, coefficients numbers): PuLP's own constructors re-check each one,
    which is most of the time of a large model (4.7 s of 6.2 at 10,000 communities).

    They set the same attributes as PuLP's constructors; if this PuLP sets others, the
    ordinary constructors are used."""

    def variable(name: str, low: float, high: float, cat: str) -> LpVariable:
        var = LpVariable(name, low, high, cat, _skip_v4_deprecation=True)
        return var

    def row(terms: list[tuple[LpVariable, float]], sense: int, rhs: float) -> LpConstraint:
        return LpConstraint(LpAffineExpression(terms), sense, None, rhs)

    probe_var = variable("probe", 0.0, 1.0, pulp.LpContinuous)
    probe_row = row([(probe_var, 1.0)], LE, 1.0)
    var_keys = {
        "_LpElement__name",
        "hash",
        "modified",
        "lowBound",
        "upBound",
        "cat",
        "varValue",
        "dj",
        "_lowbound_original",
        "_upbound_original",
    }
    row_keys = {"expr", "_LpConstraint__name", "constant", "sense", "pi", "slack", "modified"}
    expr_keys = {"_LpAffineExpression__name", "constant"}
    if (
        set(vars(probe_var)) != var_keys
        or set(vars(probe_row)) != row_keys
        or set(vars(probe_row.expr)) != expr_keys
    ):
        return variable, row
    new_var, new_row, new_expr = LpVariable.__new__, LpConstraint.__new__, dict.__new__

    def fast_variable(name: str, low: float, high: float, cat: str) -> LpVariable:
        var = new_var(LpVariable)
        low_bound = None if low == -math.inf else low
        high_bound = None if high == math.inf else high
        var.__dict__.update(
            _LpElement__name=name,
            hash=id(var),
            modified=True,
            lowBound=low_bound,
            upBound=high_bound,
            cat=cat,
            varValue=None,
            dj=None,
            _lowbound_original=low_bound,
            _upbound_original=high_bound,
        )
        return var

    def fast_row(terms: list[tuple[LpVariable, float]], sense: int, rhs: float) -> LpConstraint:
        expr = new_expr(LpAffineExpression)
        dict.__init__(expr, terms)
        expr.__dict__.update(_LpAffineExpression__name=None, constant=0.0)
        constraint = new_row(LpConstraint)
        constraint.__dict__.update(
            expr=expr,
            _LpConstraint__name=None,
            constant=-rhs,
            sense=sense,
            pi=None,
            slack=None,
            modified=True,
        )
        return constraint

    return fast_variable, fast_row


def measure_expression(model: Model, name: str) -> LpAffineExpression:
    """The measure `name` of the objective (`allocator.model.rules.MEASURES`), as minimised:
    W and C as the model has them; the others from the table's terms over the variables (the
    sets formulation's columns, `allocator.model.sets.measure_vector`, for a "sets" model)."""
    if name == "weighted_shortfall":
        return model.weighted_shortfall
    if name == "total_cost":
        return model.total_cost
    variables = model.problem.variablesDict()
    if model.matrix is not None:
        from allocator.model.sets_measures import measure_vector

        vector = measure_vector(model.matrix, model.scenario, name)
        names = model.matrix.col_names
        return LpAffineExpression(
            [(variables[names[j]], float(vector[j])) for j in vector.nonzero()[0]]
        )
    return terms_expression(model, MEASURE[name].terms(Layout.of(model.scenario)))


def terms_expression(model: Model, terms: list[tuple[Var, float]]) -> LpAffineExpression:
    """Terms over the reference formulation's variables (by label) as an expression."""
    variables = model.problem.variablesDict()
    # A variable in no row (posts short where none are) is not in the problem's list.
    variables.update({name_of(*label): v for label, v in model.extra.items()})
    return LpAffineExpression([(variables[name_of(*label)], coef) for label, coef in terms])
