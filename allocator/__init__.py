"""allocator: premises and funding plans for a county's communities.

    from allocator import load_scenario, solve
    plan = solve(load_scenario("scenarios/2024.yaml"))
    plan.communities   # a pandas table per community
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Plan", "Scenario", "ScenarioError", "Status", "load_scenario", "scenario_from_dict", "solve"]

if TYPE_CHECKING:
    from allocator.errors import ScenarioError
    from allocator.plan import Plan, Status
    from allocator.scenario import Scenario, load_scenario, scenario_from_dict
    from allocator.solve import solve

_HOMES = {
    "ScenarioError": "allocator.errors",
    "Plan": "allocator.plan",
    "Status": "allocator.plan",
    "Scenario": "allocator.scenario",
    "load_scenario": "allocator.scenario",
    "scenario_from_dict": "allocator.scenario",
    "solve": "allocator.solve",
}


def __getattr__(name: str) -> Any:
    """Import on first use, so that the command line loads only what a command needs."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'allocator' has no attribute {name!r}")
