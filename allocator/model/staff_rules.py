"""The instances of the staffing families (21)-(27) of `allocator.model.rules`, and their
columns; the variables and costs are those of `allocator.model.staff`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from allocator.model.families import Column
from allocator.model.family import Family, Role, limits_from_rows
from allocator.model.staff import (
    both,
    committed_pay_wan,
    fs,
    gap_posts,
    largest_staff_cost_wan,
    money_kinds,
    posts,
    posts_short,
    route_open,
    staff_cost_terms,
    staff_money,
)
from allocator.model.staff_years import (
    money_rows,
    sent_terms,
    staff_by_year_rules,
    staff_year_columns,
    year_limit_rules,
)
from allocator.model.terms import Instance, Layout, Row, Sense, name_of, short
from allocator.scenario.schema import Community, FundingSource
from allocator.scenario.staffing import STAFF_ROUTES

BOTH = "communities_meeting_both"


def staff_columns(layout: Layout) -> Iterator[Column]:
    """posts_ck (whole posts; dispatch 0 or 1), posts_short_c and fs_cks, with staffing only."""
    scenario = layout.scenario
    if scenario.staffing is None:
        return
    for c in scenario.communities:
        for route in STAFF_ROUTES:
            most = route_open(scenario, c, route)
            if most:
                yield Column(posts(c, route), 0.0, float(most), True, community=c.id)
        yield Column(posts_short(c), 0.0, float(gap_posts(scenario, c)), community=c.id)
    for c, kind, s, unit in staff_money(layout):
        budget = scenario.units(s)[unit]
        largest = largest_staff_cost_wan(scenario, c, kind)
        yield Column(fs(c, kind, s), 0.0, min(budget, largest), pays=(s.id, unit), community=c.id)


def staff_target_rules(layout: Layout) -> Iterator[Instance]:
    """(21) posts_short_c + sum_k posts_ck >= posts_target_c - posts_now_c."""
    scenario = layout.scenario
    if scenario.staffing is None:
        return
    for ci, c in enumerate(scenario.communities):
        gap = gap_posts(scenario, c)
        if gap == 0:
            continue
        terms = [(posts_short(c), 1.0)]
        terms += [(posts(c, k), 1.0) for k in STAFF_ROUTES if route_open(scenario, c, k)]
        row = Row(name_of("staff_target", c.id), tuple(terms), Sense.GE, float(gap))
        text = (
            f"{c.name} ({c.id}) needs {scenario.posts_target(c)} posts (it has {c.posts_now or 0})"
        )
        yield Instance("staff_target", (c.id,), ("communities", ci, "posts_now"), text,
                       rows=(row,), community=c.id)  # fmt: skip


def _county_limit(layout: Layout, family: str, route: str, limit: int | None, field: str,
                  words: str) -> Iterator[Instance]:  # fmt: skip
    scenario = layout.scenario
    if limit is None:
        return
    terms = tuple(
        (posts(c, route), 1.0) for c in scenario.communities if route_open(scenario, c, route)
    )
    if route == "dispatch" and scenario.years:  # every one sent counts, serving at the end or not
        terms = sent_terms(layout)
    if terms:
        row = Row(name_of(family, "county"), terms, Sense.LE, float(limit))
        loc = ("staffing", route, field)
        yield Instance(family, ("county",), loc, words.format(limit), rows=(row,))


# The county's staff limits, (22)-(24): family -> (route, field of its staffing entry, words).
# (The dispatch pool's "at most one a community" is the column's bound.)
_COUNTY_LIMITS = {
    "post_quota": ("add_post", "quota", "the county may add at most {} establishment posts (增编)"),
    "dispatch_pool": (
        "dispatch",
        "pool",
        "the county can send at most {} first secretaries (下派)",
    ),
    "recruit_limit": ("recruit", "most", "at most {} community workers may be recruited (招聘)"),
}


def county_limit_rules(family: str) -> Callable[[Layout], Iterator[Instance]]:
    """The rules of one of the county's staff limits: sum_c posts_ck <= its campaign-wide
    number, and each year's own (`year_limit_rules`)."""
    route, field, words = _COUNTY_LIMITS[family]

    def rules(layout: Layout) -> Iterator[Instance]:
        staffing = layout.scenario.staffing
        entry = getattr(staffing, route, None) if staffing is not None else None
        limit = getattr(entry, field, None) if entry is not None else None
        yield from _county_limit(layout, family, route, limit, field, words)
        yield from year_limit_rules(layout, family, route)

    return rules


def _payers_by(layout: Layout) -> dict[tuple[str, str], list[FundingSource]]:
    """The sources that may pay each (community, staff kind), from `staff_money` once."""
    payers: dict[tuple[str, str], list[FundingSource]] = {}
    for c, kind, s, _ in staff_money(layout):
        payers.setdefault((c.id, kind), []).append(s)
    return payers


def _paid_row(layout: Layout, c: Community, kind: str, payers: list[FundingSource]) -> Row:
    scenario = layout.scenario
    money = [(fs(c, kind, s), 1.0) for s in payers]
    cost = [(label, -coef) for label, coef in staff_cost_terms(scenario, c, kind) if coef]
    rhs = committed_pay_wan(scenario, c) if kind == "pay_rise" else 0.0
    return Row(name_of("staff_paid", c.id, kind), tuple(money + cost), Sense.EQ, rhs)


def staff_paid_rules(layout: Layout) -> Iterator[Instance]:
    """(25) sum_s fs_cks = H * kappa_k * posts_ck: added posts and recruits are paid in full."""
    scenario = layout.scenario
    if scenario.staffing is None:
        return
    payers = _payers_by(layout)
    for c in scenario.communities:
        for kind in money_kinds(scenario, c):
            if kind == "pay_rise":
                continue
            text = f"the {kind} posts of {c.name} ({c.id}) are paid for every year"
            yield Instance("staff_paid", (c.id, kind), ("staffing", kind), text,
                           rows=(_paid_row(layout, c, kind, payers.get((c.id, kind), [])),),
                           community=c.id)  # fmt: skip


