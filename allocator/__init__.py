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

import sys
import types
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
    from allocator.alternatives import alternatives
    from allocator.compare import Comparison, compare
    from allocator.diagnose import diagnose
    from allocator.errors import ScenarioError
    from allocator.explain import explain
    from allocator.plan import Plan, Status
    from allocator.plots import plot_comparison, plot_funding, plot_plan, plot_sweep
    from allocator.scenario import Scenario, load_scenario, scenario_from_dict
    from allocator.shadow import shadow_prices
    from allocator.solve import solve
    from allocator.sweep import sweep
    from allocator.variants import scenario_diff

_HOMES = {
    "ScenarioError": "allocator.errors",
    "Plan": "allocator.plan",
    "Status": "allocator.plan",
    "Scenario": "allocator.scenario",
    "load_scenario": "allocator.scenario",
    "scenario_from_dict": "allocator.scenario",
    "solve": "allocator.solve",
    "Comparison": "allocator.compare",
    "compare": "allocator.compare",
    "sweep": "allocator.sweep",
    "scenario_diff": "allocator.variants",
    "plot_plan": "allocator.plots",
    "plot_funding": "allocator.plots",
    "plot_sweep": "allocator.plots",
    "plot_comparison": "allocator.plots",
    "explain": "allocator.explain",
    "alternatives": "allocator.alternatives",
    "shadow_prices": "allocator.shadow",
    "diagnose": "allocator.diagnose",
}


def __getattr__(name: str) -> Any:
    """Import on first use, so that the command line loads only what a command needs."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'allocator' has no attribute {name!r}")


class _CallableModule(types.ModuleType):
    """A submodule named like the function it holds (allocator.solve, .compare, .sweep).

    Importing `allocator.solve` makes `allocator.solve` the module, which would shadow the
    function `from allocator import solve` should give. Such a module calls its function, so
    both readings work: `allocator.solve(scenario)` and `allocator.solve.DEFAULT_GAP`.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if (
            _HOMES.get(name) == f"{__name__}.{name}"
            and type(value) is types.ModuleType
            and callable(value.__dict__.get(name))
        ):
            value.__class__ = _CallableModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
