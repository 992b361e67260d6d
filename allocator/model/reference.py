"""The premises and funding plan as a mixed-integer linear program.

Sets: communities c, their options o (o in O_c), funding sources s, and the units u of each
source's scope (the county; each group; each community). H = horizon_years.

Variables, per option o:
    y_o in {0, 1}      the option is chosen
    x_o >= 0           area it adds, m2
    f_os >= 0          money from source s towards o, 万元 (only where s may pay o's kind)
    z_os in {0, 1}     s funds o (only for sources with max_options_funded)
and per community c: shortfall_c >= 0, m2.

Constraints:
 (1) min_area_o * y_o <= x_o <= max_area_o * y_o
 (2) y_o fixed to 1 or 0 where the option is locked chosen or rejected
 (3) y_o + y_p <= 1 for every excluded pair (o, p)
 (4) sum_{o in O_c} y_o <= max_options_c
 (5) capital_o = fixed_cost_o * y_o + cost_per_m2_o * x_o
     running_o = H * (annual_cost_o * y_o + annual_cost_per_m2_o * x_o)
     cost_o    = capital_o + running_o
 (6) sum_s f_os = cost_o                      (every chosen option is paid for in full)
 (7) sum_{s capital-only} f_os <= capital_o   (capital-only money pays no running costs)
 (8) f_os <= max_share_s * cost_o             (the rest is matching money)
 (9) f_os <= max_per_option_s                 (a bound on the variable)
(10) f_os <= M_os * z_os and sum_o z_os <= max_options_funded_s, where M_os is the least of
     max_per_option_s, max_share_s times o's largest cost, and the unit's budget
(11) sum_{o paid from unit u} f_os <= budget_su   for every source s and unit u of its scope
(12) sum_{o in O_c, replacing} y_o <= 1
(13) shortfall_c >= target_c - area_c, with
     area_c = existing_c * (1 - sum_{o replacing} y_o) + sum_o area_factor_o * x_o
(14) 0 <= shortfall_c <= target_c, and shortfall_c = 0 where must_meet

Objective, lexicographic (solved in two stages by `allocator.solving.lexicographic`):
 (15) minimise W = sum_c priority_c * shortfall_c
 (16) then, with W <= W* (the first stage's value), minimise C = sum_o cost_o
 (17) then, with the routes y fixed, W <= W* and C <= C*, minimise sum_os rank_s * f_os:
      money tied to one community first, then a street's or town's, then the county's;
      earmarked money (a grant with rules) before general money (`solve.payer_rank`)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pulp
from pulp import LpAffineExpression, LpConstraint, LpVariable

from allocator.scenario.schema import Community, FundingSource, Option, Scenario

LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ


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
    _rows: dict[str, LpConstraint] = field(default_factory=dict)

    def add(self, name: str, expr: LpAffineExpression, sense: int, rhs: float) -> None:
        self._rows[name] = LpConstraint(expr, sense, None, rhs)


def build_model(scenario: Scenario, formulation: str = "naive") -> Model:
    """Build equations (1)-(14); the objective is set by the solver stage.

    `formulation="naive"` (default) is the reference formulation written out above: its rows
    carry the documented meaning (a target row in m2, a budget row in 万元), which is what
    duals, IIS and re-solves with fixed choices read. `formulation="sets"` is the same MILP
    as `allocator.model.sets` builds it (tighter relaxation, the one `solve` uses), as PuLP
    objects; pooled money is in `Model.pooled`, not in `Model.funding`.
    """
    from allocator.model.sets import no_gc

    with no_gc():
        if formulation == "sets":
            return _model_from_matrix(scenario)
        if formulation != "naive":
            raise ValueError(f"unknown formulation {formulation!r}: use 'naive' or 'sets'")
        return _reference_model(scenario)


def _reference_model(scenario: Scenario) -> Model:
    options = [(c, o) for c in scenario.communities for o in c.options]
    problem = pulp.LpProblem(_safe_name(scenario.name), pulp.LpMinimize)
    chosen = [problem.add_variable(f"y{i}", cat=pulp.LpBinary) for i in range(len(options))]
    area = [problem.add_variable(f"x{i}", 0, o.max_area_m2) for i, (_, o) in enumerate(options)]
    model = Model(
        scenario=scenario,
        problem=problem,
        options=options,
        chosen=chosen,
        area=area,
        capital=[],
        running=[],
        funding={},
        shortfall={},
        weighted_shortfall=LpAffineExpression(),
        total_cost=LpAffineExpression(),
        unit_budgets={s.id: scenario.units(s) for s in scenario.funding},
    )
    _add_choice_rules(model)
    _add_costs(model)
    _add_funding(model)
    _add_budgets(model)
    _add_targets(model)
    model.problem.extend(model._rows)
    return model


def _add_choice_rules(model: Model) -> None:
    """Equations (1)-(4) and (12)."""
    index = {o.id: i for i, (_, o) in enumerate(model.options)}
    by_community: dict[str, list[int]] = {}
    for i, (community, option) in enumerate(model.options):
        y, x = model.chosen[i], model.area[i]
        by_community.setdefault(community.id, []).append(i)
        model.add(f"max_area_{i}", LpAffineExpression([(x, 1), (y, -option.max_area_m2)]), LE, 0)
        if option.min_area_m2 > 0:
            model.add(
                f"min_area_{i}", LpAffineExpression([(x, 1), (y, -option.min_area_m2)]), GE, 0
            )
        if option.locked is not None:
            y.lowBound = y.upBound = 1 if option.locked == "chosen" else 0
        for other in option.excludes:
            j = index[other]
            pair = (min(i, j), max(i, j))
            model.add(f"excl_{pair[0]}_{pair[1]}", _sum([model.chosen[k] for k in pair]), LE, 1)
    for community in model.scenario.communities:
        members = by_community.get(community.id, [])
        if len(members) > community.max_options:
            ys = [model.chosen[i] for i in members]
            model.add(f"max_options_{community.id}", _sum(ys), LE, community.max_options)
        replacing = [model.chosen[i] for i in members if model.options[i][1].replaces_existing]
        if len(replacing) > 1:
            model.add(f"one_replacing_{community.id}", _sum(replacing), LE, 1)


def _add_costs(model: Model) -> None:
    """Equation (5) as expressions, and the total cost C of (16)."""
    years = model.scenario.horizon_years
    total: dict[LpVariable, float] = {}
    for i, (_, option) in enumerate(model.options):
        y, x = model.chosen[i], model.area[i]
        capital = [(y, option.fixed_cost), (x, option.cost_per_m2)]
        running = [(y, years * option.annual_cost), (x, years * option.annual_cost_per_m2)]
        model.capital.append(LpAffineExpression([t for t in capital if t[1]]))
        model.running.append(LpAffineExpression([t for t in running if t[1]]))
        for var, coef in capital + running:
            if coef:
                total[var] = total.get(var, 0.0) + coef
    model.total_cost = LpAffineExpression(list(total.items()))


def _add_funding(model: Model) -> None:
    """Equations (6)-(10)."""
    sources = model.scenario.funding
    for i, (community, option) in enumerate(model.options):
        payers = [s for s in sources if option.kind in s.pays_for]
        cost = _cost_terms(model, i)
        money = []
        for source in payers:
            f = model.problem.add_variable(
                f"f{i}_{source.id}", 0, _funding_bound(model, i, community, source)
            )
            model.funding[(i, source.id)] = f
            money.append(f)
            if source.max_share < 1:
                share = [(var, -source.max_share * coef) for var, coef in cost]
                model.add(f"share_{i}_{source.id}", LpAffineExpression([(f, 1), *share]), LE, 0)
        negative_cost = [(var, -coef) for var, coef in cost]
        model.add(f"paid_{i}", LpAffineExpression([(f, 1) for f in money] + negative_cost), EQ, 0)
        capital_only = [model.funding[(i, s.id)] for s in payers if s.capital_only]
        if capital_only and len(model.running[i]):
            capital = [(var, -coef) for var, coef in model.capital[i].items()]
            terms = [(f, 1) for f in capital_only] + capital
            model.add(f"capital_only_{i}", LpAffineExpression(terms), LE, 0)
    for source in sources:
        if source.max_options_funded is not None:
            _add_funded_count(model, source)


def _add_funded_count(model: Model, source: FundingSource) -> None:
    """Equation (10): a source that may fund at most K options."""
    flags = []
    for (i, source_id), f in model.funding.items():
        if source_id != source.id:
            continue
        z = model.problem.add_variable(f"z{i}_{source.id}", cat=pulp.LpBinary)
        model.funded[(i, source.id)] = z
        flags.append(z)
        model.add(f"funded_{i}_{source.id}", LpAffineExpression([(f, 1), (z, -f.upBound)]), LE, 0)
    if len(flags) > (source.max_options_funded or 0):
        model.add(f"max_funded_{source.id}", _sum(flags), LE, source.max_options_funded)


def _add_budgets(model: Model) -> None:
    """Equation (11): one row per source and unit that pays for anything."""
    members: dict[tuple[str, str], list[LpVariable]] = {}
    sources = {s.id: s for s in model.scenario.funding}
    for (i, source_id), f in model.funding.items():
        unit = model.scenario.unit_of(sources[source_id], model.options[i][0])
        members.setdefault((source_id, unit), []).append(f)
    for source in model.scenario.funding:
        for unit, budget in model.unit_budgets[source.id].items():
            money = members.get((source.id, unit))
            if money:
                name = f"budget_{source.id}_{unit}"
                model.budget_rows[(source.id, unit)] = name
                model.add(name, _sum(money), LE, budget)


def _add_targets(model: Model) -> None:
    """Equations (13)-(14), and the weighted shortfall W of (15)."""
    by_community: dict[str, list[int]] = {}
    for i, (community, _) in enumerate(model.options):
        by_community.setdefault(community.id, []).append(i)
    weighted = []
    for community in model.scenario.communities:
        upper = 0.0 if community.must_meet else community.target_area_m2
        short = model.problem.add_variable(f"short_{community.id}", 0, upper)
        model.shortfall[community.id] = short
        weighted.append((short, community.priority))
        terms = [(short, 1.0)]
        for i in by_community.get(community.id, []):
            option = model.options[i][1]
            terms.append((model.area[i], option.area_factor))
            if option.replaces_existing and community.existing_area_m2:
                terms.append((model.chosen[i], -community.existing_area_m2))
        name = f"target_{community.id}"
        model.target_rows[community.id] = name
        rhs = community.target_area_m2 - community.existing_area_m2
        model.add(name, LpAffineExpression(terms), GE, rhs)
    model.weighted_shortfall = LpAffineExpression(weighted)


def _cost_terms(model: Model, i: int) -> list[tuple[LpVariable, float]]:
    merged: dict[LpVariable, float] = {}
    for expr in (model.capital[i], model.running[i]):
        for var, coef in expr.items():
            merged[var] = merged.get(var, 0.0) + coef
    return list(merged.items())


def _funding_bound(model: Model, i: int, community: Community, source: FundingSource) -> float:
    """Largest f_os can be: the per-option cap, the share of the largest cost, the budget."""
    option = model.options[i][1]
    years = model.scenario.horizon_years
    largest_capital = option.fixed_cost + option.cost_per_m2 * option.max_area_m2
    largest_cost = largest_capital + years * (
        option.annual_cost + option.annual_cost_per_m2 * option.max_area_m2
    )
    budget = model.unit_budgets[source.id][model.scenario.unit_of(source, community)]
    # max_share is a share of the whole cost (8); capital-only money is at most the capital (7).
    bounds = [source.max_share * largest_cost, budget]
    if source.capital_only:
        bounds.append(largest_capital)
    if source.max_per_option is not None:
        bounds.append(source.max_per_option)
    return min(bounds)


def _sum(variables: list[LpVariable]) -> LpAffineExpression:
    return LpAffineExpression([(v, 1) for v in variables])


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
