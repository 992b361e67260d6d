"""Solve random county-size scenarios three ways and report every seed where the plans disagree.

    .venv/bin/python benchmarks/random_counties.py [--start 0] [--stop 1000] [--cbc-every 3]
        [--no-cbc] [--jobs 1] [--json out.json] [--verbose]

For each seed in [start, stop), `tests/rich_counties.rich_county(random.Random(seed))` draws a
scenario of 6-30 communities with every rule of the format switched on. Invalid input
(`ScenarioError`) is skipped, and so are scenarios for which no solver finds a plan. The rest is
solved with

  (a) `solve(s)`                      the default: formulation "auto" (naive below 100
                                      communities, through PuLP) with HiGHS;
  (b) `solve(s, formulation="sets")`  the sets formulation, in HiGHS as arrays;
  (c) `solve(s, solver="cbc")`        CBC on the naive formulation (slow: only on seeds
                                      divisible by --cbc-every, none with --no-cbc);

every plan is checked rule by rule by `tests/oracle.check_plan`, and the script reports each
seed where

  - a solver's status is `time_limit` although no time limit was given;
  - a plan breaks a rule (`check_plan`);
  - solvers disagree on whether there is a plan;
  - the objectives disagree: (weighted shortfall, total cost) compared lexicographically, each
    within 1e-4 absolute plus twice the requested MIP gap (1e-6) relative; the worse solver is
    named, with how much more it costs (or lacks).

For each reported seed it prints every solver's status, objectives and stage statuses
(`plan.solver.stages`: one `StageResult(objective, status, value, bound, gap)` a stage), and at
the end the counts and the failing seeds. Exit code 1 when anything was reported.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from oracle import check_plan  # noqa: E402
from rich_counties import rich_county  # noqa: E402

from allocator import ScenarioError, scenario_from_dict, solve  # noqa: E402

REQUESTED_GAP = 1e-6  # solve's default mip gap: plans within it of each other are both optimal
ABS_TOL = 1e-4
REL_TOL = 2 * REQUESTED_GAP
SOLVES = {
    "default": {},
    "sets": {"formulation": "sets"},
    "cbc": {"solver": "cbc"},
}


@dataclass
class Run:
    """One solver's result on one scenario."""

    status: str
    shortfall: float | None
    cost: float | None
    stages: list[tuple[str, str, float | None]]  # (objective, status, value)
    violations: list[str]
    runtime_s: float


@dataclass
class SeedResult:
    seed: int
    communities: int
    kind: str  # invalid, no_plan, compared
    runs: dict[str, Run] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _tolerance(a: float, b: float) -> float:
    return ABS_TOL + REL_TOL * max(abs(a), abs(b))


def compare(a: Run, b: Run) -> int:
    """-1 when `a` is the better plan, 1 when `b` is, 0 when they agree within tolerance."""
    assert a.shortfall is not None and b.shortfall is not None
    assert a.cost is not None and b.cost is not None
    if abs(a.shortfall - b.shortfall) > _tolerance(a.shortfall, b.shortfall):
        return -1 if a.shortfall < b.shortfall else 1
    if abs(a.cost - b.cost) > _tolerance(a.cost, b.cost):
        return -1 if a.cost < b.cost else 1
    return 0


def run_one(raw: dict[str, Any], scenario: Any, options: dict[str, Any]) -> Run:
    began = time.monotonic()
    plan = solve(scenario, **options)
    runtime = time.monotonic() - began
    stages = [(s.objective, s.status, s.value) for s in plan.solver.stages]
    if not plan.status.has_plan:
        return Run(plan.status.value, None, None, stages, [], runtime)
    violations = check_plan(raw, plan.to_dict())
    return Run(
        plan.status.value,
        plan.weighted_shortfall,
        plan.total_cost,
        stages,
        violations,
        runtime,
    )


def examine(seed: int, with_cbc: bool) -> SeedResult:
    """Draw, solve and compare one seed."""
    raw = rich_county(random.Random(seed))
    result = SeedResult(seed, len(raw["communities"]), "compared")
    try:
        scenario = scenario_from_dict(copy.deepcopy(raw))
    except ScenarioError:
        result.kind = "invalid"
        return result
    names = [n for n in SOLVES if n != "cbc" or with_cbc]
    for name in names:
        result.runs[name] = run_one(raw, scenario, SOLVES[name])
        if name == "sets" and not any(r.shortfall is not None for r in result.runs.values()):
            result.kind = "no_plan"  # neither HiGHS solve has a plan: CBC is not asked
            return result
    with_plan = [n for n in names if result.runs[n].shortfall is not None]
    for name in names:
        run = result.runs[name]
        if run.status == "time_limit":
            result.problems.append(f"{name}: status time_limit without a time limit")
        if run.violations:
            result.problems.append(f"{name}: check_plan: {run.violations[:3]}")
    if len(with_plan) != len(names):
        lacking = [n for n in names if n not in with_plan]
        result.problems.append(f"no plan from {', '.join(lacking)} (others found one)")
    for i, a in enumerate(with_plan):
        for b in with_plan[i + 1 :]:
            order = compare(result.runs[a], result.runs[b])
            if order:
                worse, better = (b, a) if order < 0 else (a, b)
                w, r = result.runs[worse], result.runs[better]
                assert w.cost is not None and r.cost is not None
                assert w.shortfall is not None and r.shortfall is not None
                extra = (
                    f"cost {w.cost:.6f} vs {r.cost:.6f} (+{100 * (w.cost / r.cost - 1):.4f}%)"
                    if r.cost > 0 and math.isclose(w.shortfall, r.shortfall, abs_tol=1e-3)
                    else f"shortfall {w.shortfall:.6f} vs {r.shortfall:.6f}"
                )
                result.problems.append(f"{worse} worse than {better}: {extra}")
    return result


