"""Honest stages on county-size scenarios with every rule at once (tests/rich_counties.py).

For every feasible scenario of a fixed set of seeds, with no time limit given:

- no solve reports `time_limit` (nothing stopped it: a stage that came back "infeasible" or
  without a proven bound is a failure to handle, not a time limit);
- every plan passes the independent checker (tests/oracle.py);
- the default `solve(s)` (formulation "auto": the reference formulation through PuLP at this
  size) reaches the same (weighted shortfall, total cost) as the sets formulation, and on a
  subset as CBC: lexicographically, within 1e-4 plus twice the requested MIP gap (1e-6)
  relative, so that two plans each proven within the gap agree.

The seeds named below failed on commit 592b781 (benchmarks/random_counties.py over seeds
0-1999: the default solve fell short on 14 of 1,722 feasible scenarios); the sample around them
guards against new failures. Root cause: stage 2 keeps W <= W* + 1e-6 m2, a row with no room
beyond the solvers' tolerances (HiGHS's feasibility tolerance is 1e-7 per row, its integrality
tolerance 1e-6 times areas of hundreds of m2; CBC's values come back with 8 significant digits).
On such a knife edge HiGHS 1.16 declares the cost stage infeasible although stage 1's plan, handed
over as the start, satisfies every row to 1e-13 (its presolve; given the start, it reports an
objective that is not that of the values it hands back, which are the start's, so solve() runs
again without the start and gets "infeasible"), or proves "optimal" a plan dearer than the
least; and where stage 1's values are feasible only to the tolerances (seed 1260: a 160 m2
heightening "chosen" at y = 2.5e-8 adds 4.0e-6 m2), W* lies below the W of any exactly integral
plan. Stage 1's plan is then kept, with status time_limit.
"""

from __future__ import annotations

import copy
import functools
import random
from dataclasses import dataclass
from typing import Any

import pytest
from oracle import check_plan
from rich_counties import rich_county

from allocator import ScenarioError, Status, scenario_from_dict, solve

REQUESTED_GAP = 1e-6  # solve's default relative MIP gap
ABS_TOL = 1e-4
REL_TOL = 2 * REQUESTED_GAP

# Seeds that failed on 592b781 (benchmarks/random_counties.py), with what went wrong:
DEFAULT_FAILING = {
    # stage 2 "infeasible" from a start feasible to 1e-13: stage 1's plan kept, status time_limit
    92: "time_limit, cost 157.0 against 147.0 (+6.8%)",
    99: "time_limit, cost 215.5 against 163.0 (+32.2%)",
    171: "time_limit, cost 584.5 against 492.0 (+18.8%)",
    333: "time_limit, cost 883.5 against 602.0 (+46.8%)",
    480: "time_limit, cost 366.0 against 335.0 (+9.3%)",
    1115: "time_limit, cost 974.0 against 740.27 (+31.6%)",
    1290: "time_limit, cost 1118.0 against 1011.63 (+10.5%)",
    1398: "time_limit, cost 670.5 against 623.0 (+7.6%)",
    1581: "time_limit, cost 1155.0 against 856.4 (+34.9%)",
    1675: "time_limit, cost 639.0 against 325.0 (+96.6%)",
    # stage 2 "optimal" (bound = objective) at a dearer plan
    1037: "optimal, cost 907.13 against 871.91 (+4.0%)",
    1187: "optimal, cost 966.0 against 950.0 (+1.7%)",
    1384: "optimal, cost 217.0 against 211.0 (+2.8%)",
    # stage 1's W* = 1309.999996 from values feasible only to the tolerances, below the 1310 of
    # any exactly integral plan: stage 2 "optimal" among the few plans that leak as much
    1260: "optimal, cost 694.65 against 691.13 (+0.5%)",
}
SETS_FAILING = {
    120: "sets: HiGHS reports an objective other than the values': status time_limit",
    224: "sets: 'optimal' at cost 453.22 against 452.56",
    240: "sets: stage 1 'optimal' at W 1374.0 against 1369.84",
    866: "sets: 'optimal' at cost 277.38 against 277.01",
}
CBC_FAILING = {
    20: "cbc: stage 2 infeasible (W* read back as 2325.32417): time_limit, same cost",
    222: "cbc: stage 2 infeasible (W* read back as 983.40654): time_limit, same cost",
    510: "cbc: stage 2 infeasible: time_limit, cost 326.90 against 306.90 (+6.5%)",
    588: "cbc: stage 2 'proven infeasible', but the solution file says Optimal with the LP "
    "relaxation's values: routes at fractional y, check_plan fails",
    137: "cbc: stage 1 'optimal' at W 707.50 against 699.04",
}
SAMPLE = range(0, 36)  # default and sets on each
CBC_SAMPLE = range(0, 36, 4)  # CBC as well
FEASIBLE_FLOOR = 28  # of the 36 sample seeds, 32 have a plan (4 are infeasible: 9, 13, 25, 34)

