"""The rules that hold one community's plan where it is, in planner terms.

A rule binds here when it is a decision rule of the model (`allocator.model.rules`) with a row
or bound on this community's routes or shortfall that is at its limit in the plan: a budget
spent in full, a route at its largest area, an exclusion with one side taken, a share or cap
a source pays in full, a count of funded routes reached, a lock. A new family is read here as
it is written in the table; only budgets, exclusions and areas get words of their own.
must_meet binds when, without it, this community would fall short (one more re-solve). For
`allocator.analysis.explanation`.
"""

from __future__ import annotations

from dataclasses import dataclass

from allocator.model.rules import decision_rules
from allocator.model.terms import Instance, Sense, Var
from allocator.plan import CommunityResult, Plan
from allocator.scenario.edits import with_community
from allocator.scenario.schema import Community, Scenario

_TOL = 1e-5


@dataclass(frozen=True)
class BindingRule:
    """A rule that holds this community's plan where it is."""

    rule: str
    text: str
    option: str | None = None
    source: str | None = None
    unit: str | None = None
    value: float | None = None


def binding_rules(
    scenario: Scenario,
    plan: Plan,
    community: Community,
    result: CommunityResult,
    solver: str,
    time_limit: float | None,
) -> list[BindingRule]:
    """Every decision rule of the model (`allocator.model.rules`) that touches this
    community's routes and is at its limit in the plan; must_meet by a re-solve."""
    values = _plan_values(plan)
    mine = {("short", community.id)} | {
        label for o in community.options for label in (("y", o.id), ("x", o.id))
    }
    rules = []
    for instance in decision_rules(scenario):
        if instance.family == "must_meet":
            continue
        tight = _tight_parts(instance, values, mine)
        if tight:
            rules.append(_binding(scenario, instance, tight, values, result))
    if community.must_meet:
        rules += _must_meet_rule(scenario, plan, community, solver, time_limit)
    return _unique([rule for rule in rules if rule is not None])


def _plan_values(plan: Plan) -> dict[Var, float]:
    """The plan's decisions as the model's variables: y, x, f, z and shortfall."""
    values: dict[Var, float] = {}
    for c in plan.community_results:
        values[("short", c.id)] = c.shortfall_m2
        for o in c.options:
            values[("y", o.id)] = 1.0
            values[("x", o.id)] = o.area_m2
            for source_id, amount in o.funding.items():
                values[("f", o.id, source_id)] = amount
                values[("z", o.id, source_id)] = 1.0 if amount > _TOL else 0.0
    return values


def _touches(var: Var, mine: set[Var]) -> bool:
    """Is `var` one of this community's (its routes' y, x, f, z, or its shortfall)?"""
    return (var[0], var[1]) in mine or ("y", var[1]) in mine


def _tight_parts(instance: Instance, values: dict[Var, float], mine: set[Var]) -> list[Var]:
    """The variables of this community in the rows and bounds of `instance` that are at
    their limit in the plan (empty when none is)."""
    tight: list[Var] = []
    for row in instance.rows:
        own = [var for var, _ in row.terms if _touches(var, mine)]
        if not own or row.sense == Sense.EQ:
            continue
        activity = sum(coef * values.get(var, 0.0) for var, coef in row.terms)
        limit_hit = abs(activity - row.rhs) <= _TOL * max(1.0, abs(row.rhs))
        if limit_hit and any(values.get(var, 0.0) > _TOL for var, _ in row.terms):
            tight.extend(own)
    for bound in instance.bounds:
        if _touches(bound.var, mine):
            value = values.get(bound.var, 0.0)
            if bound.lower == bound.upper or value >= bound.upper - _TOL:
                tight.append(bound.var)
    return tight


def _binding(
    scenario: Scenario,
    instance: Instance,
    tight: list[Var],
    values: dict[Var, float],
    result: CommunityResult,
) -> BindingRule | None:
    """The rule in the words of a planner reading one community's plan."""
    family = instance.family
    if family == "excludes":
        taken = [oid for oid in instance.key if values.get(("y", oid), 0.0) > 0.5]
        other = next(oid for oid in instance.key if oid not in taken)
        return BindingRule("excludes", f"{taken[0]} excludes {other}", option=other)
    if family == "budget":
        used = _budget_used(instance, values)
        budget = instance.rows[0].rhs
        where = "" if instance.unit == "county" else f" for {instance.unit}"
        name = next(s.name for s in scenario.funding if s.id == instance.source)
        text = f"{name} ({instance.source}) is spent in full{where}: {used:g} of {budget:g} 万元"
        return BindingRule("budget", text, source=instance.source, unit=instance.unit, value=budget)
    if family == "max_area" and values.get(tight[0], 0.0) > _TOL:
        option = instance.option
        whole = any(o.id == option and o.area_m2 > 0 for o in result.options)
        return BindingRule(
            "max_area",
            f"{instance.text} and is used to its largest area" if whole else instance.text,
            option=option,
        )
    if family == "max_area":
        return None
    # A rule of a source held at one route (its share, its cap) names the route.
    option = instance.option or next((var[1] for var in tight if var[0] == "f"), None)
    return BindingRule(family, f"{instance.text} (at its limit in this plan)", option=option,
                       source=instance.source, unit=instance.unit)  # fmt: skip


def _budget_used(instance: Instance, values: dict[Var, float]) -> float:
    return round(sum(coef * values.get(var, 0.0) for var, coef in instance.rows[0].terms), 6)


def _must_meet_rule(
    scenario: Scenario, plan: Plan, community: Community, solver: str, time_limit: float | None
) -> list[BindingRule]:
    """must_meet binds when, without it, this community would fall short."""
    from allocator.solving.lexicographic import solve

    free = solve(
        with_community(scenario, community.id, must_meet=False),
        solver=solver,
        time_limit=time_limit,
    )
    if not free.status.has_plan:
        return []
    short = next(c for c in free.community_results if c.id == community.id).shortfall_m2
    if short <= _TOL:
        return [
            BindingRule(
                "must_meet",
                "must_meet holds but does not bind: the plan would meet the target here anyway",
                value=0.0,
            )
        ]
    gain = plan.weighted_shortfall - free.weighted_shortfall
    return [
        BindingRule(
            "must_meet",
            f"must_meet binds: without it this community would fall "
            f"{short:g} m2 short and the money would cut the weighted shortfall "
            f"elsewhere by {gain:g} m2",
            value=short,
        )
    ]


def _unique(rules: list[BindingRule]) -> list[BindingRule]:
    seen, unique = set(), []
    for rule in rules:
        key = (rule.rule, rule.text)
        if key not in seen:
            seen.add(key)
            unique.append(rule)
    return unique
