"""Speed and memory at county, city and province size, measured on one machine in one run.

    .venv/bin/python benchmarks/scale.py                  # 27, 1,000 and 10,000 communities
    .venv/bin/python benchmarks/scale.py --huge           # also 100,000
    .venv/bin/python benchmarks/scale.py --write docs/performance.md

Every measurement runs in a fresh process, so that its peak memory is its own; the imports
(pandas, numpy, highspy, PuLP, allocator) are timed apart, once per process. Per size:
- `allocator`: the product's solve (`allocator.solving.lexicographic.solve`, formulation "auto": the
  reference formulation below 100 communities, the sets formulation as arrays into HiGHS
  above, decomposition by group from 3,000), split into load and validation, model build,
  hand-over to the solver, time inside HiGHS, read-back and report (the plan, its three
  tables and its JSON), and the rest (orchestration between solver runs);
- `pulp`: the same sets formulation as PuLP objects (`build_model(..., "sets")`), handed to
  HiGHS by `BulkHiGHS` and read back through PuLP's variables: the modelling layer;
- `naive`: the reference formulation (`formulation="naive"`) solved to the same gap under a
  wall-clock limit: the formulation the sets one replaces.
And `allocator solve scenarios/2024_premises.yaml` end to end (process start to last line),
median of 7 runs. Synthetic provinces come from `allocator generate --seed 1`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# communities -> (gap, time limit of the allocator run, time limit of the naive run), seconds
SIZES = {27: (1e-6, 60.0, 60.0), 1_000: (1e-6, 600.0, 900.0), 10_000: (1e-4, 600.0, 300.0)}
HUGE = {100_000: (1e-3, 600.0, 0.0)}  # the naive formulation is not run at 100,000
NOTES = "<!-- notes: kept when the tables above are written again -->"

_CHILD = r"""
import json, resource, sys, time
task, path, gap, limit = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
clock = time.perf_counter
spent = {"build": 0.0, "handover": 0.0, "solver": 0.0, "readback": 0.0}

def timed(owner, name, phase):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        began = clock()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[phase] += clock() - began
    setattr(owner, name, wrapper)

began = clock()  # imports once per process (a notebook has them already), timed apart
import highspy, numpy, pandas, pulp
import allocator.model.reference as model
import allocator.solving.chunks as chunks, allocator.solving.decompose as decompose
import allocator.solving.direct as direct, allocator.solving.highs as highs
import allocator.solving.lexicographic as solving, allocator.solving.pulp_highs as pulp_highs
from allocator.scenario.loading import load_scenario
result = {"imports_s": clock() - began}
began = clock()
scenario = load_scenario(path)
result["load_s"] = clock() - began
if task in ("allocator", "naive"):
    timed(direct, "build_matrix", "build"); timed(decompose, "build_matrix", "build")
    timed(chunks, "build_matrix", "build"); timed(solving, "build_model", "build")
    timed(direct, "from_matrix", "handover"); timed(decompose, "from_matrix", "handover")
    timed(chunks, "from_matrix", "handover")
    timed(pulp_highs.BulkHiGHS, "buildSolverModel", "handover")
    timed(highs.HighsModel, "run", "solver")  # the decomposition's master LPs too
    timed(pulp_highs.BulkHiGHS, "callSolver", "solver")
    timed(direct, "readout", "readback"); timed(decompose, "readout", "readback")
    timed(pulp_highs.BulkHiGHS, "findSolutionValues", "readback")
    timed(solving, "_plan_from", "readback")
    started = clock()
    formulation = "naive" if task == "naive" else "auto"
    plan = solving.solve(scenario, formulation=formulation, gap=gap, time_limit=limit)
    report = clock()
    if plan.status.has_plan:
        plan.communities, plan.options, plan.funding, json.dumps(plan.to_dict())
    spent["readback"] += clock() - report
    total = clock() - started
    result.update({f"{k}_s": v for k, v in spent.items()})
    result.update(
        total_s=total, other_s=total - sum(spent.values()), status=plan.status.value,
        gap=plan.solver.gap, weighted_shortfall=plan.weighted_shortfall,
        total_cost=plan.total_cost,
        stages=[[s.status, s.value, s.bound, s.gap] for s in plan.solver.stages],
    )
