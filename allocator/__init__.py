"""allocator: premises and funding plans for a county's communities.

    from allocator import load_scenario, solve
    plan = solve(load_scenario("scenarios/2024.yaml"))
    plan.communities   # a pandas table per community

What-ifs: `scenario.variant(name)`, `scenario.with_changes({...})`, `compare([...])`,
`sweep(scenario, {path: values})` and the plots `plot_plan`, `plot_funding`, `plot_sweep`,
`plot_comparison`.

Explaining a plan: `diagnose(scenario)` (why no plan, cheapest repairs), `explain(scenario,
community_id)`, `shadow_prices(scenario)`, `alternatives(scenario, within=0.05, count=3)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Plan",
    "Scenario",
    "ScenarioError",
    "Status",
    "load_scenario",
    "scenario_from_dict",
    "solve",
]
__all__ += ["Comparison", "compare", "sweep", "scenario_diff"]
__all__ += ["plot_plan", "plot_funding", "plot_sweep", "plot_comparison"]
__all__ += ["explain", "alternatives", "shadow_prices", "diagnose"]

if TYPE_CHECKING:
    from allocator.alternative_plans import alternatives
    from allocator.comparison import Comparison, compare
    from allocator.diagnosis import diagnose
    from allocator.errors import ScenarioError
    from allocator.explanation import explain
    from allocator.plan import Plan, Status
    from allocator.plots import plot_comparison, plot_funding, plot_plan, plot_sweep
    from allocator.scenario import Scenario, load_scenario, scenario_from_dict
    from allocator.shadow import shadow_prices
    from allocator.solving import solve
    from allocator.sweeping import sweep
    from allocator.variants import scenario_diff

_HOMES = {
    "ScenarioError": "allocator.errors",
    "Plan": "allocator.plan",
    "Status": "allocator.plan",
    "Scenario": "allocator.scenario",
    "load_scenario": "allocator.scenario",
    "scenario_from_dict": "allocator.scenario",
    "solve": "allocator.solving",
    "Comparison": "allocator.comparison",
    "compare": "allocator.comparison",
    "sweep": "allocator.sweeping",
    "scenario_diff": "allocator.variants",
    "plot_plan": "allocator.plots",
    "plot_funding": "allocator.plots",
    "plot_sweep": "allocator.plots",
    "plot_comparison": "allocator.plots",
    "explain": "allocator.explanation",
    "alternatives": "allocator.alternative_plans",
    "shadow_prices": "allocator.shadow",
    "diagnose": "allocator.diagnosis",
}


def __getattr__(name: str) -> Any:
    """Import on first use, so that the command line loads only what a command needs."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'allocator' has no attribute {name!r}")
