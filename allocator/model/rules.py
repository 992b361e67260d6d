"""Every rule of the model, once: the table of rule families.

A family is one kind of rule (a budget, an exclusion, a demonstration site). For a scenario
it has instances: one rule each, as a planner would name it, with the entry of the scenario
file it comes from and its rows and column bounds in the variables of the reference
formulation, named by ids. Everything that needs the rules reads this table: the reference
formulation builds its rows from it (`allocator.model.reference`), the conflict search and
repairs switch instances on and off (`allocator.analysis.relax`), shadow prices and the
explanation read budget and target rows by instance, the decomposition asks which families
link groups, and docs/model.md is generated from it (`model_doc`).

Variables are labels: ("y", option) chosen, ("x", option) m2 added, ("f", option, source)
万元 paid, ("z", option, source) the source funds the route, ("short", community) m2 short.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from allocator.model.families import (
    area_when_chosen_rules,
    budget_linking,
    budget_rules,
    capital_only_rules,
    excludes_allows,
    excludes_rules,
    funded_rules,
    locked_allows,
    locked_rules,
    max_area_rules,
    max_options_allows,
    max_options_funded_linking,
    max_options_funded_rules,
    max_options_rules,
    max_per_option_rules,
    max_share_rules,
    meets_columns,
    meets_target_rules,
    min_area_rules,
    must_meet_rules,
    one_replacing_allows,
    one_replacing_rules,
    paid_rules,
    target_rules,
)
from allocator.model.family import Family, Role
from allocator.model.measures import (
    communities_meeting_both_terms,
    communities_meeting_terms,
    county_money_terms,
    posts_short_terms,
    total_cost_terms,
    weighted_shortfall_terms,
)
from allocator.model.staff_rules import STAFF_FAMILIES
from allocator.model.terms import Instance, Layout, Var
from allocator.model.years import YEAR_FAMILIES
from allocator.scenario.schema import Community, Scenario

FAMILIES: tuple[Family, ...] = (
    Family(
        "area_when_chosen",
        "(1)",
        "x_o <= max_area_o * y_o: a route adds area only when it is chosen",
        area_when_chosen_rules,
        role=Role.STRUCTURE,
    ),
    Family(
        "max_area",
        "(1)",
        "x_o <= max_area_o: a route adds at most its largest area (a bound on the variable)",
        max_area_rules,
        drop_rank=8,
    ),
    Family(
        "min_area",
        "(1)",
        "x_o >= min_area_o * y_o: a chosen route adds at least its least area",
        min_area_rules,
        drop_rank=5,
    ),
    Family(
        "locked",
        "(2)",
        "y_o fixed to 1 or 0 where the route is locked chosen or rejected",
        locked_rules,
        allows=locked_allows,
        drop_rank=10,
    ),
    Family(
        "excludes",
        "(3)",
        "y_o + y_p <= 1 for every excluded pair (o, p)",
        excludes_rules,
        allows=excludes_allows,
        drop_rank=7,
    ),
    Family(
        "max_options",
        "(4)",
        "sum_{o in O_c} y_o <= max_options_c",
        max_options_rules,
        allows=max_options_allows,
        drop_rank=6,
    ),
    Family(
        "paid",
        "(6)",
        "sum_s f_os = cost_o: every chosen route is paid for in full "
        "(cost_o = capital_o + running_o of (5))",
        paid_rules,
        role=Role.STRUCTURE,
    ),
    Family(
        "capital_only",
        "(7)",
        "sum_{s capital-only} f_os <= capital_o: capital-only money pays no running costs",
        capital_only_rules,
        drop_rank=2,
    ),
    Family(
        "max_share",
        "(8)",
        "f_os <= max_share_s * cost_o: the rest is matching money",
        max_share_rules,
        drop_rank=1,
    ),
    Family(
        "max_per_option",
        "(9)",
        "f_os <= max_per_option_s (a bound on the variable)",
        max_per_option_rules,
        drop_rank=0,
    ),
    Family(
        "funded",
        "(10)",
        "f_os <= M_os * z_os, where M_os is the least of max_per_option_s, max_share_s times "
        "o's largest cost, and the unit's budget",
        funded_rules,
        role=Role.STRUCTURE,
    ),
    Family(
        "max_options_funded",
        "(10)",
        "sum_o z_os <= max_options_funded_s",
        max_options_funded_rules,
        drop_rank=3,
        linking=max_options_funded_linking,
    ),
    Family(
        "budget",
        "(11)",
        "sum_{o paid from unit u} f_os <= budget_su for every source s and unit u of its scope",
        budget_rules,
        drop_rank=9,
        linking=budget_linking,
        repairable_with_money=True,
    ),
    Family(
        "one_replacing",
        "(12)",
        "sum_{o in O_c, replacing} y_o <= 1",
        one_replacing_rules,
        allows=one_replacing_allows,
        drop_rank=4,
    ),
    Family(
        "target",
        "(13)",
        "shortfall_c >= target_c - area_c, with area_c = existing_c * (1 - sum_{o replacing} "
        "y_o) + sum_o area_factor_o * x_o; 0 <= shortfall_c <= target_c",
        target_rules,
        role=Role.STRUCTURE,
    ),
    Family(
        "must_meet",
        "(14)",
        "shortfall_c = 0 where the community must meet its target (a demonstration site)",
        must_meet_rules,
        drop_rank=11,
    ),
    Family(
        "meets_target",
        "(18)",
        "shortfall_c <= target_c * (1 - meets_c), meets_c in {0, 1}: a community counts as "
        "meeting its target only with no m2 short (only when the objective counts them)",
        meets_target_rules,
        role=Role.STRUCTURE,
        columns=meets_columns,
    ),
    *STAFF_FAMILIES,
    *YEAR_FAMILIES,
)

BY_NAME = {family.name: family for family in FAMILIES}


def instances(scenario: Scenario) -> list[Instance]:
    """Every rule of the scenario, family by family in the order of the table."""
    layout = Layout.of(scenario)
    return [rule for family in FAMILIES for rule in family.instances(layout)]


def may_combine(
    community: Community, chosen: frozenset[str], ignore: frozenset[str] = frozenset()
) -> bool:
    """May the routes `chosen` (ids) of `community` be taken together, by every choice rule
    except the families in `ignore`?"""
    return all(
        family.allows(community, chosen)
        for family in FAMILIES
        if family.allows is not None and family.name not in ignore
    )


def linking_limits(scenario: Scenario) -> dict[tuple[str, str], float]:
    """The limits of every row that may hold routes of several groups, by (family, id)."""
    limits: dict[tuple[str, str], float] = {}
    for family in FAMILIES:
        if family.linking is not None:
            limits.update(family.linking(scenario))
    return limits


def decision_rules(scenario: Scenario) -> list[Instance]:
    """The rules a conflict search may drop, with at least one row or bound each."""
    return [rule for rule in instances(scenario) if BY_NAME[rule.family].role == Role.DECISION]


VARIABLES = (
    "Sets: communities c, their options (routes) o in O_c, funding sources s, and the units u of",
    "each source's scope (the county; each group; each community). H = horizon_years.",
    "",
    "Variables, per route o: y_o in {0, 1} the route is chosen; x_o >= 0 m2 it adds;",
    "f_os >= 0 万元 from source s towards o (only where s may pay o's kind); z_os in {0, 1} s",
    "funds o (only for sources with max_options_funded). Per community c: shortfall_c >= 0, m2.",
    "",
    "(5) capital_o = fixed_cost_o * y_o + cost_per_m2_o * x_o;",
    "running_o = H * (annual_cost_o * y_o + annual_cost_per_m2_o * x_o);",
    "cost_o = capital_o + running_o (`allocator.model.costs`).",
)


@dataclass(frozen=True)
class Measure:
    """A measure an objective may order: its terms (minimised) over the reference formulation's
    variables, and what a later stage keeps of it (`allocator.model.costs.kept_room`)."""

    name: str
    equation: str
    summary: str
    terms: Callable[[Layout], list[tuple[Var, float]]]
    kept: str  # "m2", "money" or "count"
    keep_row: str  # the name of the row a later stage keeps it by
    words: str  # what it is, in a stage's note ("the least shortfall of the plan's routes")
    # A value no plan's terms exceed: a kept row opened to it keeps nothing.
    largest: Callable[[Scenario], float]
    maximised: bool = False  # the terms are minus the measure (a count to maximise)


def _no_more_than_zero(scenario: Scenario) -> float:
    return 0.0  # a count maximised: its terms are minus the count


def _all_money(scenario: Scenario) -> float:
    return sum(sum(scenario.units(s).values()) for s in scenario.funding)


MEASURES: tuple[Measure, ...] = (
    Measure(
        "communities_meeting",
        "(18)",
        "maximise N = sum_c meets_c, the communities that reach their target (达标社区数)",
        communities_meeting_terms,
        "count",
        "keep_communities_meeting",
        "count of communities short",
        _no_more_than_zero,
        maximised=True,
    ),
    Measure(
        "weighted_shortfall",
        "(15)",
        "minimise W = sum_c priority_c * shortfall_c",
        weighted_shortfall_terms,
        "m2",
        "keep_shortfall",
        "shortfall",
        lambda scenario: sum(c.priority * c.target_area_m2 for c in scenario.communities),
    ),
    Measure(
        "communities_meeting_both",
        "(27)",
        "maximise B = sum_c both_c, the communities that reach both standards, premises and posts",
        communities_meeting_both_terms,
        "count",
        "keep_communities_meeting_both",
        "count of communities short of either standard",
        _no_more_than_zero,
        maximised=True,
    ),
    Measure(
        "posts_short",
        "(21)",
        "minimise P = sum_c posts_short_c, the staff posts still short",
        posts_short_terms,
        "count",
        "keep_posts_short",
        "posts short",
        lambda scenario: sum(scenario.posts_target(c) for c in scenario.communities),
    ),
    Measure(
        "total_cost",
        "(16)",
        "minimise C = sum_o cost_o + sum_cks fs_cks (routes, and staff and pay when staffed)",
        total_cost_terms,
        "money",
        "keep_cost",
        "cost",
        _all_money,
    ),
    Measure(
        "county_money",
        "(19)",
        "minimise K = sum_o f_os over the county's own money s (general money of county "
        "scope; a grant with rules is not the county's)",
        county_money_terms,
        "money",
        "keep_county_money",
        "county money",
        _all_money,
    ),
)
MEASURE = {measure.name: measure for measure in MEASURES}
DEFAULT_OBJECTIVE = ("weighted_shortfall", "total_cost")
# With staffing: premises first (the standard that takes money and years), then posts (which
# two of their three routes fill at no cost to the plan), then the money.
STAFFED_OBJECTIVE = ("weighted_shortfall", "posts_short", "total_cost")


def objective_of(scenario: Scenario) -> tuple[str, ...]:
    """The order of the scenario's objective: its `objective`, else today's (W, then C), with
    the posts short after W when the scenario plans staff."""
    if scenario.objective:
        return tuple(scenario.objective)
    return STAFFED_OBJECTIVE if scenario.staffing is not None else DEFAULT_OBJECTIVE


# The objective and its stages: documented with the families, solved by `allocator.solving`.
OBJECTIVES = (
    (
        "(15)-(19)",
        "in the order of the scenario's `objective` (default: weighted_shortfall, then "
        "total_cost), each measure of the table below optimised with every earlier one kept: "
        "a count exactly, m2 and money within `allocator.model.costs.kept_room` (1e-6 m2; "
        "1e-6 of the money)",
    ),
    (
        "(17)",
        "then, with the routes y fixed and every measure kept, minimise sum_os rank_s * f_os: "
        "money tied to one community first, then a street's or town's, then the county's; "
        "earmarked money (a grant with rules) before general money",
    ),
    (
        "(20)",
        "with `--keep-close-to PLAN.json`, before (17): the fewest changes from that plan, "
        "R * (sum_o |y_o - y0_o| + sum_ck |posts_ck - posts0_ck|) + sum_os |p_os - p0_os| "
        "(p_os in {0, 1}: s pays at least 0.001 万元 towards o; posts_ck the posts staff route "
        "k adds to c, a post added or taken away weighing as a route changed; R = the count of "
        "pairs (o, s) + 1, so that one route change weighs more than every payer change; with "
        "years, each route's start year and each year's posts weigh between the two), every "
        "measure kept (`allocator.model.closeness`)",
    ),
)
BEGIN = (
    "<!-- generated from allocator/model/rules.py: "
    "python -m allocator.model.rules docs/model.md -->"
)
END = "<!-- end of the generated part -->"


def model_doc() -> str:
    """The formulation part of docs/model.md, generated from the table."""
    lines = [BEGIN, "", *VARIABLES, ""]
    lines += [
        "| equation | family | rule | conflict search | links groups | money repairs it |",
        "|---|---|---|---|---|---|",
    ]
    for family in FAMILIES:
        dropped = "kept" if family.role == Role.STRUCTURE else f"dropped at rank {family.drop_rank}"
        links = "yes" if family.linking is not None else ""
        money = "yes" if family.repairable_with_money else ""
        lines.append(
            f"| {family.equation} | `{family.name}` | {family.summary} | {dropped} | {links} "
            f"| {money} |"
        )
    lines += ["", "Objective, lexicographic (`allocator.solving.lexicographic`):", ""]
    lines += [f"- {equation} {text}" for equation, text in OBJECTIVES]
    lines += ["", "| equation | measure | kept as |", "|---|---|---|"]
    lines += [f"| {m.equation} | `{m.name}`: {m.summary} | {m.kept} |" for m in MEASURES]
    return "\n".join([*lines, "", END])


def with_model_doc(text: str) -> str:
    """`text` (docs/model.md) with its generated part made anew."""
    head, found, rest = text.partition(BEGIN)
    if not found:
        raise ValueError(f"no line {BEGIN!r} to write the formulation after")
    return head + model_doc() + rest.partition(END)[2]


if __name__ == "__main__":
    import sys
    from pathlib import Path

    target = Path(sys.argv[1])
    target.write_text(with_model_doc(target.read_text(encoding="utf-8")), encoding="utf-8")
