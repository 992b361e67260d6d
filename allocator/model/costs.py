"""What a route costs and what money may pay for it: each computation once, read by the
formulations, the rule table, the solve stages and the generator of synthetic provinces.

Equation (5) of docs/model.md: capital_o = fixed_cost_o y_o + cost_per_m2_o x_o and
running_o = H (annual_cost_o y_o + annual_cost_per_m2_o x_o), H = the scenario's horizon_years.
"""

from __future__ import annotations

from allocator.scenario.schema import OPTION_KINDS, FundingSource, Option, Scenario


def kept_shortfall_m2(
    shortfall_m2: float, *, arrays: bool = False, read_back_rel: float = 0.0
) -> float:
    """How far a later stage may let the weighted shortfall W exceed stage 1's W* (m2): the one
    definition every stage and analysis that keeps W reads.

    The reference formulation keeps 1e-6 m2, absolute and small: a relative slack would let the
    cost stage trade real area (0.8 m2 at W* = 765) for money. Models handed to HiGHS whole as
    arrays (`arrays`: the sets formulation's stages, the alternatives' search) keep 1e-5 m2, or
    1e-8 of W for large W, still far below what a plan shows (0.1 m2): tighter, HiGHS's presolve
    has declared the fixed-set MIPs infeasible (docs/performance.md). A solver whose values come
    back rounded (CBC's files) adds that precision, `read_back_rel` of W.
    """
    if arrays:
        room = max(1e-5, 1e-8 * abs(shortfall_m2))
    else:
        room = 1e-6
    return max(room, read_back_rel * abs(shortfall_m2))


def kept_money_wan(money_wan: float, *, read_back_rel: float = 0.0) -> float:
    """How far a later stage may let a sum of money (total cost C, county money K) exceed the
    least an earlier stage found (万元): 1e-6 of it, at least 1e-6 万元 (8 yuan in 824 万元),
    with a solver's read-back precision (`read_back_rel`) added as for W."""
    return max(1e-6 * max(1.0, abs(money_wan)), read_back_rel * abs(money_wan))


# A count (communities meeting, posts short) is a whole number at every plan whose routes and
# posts are exact, as every stage's plan is made before its value is kept: it is kept to that
# value. Half a count of room (as before) changes no plan, but a later stage's relaxation spends
# it: half a post short bought the county campaign's cost stage 8.8 万元 below its optimum,
# which HiGHS then closed node by node (854 nodes, 2 s; kept exactly, the campaign's whole
# solve in the sets formulation went from 2.9 s to 0.55 s).
COUNT_ROOM = 1e-6


def kept_room(
    kind: str, value: float, *, arrays: bool = False, read_back_rel: float = 0.0
) -> float:
    """How far a later stage may let a measure of `kind` ("m2", "money", "count"; see
    `allocator.model.rules.MEASURES`) exceed the value an earlier stage found: a count by
    COUNT_ROOM, m2 by `kept_shortfall_m2`, money by `kept_money_wan`."""
    if kind == "count":
        return max(COUNT_ROOM, read_back_rel * abs(value))
    if kind == "m2":
        return kept_shortfall_m2(value, arrays=arrays, read_back_rel=read_back_rel)
    return kept_money_wan(value, read_back_rel=read_back_rel)


def stage_gap(measure: str, gap: float, scenario: Scenario) -> float:
    """The relative gap a stage of `measure` needs to prove its plan optimal: the gap asked,
    but for the count of communities meeting (an integer, at most the communities' count n)
    a bound closer than 1 proves it, so 0.999 / n will do when that is looser."""
    if measure != "communities_meeting":
        return gap
    return max(gap, 0.999 / max(1, len(scenario.communities)))


def capital_coefs(option: Option) -> tuple[float, float]:
    """(万元 when chosen, 万元 per m2) of the one-off cost."""
    return option.fixed_cost, option.cost_per_m2


def running_coefs(option: Option, years: int) -> tuple[float, float]:
    """(万元 when chosen, 万元 per m2) of the running cost over `years` years."""
    return years * option.annual_cost, years * option.annual_cost_per_m2


def cost_coefs(option: Option, years: int) -> tuple[float, float]:
    """(万元 when chosen, 万元 per m2) of the whole cost, capital and running, over `years`."""
    fixed, per_m2 = capital_coefs(option)
    running_fixed, running_per_m2 = running_coefs(option, years)
    return fixed + running_fixed, per_m2 + running_per_m2


def cost_wan(option: Option, area_m2: float, years: int) -> float:
    """The whole cost of the route taken at `area_m2`, 万元."""
    fixed, per_m2 = cost_coefs(option, years)
    return fixed + per_m2 * area_m2


def largest_capital_wan(option: Option) -> float:
    """The one-off cost of the route at its largest area, 万元."""
    fixed, per_m2 = capital_coefs(option)
    return fixed + per_m2 * option.max_area_m2


def largest_cost_wan(option: Option, years: int) -> float:
    """The whole cost of the route at its largest area, 万元."""
    return cost_wan(option, option.max_area_m2, years)


def pays_for(source: FundingSource, option: Option) -> bool:
    """May `source` pay towards `option` at all (its kinds)?"""
    return option.kind in source.pays_for


def is_general_money(source: FundingSource) -> bool:
    """Money with no rule per route: it pays for every kind, any share, with no cap, no limit on
    the routes it funds and running costs too. Such money may be pooled per community."""
    return (
        set(source.pays_for) >= set(OPTION_KINDS)
        and source.max_share >= 1
        and source.max_per_option is None
        and source.max_options_funded is None
        and not source.capital_only
    )


def funding_bound_wan(
    option: Option, source: FundingSource, years: int, unit_budget_wan: float
) -> float:
    """The most `source` can pay towards `option` (M_os of (10)): the per-route cap (9), its
    share of the route's largest cost (8), the route's largest capital for capital-only money
    (7) and the budget of the unit that pays (11)."""
    bound = min(source.max_share * largest_cost_wan(option, years), unit_budget_wan)
    if source.capital_only:
        bound = min(bound, largest_capital_wan(option))
    if source.max_per_option is not None:
        bound = min(bound, source.max_per_option)
    return bound


def payer_rank(source: FundingSource, position: int) -> float:
    """Order in which money is spent when plans tie (17): money tied to one community first,
    then a street's or town's, then the county's; within a scope, earmarked money (a grant
    with rules) before general money, and then the order of the file."""
    scope = {"community": 1.0, "group": 2.0, "county": 3.0}[source.scope]
    general = 0.5 if is_general_money(source) else 0.0
    return scope + general + 0.001 * position
