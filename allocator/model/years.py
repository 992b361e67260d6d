"""The years of the plan (`allocator.scenario.years` for the format): rule families (28)-(31)
of `allocator.model.rules`, only for a scenario with `years`.

Variables, per route o and year t it may start in: start_ot in {0, 1} (o starts in t),
xs_ot >= 0 (m2 of o, started in t); per route, source and year: fy_ost >= 0 万元 s pays in
year t towards o's cash that year. The cash of o in year t is its one-off cost if it starts
then and its running cost (rent) in every year from its start:
    cash_ot = fixed_o start_ot + cost_per_m2_o xs_ot
              + annual_o sum_{t' <= t} start_ot' + annual_per_m2_o sum_{t' <= t} xs_ot'.
Staff (`allocator.model.staff_years`) pay in each year for the posts in post then (fsy_ckst).
"""

from __future__ import annotations

from collections.abc import Iterator

from allocator.model.costs import largest_cost_wan
from allocator.model.families import Column
from allocator.model.family import Family, Role, limits_from_rows
from allocator.model.staff import fsy, staff_money
from allocator.model.terms import (
    Instance,
    Layout,
    Route,
    Row,
    Sense,
    Var,
    f,
    name_of,
    short,
    x,
    y,
)
from allocator.scenario.schema import COUNTY_UNIT, Community, FundingSource, Option, Scenario
from allocator.scenario.years import (
    building_of,
    capital_share,
    in_service,
    pays_rent,
    start_years,
)


def start(option: Option, year: int) -> Var:
    return ("start", option.id, str(year))


def xs(option: Option, year: int) -> Var:
    return ("xs", option.id, str(year))


def fy(option: Option, source: FundingSource, year: int) -> Var:
    return ("fy", option.id, source.id, str(year))


def cash_terms(
    route: Route, year: int, scenario: Scenario, *, running: bool = True
) -> list[tuple[Var, float]]:
    """cash_ot: what route o costs in `year`, over its start and area columns: its one-off
    cost's share for the year (`capital_profile`, all in the start year by default) and, with
    `running`, its running cost in every year from its start (a bridge lease's until its
    building is ready; without `running`: the one-off part)."""
    o = route.option
    terms: list[tuple[Var, float]] = []
    for t in start_years(scenario, o):
        if t > year:
            continue
        rent = running and pays_rent(route.community, o, t, year)
        fixed, per_m2 = (o.annual_cost, o.annual_cost_per_m2) if rent else (0.0, 0.0)
        share = capital_share(scenario, o, t, year)
        terms += [(start(o, t), share * o.fixed_cost + fixed),
                  (xs(o, t), share * o.cost_per_m2 + per_m2)]  # fmt: skip
    return [(label, coef) for label, coef in terms if coef]


def year_columns(layout: Layout) -> Iterator[Column]:
    """start_ot, xs_ot and fy_ost, with years only."""
    scenario = layout.scenario
    if not scenario.years:
        return
    for r in layout.routes:
        o, c = r.option, r.community.id
        for t in start_years(scenario, o):
            yield Column(start(o, t), 0.0, 1.0, True, community=c)
            yield Column(xs(o, t), 0.0, o.max_area_m2, community=c)
        for s in r.payers:
            for t in scenario.years:
                yield Column(fy(o, s, t), 0.0, largest_cost_wan(o, 1), community=c)


def start_year_rules(layout: Layout) -> Iterator[Instance]:
    """(28) sum_t start_ot = y_o, sum_t xs_ot = x_o, xs_ot <= max_area_o start_ot."""
    scenario = layout.scenario
    if not scenario.years:
        return
    for r in layout.routes:
        o = r.option
        years = start_years(scenario, o)
        rows = [
            Row(name_of("start", o.id), (*((start(o, t), 1.0) for t in years), (y(o), -1.0)),
                Sense.EQ, 0.0),
            Row(name_of("start_area", o.id), (*((xs(o, t), 1.0) for t in years), (x(o), -1.0)),
                Sense.EQ, 0.0),
            *(Row(name_of("start_area", o.id, str(t)),
                  ((xs(o, t), 1.0), (start(o, t), -o.max_area_m2)), Sense.LE, 0.0)
              for t in years),
        ]  # fmt: skip
        text = f"{r.label} starts in one year of {years or 'none'} (ready by the last year)"
        yield Instance("start_year", (o.id,), (*r.loc, "earliest_start"), text, rows=tuple(rows),
                       community=r.community.id, option=o.id)  # fmt: skip


