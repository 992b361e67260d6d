"""Small edits of a validated scenario, for the re-solves that explain a plan.

Each returns a new Scenario and leaves its argument untouched: lock an option, raise the
budget of one source in one unit, raise a community's target. The edits keep the scenario
valid (they never break a rule the loader checks), so no re-validation is needed.
"""

from __future__ import annotations

import math
from typing import Any

from allocator.scenario.schema import Community, FundingSource, Option, Scenario


def find_option(scenario: Scenario, option_id: str) -> tuple[Community, Option]:
    for community in scenario.communities:
        for option in community.options:
            if option.id == option_id:
                return community, option
    raise KeyError(f"no option '{option_id}' in scenario {scenario.name!r}")


def find_community(scenario: Scenario, community_id: str) -> Community:
    for community in scenario.communities:
        if community.id == community_id:
            return community
    known = ", ".join(c.id for c in scenario.communities)
    raise KeyError(f"no community '{community_id}' in scenario {scenario.name!r} (known: {known})")


def with_options(scenario: Scenario, changes: dict[str, dict[str, Any]]) -> Scenario:
    """Change fields of options by id: {option_id: {field: value}}."""
    communities = []
    for community in scenario.communities:
        if any(o.id in changes for o in community.options):
            options = tuple(
                o.model_copy(update=changes[o.id]) if o.id in changes else o
                for o in community.options
            )
            community = community.model_copy(update={"options": options})
        communities.append(community)
    return _copy(scenario, communities=tuple(communities))


def with_locks(scenario: Scenario, locks: dict[str, str | None]) -> Scenario:
    """Lock options `chosen` or `rejected` (None unlocks)."""
    return with_options(scenario, {oid: {"locked": lock} for oid, lock in locks.items()})


def with_community(scenario: Scenario, community_id: str, **fields: Any) -> Scenario:
    find_community(scenario, community_id)
    communities = tuple(
        c.model_copy(update=fields) if c.id == community_id else c for c in scenario.communities
    )
    return _copy(scenario, communities=communities)


def with_budget(scenario: Scenario, source_id: str, unit: str, amount_wan: float) -> Scenario:
    """Set the budget of `source_id` in `unit` to `amount_wan` (万元); other units keep theirs."""
    funding = []
    for source in scenario.funding:
        if source.id == source_id:
            source = _set_unit_budget(scenario, source, unit, amount_wan)
        funding.append(source)
    return _copy(scenario, funding=tuple(funding))


def with_extra_budget(scenario: Scenario, extra: dict[tuple[str, str], float]) -> Scenario:
    """Add money to budgets: {(source_id, unit): extra 万元}."""
    for (source_id, unit), amount in extra.items():
        source = next(s for s in scenario.funding if s.id == source_id)
        scenario = with_budget(scenario, source_id, unit, scenario.units(source)[unit] + amount)
    return scenario


def opened(scenario: Scenario, *, areas_and_caps: bool = False) -> Scenario:
    """The scenario with no budget baked into the model's matrix: every budget is set so large
    that it never binds, and (with `areas_and_caps`) every route may grow until it reaches its
    community's target alone and no source has a per-option cap.

    The model built from it has the same rows, named alike; put the real budgets back as the
    bounds of the budget rows (and the real areas and caps as column bounds) and its feasible
    set is the scenario's own. Analyses need this: in the model of the scenario itself a
    budget also bounds each money variable, so the money a row lets through cannot grow by
    changing the row alone, and its dual misses what binds in the column bounds.
    """
    years = scenario.horizon_years
    communities, largest_total = [], 0.0
    for community in scenario.communities:
        options = []
        for option in community.options:
            area = option.max_area_m2
            if areas_and_caps:
                area = max(area, community.target_area_m2 / option.area_factor)
            largest_total += (
                option.fixed_cost
                + option.cost_per_m2 * area
                + years * (option.annual_cost + option.annual_cost_per_m2 * area)
            )
            options.append(option.model_copy(update={"max_area_m2": area}))
        communities.append(community.model_copy(update={"options": tuple(options)}))
    big = float(
        math.ceil(
            largest_total
            + sum(max(scenario.units(s).values(), default=0.0) for s in scenario.funding)
            + 1.0
        )
    )
    update: dict[str, Any] = {"budget": big, "budget_by_kind": None, "budgets": None}
    if areas_and_caps:
        update["max_per_option"] = None
    funding = tuple(s.model_copy(update=update) for s in scenario.funding)
    return _copy(scenario, communities=tuple(communities), funding=funding)


def _set_unit_budget(
    scenario: Scenario, source: FundingSource, unit: str, amount_wan: float
) -> FundingSource:
    units = scenario.units(source)
    if unit not in units:
        raise KeyError(f"funding source '{source.id}' has no unit '{unit}'")
    if source.scope == "county":
        return source.model_copy(update={"budget": amount_wan})
    return source.model_copy(update={"budgets": {**(source.budgets or {}), unit: amount_wan}})


def _copy(scenario: Scenario, **update: Any) -> Scenario:
    """A changed copy whose source dict says the same, so later what-ifs start from it."""
    changed = scenario.model_copy(update=update)
    source = changed.model_dump(
        mode="json", exclude_none=True, exclude={"extends", "changes", "variants"}
    )
    if "variants" in scenario._source:
        source["variants"] = scenario._source["variants"]
    changed._source = source
    return changed
