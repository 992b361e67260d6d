"""The county end to end, two codes compared on one machine at one time.

    git worktree add /tmp/oldc 592b781
    git worktree add --detach /tmp/newc main
    .venv/bin/python benchmarks/county_ab.py /tmp/oldc /tmp/newc --runs 11

Each run is `cd ROOT && PYTHONPATH=ROOT python -m allocator solve SCENARIO > /dev/null` (this
venv's python), SCENARIO the premises county in one period: scenarios/2024_premises.yaml, or
scenarios/2024.yaml in a tree from before that file took the whole campaign. Timed from process
start to exit; the two codes take turns (old, new, old, new, ...), so that a change in the
machine's load falls on both. Twice: once with every module's compiled file in place (`python
-m compileall -q allocator` in both trees) and once without any (`__pycache__` folders of the
two trees' `allocator` removed, and none written, PYTHONDONTWRITEBYTECODE=1). Prints the median
and the spread of each, and new / old. Results to benchmarks/county_ab.json (`--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
COMMAND = ["-m", "allocator", "solve"]
PREMISES = ("scenarios/2024_premises.yaml", "scenarios/2024.yaml")  # the newer name first


def premises(root: Path) -> str:
    """The premises county's file in this tree (its name before the campaign took 2024.yaml)."""
    return next(name for name in PREMISES if (root / name).is_file())


def run_once(root: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    began = time.perf_counter()
    done = subprocess.run(
        [PYTHON, *COMMAND, premises(root)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{root}: exit {done.returncode}")
    return took


def set_compiled(root: Path, compiled: bool) -> None:
    for folder in (root / "allocator").rglob("__pycache__"):
        shutil.rmtree(folder)
    if compiled:
        subprocess.run([PYTHON, "-m", "compileall", "-q", "allocator"], cwd=root, check=True)


def compare(old: Path, new: Path, runs: int, compiled: bool) -> dict:
    for root in (old, new):
        set_compiled(root, compiled)
        run_once(root)  # a first run of each, not counted: the files in the page cache
    times: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(runs):
        times["old"].append(run_once(old))
        times["new"].append(run_once(new))
    old_median = statistics.median(times["old"])
    new_median = statistics.median(times["new"])
    return {
        "compiled": compiled,
        "runs": runs,
        "old_median_s": round(old_median, 3),
        "new_median_s": round(new_median, 3),
        "ratio": round(new_median / old_median, 3),
        "old_s": [round(t, 3) for t in times["old"]],
        "new_s": [round(t, 3) for t in times["new"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("county_ab.json"))
    args = parser.parse_args()
    results = []
    for compiled in (True, False):
        result = compare(args.old, args.new, args.runs, compiled)
        results.append(result)
        print(
            f"{'with' if compiled else 'without'} compiled files: old {result['old_median_s']} s,"
            f" new {result['new_median_s']} s (medians of {args.runs}), new/old {result['ratio']}"
        )
    for root in (args.old, args.new):
        set_compiled(root, True)
    load = os.getloadavg()
    args.out.write_text(
        json.dumps(
            {
                "command": f"cd ROOT && PYTHONPATH=ROOT {PYTHON} {' '.join(COMMAND)} "
                f"{premises(args.old)} (old), {premises(args.new)} (new) > /dev/null",
                "old": str(args.old),
                "new": str(args.new),
                "load_average_after": [round(x, 2) for x in load],
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
