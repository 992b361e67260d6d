"""Speed of the campaign model: staff and years beside premises.

    .venv/bin/python benchmarks/campaign.py                      # the county files, 9 runs each
    .venv/bin/python benchmarks/campaign.py --province 2000      # and a province over 3 years

1. The county end to end (`allocator solve FILE --format json`, process start to exit), median
   and worst of `--runs` runs, interleaved: scenarios/2024_premises.yaml (premises),
   2024_staff.yaml (with staff) and 2024.yaml (the whole campaign: staff and 3 years).
2. With `--province N`: `allocator generate -n N --seed S --staff --years 3` (each county-wide
   budget approved in three equal yearly parts, carried over; every route free to start in any
   year it can be ready by the last), solved with `--gap` and `--time-limit`: wall time,
   status and gap, per seed.
Results go to benchmarks/campaign.json (and are printed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "allocator"
COUNTY = ("2024_premises.yaml", "2024_staff.yaml", "2024.yaml")
YEARS = [2024, 2025, 2026]


def _run(args: list[str]) -> tuple[float, dict]:
    began = time.perf_counter()
    done = subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - began
    try:
        plan = json.loads(done.stdout)
    except json.JSONDecodeError:
        plan = {"status": f"exit {done.returncode}", "solver": {}}
    return seconds, plan


def county(runs: int) -> dict[str, dict]:
    times: dict[str, list[float]] = {name: [] for name in COUNTY}
    plans: dict[str, dict] = {}
    for _ in range(runs):
        for name in COUNTY:
            seconds, plans[name] = _run(["solve", f"scenarios/{name}", "--format", "json"])
            times[name].append(seconds)
    return {
        name: {"median_s": round(statistics.median(t), 3), "worst_s": round(max(t), 3),
               "runs": len(t), "status": plans[name]["status"],
               "solve_s": plans[name]["solver"].get("runtime_s")}
        for name, t in times.items()
    }  # fmt: skip


def province(n: int, seeds: list[int], gap: float, limit: float) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in seeds:
            path = Path(folder) / f"p{n}_{seed}.yaml"
            subprocess.run([str(BIN), "generate", "-n", str(n), "--seed", str(seed), "--staff",
                            "--years", str(len(YEARS)), "--out", str(path)], check=True,
                           capture_output=True)  # fmt: skip
            args = ["solve", str(path), "--format", "json", "--gap", str(gap)]
            seconds, plan = _run([*args, "--time-limit", str(limit)])
            rows.append({"communities": n, "seed": seed, "years": 3, "gap_asked": gap,
                         "time_limit_s": limit, "wall_s": round(seconds, 1),
                         "status": plan["status"], "gap": plan["solver"].get("gap"),
                         "weighted_shortfall": plan.get("weighted_shortfall"),
                         "posts_short": plan.get("posts_short")})  # fmt: skip
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--province", type=int, default=0, help="communities (0: none)")
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--gap", type=float, default=1e-4)
    parser.add_argument("--time-limit", type=float, default=600.0)
    args = parser.parse_args()
    results = {"date": date.today().isoformat(), "county": county(args.runs)}
    print(json.dumps(results["county"], indent=1), flush=True)
    if args.province:
        seeds = [int(s) for s in args.seeds.split(",")]
        results["province"] = province(args.province, seeds, args.gap, args.time_limit)
    out = ROOT / "benchmarks" / "campaign.json"
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
