"""The sets formulation of the plan, built as arrays (no modelling layer).

Same plans, same two objectives as the reference formulation of
`allocator.model.reference` (equations
(1)-(16) there), with a linear relaxation much closer to the plans themselves:

(C1) per community c, one weight lambda_cS >= 0 for every set S of its options that may be
     chosen together (at most max_options, excludes, locks and one replacing option respected;
     for a must_meet community, only sets that can reach the target):
         sum_S lambda_cS = 1,        y_o = sum_{S containing o} lambda_cS
     Equations (3), (4) and (12) then hold by construction and are left out. With y integer,
     exactly one lambda is 1.
(C2) the target row with the area of whole parts capped at the target: with
         A_S = (existing_c unless S replaces it) + sum_{o in S} area_factor_o * min_area_o
         d_S = max(0, target_c - A_S)     (what S still lacks at its least areas)
     shortfall_c + (area S adds beyond its least areas, counted) >= sum_S d_S * lambda_cS.
     A bridge lease (租赁过渡) adds no area at the end of the plan: it is left out of A_S and
     of the area beyond (its area counts in the due-year row alone).
     For a chosen set this is equation (13) (or slack when the set's whole parts reach the
     target); in the relaxation, a fraction of a whole storey no longer counts as area.
(C3) money of a source with no rule per option (pays for every kind, max_share 1, no caps,
     not capital only) pooled per community: g_cs >= 0 replaces f_os for o in c, with
         sum_{s per option} f_os <= cost_o                                 (each o)
         sum_s g_cs + sum_o sum_{s per option} f_os = sum_o cost_o        (each c)
     The split of g_cs over the community's options is read back after the solve (any split
     that covers each option's remaining cost is valid, and one always exists).
(C4) bounds on money scaled by the choice: f_os <= U_os * y_o where U_os is the least of
     max_per_option, the unit's budget and max_share times the option's largest cost (and
     f_os <= U_os * z_os, z_os <= y_o for sources with max_options_funded).
(C5) a community's own money follows its set: for a source of community scope,
         money_cs <= sum_S min(budget_cs, most s can pay towards S) * lambda_cS
     (a fraction of a set takes only that fraction of the community's own money).

In (C2) the area a set adds beyond its least areas is counted per set: e_So, with
    e_So <= min(max_o - min_o, d_S / area_factor_o) * lambda_cS,  sum_o area_factor_o e_So
    <= d_S * lambda_cS,  x_o - min_area_o * y_o >= sum_S e_So,
so the target row reads shortfall_c + sum_{S,o} area_factor_o * e_So >= sum_S d_S lambda_cS:
for each set, the convex hull of its plans (a fraction of a set no longer borrows area from
another set that has more than it needs).

Communities with more than MAX_SETS allowed sets keep equations (3), (4), (12) and (13).
Columns and rows the two formulations share are named alike (`allocator.model.terms.name_of`).
"""

from __future__ import annotations

from itertools import combinations

from allocator.model.arrays import INF, Matrix, no_gc
from allocator.model.costs import (
    capital_coefs,
    cost_coefs,
    funding_bound_wan,
    is_general_money,
    largest_cost_wan,
    running_coefs,
)
from allocator.model.families import counts_meeting
from allocator.model.rules import may_combine
from allocator.model.sets_families import add_other_families, add_own_columns
from allocator.model.terms import name_of
from allocator.scenario.schema import Community, FundingSource, Option, Scenario
from allocator.scenario.years import running_years

MAX_SETS = 64  # above this many allowed sets, a community keeps the reference rows


def build_matrix(scenario: Scenario) -> Matrix:
    """The combinations formulation (C1)-(C5) with equations (1), (2), (5)-(11), (14)."""
    with no_gc():
        return _build_matrix(scenario)