def paid_by_year_rules(layout: Layout) -> Iterator[Instance]:
    """(29) sum_s fy_ost = cash_ot each year; sum_t fy_ost <= f_os (a source pays in the years
    at most its part of the route's money); capital-only money pays one-off costs only."""
    scenario = layout.scenario
    if not scenario.years:
        return
    for r in layout.routes:
        o = r.option
        rows = []
        for t in scenario.years:
            cash = [(label, -coef) for label, coef in cash_terms(r, t, scenario)]
            money = [(fy(o, s, t), 1.0) for s in r.payers]
            rows.append(Row(name_of("paid_in", o.id, str(t)), tuple(money + cash), Sense.EQ, 0.0))
            for s in r.payers:
                if s.capital_only:
                    capital = [(lb, -c) for lb, c in cash_terms(r, t, scenario, running=False)]
                    terms = ((fy(o, s, t), 1.0), *capital)
                    rows.append(Row(name_of("capital_in", o.id, s.id, str(t)), terms, Sense.LE, 0))
        for s in r.payers:
            terms = (*((fy(o, s, t), 1.0) for t in scenario.years), (f(o, s), -1.0))
            rows.append(Row(name_of("paid_years", o.id, s.id), terms, Sense.LE, 0.0))
        yield Instance("paid_by_year", (o.id,), r.loc, f"{r.label} is paid year by year",
                       rows=tuple(rows), community=r.community.id, option=o.id)  # fmt: skip


def budget_by_year_rules(layout: Layout) -> Iterator[Instance]:
    """(30) per source with budget_by_year, unit u and year t: what u spends in t (routes' cash
    and the staff money of the year) <= the year's budget; with carry_over, cumulatively."""
    scenario = layout.scenario
    if not scenario.years:
        return
    staff = list(staff_money(layout))
    for si, s in enumerate(scenario.funding):
        if not s.budget_by_year:
            continue
        spent: dict[str, dict[int, list[tuple[Var, float]]]] = {}
        for r in layout.routes:
            if s in r.payers:
                unit = scenario.unit_of(s, r.community)
                for t in scenario.years:
                    spent.setdefault(unit, {}).setdefault(t, []).append((fy(r.option, s, t), 1.0))
        for c, kind, payer, unit in staff:  # what s pays in t for the posts in post then
            if payer is s:
                for t in scenario.years:
                    spent.setdefault(unit, {}).setdefault(t, []).append((fsy(c, kind, s, t), 1.0))
        for unit, by_year in spent.items():
            rows, so_far, budget = [], [], 0.0
            for t in scenario.years:
                amount = s.budget_by_year.get(t, 0.0)
                if s.carry_over:
                    so_far += by_year.get(t, [])
                    budget += amount
                    terms, rhs = _merged(so_far), budget
                else:
                    terms, rhs = _merged(by_year.get(t, [])), amount
                if terms:
                    rows.append(Row(name_of("budget_in", s.id, unit, str(t)), terms, Sense.LE, rhs))
            where = "" if unit == COUNTY_UNIT else f" for {unit}"
            carry = ", money left carried over" if s.carry_over else ""
            text = f"{s.name} ({s.id}) has {dict(s.budget_by_year)} 万元 a year{where}{carry}"
            yield Instance("budget_by_year", (s.id, unit), ("funding", si, "budget_by_year"), text,
                           rows=tuple(rows), source=s.id, unit=unit)  # fmt: skip


def _merged(terms: list[tuple[Var, float]]) -> tuple[tuple[Var, float], ...]:
    """Each variable once, its coefficients added (staff money counts in every year so far)."""
    merged: dict[Var, float] = {}
    for label, coef in terms:
        merged[label] = merged.get(label, 0.0) + coef
    return tuple(merged.items())


