"""Small edits of a validated scenario, for the re-solves that explain a plan.

Each returns a new Scenario and leaves its argument untouched: lock an option, raise the
budget of one source in one unit, raise a community's target. The edits keep the scenario
valid (they never break a rule the loader checks), so no re-validation is needed.
"""

from __future__ import annotations

from typing import Any

from allocator.scenario.schema import Community, FundingSource, Scenario


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
    return changed_copy(scenario, communities=tuple(communities))


def with_locks(scenario: Scenario, locks: dict[str, str | None]) -> Scenario:
    """Lock options `chosen` or `rejected` (None unlocks)."""
    return with_options(scenario, {oid: {"locked": lock} for oid, lock in locks.items()})


def with_community(scenario: Scenario, community_id: str, **fields: Any) -> Scenario:
    find_community(scenario, community_id)
    communities = tuple(
        c.model_copy(update=fields) if c.id == community_id else c for c in scenario.communities
    )
    return changed_copy(scenario, communities=communities)


def with_budget(scenario: Scenario, source_id: str, unit: str, amount_wan: float) -> Scenario:
    """Set the budget of `source_id` in `unit` to `amount_wan` (万元); other units keep theirs."""
    funding = []
    for source in scenario.funding:
        if source.id == source_id:
            source = _set_unit_budget(scenario, source, unit, amount_wan)
        funding.append(source)
    return changed_copy(scenario, funding=tuple(funding))


def _set_unit_budget(
    scenario: Scenario, source: FundingSource, unit: str, amount_wan: float
) -> FundingSource:
    units = scenario.units(source)
    if unit not in units:
        raise KeyError(f"funding source '{source.id}' has no unit '{unit}'")
    if source.scope == "county":
        return source.model_copy(update={"budget": amount_wan})
    return source.model_copy(update={"budgets": {**(source.budgets or {}), unit: amount_wan}})


def changed_copy(scenario: Scenario, **update: Any) -> Scenario:
    """A changed copy whose source dict says the same, so later what-ifs start from it."""
    changed = scenario.model_copy(update=update)
    source = changed.model_dump(
        mode="json", exclude_none=True, exclude={"extends", "changes", "variants"}
    )
    if "variants" in scenario._source:
        source["variants"] = scenario._source["variants"]
    changed._source = source
    return changed