def _build_matrix(scenario: Scenario) -> Matrix:
    m = Matrix(options=[(c, o) for c in scenario.communities for o in c.options])
    m.unit_budgets = {s.id: scenario.units(s) for s in scenario.funding}
    # With years, money is paid route by route and year by year (allocator.model.years): none
    # is pooled per community.
    pooled = [s for s in scenario.funding if is_general_money(s) and not scenario.years]
    pooled_sources = pooled
    option_sources = [s for s in scenario.funding if s not in pooled]
    m.pooled_sources = [s.id for s in pooled_sources]
    first = 0
    for community in scenario.communities:
        count = len(community.options)
        start = m.columns
        _add_community(m, scenario, community, first, pooled_sources, option_sources)
        m.community_columns[community.id] = (start, m.columns)
        first += count
    add_own_columns(m, scenario)
    _add_budgets(m, scenario)
    add_other_families(m, scenario)
    if counts_meeting(scenario):
        _add_meeting_sets(m, scenario)
    return m


def _add_meeting_sets(m: Matrix, scenario: Scenario) -> None:
    """(18) from the sets: a community meets its target only with a set that reaches it,
        meets_c <= sum_{S reaching at its least areas} lambda_cS + sum_{S reaching beyond} mu_cS
    with, for a set whose variable parts must add d_S m2 beyond its least areas,
        mu_cS <= lambda_cS,   sum_o area_factor_o * e_So >= d_S * mu_cS
    (the hull of each set's plans that meet: tighter than the family's row, which the table
    adds as for the reference formulation)."""
    position = {name: j for j, name in enumerate(m.col_names)}
    for community in scenario.communities:
        sets = m.sets.get(community.id)
        if not sets:
            continue
        meeting = []
        for number, (chosen, weight) in enumerate(sets):
            if largest_area_m2(community, chosen) < community.target_area_m2:
                continue
            lack = community.target_area_m2 - least_area_m2(community, chosen)
            if lack <= 0:
                meeting.append((weight, -1.0))
                continue
            mu = m.column(f"meets_set_{community.id}_{number}", 0.0, 1.0)
            m.row(f"meets_set_cap_{community.id}_{number}", [(mu, 1.0), (weight, -1.0)], -INF, 0)
            extras = [
                (position[name], community.options[k].area_factor)
                for k in chosen
                if (name := f"extra_{community.id}_{number}_{k}") in position
            ]
            m.row(f"meets_set_area_{community.id}_{number}", [*extras, (mu, -lack)], 0.0, INF)
            meeting.append((mu, -1.0))
        meets_column = position[name_of("meets", community.id)]
        m.row(f"meets_sets_{community.id}", [(meets_column, 1.0), *meeting], -INF, 0.0)


def least_area_m2(community: Community, chosen: tuple[int, ...]) -> float:
    """The area a set of routes reaches at their least areas (counted at the end of the plan:
    a bridge lease not)."""
    options = community.options
    return base_area_m2(community, chosen) + sum(
        options[k].area_factor * options[k].min_area_m2 for k in chosen if not options[k].bridges
    )


def _add_community(
    m: Matrix,
    scenario: Scenario,
    community: Community,
    first: int,
    pooled_sources: list[FundingSource],
    option_sources: list[FundingSource],
) -> None:
    mine = range(first, first + len(community.options))
    for i in mine:
        option = community.options[i - first]
        _add_option_columns(m, i, option)
    sets = _allowed_sets(community)
    short = m.column(
        f"short_{community.id}", 0.0, 0.0 if community.must_meet else community.target_area_m2
    )
    m.shortfall[community.id] = short
    m.shortfall_cost[short] = community.priority
    if sets is not None and len(sets) <= MAX_SETS:
        _add_sets(m, community, first, sets, short)
    else:
        _add_reference_choice_rows(m, community, first, short)
    _add_money(m, scenario, community, first, pooled_sources, option_sources)


