"""Time a 100-point sweep of the 2024 county's budget (premises, one period) through the real
command line.

    .venv/bin/python benchmarks/sweep.py [--runs 3] [--jobs 2]

Runs `allocator sweep scenarios/2024_premises.yaml --vary funding[county].budget=255:750:5
--jobs N --format csv` (100 points) in a fresh process each time, and reports the median wall
time of the runs, the wall time per point (median wall / 100), and the mean time HiGHS's two
stages took per point inside the workers (the plans' runtime_s).
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILE = "scenarios/2024_premises.yaml"
VARY = "funding[county].budget=255:750:5"  # 255, 260, ..., 750: 100 points
POINTS = 100


def run_once(jobs: int) -> tuple[float, list[dict[str, str]]]:
    command = [
        sys.executable,
        "-m",
        "allocator",
        "sweep",
        str(ROOT / FILE),
        "--vary",
        VARY,
        "--jobs",
        str(jobs),
        "--format",
        "csv",
    ]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    wall = time.perf_counter() - began
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    if len(rows) != POINTS:
        raise SystemExit(f"expected {POINTS} rows, got {len(rows)}")
    return wall, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    walls, solves = [], []
    for run in range(1, args.runs + 1):
        wall, rows = run_once(args.jobs)
        walls.append(wall)
        solves.extend(float(r["runtime_s"]) for r in rows)
        statuses = {r["状态 Status"] for r in rows}
        print(f"run {run}: {wall:.2f} s wall, statuses {sorted(statuses)}", flush=True)
    median = statistics.median(walls)
    print(f"\n{POINTS}-point sweep of {FILE}, --jobs {args.jobs}, {args.runs} runs")
    print(f"median wall time        {median:.2f} s (runs: {', '.join(f'{w:.2f}' for w in walls)})")
    print(f"wall time per point     {median / POINTS * 1000:.0f} ms")
    print(
        f"solve time per point    {statistics.mean(solves) * 1000:.0f} ms mean, "
        f"{statistics.median(solves) * 1000:.0f} ms median (inside the workers)"
    )


if __name__ == "__main__":
    main()