else:  # the PuLP layer for the sets formulation: build, hand over, read back; no solve
    import numpy as np
    started = clock()
    built = model.build_model(scenario, formulation="sets")
    result["build_s"] = clock() - started
    built.problem.setObjective(built.weighted_shortfall)
    started = clock()
    handover = pulp_highs.BulkHiGHS(msg=False)
    handover.createAndConfigureSolver(built.problem)
    handover.buildSolverModel(built.problem)
    result["handover_s"] = clock() - started
    started = clock()
    variables = built.problem.variables()
    values = np.zeros(len(variables))
    for var, value in zip(variables, values.tolist()):
        var.varValue = value
    solving._readout_of(built)
    result["readback_s"] = clock() - started
result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def scenario_file(communities: int, folder: Path, seed: int = 1) -> Path:
    if communities == 27:
        return ROOT / "scenarios" / "2024_premises.yaml"
    path = folder / f"province_{communities}_{seed}.yaml"
    command = [
        sys.executable,
        "-m",
        "allocator",
        "generate",
        "--communities",
        str(communities),
        "--seed",
        str(seed),
        "--out",
        str(path),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return path


def measure(task: str, path: Path, gap: float, limit: float) -> dict:
    command = [sys.executable, "-c", _CHILD, task, str(path), str(gap), str(limit)]
    grace = 300.0  # for loading, building and reading back around the solver's limit
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit + grace)
    except subprocess.TimeoutExpired:
        return {"error": f"still running {limit + grace:.0f} s after start (limit {limit:.0f} s)"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def county_end_to_end(runs: int = 7) -> float:
    """Median seconds of `allocator solve scenarios/2024_premises.yaml`, process start to last
    line."""
    command = [
        str(Path(sys.executable).parent / "allocator"),
        "solve",
        str(ROOT / "scenarios" / "2024_premises.yaml"),
    ]
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def run(sizes: dict[int, tuple[float, float, float]]) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for communities, (gap, limit, naive_limit) in sizes.items():
            path = scenario_file(communities, Path(folder))
            row: dict = {
                "communities": communities,
                "gap": gap,
                "limit_s": limit,
                "naive_limit_s": naive_limit,
            }
            row["allocator"] = measure("allocator", path, gap, limit)
            print(communities, "allocator", row["allocator"], flush=True)
            row["pulp"] = measure("pulp", path, gap, limit)
            print(communities, "pulp layer", row["pulp"], flush=True)
            row["naive"] = measure("naive", path, gap, naive_limit) if naive_limit else {}
            print(communities, "naive", row["naive"], flush=True)
            rows.append(row)
    return rows


def _f(result: dict, key: str, fmt: str = "{:.2f}") -> str:
    value = result.get(key)
    return "-" if value is None else fmt.format(value)


def _modelling(result: dict) -> float | None:
    parts = [result.get(k) for k in ("build_s", "handover_s", "readback_s")]
    return None if any(p is None for p in parts) else sum(parts)


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if not a or not b else f"{a / b:.2f}"


def _outcome(result: dict) -> str:
    if "error" in result:
        return f"error: {result['error']}"
    if not result:
        return "not run"
    gap = result.get("gap")
    return f"{result.get('status')}, gap {'-' if gap is None else f'{gap:.1e}'}"


def tables(rows: list[dict]) -> str:
    phases = [
        "| communities | gap asked | run | imports s | load + validation s | build s "
        "| hand-over s | in HiGHS s | read-back + report s | other s | total s (after load) "
        "| peak MiB | outcome |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ratios = [
        "| communities | modelling layer, allocator s (build + hand-over + read-back) "
        "| same, PuLP objects s | PuLP / arrays | modelling / in-HiGHS (allocator) "
        "| naive total / allocator total |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        label = f"{row['communities']:,}"
        for name in ("allocator", "pulp", "naive"):
            r = row[name]
            if not r:
                continue
            total = "-" if "total_s" not in r else f"{r['total_s']:.2f}"
            phases.append(
                f"| {label} | {row['gap']:g} | {name} | {_f(r, 'imports_s')} | {_f(r, 'load_s')} "
                f"| {_f(r, 'build_s')} "
                f"| {_f(r, 'handover_s')} | {_f(r, 'solver_s')} | {_f(r, 'readback_s')} "
                f"| {_f(r, 'other_s')} | {total} | {_f(r, 'peak_mb', '{:.0f}')} "
                f"| {_outcome(r) if name != 'pulp' else 'no solve'} |"
            )
        ours, pulp, naive = row["allocator"], row["pulp"], row["naive"]
        ratios.append(
            f"| {label} | {_f({'m': _modelling(ours)}, 'm')} | {_f({'m': _modelling(pulp)}, 'm')} "
            f"| {_ratio(_modelling(pulp), _modelling(ours))} "
            f"| {_ratio(_modelling(ours), ours.get('solver_s'))} "
            f"| {_ratio(naive.get('total_s'), ours.get('total_s'))}"
            f"{' (naive stopped at its limit)' if naive.get('status') == 'time_limit' else ''} |"
        )
    return "\n".join(phases) + "\n\n" + "\n".join(ratios)


def goals(rows: list[dict], county: float) -> str:
    """Each goal of the scale work, checked against this run's figures."""
    by_size = {row["communities"]: row for row in rows}
    lines = [
        f"- County end to end under 1 s (median): {county:.2f} s, "
        f"{'met' if county < 1 else 'NOT met'}."
    ]
    for size, row in sorted(by_size.items()):
        ours, pulp = row["allocator"], row["pulp"]
        modelling, solver = _modelling(ours), ours.get("solver_s")
        if modelling is not None and solver:
            share = modelling / solver
            lines.append(
                f"- {size:,}: modelling layer {modelling:.2f} s = {share:.2f} of the "
                f"{solver:.2f} s in HiGHS ({'met' if share <= 0.25 else 'NOT met'}: "
                "at most 1/4)."
            )
        if size == 10_000 and _modelling(pulp) and modelling:
            ratio = _modelling(pulp) / modelling
            lines.append(
                f"- 10,000: the same model as PuLP objects costs {ratio:.2f} times the "
                f"arrays ({'met' if ratio <= 1.5 else 'NOT met'}: at most 1.5)."
            )
    row = by_size.get(1_000)
    if row and row["naive"].get("total_s") and row["allocator"].get("total_s"):
        speed = row["naive"]["total_s"] / row["allocator"]["total_s"]
        proven = row["naive"].get("status") == "optimal"
        lines.append(
            f"- 1,000 to a 1e-6 gap: {speed:.1f} times faster than the naive formulation"
            f"{'' if proven else ' (which stopped at its limit: at least that)'} "
            f"({'met' if speed >= 10 else 'NOT met'}: at least 10)."
        )
    for size, gap, seconds, memory in ((10_000, 1e-4, 60, None), (100_000, 1e-3, 600, 8192)):
        row = by_size.get(size)
        if not row or "total_s" not in row["allocator"]:
            continue
        r = row["allocator"]
        took = r.get("imports_s", 0.0) + r["load_s"] + r["total_s"]
        reached = r.get("gap") is not None and r["gap"] <= gap * 1.0001
        ok = reached and took < seconds and (memory is None or r["peak_mb"] < memory)
        lines.append(
            f"- {size:,} to a {gap:g} gap in under {seconds} s"
            f"{'' if memory is None else f' and {memory // 1024} GB'}: {took:.0f} s, gap "
            f"{'-' if r.get('gap') is None else format(r['gap'], '.1e')}, status {r['status']}, "
            f"{r['peak_mb']:.0f} MiB ({'met' if ok else 'NOT met'})."
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            line
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory_gb = int(memory.split()[1]) / 1024**2
    except (OSError, StopIteration):
        memory_gb = 0.0
    from importlib.metadata import version

    return (
        f"{cpu}, {os.cpu_count()} cores, {memory_gb:.0f} GB; Python "
        f"{platform.python_version()}, HiGHS {version('highspy')}, PuLP {version('pulp')}"
    )


def over_seeds(sizes: dict[int, tuple[float, float, float]], seeds: list[int]) -> None:
    """The product's solve only (task "allocator"), once per seed and size: each run's total
    after loading, status and gap, then the median and worst per size; to
    benchmarks/results_seeds.json."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for communities, (gap, limit, _) in sizes.items():
            for seed in seeds:
                path = scenario_file(communities, Path(folder), seed)
                row = {"communities": communities, "seed": seed, "gap": gap, "limit_s": limit}
                row.update(measure("allocator", path, gap, limit))
                print(json.dumps(row), flush=True)
                rows.append(row)
                record = {
                    "command": " ".join(["python benchmarks/scale.py", *sys.argv[1:]]),
                    "load_average": os.getloadavg(),
                    "rows": rows,
                }
                (ROOT / "benchmarks" / "results_seeds.json").write_text(
                    json.dumps(record, indent=1), encoding="utf-8"
                )
    for communities in sizes:
        done = [r for r in rows if r["communities"] == communities and "error" not in r]
        totals = sorted(_total(r) for r in done)
        if totals:
            print(
                f"{communities:,}: median {statistics.median(totals):.1f} s, worst "
                f"{totals[-1]:.1f} s over {len(totals)} seeds; statuses "
                f"{sorted({str(r.get('status')) for r in done})}"
            )


def _total(row: dict) -> float:
    """Seconds after loading: build, hand-over, solve, read-back and report."""
    return float(row.get("total_s") or 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", help="comma-separated seeds: only the product's solve, once per seed and size"
    )
    parser.add_argument("--huge", action="store_true", help="also 100,000 communities")
    parser.add_argument("--sizes", help="comma-separated community counts (default 27,1000,10000)")
    parser.add_argument(
        "--write",
        type=Path,
        help="write the tables into this Markdown file (what follows its notes marker is kept)",
    )
    parser.add_argument("--replay", type=Path, help="tables from a saved results.json")
    args = parser.parse_args()
    sizes = {**SIZES, **(HUGE if args.huge else {})}
    if args.sizes:
        wanted = {int(n) for n in args.sizes.split(",")}
        sizes = {n: v for n, v in {**SIZES, **HUGE}.items() if n in wanted}
    started = time.time()
    if args.seeds:
        over_seeds(sizes, [int(x) for x in args.seeds.split(",")])
        return
    if args.replay:
        saved = json.loads(args.replay.read_text(encoding="utf-8"))
        county, rows, elapsed, command = (
            saved["county_s"],
            saved["rows"],
            saved["elapsed_s"],
            saved["command"],
        )
    else:
        county = county_end_to_end()
        print(f"allocator solve scenarios/2024_premises.yaml: median {county:.2f} s", flush=True)
        rows = run(sizes)
        elapsed = time.time() - started
        command = " ".join(["python benchmarks/scale.py", *sys.argv[1:]])
        results = ROOT / "benchmarks" / "results.json"
        results.write_text(
            json.dumps(
                {"county_s": county, "rows": rows, "elapsed_s": elapsed, "command": command},
                indent=1,
            ),
            encoding="utf-8",
        )
    text = tables(rows) + "\n\nGoals, checked against these figures:\n\n" + goals(rows, county)
    print(text)
    if args.write:
        notes = ""
        if args.write.exists():
            old = args.write.read_text(encoding="utf-8")
            if NOTES in old:
                notes = old[old.index(NOTES) :]
        args.write.write_text(
            f"# Performance\n\n<!-- generated by benchmarks/scale.py -->\n\nMeasured "
            f"{date.today()} on {machine()}, with `{command}` "
            f"({elapsed:.0f} s in all). "
            f"Each row is one fresh process; the machine is shared, so figures move by 10-30% "
            f"between runs.\n\n`allocator solve scenarios/2024_premises.yaml`, process start to "
            f"last line: median {county:.2f} s of 7 runs.\n\n{text}\n\n{notes}",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
