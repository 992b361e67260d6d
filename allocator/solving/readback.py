"""A plan's figures as read back from a solved model: the chosen routes and their money, every
figure recomputed from the scenario's own numbers, the staff and the years, and every measure
an objective may order."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pulp

from allocator.model.measures import is_county_money
from allocator.plan import CommunityResult, FundingResult, OptionResult
from allocator.scenario.schema import Option, Scenario
from allocator.solving.staff_readback import staff_result
from allocator.solving.years_readback import option_years

if TYPE_CHECKING:
    from allocator.model.reference import Model
    from allocator.solving.direct import Readout

_DIGITS = 6
_MEETS_M2 = 1e-4


def _extra(model: Model | Readout) -> dict[Any, Any]:
    """The values of the families' own columns (staff, years), by label."""
    return getattr(model, "extra", {})


def plan_measures(scenario: Scenario, communities: tuple[CommunityResult, ...]) -> dict[str, Any]:
    """Every measure an objective may order, as the plan read back has it (the staff ones only
    for a scenario with staffing)."""
    priority = {c.id: c.priority for c in scenario.communities}
    measures: dict[str, Any] = {
        "communities_meeting": sum(c.meets_target for c in communities),
        "weighted_shortfall": rounded(sum(c.shortfall_m2 * priority[c.id] for c in communities)),
        "total_cost": rounded(sum(c.cost + c.staff_cost for c in communities)),
        "county_money": _county_money(scenario, communities),
    }
    if scenario.staffing is not None:
        short = [c.posts.short if c.posts else 0 for c in communities]
        measures["posts_short"] = sum(short)
        measures["communities_meeting_both"] = sum(
            c.meets_target and not lacking for c, lacking in zip(communities, short, strict=True)
        )
    return measures


def _county_money(scenario: Scenario, communities: tuple[CommunityResult, ...]) -> float:
    """K of (19): what the plan spends of the county's own money (万元)."""
    county = {s.id for s in scenario.funding if is_county_money(s)}
    return rounded(sum(v for c in communities for s, v in c.paid_wan().items() if s in county))


def community_results(model: Model | Readout) -> tuple[CommunityResult, ...]:
    """Read the chosen options and recompute every figure from the scenario's own numbers."""
    chosen_by_community, replaced = _chosen_options(model)
    group_names = {g.id: g.name for g in model.scenario.groups}
    results = []
    for community in model.scenario.communities:
        options = tuple(chosen_by_community.get(community.id, []))
        existing = 0.0 if community.id in replaced else community.existing_area_m2
        final = rounded(existing + sum(o.counted_area_m2 for o in options))
        shortfall = rounded(max(community.target_area_m2 - final, 0.0))
        # The solver's own tolerance can leave a few 1e-5 m2 of a target unmet: shown as it
        # is (the figures must add up), and within _MEETS_M2 the target counts as met.
        results.append(
            CommunityResult(
                id=community.id,
                name=community.name,
                group=community.group,
                group_name=group_names[community.group],
                existing_area_m2=community.existing_area_m2,
                target_area_m2=community.target_area_m2,
                final_area_m2=final,
                shortfall_m2=shortfall,
                meets_target=shortfall <= _MEETS_M2,
                must_meet=community.must_meet,
                cost=rounded(sum(o.cost for o in options)),
                options=options,
                **staff_result(model.scenario, community, _extra(model)),
            )
        )
    return tuple(results)


def _chosen_options(model: Model | Readout) -> tuple[dict[str, list[OptionResult]], set[str]]:
    """The chosen options of each community, and the communities whose existing area a chosen
    option replaces."""
    chosen_by_community: dict[str, list[OptionResult]] = {}
    replaced: set[str] = set()
    money_of: dict[int, list[tuple[str, pulp.LpVariable]]] = {}
    for (i, source_id), f in model.funding.items():
        money_of.setdefault(i, []).append((source_id, f))
    for i, (community, option) in enumerate(model.options):
        if (model.chosen[i].varValue or 0.0) < 0.5:
            continue
        result = _option_result(
            option, model.area[i].varValue, money_of.get(i, []), model.scenario.horizon_years
        )
        if result is None:
            continue
        result = replace(result, **option_years(model.scenario, option, _extra(model)))
        if option.replaces_existing:
            replaced.add(community.id)
        chosen_by_community.setdefault(community.id, []).append(result)
    return chosen_by_community, replaced


def _option_result(
    option: Option, area_value: float | None, money: list[tuple[str, Any]], years: float
) -> OptionResult | None:
    """A chosen option's figures from its area; None when it is chosen in name only (adds
    nothing, costs nothing, replaces nothing and is not locked in)."""
    area = rounded(min(max(area_value or 0.0, 0.0), option.max_area_m2))
    capital = rounded(option.fixed_cost + option.cost_per_m2 * area)
    running = rounded(years * (option.annual_cost + option.annual_cost_per_m2 * area))
    if area == 0 and capital + running == 0:
        if not option.replaces_existing and option.locked != "chosen":
            return None
    funding = {
        source_id: amount for source_id, f in money if (amount := rounded(f.varValue or 0.0)) > 0
    }
    return OptionResult(
        option.id,
        option.kind,
        area,
        rounded(option.area_factor * area),
        capital,
        running,
        rounded(capital + running),
        funding,
    )


def funding_results(
    model: Model | Readout, communities: tuple[CommunityResult, ...]
) -> tuple[FundingResult, ...]:
    scenario = model.scenario
    by_id = {c.id: c for c in scenario.communities}
    used: dict[tuple[str, str], float] = {}
    sources = {s.id: s for s in scenario.funding}
    for result in communities:
        for source_id, amount in result.paid_wan().items():
            unit = scenario.unit_of(sources[source_id], by_id[result.id])
            used[(source_id, unit)] = used.get((source_id, unit), 0.0) + amount
    rows = []
    for source in scenario.funding:
        for unit, budget in model.unit_budgets[source.id].items():
            spent = rounded(used.get((source.id, unit), 0.0))
            rows.append(
                FundingResult(source.id, source.name, unit, budget, spent, rounded(budget - spent))
            )
    return tuple(rows)


def rounded(value: float) -> float:
    """To 1e-6, and to 1e-3 when within 1e-5 of it: 449.999997 m2 is solver noise for 450."""
    fine, coarse = round(value, _DIGITS), round(value, 3)
    rounded = coarse if abs(fine - coarse) <= 1e-5 else fine
    return 0.0 if rounded == 0 else rounded