def describe(result: SeedResult) -> str:
    lines = [f"seed {result.seed} ({result.communities} communities):"]
    for problem in result.problems:
        lines.append(f"    ! {problem}")
    for name, run in result.runs.items():
        stages = ", ".join(
            f"{objective}={status}" + ("" if value is None else f"({value:.6f})")
            for objective, status, value in run.stages
        )
        lines.append(
            f"    {name:8s} {run.status:10s} W={run.shortfall} C={run.cost}"
            f"  stages: {stages}  [{run.runtime_s:.2f} s]"
        )
    return "\n".join(lines)


def _work(job: tuple[int, bool]) -> SeedResult:
    return examine(*job)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--stop", type=int, default=1000)
    parser.add_argument(
        "--cbc-every", type=int, default=3, help="CBC on seeds divisible by this (1: every seed)"
    )
    parser.add_argument("--no-cbc", action="store_true", help="skip CBC altogether")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--json", type=Path, help="write every seed's result here")
    parser.add_argument("--verbose", action="store_true", help="one line per seed")
    args = parser.parse_args()

    jobs = [
        (seed, not args.no_cbc and seed % max(args.cbc_every, 1) == 0)
        for seed in range(args.start, args.stop)
    ]
    began = time.monotonic()
    results: list[SeedResult] = []
    if args.jobs > 1:
        import multiprocessing

        with multiprocessing.Pool(args.jobs) as pool:
            stream = pool.imap(_work, jobs)
            for result in stream:
                results.append(result)
                _progress(result, args.verbose)
    else:
        for job in jobs:
            result = _work(job)
            results.append(result)
            _progress(result, args.verbose)
    wall = time.monotonic() - began

    compared = [r for r in results if r.kind == "compared"]
    with_cbc = [r for r in compared if "cbc" in r.runs]
    failing = [r for r in compared if r.problems]
    print()
    print(f"seeds {args.start}..{args.stop - 1}: {len(results)} drawn in {wall:.0f} s")
    print(f"  invalid input (ScenarioError): {sum(r.kind == 'invalid' for r in results)}")
    print(f"  no plan from any solver:       {sum(r.kind == 'no_plan' for r in results)}")
    print(f"  feasible, compared:            {len(compared)} (CBC on {len(with_cbc)})")
    for name in SOLVES:
        ran = [r for r in compared if name in r.runs]
        if not ran:
            continue
        limit = sum(r.runs[name].status == "time_limit" for r in ran)
        broken = sum(bool(r.runs[name].violations) for r in ran)
        worse = sum(any(p.startswith(f"{name} worse") for p in r.problems) for r in ran)
        mean = sum(r.runs[name].runtime_s for r in ran) / len(ran)
        print(
            f"  {name:8s} on {len(ran):4d}: worse than another {worse:3d}, "
            f"status time_limit {limit:3d}, check_plan failures {broken:3d}, "
            f"mean {mean:.2f} s"
        )
    rate = len(failing) / len(compared) if compared else 0.0
    print(f"  seeds with a problem: {len(failing)} of {len(compared)} feasible ({100 * rate:.2f}%)")
    print(f"  failing seeds: {[r.seed for r in failing]}")
    if failing:
        print()
        for result in failing:
            print(describe(result))
    if args.json:
        args.json.write_text(
            json.dumps([asdict(r) for r in results], indent=1, ensure_ascii=False),
            encoding="utf-8",
        )
    return 1 if failing else 0


def _progress(result: SeedResult, verbose: bool) -> None:
    if verbose:
        runs = "  ".join(f"{n}:{r.status}:{r.shortfall}:{r.cost}" for n, r in result.runs.items())
        print(f"{result.seed:6d} {result.kind:8s} {runs}", flush=True)
    elif result.problems:
        print(describe(result), flush=True)
    elif result.seed % 50 == 0:
        print(f"... seed {result.seed}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