def _add_option_columns(m: Matrix, i: int, option: Option) -> None:
    """y_o, x_o and equations (1), (2), (5)."""
    low = high = None
    if option.locked is not None:
        low = high = 1.0 if option.locked == "chosen" else 0.0
    y = m.column(
        name_of("y", option.id), 0.0 if low is None else low, 1.0 if high is None else high, True
    )
    x = m.column(name_of("x", option.id), 0.0, option.max_area_m2)
    m.chosen.append(y)
    m.area.append(x)
    if option.min_area_m2 >= option.max_area_m2:
        m.row(name_of("area", option.id), [(x, 1.0), (y, -option.max_area_m2)], 0.0, 0.0)
    else:
        m.row(name_of("area", option.id), [(x, 1.0), (y, -option.max_area_m2)], -INF, 0.0)
        if option.min_area_m2 > 0:
            m.row(name_of("min_area", option.id), [(x, 1.0), (y, -option.min_area_m2)], 0.0, INF)


def _allowed_sets(community: Community) -> list[tuple[int, ...]] | None:
    """Every set of option positions that may be chosen together, or None if too many."""
    options = community.options
    locked = [k for k, o in enumerate(options) if o.locked == "chosen"]
    free = [k for k, o in enumerate(options) if o.locked is None]
    room = community.max_options - len(locked)
    if room < 0:
        return []
    total = sum(_n_choose(len(free), size) for size in range(min(room, len(free)) + 1))
    if total > MAX_SETS:
        return None
    sets = []
    for size in range(min(room, len(free)) + 1):
        for extra in combinations(free, size):
            chosen = tuple(sorted((*locked, *extra)))
            if not may_combine(community, frozenset(options[k].id for k in chosen)):
                continue
            reach = largest_area_m2(community, chosen)
            if community.must_meet and reach < community.target_area_m2:
                continue
            sets.append(chosen)
    return sets


def _n_choose(n: int, k: int) -> int:
    from math import comb

    return comb(n, k)


def base_area_m2(community: Community, chosen: tuple[int, ...]) -> float:
    options = community.options
    return 0.0 if any(options[k].replaces_existing for k in chosen) else community.existing_area_m2


def largest_area_m2(community: Community, chosen: tuple[int, ...]) -> float:
    """The most area the routes at positions `chosen` reach together, counted at the end of
    the plan (m2): a bridge lease not."""
    options = community.options
    return base_area_m2(community, chosen) + sum(
        options[k].area_factor * options[k].max_area_m2 for k in chosen if not options[k].bridges
    )


def _add_sets(
    m: Matrix, community: Community, first: int, sets: list[tuple[int, ...]], short: int
) -> None:
    """(C1) and (C2)."""
    cid = community.id
    options = community.options
    weights = []
    members: dict[int, list[int]] = {}
    useful: dict[int, list[int]] = {}
    target = [(short, 1.0)]
    for number, chosen in enumerate(sets):
        weight = m.column(f"set_{cid}_{number}", 0.0, 1.0)
        weights.append(weight)
        m.sets.setdefault(cid, []).append((chosen, weight))
        for k in chosen:
            members.setdefault(k, []).append(weight)
        lack = community.target_area_m2 - least_area_m2(community, chosen)
        if lack <= 0:
            continue
        target.append((weight, -lack))
        extras = []
        for k in chosen:
            option = options[k]
            if option.min_area_m2 >= option.max_area_m2 or option.bridges:
                continue
            cap = min(option.max_area_m2 - option.min_area_m2, lack / option.area_factor)
            extra = m.column(f"extra_{cid}_{number}_{k}", 0.0, cap)
            m.row(f"extra_cap_{cid}_{number}_{k}", [(extra, 1.0), (weight, -cap)], -INF, 0.0)
            useful.setdefault(k, []).append(extra)
            extras.append((extra, option.area_factor))
        if len(extras) > 1:
            m.row(f"extra_sum_{cid}_{number}", [*extras, (weight, -lack)], -INF, 0.0)
        target.extend(extras)
    m.row(f"one_set_{cid}", [(w, 1.0) for w in weights], 1.0, 1.0)
    for k in range(len(options)):
        i = first + k
        terms = [(m.chosen[i], 1.0)] + [(w, -1.0) for w in members.get(k, [])]
        m.row(f"set_link_{i}", terms, 0.0, 0.0)
    for k, extras_of_k in useful.items():
        i = first + k
        terms = [(m.area[i], 1.0), (m.chosen[i], -options[k].min_area_m2)]
        m.row(f"useful_{i}", terms + [(e, -1.0) for e in extras_of_k], 0.0, INF)
    m.target_rows[cid] = m.row(name_of("target", cid), target, 0.0, INF)