def due_year_rules(layout: Layout) -> Iterator[Instance]:
    """(31) a community with due_year d reaches its target with the area in service at d:
    sum_o af_o sum_{t in T_od} xs_ot - existing_c sum_{o replacing} sum_{t in T_od} start_ot
    >= target_c - existing_c, T_od the starts with t + lag_o <= d (for a bridge lease b of
    building B, also d < t + lag_B: it counts until B is ready)."""
    scenario = layout.scenario
    if not scenario.years:
        return
    routes_of: dict[str, list[Route]] = {}
    for r in layout.routes:
        routes_of.setdefault(r.community.id, []).append(r)
    for ci, c in enumerate(scenario.communities):
        if c.due_year is None:
            continue
        terms: list[tuple[Var, float]] = []
        for r in routes_of.get(c.id, []):
            o = r.option
            for t in start_years(scenario, o):
                if in_service(c, o, t, c.due_year):
                    terms.append((xs(o, t), o.area_factor))
                    if o.replaces_existing and c.existing_area_m2:
                        terms.append((start(o, t), -c.existing_area_m2))
        rhs = c.target_area_m2 - c.existing_area_m2
        if not terms and rhs <= 0:
            continue
        terms = terms or [(short(c), 0.0)]  # no route ready in time: the row cannot hold
        row = Row(name_of("due", c.id), tuple(terms), Sense.GE, rhs)
        text = f"{c.name} ({c.id}) must reach {c.target_area_m2:g} m2 by the end of {c.due_year}"
        yield Instance("due_year", (c.id,), ("communities", ci, "due_year"), text, rows=(row,),
                       community=c.id)  # fmt: skip


def bridge_rules(layout: Layout) -> Iterator[Instance]:
    """(32) a bridge lease b (租赁过渡) of building B starts with it: start_bt <= start_Bt for
    each year t (no start_Bt where B cannot start in t), hence y_b <= y_B."""
    scenario = layout.scenario
    if not scenario.years:
        return
    for r in layout.routes:
        building = building_of(r.community, r.option)
        if building is None:
            continue
        b, own = r.option, set(start_years(scenario, building))
        rows = tuple(
            Row(name_of("bridge", b.id, str(t)),
                ((start(b, t), 1.0), *(((start(building, t), -1.0),) if t in own else ())),
                Sense.LE, 0.0)
            for t in start_years(scenario, b)
        )  # fmt: skip
        text = f"{r.label} bridges {building.id}: taken only with it, started the same year"
        yield Instance("bridge", (b.id,), (*r.loc, "bridges"), text, rows=rows,
                       community=r.community.id, option=b.id)  # fmt: skip


def bridge_allows(community: Community, chosen: frozenset[str]) -> bool:
    """A bridge lease only with the building it bridges."""
    return all(o.bridges in chosen for o in community.options if o.id in chosen and o.bridges)


# The years' families of the table (`allocator.model.rules.FAMILIES`), equations (28)-(31).
YEAR_FAMILIES: tuple[Family, ...] = (
    Family(
        "start_year",
        "(28)",
        "sum_t start_ot = y_o, sum_t xs_ot = x_o, xs_ot <= max_area_o start_ot: a route taken "
        "starts in one year of its window, ready (ready_after years on) by the last year",
        start_year_rules,
        role=Role.STRUCTURE,
        columns=year_columns,
    ),
    Family(
        "paid_by_year",
        "(29)",
        "sum_s fy_ost = cash_ot (one-off cost in the start year, rent every year from it); "
        "sum_t fy_ost <= f_os; capital-only money pays one-off costs only",
        paid_by_year_rules,
        role=Role.STRUCTURE,
    ),
    Family(
        "budget_by_year",
        "(30)",
        "sum_o fy_ost + sum_ck fsy_ckst <= budget_by_year_st for each unit and year (with "
        "carry_over: summed over the years so far)",
        budget_by_year_rules,
        drop_rank=16,
        linking=limits_from_rows,  # a county-wide source's yearly rows
        repairable_with_money=False,
    ),
    Family(
        "due_year",
        "(31)",
        "the area ready by a community's due_year reaches its target (xs_ot with t + "
        "ready_after_o <= due_year; a bridge lease's until its building is ready)",
        due_year_rules,
        drop_rank=17,
    ),
    Family(
        "bridge",
        "(32)",
        "start_bt <= start_Bt: a bridge lease b (租赁过渡) is taken only with its building B "
        "and starts with it; its rent is paid and its area counts until B is ready, not at "
        "the end (cost_b counts its rent over ready_after_B years; target_c leaves x_b out)",
        bridge_rules,
        role=Role.STRUCTURE,
        allows=bridge_allows,
    ),
)
