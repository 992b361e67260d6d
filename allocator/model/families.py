"""The instances of each rule family of `allocator.model.rules`: one function a family, in the
order of the equations, each yielding the scenario's rules with their rows and bounds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from allocator.model.costs import capital_coefs, cost_coefs, funding_bound_wan, running_coefs
from allocator.model.staff import fs, staff_money
from allocator.model.terms import (
    Bound,
    Instance,
    Layout,
    Loc,
    Route,
    Row,
    Sense,
    Var,
    f,
    meets,
    name_of,
    short,
    x,
    y,
    z,
)
from allocator.scenario.schema import COUNTY_UNIT, Community, FundingSource, Scenario
from allocator.scenario.years import running_years


@dataclass(frozen=True)
class Column:
    """A variable of the reference formulation with the bounds that define it."""

    var: Var
    lower: float
    upper: float
    integer: bool = False
    pays: tuple[str, str] | None = None  # (source, unit) of the budget its money counts in
    community: str | None = None  # the community whose column it is (None: county-wide)


def columns(layout: Layout) -> Iterator[Column]:
    """y_o, x_o, f_os, z_os and shortfall_c, with the bounds of (1), (9)-(10) and (14)."""
    scenario = layout.scenario
    for route in layout.routes:
        option = route.option
        yield Column(y(option), 0.0, 1.0, True)
        yield Column(x(option), 0.0, option.max_area_m2)
        for source in route.payers:
            budget = scenario.units(source)[scenario.unit_of(source, route.community)]
            bound = funding_bound_wan(option, source, scenario.horizon_years, budget)
            yield Column(f(option, source), 0.0, bound)
            if source.max_options_funded is not None:
                yield Column(z(option, source), 0.0, 1.0, True)
    for community in scenario.communities:
        yield Column(short(community), 0.0, community.target_area_m2)


def cost_terms(route: Route, years: int) -> list[tuple[Var, float]]:
    """cost_o of (5) over y_o and x_o (a bridge lease's rent over its own years)."""
    return _terms(route, cost_coefs(route.option, _rent_years(route, years)))


def capital_terms(route: Route) -> list[tuple[Var, float]]:
    return _terms(route, capital_coefs(route.option))


def running_terms(route: Route, years: int) -> list[tuple[Var, float]]:
    return _terms(route, running_coefs(route.option, _rent_years(route, years)))


def _rent_years(route: Route, years: int) -> int:
    """`years`, or a bridge lease's years until its building is ready (租赁过渡)."""
    return running_years(route.community, route.option, years)


def _terms(route: Route, coefs: tuple[float, float]) -> list[tuple[Var, float]]:
    pairs = ((y(route.option), coefs[0]), (x(route.option), coefs[1]))
    return [(var, coef) for var, coef in pairs if coef]


def _route_rule(
    family: str,
    route: Route,
    field: str | None,
    text: str,
    *,
    rows: tuple[Row, ...] = (),
    bounds: tuple[Bound, ...] = (),
) -> Instance:
    """A rule on one route, set at `field` of its entry (the entry itself when None)."""
    loc = route.loc if field is None else (*route.loc, field)
    return Instance(family, (route.option.id,), loc, text, rows=rows, bounds=bounds,
                    community=route.community.id, option=route.option.id)  # fmt: skip


def _source_rule(
    family: str,
    si: int,
    source: FundingSource,
    text: str,
    *,
    rows: tuple[Row, ...] = (),
    bounds: tuple[Bound, ...] = (),
) -> Instance:
    """A rule of funding source `si`, set at its field named like the family."""
    return Instance(family, (source.id,), ("funding", si, family), text, rows=rows,
                    bounds=bounds, source=source.id)  # fmt: skip


# --- (1)-(4), (12): which routes, how much area ------------------------------------------
def area_when_chosen_rules(layout: Layout) -> Iterator[Instance]:
    for r in layout.routes:
        o = r.option
        row = Row(name_of("area", o.id), ((x(o), 1.0), (y(o), -o.max_area_m2)), Sense.LE, 0.0)
        yield _route_rule(
            "area_when_chosen", r, None, f"{r.label} adds area only if chosen", rows=(row,)
        )


def max_area_rules(layout: Layout) -> Iterator[Instance]:
    for r in layout.routes:
        o = r.option
        counted = f", counted at {o.area_factor:g}" if o.area_factor < 1 else ""
        text = f"{r.label} adds at most {o.max_area_m2:g} m2{counted}"
        bound = Bound(x(o), 0.0, o.max_area_m2)
        yield _route_rule("max_area", r, "max_area_m2", text, bounds=(bound,))


def min_area_rules(layout: Layout) -> Iterator[Instance]:
    for r in layout.routes:
        o = r.option
        if o.min_area_m2 <= 0:
            continue
        words = "all or nothing" if o.min_area_m2 >= o.max_area_m2 else "if chosen"
        text = f"{r.label} adds at least {o.min_area_m2:g} m2 ({words})"
        row = Row(name_of("min_area", o.id), ((x(o), 1.0), (y(o), -o.min_area_m2)), Sense.GE, 0)
        yield _route_rule("min_area", r, "min_area_m2", text, rows=(row,))


def locked_rules(layout: Layout) -> Iterator[Instance]:
    for r in layout.routes:
        o = r.option
        if o.locked is None:
            continue
        verb = "must be taken" if o.locked == "chosen" else "may not be used"
        value = 1.0 if o.locked == "chosen" else 0.0
        yield _route_rule(
            "locked",
            r,
            "locked",
            f"{r.label} is locked {o.locked}: it {verb}",
            bounds=(Bound(y(o), value, value),),
        )


def locked_allows(community: Community, chosen: frozenset[str]) -> bool:
    return all((o.id in chosen) == (o.locked == "chosen") for o in community.options if o.locked)


def excludes_rules(layout: Layout) -> Iterator[Instance]:
    position = {r.option.id: k for k, r in enumerate(layout.routes)}
    seen: set[tuple[str, str]] = set()
    for r in layout.routes:
        for other in r.option.excludes:
            pair = tuple(sorted((r.option.id, other), key=position.__getitem__))
            if pair in seen:
                continue
            seen.add(pair)
            terms = ((("y", pair[0]), 1.0), (("y", pair[1]), 1.0))
            row = Row(name_of("excludes", *pair), terms, Sense.LE, 1.0)
            text = f"routes {r.option.id} and {other} of {r.community.id} exclude each other"
            yield Instance(
                "excludes",
                pair,
                (*r.loc, "excludes"),
                text,
                rows=(row,),
                community=r.community.id,
                option=r.option.id,
            )


def excludes_allows(community: Community, chosen: frozenset[str]) -> bool:
    return not any(o.id in chosen and chosen.intersection(o.excludes) for o in community.options)


def max_options_rules(layout: Layout) -> Iterator[Instance]:
    for ci, c in enumerate(layout.scenario.communities):
        if len(c.options) <= c.max_options:
            continue
        raw = layout.raw_communities[ci] if ci < len(layout.raw_communities) else {}
        in_entry = isinstance(raw, dict) and "max_options" in raw
        loc = (
            ("communities", ci, "max_options")
            if in_entry
            else ("defaults", "max_options_per_community")
        )
        terms = tuple((y(o), 1.0) for o in c.options)
        row = Row(name_of("max_options", c.id), terms, Sense.LE, float(c.max_options))
        yield Instance(
            "max_options",
            (c.id,),
            loc,
            f"{c.name} ({c.id}) may combine at most {c.max_options} routes",
            rows=(row,),
            community=c.id,
        )


def max_options_allows(community: Community, chosen: frozenset[str]) -> bool:
    return len(chosen) <= community.max_options


def one_replacing_rules(layout: Layout) -> Iterator[Instance]:
    for ci, c in enumerate(layout.scenario.communities):
        replacing = [o for o in c.options if o.replaces_existing]
        if len(replacing) <= 1:
            continue
        row = Row(
            name_of("one_replacing", c.id), tuple((y(o), 1.0) for o in replacing), Sense.LE, 1.0
        )
        text = f"{c.name} ({c.id}): at most one route may replace the existing premises"
        yield Instance(
            "one_replacing",
            (c.id,),
            ("communities", ci, "options"),
            text,
            rows=(row,),
            community=c.id,
        )


def one_replacing_allows(community: Community, chosen: frozenset[str]) -> bool:
    return sum(o.replaces_existing for o in community.options if o.id in chosen) <= 1


# --- (6)-(11): who pays ------------------------------------------------------------------
def paid_rules(layout: Layout) -> Iterator[Instance]:
    years = layout.scenario.horizon_years
    for r in layout.routes:
        o = r.option
        money = [(f(o, s), 1.0) for s in r.payers]
        cost = [(var, -coef) for var, coef in cost_terms(r, years)]
        row = Row(name_of("paid", o.id), tuple(money + cost), Sense.EQ, 0.0)
        yield _route_rule("paid", r, None, f"{r.label} is paid for in full", rows=(row,))


def capital_only_rules(layout: Layout) -> Iterator[Instance]:
    years = layout.scenario.horizon_years
    rows: dict[str, Row] = {}
    for r in layout.routes:
        payers = [s for s in r.payers if s.capital_only]
        if payers and running_terms(r, years):
            capital = [(var, -coef) for var, coef in capital_terms(r)]
            terms = tuple([(f(r.option, s), 1.0) for s in payers] + capital)
            rows[r.option.id] = Row(name_of("capital_only", r.option.id), terms, Sense.LE, 0.0)
    for si, s in _sources(layout.scenario, lambda s: s.capital_only):
        mine = tuple(rows[r.option.id] for r in _paid_by(layout, s) if r.option.id in rows)
        if mine:
            text = f"{s.name} ({s.id}) pays one-off costs only, no rent or running costs"
            yield _source_rule("capital_only", si, s, text, rows=mine)


def max_share_rules(layout: Layout) -> Iterator[Instance]:
    years = layout.scenario.horizon_years
    for si, s in _sources(layout.scenario, lambda s: s.max_share < 1):
        rows = []
        for r in _paid_by(layout, s):
            share = [(var, -s.max_share * coef) for var, coef in cost_terms(r, years)]
            terms = ((f(r.option, s), 1.0), *share)
            rows.append(Row(name_of("max_share", r.option.id, s.id), terms, Sense.LE, 0.0))
        if rows:
            text = (
                f"{s.name} ({s.id}) pays at most {s.max_share:.0%} of a route's cost; "
                "the rest needs matching money"
            )
            yield _source_rule("max_share", si, s, text, rows=tuple(rows))


def max_per_option_rules(layout: Layout) -> Iterator[Instance]:
    for si, s in _sources(layout.scenario, lambda s: s.max_per_option is not None):
        cap = float(s.max_per_option or 0.0)
        bounds = tuple(Bound(f(r.option, s), 0.0, cap) for r in _paid_by(layout, s))
        if bounds:
            text = f"{s.name} ({s.id}) pays at most {cap:g} 万元 towards one route"
            yield _source_rule("max_per_option", si, s, text, bounds=bounds)


def funded_rules(layout: Layout) -> Iterator[Instance]:
    scenario = layout.scenario
    for s in scenario.funding:
        if s.max_options_funded is None:
            continue
        for r in _paid_by(layout, s):
            budget = scenario.units(s)[scenario.unit_of(s, r.community)]
            big_m = funding_bound_wan(r.option, s, scenario.horizon_years, budget)
            terms = ((f(r.option, s), 1.0), (z(r.option, s), -big_m))
            row = Row(name_of("funded", r.option.id, s.id), terms, Sense.LE, 0.0)
            yield Instance(
                "funded",
                (r.option.id, s.id),
                r.loc,
                f"{s.id} funds {r.option.id} only if it counts it",
                rows=(row,),
                option=r.option.id,
                source=s.id,
            )


def max_options_funded_rules(layout: Layout) -> Iterator[Instance]:
    for si, s in _sources(layout.scenario, lambda s: s.max_options_funded is not None):
        most = s.max_options_funded or 0
        flags = tuple((z(r.option, s), 1.0) for r in _paid_by(layout, s))
        if len(flags) <= most:
            continue
        row = Row(name_of("max_options_funded", s.id), flags, Sense.LE, float(most))
        yield _source_rule(
            "max_options_funded",
            si,
            s,
            f"{s.name} ({s.id}) funds at most {most} routes",
            rows=(row,),
        )


def budget_rules(layout: Layout) -> Iterator[Instance]:
    scenario = layout.scenario
    staff = list(staff_money(layout))
    for si, s in enumerate(scenario.funding):
        members: dict[str, list[tuple[Var, float]]] = {}
        for r in _paid_by(layout, s):
            unit = scenario.unit_of(s, r.community)
            members.setdefault(unit, []).append((f(r.option, s), 1.0))
        for c, kind, payer, unit in staff:  # staff and pay come off the same budgets
            if payer is s:
                members.setdefault(unit, []).append((fs(c, kind, s), 1.0))
        for unit, budget in scenario.units(s).items():
            if unit not in members:
                continue
            row = Row(name_of("budget", s.id, unit), tuple(members[unit]), Sense.LE, budget)
            where = "" if unit == COUNTY_UNIT else f" for {unit}"
            yield Instance(
                "budget",
                (s.id, unit),
                budget_loc(scenario, si, unit),
                f"{s.name} ({s.id}) has {budget:g} 万元{where}",
                rows=(row,),
                source=s.id,
                unit=unit,
            )


def max_options_funded_linking(scenario: Scenario) -> dict[tuple[str, str], float]:
    """A source's count of funded routes spans every group it pays in."""
    return {
        ("max_options_funded", s.id): float(s.max_options_funded)
        for s in scenario.funding
        if s.max_options_funded is not None
    }


def budget_linking(scenario: Scenario) -> dict[tuple[str, str], float]:
    """A county-wide budget is shared by every group; a group's or community's is its own."""
    return {("budget", s.id): s.budget or 0.0 for s in scenario.funding if s.scope == "county"}


# --- (13)-(14): targets ------------------------------------------------------------------
def target_rules(layout: Layout) -> Iterator[Instance]:
    routes_of: dict[str, list[Route]] = {}
    for r in layout.routes:
        routes_of.setdefault(r.community.id, []).append(r)
    for ci, c in enumerate(layout.scenario.communities):
        terms: list[tuple[Var, float]] = [(short(c), 1.0)]
        for r in routes_of.get(c.id, []):
            if r.option.bridges:  # a bridge lease counts only until its building is ready
                continue
            terms.append((x(r.option), r.option.area_factor))
            if r.option.replaces_existing and c.existing_area_m2:
                terms.append((y(r.option), -c.existing_area_m2))
        rhs = c.target_area_m2 - c.existing_area_m2
        row = Row(name_of("target", c.id), tuple(terms), Sense.GE, rhs)
        text = f"{c.name} ({c.id}) needs {c.target_area_m2:g} m2 (it has {c.existing_area_m2:g} m2)"
        yield Instance(
            "target",
            (c.id,),
            ("communities", ci, "target_area_m2"),
            text,
            rows=(row,),
            community=c.id,
        )


def must_meet_rules(layout: Layout) -> Iterator[Instance]:
    for ci, c in enumerate(layout.scenario.communities):
        if not c.must_meet:
            continue
        text = (
            f"{c.name} ({c.id}) is a demonstration site: it must reach its target of "
            f"{c.target_area_m2:g} m2 (it has {c.existing_area_m2:g} m2)"
        )
        yield Instance(
            "must_meet",
            (c.id,),
            ("communities", ci, "must_meet"),
            text,
            bounds=(Bound(short(c), 0.0, 0.0),),
            community=c.id,
        )


# --- helpers -----------------------------------------------------------------------------
def _sources(scenario: Scenario, keep: object) -> Iterator[tuple[int, FundingSource]]:
    return ((si, s) for si, s in enumerate(scenario.funding) if keep(s))  # type: ignore[operator]


def _paid_by(layout: Layout, source: FundingSource) -> list[Route]:
    return [r for r in layout.routes if source in r.payers]


def budget_loc(scenario: Scenario, si: int, unit: str) -> Loc:
    """Where the file sets the budget of source `si` in `unit`."""
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


# --- (18): the communities meeting their target, when the objective counts them -----------
COUNTED = "communities_meeting"


def counts_meeting(scenario: Scenario) -> bool:
    """Does the scenario's objective count the communities meeting their target?"""
    return COUNTED in (scenario.objective or ())


def meets_columns(layout: Layout) -> Iterator[Column]:
    """meets_c in {0, 1} per community, only when the objective counts them."""
    if counts_meeting(layout.scenario):
        for c in layout.scenario.communities:
            yield Column(meets(c), 0.0, 1.0, True, community=c.id)


def meets_target_rules(layout: Layout) -> Iterator[Instance]:
    """(18) shortfall_c <= target_c * (1 - meets_c): a community counts only at no shortfall."""
    if not counts_meeting(layout.scenario):
        return
    for ci, c in enumerate(layout.scenario.communities):
        terms = ((short(c), 1.0), (meets(c), c.target_area_m2))
        row = Row(name_of("meets", c.id), terms, Sense.LE, c.target_area_m2)
        yield Instance(
            "meets_target",
            (c.id,),
            ("communities", ci, "target_area_m2"),
            f"{c.name} ({c.id}) counts as meeting its target only with no m2 short",
            rows=(row,),
            community=c.id,
        )
