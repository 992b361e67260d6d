"""The staffing families of the rule table (`allocator.model.rules`), equations (21)-(26):
posts per community, the three routes to a post, and the money staff and pay take from the
same budgets as premises (`allocator.scenario.staffing` for the format).

Variables: posts_ck >= 0 whole posts community c gains by route k (add_post, recruit; dispatch
in {0, 1}); posts_short_c >= 0; fs_cks >= 0 万元 source s pays towards c's staff kind k
(add_post, recruit, pay_rise). H = horizon_years, kappa_k the cost per post-year of route k,
rho_c the pay rise per person-year of c (12 x 元 a month / 10^4).

With `years` (`allocator.model.staff_years`): posts_in_ckt whole posts route k adds to c in
year t (a first secretary sent in t); fsy_ckst >= 0 万元 s pays towards c's staff kind k in
year t. A post is in post from its year on (a first secretary for term_years, when given):
    in_post_ckt = sum_{t' <= t, in post in t} posts_in_ckt',   posts_ck = in_post_c,k,last;
the money of kind k in year t is kappa_k in_post_ckt, the pay rise's rho_c (posts_now_c +
in_post_c,add_post,t + in_post_c,recruit,t) from the year it starts.
"""

from __future__ import annotations

from collections.abc import Iterator

from allocator.model.terms import Layout, Var
from allocator.scenario.schema import Community, FundingSource, Scenario
from allocator.scenario.staffing import PAID_STAFF_KINDS, STAFF_ROUTES


def posts(community: Community, route: str) -> Var:
    return ("posts", community.id, route)


def posts_short(community: Community) -> Var:
    return ("posts_short", community.id)


def fs(community: Community, kind: str, source: FundingSource) -> Var:
    return ("fs", community.id, kind, source.id)


def posts_in(community: Community, route: str, year: int) -> Var:
    return ("posts_in", community.id, route, str(year))


def fsy(community: Community, kind: str, source: FundingSource, year: int) -> Var:
    return ("fsy", community.id, kind, source.id, str(year))


def both(community: Community) -> Var:
    return ("both", community.id)


def gap_posts(scenario: Scenario, community: Community) -> int:
    """Posts the community lacks now: its target less its posts now, at least 0."""
    return max(0, scenario.posts_target(community) - (community.posts_now or 0))


def route_open(scenario: Scenario, community: Community, route: str) -> int:
    """The most posts route `route` may add to `community` (0: the route is closed to it)."""
    staffing = scenario.staffing
    gap = gap_posts(scenario, community)
    if staffing is None or gap == 0:
        return 0
    if route == "add_post" and staffing.add_post is not None:
        quota = staffing.add_post.quota
        return gap if quota is None else min(gap, quota)
    if route == "dispatch" and staffing.dispatch is not None:
        pool = staffing.dispatch.pool
        return 1 if pool is None else min(1, pool)
    if route == "recruit" and staffing.recruit is not None:
        most = staffing.recruit.most
        return gap if most is None else min(gap, most)
    return 0


def cost_per_post_year_wan(scenario: Scenario, route: str) -> float:
    """kappa_k: 万元 a post of route k costs a year (a first secretary costs the plan nothing)."""
    staffing = scenario.staffing
    if route == "add_post" and staffing and staffing.add_post:
        return staffing.add_post.cost_per_post_year
    if route == "recruit" and staffing and staffing.recruit:
        return staffing.recruit.cost_per_person_year
    return 0.0


def pay_rise_wan(scenario: Scenario, community: Community) -> float:
    """rho_c: the pay rise per person and year of `community`, 万元."""
    staffing = scenario.staffing
    if staffing is None or staffing.pay_rise is None:
        return 0.0
    return staffing.pay_rise.per_person_year_wan(scenario.group_of(community).kind)