def _add_reference_choice_rows(m: Matrix, community: Community, first: int, short: int) -> None:
    """Equations (3), (4), (12), (13) as in the reference formulation."""
    options = community.options
    ids = {o.id: first + k for k, o in enumerate(options)}
    done = set()
    for k, option in enumerate(options):
        i = first + k
        for other in option.excludes:
            pair = (min(i, ids[other]), max(i, ids[other]))
            if pair not in done:
                done.add(pair)
                names = [m.options[j][1].id for j in pair]
                m.row(name_of("excludes", *names), [(m.chosen[j], 1.0) for j in pair], -INF, 1.0)
    ys = [m.chosen[first + k] for k in range(len(options))]
    if len(ys) > community.max_options:
        m.row(
            name_of("max_options", community.id),
            [(y, 1.0) for y in ys],
            -INF,
            community.max_options,
        )
    replacing = [m.chosen[first + k] for k, o in enumerate(options) if o.replaces_existing]
    if len(replacing) > 1:
        m.row(name_of("one_replacing", community.id), [(y, 1.0) for y in replacing], -INF, 1.0)
    terms = [(short, 1.0)]
    for k, option in enumerate(options):
        if option.bridges:  # counts only until its building is ready (the due-year row)
            continue
        terms.append((m.area[first + k], option.area_factor))
        if option.replaces_existing and community.existing_area_m2:
            terms.append((m.chosen[first + k], -community.existing_area_m2))
    rhs = community.target_area_m2 - community.existing_area_m2
    m.target_rows[community.id] = m.row(name_of("target", community.id), terms, rhs, INF)


def _add_money(
    m: Matrix,
    scenario: Scenario,
    community: Community,
    first: int,
    pooled_sources: list[FundingSource],
    option_sources: list[FundingSource],
) -> None:
    """Equations (5)-(10) with (C3) and (C4)."""
    years = scenario.horizon_years
    units = {s.id: scenario.unit_of(s, community) for s in scenario.funding}
    community_cost: list[tuple[int, float]] = []
    paid_per_option: list[tuple[int, float]] = []
    most = 0.0
    largest_of: list[float] = []
    for k, option in enumerate(community.options):
        i = first + k
        y, x = m.chosen[i], m.area[i]
        rent_years = running_years(community, option, years)  # a bridge lease's: its own
        m.capital.append(_nonzero(y, x, capital_coefs(option)))
        m.running.append(_nonzero(y, x, running_coefs(option, rent_years)))
        cost = _nonzero(y, x, cost_coefs(option, rent_years))
        for column, coef in cost:
            m.money_cost[column] = m.money_cost.get(column, 0.0) + coef
        largest = largest_cost_wan(option, rent_years)
        most += largest
        largest_of.append(largest)
        money = []
        capital_money = []
        for source in option_sources:
            if option.kind not in source.pays_for:
                continue
            unit = units[source.id]
            budget = m.unit_budgets[source.id][unit]
            bound = funding_bound_wan(option, source, rent_years, budget)
            f = m.column(name_of("f", option.id, source.id), 0.0, bound)
            m.funding[(i, source.id)] = f
            m.members.setdefault((source.id, unit), []).append(f)
            money.append(f)
            if source.capital_only:
                capital_money.append(f)
            if source.max_share < 1:
                share = [(c, -source.max_share * coef) for c, coef in cost]
                m.row(name_of("max_share", option.id, source.id), [(f, 1.0), *share], -INF, 0.0)
            if source.max_options_funded is not None:
                z = m.column(name_of("z", option.id, source.id), 0.0, 1.0, True)
                m.funded[(i, source.id)] = z
                m.row(name_of("funded", option.id, source.id), [(f, 1.0), (z, -bound)], -INF, 0.0)
                m.row(f"funded_chosen_{i}_{source.id}", [(z, 1.0), (y, -1.0)], -INF, 0.0)
            elif bound < source.max_share * largest * (1 - 1e-12):
                m.row(f"cap_{i}_{source.id}", [(f, 1.0), (y, -bound)], -INF, 0.0)
        negative_cost = [(c, -coef) for c, coef in cost]
        if not pooled_sources:
            m.row(name_of("paid", option.id), [(f, 1.0) for f in money] + negative_cost, 0.0, 0.0)
        elif money:
            m.row(name_of("paid", option.id), [(f, 1.0) for f in money] + negative_cost, -INF, 0.0)
        if capital_money and m.running[i]:
            terms = [(f, 1.0) for f in capital_money] + [(c, -v) for c, v in m.capital[i]]
            m.row(name_of("capital_only", option.id), terms, -INF, 0.0)
        community_cost.extend(negative_cost)
        paid_per_option.extend((f, 1.0) for f in money)
    if pooled_sources:
        pooled = []
        for source in pooled_sources:
            unit = units[source.id]
            g = m.column(
                f"g_{community.id}_{source.id}", 0.0, min(m.unit_budgets[source.id][unit], most)
            )
            m.pooled[(community.id, source.id)] = g
            m.members.setdefault((source.id, unit), []).append(g)
            pooled.append((g, 1.0))
        m.row(f"paid_{community.id}", pooled + paid_per_option + community_cost, 0.0, 0.0)
    local = [s.id for s in scenario.funding if s.scope == "community"]
    _add_local_money(m, community, first, largest_of, local)


