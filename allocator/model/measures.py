"""The measures an objective may order (`allocator.model.rules.MEASURES`), each once, as terms
over the variables of the reference formulation; the sets formulation reads them through its
own columns (`allocator.model.sets.measure_vector`)."""

from __future__ import annotations

from allocator.model.costs import is_general_money, payer_rank
from allocator.model.families import cost_terms
from allocator.model.staff import both, fs, posts_short, staff_money
from allocator.model.terms import Layout, Var, f, meets, short
from allocator.scenario.schema import FundingSource


def weighted_shortfall_terms(layout: Layout) -> list[tuple[Var, float]]:
    """W of (15): sum_c priority_c * shortfall_c."""
    return [(short(c), c.priority) for c in layout.scenario.communities]


def total_cost_terms(layout: Layout) -> list[tuple[Var, float]]:
    """C of (16): sum_o cost_o."""
    total: dict[Var, float] = {}
    for r in layout.routes:
        for label, coef in cost_terms(r, layout.scenario.horizon_years):
            total[label] = total.get(label, 0.0) + coef
    return list(total.items()) + [(fs(c, k, s), 1.0) for c, k, s, _ in staff_money(layout)]


def is_county_money(source: FundingSource) -> bool:
    """The county's own money: general money (no rule per route) of county scope. A grant of
    county scope (the region's, with its rules) is earmarked money, not the county's."""
    return source.scope == "county" and is_general_money(source)


def county_money_terms(layout: Layout) -> list[tuple[Var, float]]:
    """K of (19): sum_{o, s county money} f_os, and the county money for staff."""
    routes = [(f(r.option, s), 1.0) for r in layout.routes for s in r.payers if is_county_money(s)]
    staff = [(fs(c, k, s), 1.0) for c, k, s, _ in staff_money(layout) if is_county_money(s)]
    return routes + staff


def communities_meeting_terms(layout: Layout) -> list[tuple[Var, float]]:
    """-N of (18): minus the count of communities meeting their target (minimised)."""
    return [(meets(c), -1.0) for c in layout.scenario.communities]


def posts_short_terms(layout: Layout) -> list[tuple[Var, float]]:
    """P of (21): the staff posts still short, sum_c posts_short_c."""
    if layout.scenario.staffing is None:
        return []
    return [(posts_short(c), 1.0) for c in layout.scenario.communities]


def communities_meeting_both_terms(layout: Layout) -> list[tuple[Var, float]]:
    """-B of (27): minus the count of communities meeting both standards (minimised)."""
    return [(both(c), -1.0) for c in layout.scenario.communities]


def payer_rank_terms(layout: Layout) -> list[tuple[Var, float]]:
    """The spending of (17) that settles who pays when plans tie: each source's money for
    routes and staff weighted by its rank (`allocator.model.costs.payer_rank`; lower is spent
    first)."""
    funding = layout.scenario.funding
    rank = {s.id: payer_rank(s, i) for i, s in enumerate(funding)}
    routes = [(f(r.option, s), rank[s.id]) for r in layout.routes for s in r.payers]
    staff = [(fs(c, k, s), rank[s.id]) for c, k, s, _ in staff_money(layout)]
    return routes + staff