def staff_cost_terms(
    scenario: Scenario, community: Community, kind: str
) -> list[tuple[Var, float]]:
    """What c's staff kind costs over the horizon, as terms over the posts (the pay rise on the
    posts there are now is the constant `committed_pay_wan`)."""
    years = scenario.horizon_years
    if kind == "pay_rise":
        rise = years * pay_rise_wan(scenario, community)
        paid = ("add_post", "recruit")
        return [(posts(community, k), rise) for k in paid if route_open(scenario, community, k)]
    cost = years * cost_per_post_year_wan(scenario, kind)
    return [(posts(community, kind), cost)] if route_open(scenario, community, kind) else []


def committed_pay_wan(scenario: Scenario, community: Community) -> float:
    """The pay rise on the cadres in post now over the horizon, 万元: committed money."""
    return scenario.horizon_years * pay_rise_wan(scenario, community) * (community.posts_now or 0)


def staff_payers(scenario: Scenario, kind: str) -> list[FundingSource]:
    return [s for s in scenario.funding if kind in s.pays_for]


def money_kinds(scenario: Scenario, community: Community) -> list[str]:
    """The staff kinds of `community` that cost money in this plan."""
    kinds = []
    for kind in PAID_STAFF_KINDS:
        costs = staff_cost_terms(scenario, community, kind)
        if any(coef for _, coef in costs) or (
            kind == "pay_rise" and committed_pay_wan(scenario, community) > 0
        ):
            kinds.append(kind)
    return kinds


def largest_staff_cost_wan(scenario: Scenario, community: Community, kind: str) -> float:
    most = {k: route_open(scenario, community, k) for k in STAFF_ROUTES}
    terms = staff_cost_terms(scenario, community, kind)
    constant = committed_pay_wan(scenario, community) if kind == "pay_rise" else 0.0
    return constant + sum(coef * most[label[2]] for label, coef in terms)


def staff_money(layout: Layout) -> Iterator[tuple[Community, str, FundingSource, str]]:
    """(community, kind, source, unit) of every fs column: who may pay each staff cost."""
    scenario = layout.scenario
    if scenario.staffing is None:
        return
    for c in scenario.communities:
        for kind in money_kinds(scenario, c):
            for s in staff_payers(scenario, kind):
                yield c, kind, s, scenario.unit_of(s, c)


def in_post(scenario: Scenario, route: str, started: int, year: int) -> bool:
    """Is a post of `route` added in `started` in post in `year`? From its year on; a first
    secretary for `dispatch.term_years` years when given."""
    staffing = scenario.staffing
    term = (
        staffing.dispatch.term_years
        if staffing and route == "dispatch" and staffing.dispatch
        else None
    )
    return started <= year and (term is None or year < started + term)


def in_post_terms(
    scenario: Scenario, community: Community, route: str, year: int
) -> list[tuple[Var, float]]:
    """in_post_ckt: the posts of `route` in post in `year`, over the posts_in columns."""
    return [(posts_in(community, route, t), 1.0) for t in scenario.years or ()
            if in_post(scenario, route, t, year)]  # fmt: skip


def pays_rise_in(scenario: Scenario, year: int) -> bool:
    """Is the pay rise paid in `year` (from `pay_rise.from_year`, default the first year)?"""
    rise = scenario.staffing.pay_rise if scenario.staffing else None
    return rise is not None and (rise.from_year is None or year >= rise.from_year)


def staff_cash_terms(
    scenario: Scenario, community: Community, kind: str, year: int
) -> tuple[list[tuple[Var, float]], float]:
    """What c's staff kind costs in `year`: terms over the posts_in columns and a constant (the
    pay rise on the cadres in post now)."""
    if kind == "pay_rise":
        if not pays_rise_in(scenario, year):
            return [], 0.0
        rise = pay_rise_wan(scenario, community)
        paid = [k for k in ("add_post", "recruit") if route_open(scenario, community, k)]
        terms = [(label, rise) for k in paid
                 for label, _ in in_post_terms(scenario, community, k, year)]  # fmt: skip
        return terms, rise * (community.posts_now or 0)
    cost = cost_per_post_year_wan(scenario, kind)
    if not route_open(scenario, community, kind):
        return [], 0.0
    return [(label, cost) for label, _ in in_post_terms(scenario, community, kind, year)], 0.0