def _nonzero(y: int, x: int, coefs: tuple[float, float]) -> list[tuple[int, float]]:
    """(y, per route) and (x, per m2) terms of a cost, without the zero ones."""
    return [(column, coef) for column, coef in ((y, coefs[0]), (x, coefs[1])) if coef]


def _add_local_money(
    m: Matrix, community: Community, first: int, largest: list[float], local: list[str]
) -> None:
    """(C5) a community's own money follows its chosen set: for a source of community scope,
        money_cs <= sum_S min(budget_cs, most s can pay towards S) * lambda_cS.
    A fraction of a set can take only that fraction of the community's own money."""
    sets = m.sets.get(community.id)
    if not sets:
        return
    for source_id in local:
        if (source_id, community.id) not in m.members:
            continue
        budget = m.unit_budgets[source_id][community.id]
        pooled = m.pooled.get((community.id, source_id))
        terms: list[tuple[int, float]] = []
        for chosen, weight in sets:
            if pooled is not None:
                most = sum(largest[k] for k in chosen)
            else:
                most = sum(
                    m.col_upper[m.funding[(first + k, source_id)]]
                    for k in chosen
                    if (first + k, source_id) in m.funding
                )
            terms.append((weight, -min(budget, most)))
        money = (
            [(pooled, 1.0)]
            if pooled is not None
            else [
                (m.funding[(first + k, source_id)], 1.0)
                for k in range(len(community.options))
                if (first + k, source_id) in m.funding
            ]
        )
        m.row(f"own_money_{source_id}_{community.id}", money + terms, -INF, 0.0)


def _add_budgets(m: Matrix, scenario: Scenario) -> None:
    """Equation (11): one row per source and unit that pays for anything."""
    for source in scenario.funding:
        for unit, budget in m.unit_budgets[source.id].items():
            money = m.members.get((source.id, unit))
            if money:
                name = name_of("budget", source.id, unit)
                terms = [(f, 1.0) for f in money]
                m.budget_rows[(source.id, unit)] = m.row(name, terms, -INF, budget)
    for source in scenario.funding:
        if source.max_options_funded is None:
            continue
        flags = [z for (i, sid), z in m.funded.items() if sid == source.id]
        if len(flags) > source.max_options_funded:
            m.funded_rows[source.id] = m.row(
                name_of("max_options_funded", source.id),
                [(z, 1.0) for z in flags],
                -INF,
                source.max_options_funded,
            )
