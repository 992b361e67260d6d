"""The scenario's model with nothing baked into its matrix that an analysis must move."""

from __future__ import annotations

import math
from typing import Any

from allocator.model.costs import cost_wan
from allocator.scenario.edits import changed_copy
from allocator.scenario.schema import Scenario


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
            largest_total += cost_wan(option, area, years)
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
    return changed_copy(scenario, communities=tuple(communities), funding=funding)
