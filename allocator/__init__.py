"""allocator: premises and funding plans for a county's communities.

    from allocator import load_scenario, solve
    plan = solve(load_scenario("scenarios/2024.yaml"))
    plan.communities   # a pandas table per community

What-ifs: `scenario.variant(name)`, `scenario.with_changes({...})`, `compare([...])`,
`sweep(scenario, {path: values})` and the plots `plot_plan`, `plot_funding`, `plot_sweep`,
`plot_comparison`.

Explaining a plan: `diagnose(scenario)` (why no plan, cheapest repairs), `explain(scenario,
community_id)`, `shadow_prices(scenario)`, `alternatives(scenario, within=0.05, count=3)`.

Values implausible in their unit (a cost per m2 written in 元): `warnings_of(scenario)`.

Files for planners: `write_plan_set(plan, folder, scenario)` (what `solve --out` writes, all at
once), `write_plan_workbook(plan, "plan.xlsx", scenario)`, `write_memo(plan, "report.docx")`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allocator.version import __version__ as __version__

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
__all__ += ["write_plan_set", "write_plan_workbook", "write_memo"]
__all__ += ["warnings_of"]

if TYPE_CHECKING:
    from allocator.analysis.alternatives import alternatives
    from allocator.analysis.diagnosis import diagnose, solve
    from allocator.analysis.explanation import explain
    from allocator.analysis.shadow import shadow_prices
    from allocator.errors import ScenarioError
    from allocator.plan import Plan, Status
    from allocator.report.memo import write_memo
    from allocator.report.plots import plot_comparison, plot_funding, plot_plan, plot_sweep
    from allocator.report.render import write_plan_set
    from allocator.report.workbook import write_plan_workbook
    from allocator.scenario.differences import scenario_diff
    from allocator.scenario.loading import load_scenario, scenario_from_dict
    from allocator.scenario.plausible import warnings_of
    from allocator.scenario.schema import Scenario
    from allocator.whatif.comparison import Comparison, compare
    from allocator.whatif.sweeping import sweep

_HOMES = {
    "ScenarioError": "allocator.errors",
    "Plan": "allocator.plan",
    "Status": "allocator.plan",
    "Scenario": "allocator.scenario.schema",
    "load_scenario": "allocator.scenario.loading",
    "scenario_from_dict": "allocator.scenario.loading",
    "solve": "allocator.analysis.diagnosis",
    "Comparison": "allocator.whatif.comparison",
    "compare": "allocator.whatif.comparison",
    "sweep": "allocator.whatif.sweeping",
    "scenario_diff": "allocator.scenario.differences",
    "plot_plan": "allocator.report.plots",
    "plot_funding": "allocator.report.plots",
    "plot_sweep": "allocator.report.plots",
    "plot_comparison": "allocator.report.plots",
    "explain": "allocator.analysis.explanation",
    "alternatives": "allocator.analysis.alternatives",
    "shadow_prices": "allocator.analysis.shadow",
    "diagnose": "allocator.analysis.diagnosis",
    "write_plan_set": "allocator.report.render",
    "write_plan_workbook": "allocator.report.workbook",
    "write_memo": "allocator.report.memo",
    "warnings_of": "allocator.scenario.plausible",
}


def __getattr__(name: str) -> Any:
    """Import on first use, so that the command line loads only what a command needs."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'allocator' has no attribute {name!r}")
