"""Staff year by year, with `years`: the year each post is added, the staff money of each year
and the per-year limits of the three routes (quota_by_year, pool_by_year, most_by_year), as
rows of the staffing families of `allocator.model.staff_rules` (variables and costs:
`allocator.model.staff`).

(21y) posts_ck = in_post_c,k,last (every post added by the last year and still in post: a
      first secretary only within his term), in_post_c,dispatch,t <= 1 with a term;
(25y) sum_s fsy_ckst = cash_ckt each year (kappa_k in_post_ckt; the pay rise rho_c (posts_now
      + in_post add_post + in_post recruit) from pay_rise.from_year), sum_t fsy_ckst <= fs_cks
      (a source pays in the years at most its part of the staff money: the campaign's cost
      counts every post over horizon_years whatever its year, as a route's rent); the pay
      rise's rows are those of its own family (26), which the conflict search may name;
(22y) sum_c posts_in_c,add_post,t <= quota_by_year_t;  (23y) sum_c in_post_c,dispatch,t <=
      pool_by_year_t, and over the campaign sum_ct posts_in_c,dispatch,t <= pool;
(24y) sum_c posts_in_c,recruit,t <= most_by_year_t.
"""

from __future__ import annotations

from collections.abc import Iterator

from allocator.model.families import Column
from allocator.model.staff import (
    fs,
    fsy,
    in_post_terms,
    largest_staff_cost_wan,
    posts,
    posts_in,
    route_open,
    staff_cash_terms,
    staff_money,
)
from allocator.model.terms import Instance, Layout, Row, Sense, Var, name_of
from allocator.scenario.schema import Community, FundingSource
from allocator.scenario.staffing import BY_YEAR_FIELDS, STAFF_ROUTES


def staff_year_columns(layout: Layout) -> Iterator[Column]:
    """posts_in_ckt (whole posts; a first secretary 0 or 1) and fsy_ckst, with staffing and
    years only."""
    scenario = layout.scenario
    if scenario.staffing is None or not scenario.years:
        return
    for c in scenario.communities:
        for route in STAFF_ROUTES:
            most = route_open(scenario, c, route)
            for t in scenario.years if most else ():
                yield Column(posts_in(c, route, t), 0.0, float(most), True, community=c.id)
    years_h = scenario.horizon_years
    for c, kind, s, unit in staff_money(layout):
        most = min(scenario.units(s)[unit], largest_staff_cost_wan(scenario, c, kind) / years_h)
        for t in scenario.years:
            yield Column(fsy(c, kind, s, t), 0.0, most, community=c.id)


def _post_rows(layout: Layout, c: Community) -> list[Row]:
    scenario = layout.scenario
    last = scenario.years[-1]
    rows = []
    for route in STAFF_ROUTES:
        if not route_open(scenario, c, route):
            continue
        terms = (*in_post_terms(scenario, c, route, last), (posts(c, route), -1.0))
        rows.append(Row(name_of("posts_in", c.id, route), terms, Sense.EQ, 0.0))
        staffing = scenario.staffing
        if route == "dispatch" and staffing.dispatch.term_years is not None:
            for t in scenario.years:
                serving = tuple(in_post_terms(scenario, c, route, t))
                rows.append(Row(name_of("serving", c.id, str(t)), serving, Sense.LE, 1.0))
    return rows


def money_rows(layout: Layout, c: Community, kind: str, payers: list[FundingSource]) -> list[Row]:
    scenario = layout.scenario
    rows = []
    for t in scenario.years:
        terms, constant = staff_cash_terms(scenario, c, kind, t)
        money = [(fsy(c, kind, s, t), 1.0) for s in payers]
        cash = [(label, -coef) for label, coef in terms if coef]
        rows.append(Row(name_of("staff_in", c.id, kind, str(t)), (*money, *cash), Sense.EQ,
                        constant))  # fmt: skip
    for s in payers:
        terms = (*((fsy(c, kind, s, t), 1.0) for t in scenario.years), (fs(c, kind, s), -1.0))
        rows.append(Row(name_of("staff_years", c.id, kind, s.id), terms, Sense.LE, 0.0))
    return rows


def staff_by_year_rules(layout: Layout) -> Iterator[Instance]:
    """(21y) and (25y) for each community: its posts by year and its staff money by year."""
    scenario = layout.scenario
    if scenario.staffing is None or not scenario.years:
        return
    payers: dict[tuple[str, str], list[FundingSource]] = {}
    for c, kind, s, _ in staff_money(layout):
        payers.setdefault((c.id, kind), []).append(s)
    kinds: dict[str, list[str]] = {}
    for c_id, kind in payers:
        kinds.setdefault(c_id, []).append(kind)
    for ci, c in enumerate(scenario.communities):
        rows = _post_rows(layout, c)
        for kind in kinds.get(c.id, []):  # the pay rise's: with its family, (26)
            if kind != "pay_rise":
                rows += money_rows(layout, c, kind, payers[(c.id, kind)])
        if rows:
            text = f"the posts of {c.name} ({c.id}) are added year by year and paid every year"
            yield Instance("staff_by_year", (c.id,), ("communities", ci, "posts_now"), text,
                           rows=tuple(rows), community=c.id)  # fmt: skip


_WORDS = {
    "add_post": ("{year} 年增编指标: the county may add at most {n} establishment posts (增编) "
                 "in {year}"),
    "dispatch": ("{year} 年下派第一书记: at most {n} first secretaries (下派) may serve in "
                 "{year}"),
    "recruit": "{year} 年招聘人数: at most {n} community workers may be recruited (招聘) in {year}",
}  # fmt: skip


def _year_terms(layout: Layout, route: str, year: int) -> tuple[tuple[Var, float], ...]:
    """What a year's limit counts: posts added in the year, first secretaries serving in it."""
    scenario = layout.scenario
    terms: list[tuple[Var, float]] = []
    for c in scenario.communities:
        if not route_open(scenario, c, route):
            continue
        if route == "dispatch":
            terms += in_post_terms(scenario, c, route, year)
        else:
            terms.append((posts_in(c, route, year), 1.0))
    return tuple(terms)


def year_limit_rules(layout: Layout, family: str, route: str) -> Iterator[Instance]:
    """(22y)-(24y): the limit of `route` in each year its `*_by_year` lists."""
    scenario = layout.scenario
    entry = getattr(scenario.staffing, route, None) if scenario.staffing else None
    field = BY_YEAR_FIELDS[route][0]
    limits = getattr(entry, field, None) if entry is not None and scenario.years else None
    for year, n in sorted((limits or {}).items()):
        terms = _year_terms(layout, route, year)
        if terms:
            row = Row(name_of(family, str(year)), terms, Sense.LE, float(n))
            text = _WORDS[route].format(year=year, n=n)
            yield Instance(family, (str(year),), ("staffing", route, field, year), text,
                           rows=(row,))  # fmt: skip


def sent_terms(layout: Layout) -> tuple[tuple[Var, float], ...]:
    """With years, the first secretaries sent over the campaign (what `pool` counts)."""
    scenario = layout.scenario
    return tuple((posts_in(c, "dispatch", t), 1.0) for c in scenario.communities
                 if route_open(scenario, c, "dispatch") for t in scenario.years)  # fmt: skip