def pay_rise_rules(layout: Layout) -> Iterator[Instance]:
    """(26) sum_s fs_c,pay_rise,s = H * rho_c * (posts_now_c + posts_c,add_post + posts_c,recruit):
    the pay rise of every cadre in post, committed for those there now; with years, also each
    year's (25y) from pay_rise.from_year."""
    scenario = layout.scenario
    if scenario.staffing is None or scenario.staffing.pay_rise is None:
        return
    payers = _payers_by(layout)
    for c in scenario.communities:
        if "pay_rise" not in money_kinds(scenario, c):
            continue
        committed = committed_pay_wan(scenario, c)
        text = (
            f"the pay rise of {c.name} ({c.id}) is paid: {committed:g} 万元 for the "
            f"{c.posts_now or 0} cadres in post now, and for every post added"
        )
        paying = payers.get((c.id, "pay_rise"), [])
        by_year = money_rows(layout, c, "pay_rise", paying) if scenario.years else []
        yield Instance("pay_rise", (c.id,), ("staffing", "pay_rise"), text,
                       rows=(_paid_row(layout, c, "pay_rise", paying), *by_year),
                       community=c.id)  # fmt: skip


def counts_both(layout: Layout) -> bool:
    return BOTH in (layout.scenario.objective or ())


def both_columns(layout: Layout) -> Iterator[Column]:
    if counts_both(layout):
        for c in layout.scenario.communities:
            yield Column(both(c), 0.0, 1.0, True, community=c.id)


def meets_both_rules(layout: Layout) -> Iterator[Instance]:
    """(27) shortfall_c <= target_c (1 - both_c), posts_short_c <= gap_c (1 - both_c)."""
    if not counts_both(layout):
        return
    scenario = layout.scenario
    for ci, c in enumerate(scenario.communities):
        rows = [Row(name_of("both_m2", c.id), ((short(c), 1.0), (both(c), c.target_area_m2)),
                    Sense.LE, c.target_area_m2)]  # fmt: skip
        gap = gap_posts(scenario, c)
        if scenario.staffing is not None and gap:
            terms = ((posts_short(c), 1.0), (both(c), float(gap)))
            rows.append(Row(name_of("both_posts", c.id), terms, Sense.LE, float(gap)))
        text = f"{c.name} ({c.id}) counts as meeting both standards only with nothing short"
        yield Instance("meets_both", (c.id,), ("communities", ci), text, rows=tuple(rows),
                       community=c.id)  # fmt: skip


# The staffing families of the table (`allocator.model.rules.FAMILIES`), equations (21)-(27).
STAFF_FAMILIES: tuple[Family, ...] = (
    Family(
        "staff_target",
        "(21)",
        "posts_short_c + sum_k posts_ck >= posts_target_c - posts_now_c, k in add_post (增编), "
        "dispatch (下派, 0 or 1), recruit (招聘); whole posts",
        staff_target_rules,
        role=Role.STRUCTURE,
        columns=staff_columns,
    ),
    Family(
        "staff_by_year",
        "(21y)",
        "with years: posts_ck = the posts_in_ckt added by the last year and in post then (a "
        "first secretary within term_years, one at a time); sum_s fsy_ckst = cash_ckt (the "
        "posts in post in t at their cost a year), sum_t fsy_ckst <= fs_cks",
        staff_by_year_rules,
        role=Role.STRUCTURE,
        columns=staff_year_columns,
    ),
    Family(
        "post_quota",
        "(22)",
        "sum_c posts_c,add_post <= quota: the county's quota of added posts; with years, "
        "sum_c posts_in_c,add_post,t <= quota_by_year_t",
        county_limit_rules("post_quota"),
        drop_rank=12,
        linking=limits_from_rows,
    ),
    Family(
        "dispatch_pool",
        "(23)",
        "sum_c posts_c,dispatch <= pool: first secretaries the county can send (with years: "
        "all sent); sum_c in_post_c,dispatch,t <= pool_by_year_t: those serving in t",
        county_limit_rules("dispatch_pool"),
        drop_rank=13,
        linking=limits_from_rows,
    ),
    Family(
        "recruit_limit",
        "(24)",
        "sum_c posts_c,recruit <= most: recruits over the campaign; with years, sum_c "
        "posts_in_c,recruit,t <= most_by_year_t",
        county_limit_rules("recruit_limit"),
        drop_rank=14,
        linking=limits_from_rows,
    ),
    Family(
        "staff_paid",
        "(25)",
        "sum_s fs_cks = H * cost_per_post_year_k * posts_ck: added posts and recruits are paid "
        "in full by sources that pay for their kind",
        staff_paid_rules,
        role=Role.STRUCTURE,
    ),
    Family(
        "pay_rise",
        "(26)",
        "sum_s fs_c,pay_rise,s = H * rise_c * (posts_now_c + posts_c,add_post + posts_c,recruit): "
        "the pay rise of every cadre in post is paid, committed for those in post now; with "
        "years, also each year's: the cadres in post in t from pay_rise.from_year",
        pay_rise_rules,
        drop_rank=15,
    ),
    Family(
        "meets_both",
        "(27)",
        "shortfall_c <= target_c (1 - both_c), posts_short_c <= gap_c (1 - both_c): a community "
        "meets both standards only with no m2 and no post short (when the objective counts them)",
        meets_both_rules,
        role=Role.STRUCTURE,
        columns=both_columns,
    ),
)