SEEDS = sorted({*SAMPLE, *DEFAULT_FAILING, *SETS_FAILING, *CBC_FAILING})
SOLVES: dict[str, dict[str, Any]] = {
    "default": {},
    "sets": {"formulation": "sets"},
    "cbc": {"solver": "cbc"},
}


def _with_cbc(seed: int) -> bool:
    return seed in CBC_SAMPLE or seed in CBC_FAILING


@dataclass(frozen=True)
class Outcome:
    """One solve of one seed: status, objectives, stage statuses and checker findings."""

    status: Status
    shortfall: float
    cost: float
    stages: tuple[tuple[str, str, float | None], ...]
    violations: tuple[str, ...]

    def describe(self) -> str:
        stages = ", ".join(f"{name}={status}({value})" for name, status, value in self.stages)
        return f"{self.status.value} W={self.shortfall} C={self.cost} [{stages}]"


@functools.cache
def _raw(seed: int) -> dict[str, Any]:
    return rich_county(random.Random(seed))


@functools.cache
def _outcome(seed: int, how: str) -> Outcome | None:
    """The solve `how` of seed `seed`; None when the draw is not valid input."""
    raw = _raw(seed)
    try:
        scenario = scenario_from_dict(copy.deepcopy(raw))
    except ScenarioError:
        return None
    plan = solve(scenario, **SOLVES[how])
    stages = tuple((s.objective, s.status, s.value) for s in plan.solver.stages)
    violations = tuple(check_plan(raw, plan.to_dict())) if plan.status.has_plan else ()
    return Outcome(plan.status, plan.weighted_shortfall, plan.total_cost, stages, violations)


def _feasible(seed: int) -> bool:
    outcome = _outcome(seed, "default")
    return outcome is not None and outcome.status.has_plan


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= ABS_TOL + REL_TOL * max(abs(a), abs(b))


def _compare(a: Outcome, b: Outcome) -> int:
    """-1 when `a` is the better plan (less weighted shortfall, then less cost), 1 when `b`
    is, 0 when they agree within the tolerance."""
    if not _close(a.shortfall, b.shortfall):
        return -1 if a.shortfall < b.shortfall else 1
    if not _close(a.cost, b.cost):
        return -1 if a.cost < b.cost else 1
    return 0


def _problems(seed: int) -> list[str]:
    """Every way the solves of `seed` fall short of honest, equal optima."""
    names = ["default", "sets"] + (["cbc"] if _with_cbc(seed) else [])
    outcomes = {name: _outcome(seed, name) for name in names}
    problems = []
    for name, outcome in outcomes.items():
        assert outcome is not None
        if outcome.status == Status.TIME_LIMIT:
            problems.append(f"{name}: status time_limit without a time limit: {outcome.describe()}")
        if outcome.violations:
            problems.append(f"{name}: check_plan: {list(outcome.violations[:3])}")
        if not outcome.status.has_plan:
            problems.append(f"{name}: no plan ({outcome.status.value}) where default has one")
    default = outcomes["default"]
    assert default is not None
    for name in names[1:]:
        other = outcomes[name]
        assert other is not None
        if not other.status.has_plan:
            continue
        order = _compare(default, other)
        if order:
            worse, better = (name, "default") if order < 0 else ("default", name)
            problems.append(
                f"{worse} worse than {better}: default {default.describe()}; "
                f"{name} {other.describe()}"
            )
    return problems


@pytest.mark.parametrize("seed", SEEDS)
def test_stages_are_honest_and_optimal(seed: int) -> None:
    if _outcome(seed, "default") is None:
        pytest.skip("not valid input (ScenarioError)")
    if not _feasible(seed):
        # No plan by default: the sets formulation must agree that there is none.
        other = _outcome(seed, "sets")
        assert other is not None and not other.status.has_plan, other
        pytest.skip("no plan")
    known = DEFAULT_FAILING.get(seed) or SETS_FAILING.get(seed) or CBC_FAILING.get(seed)
    problems = _problems(seed)
    heading = f"seed {seed}" + (f" (failed on 592b781: {known})" if known else "")
    assert not problems, heading + ":\n" + "\n".join(problems)


def test_sample_reaches_enough_feasible_scenarios() -> None:
    """The sample cannot pass by skipping: most of its seeds are valid and have a plan."""
    feasible = [seed for seed in SAMPLE if _feasible(seed)]
    assert len(feasible) >= FEASIBLE_FLOOR, feasible
    assert all(_feasible(seed) for seed in [*DEFAULT_FAILING, *SETS_FAILING, *CBC_FAILING])
