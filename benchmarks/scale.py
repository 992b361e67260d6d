"""Speed and memory at county, city and province size, measured on one machine in one run.

    .venv/bin/python benchmarks/scale.py                  # 27, 1,000 and 10,000 communities
    .venv/bin/python benchmarks/scale.py --huge           # also 100,000
    .venv/bin/python benchmarks/scale.py --write docs/performance.md

Every measurement runs in a fresh process (so that peak memory is that run's own): loading
and validating the scenario file; building the model (the combinations formulation as arrays,
and the reference formulation through PuLP); and solving, end to end, with each formulation
to the gap the size calls for, under a wall-clock limit. Synthetic provinces come from
`allocator generate` with seed 1, so anyone can reproduce the figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# communities -> (gap, time limit in seconds)
SIZES = {27: (1e-6, 60.0), 1_000: (1e-6, 180.0), 10_000: (1e-4, 120.0)}
HUGE = {100_000: (1e-3, 600.0)}

_CHILD = r"""
import json, resource, sys, time
task, path, formulation, gap, limit = sys.argv[1:6]
began = time.perf_counter()
from allocator.scenario import load_scenario
scenario = load_scenario(path)
loaded = time.perf_counter()
result = {"load_s": loaded - began}
if task == "build":
    if formulation == "sets":
        from allocator.matrix import build_matrix
        build_matrix(scenario)
    else:
        from allocator.model import build_model
        build_model(scenario, formulation="naive")
    result["build_s"] = time.perf_counter() - loaded
else:
    from allocator.solving import solve
    plan = solve(scenario, formulation=formulation, gap=float(gap), time_limit=float(limit))
    result.update(
        solve_s=time.perf_counter() - loaded, status=plan.status.value, gap=plan.solver.gap,
        weighted_shortfall=plan.weighted_shortfall, total_cost=plan.total_cost,
    )
result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def scenario_file(communities: int, folder: Path) -> Path:
    if communities == 27:
        return ROOT / "scenarios" / "2024.yaml"
    path = folder / f"province_{communities}.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "allocator",
            "generate",
            "--communities",
            str(communities),
            "--seed",
            "1",
            "--out",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path


def measure(task: str, path: Path, formulation: str, gap: float, limit: float) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, task, str(path), formulation, str(gap), str(limit)],
        capture_output=True,
        text=True,
        timeout=limit * 3 + 600,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(sizes: dict[int, tuple[float, float]]) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for communities, (gap, limit) in sizes.items():
            path = scenario_file(communities, Path(folder))
            row: dict = {"communities": communities, "gap": gap, "limit_s": limit}
            for formulation in ("sets", "naive"):
                row[f"build_{formulation}"] = measure("build", path, formulation, gap, limit)
                row[f"solve_{formulation}"] = measure("solve", path, formulation, gap, limit)
                print(communities, formulation, row[f"solve_{formulation}"], flush=True)
            rows.append(row)
    return rows


def _cell(result: dict, key: str, fmt: str = "{:.2f}") -> str:
    value = result.get(key)
    return "-" if value is None else fmt.format(value)


def table(rows: list[dict]) -> str:
    lines = [
        "| communities | gap asked | load s | build s (sets / PuLP reference) | solve s, sets "
        "| status, gap | solve s, reference | status, gap | peak MB (sets / reference) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        sets, naive = row["solve_sets"], row["solve_naive"]
        lines.append(
            f"| {row['communities']:,} | {row['gap']:g} | {_cell(sets, 'load_s')} "
            f"| {_cell(row['build_sets'], 'build_s')} / {_cell(row['build_naive'], 'build_s')} "
            f"| {_cell(sets, 'solve_s')} | {sets.get('status', sets.get('error'))}, "
            f"{_cell(sets, 'gap', '{:.1e}')} | {_cell(naive, 'solve_s')} "
            f"| {naive.get('status', naive.get('error'))}, {_cell(naive, 'gap', '{:.1e}')} "
            f"| {_cell(sets, 'peak_mb', '{:.0f}')} / {_cell(naive, 'peak_mb', '{:.0f}')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huge", action="store_true", help="also 100,000 communities")
    parser.add_argument("--write", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args()
    sizes = {**SIZES, **(HUGE if args.huge else {})}
    started = time.time()
    rows = run(sizes)
    text = table(rows)
    print(text)
    if args.write:
        machine = f"{platform.machine()}, Python {platform.python_version()}"
        args.write.write_text(
            f"# Performance\n\nMeasured {date.today()} on {machine}, 2 cores, with "
            f"`python benchmarks/scale.py{' --huge' if args.huge else ''} --write {args.write}` "
            f"({time.time() - started:.0f} s in all). Each cell is one fresh process.\n\n"
            f"{text}\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
