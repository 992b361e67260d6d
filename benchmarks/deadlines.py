"""Do the commands keep their time limit? Wall time from process start to exit, per command.

    .venv/bin/python benchmarks/deadlines.py      # 500, 1,000, 3,000, 10,000 x 5/10/30 s x 5
    .venv/bin/python benchmarks/deadlines.py --sizes 1000 --limits 5,10 --commands solve,explain

Results go to benchmarks/deadlines.json (`--out`), written again after every run, so a long
run cut short keeps what it measured.

Each run is a fresh `python -m allocator ...` process on a generated province (`allocator
generate`, seed 1), timed from its start to its exit. A command keeps its limit when it exits
within limit x 1.1 + 2 s (a sweep: that per point, times the points each of its processes
solves). The table gives the wall time, that bound, the exit code, the status and gap of the
plan, and what the command says it cut short. A run still going 60 s past its bound is killed
(its process group) and shown as such. Long: about 3 minutes per size and limit; not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMANDS = (
    "solve",
    "solve-cbc",
    "solve-explain",
    "explain",
    "alternatives",
    "compare",
    "sweep",
)
SWEEP_POINTS = 2  # the sweep varies one budget over two values, in one process
OVERRUN_KILL_S = 60.0


@dataclass(frozen=True)
class Run:
    communities: int
    command: str
    limit_s: float
    wall_s: float
    bound_s: float
    exit_code: int | None
    status: str
    gap: str
    cut_short: str

    @property
    def within(self) -> bool:
        return self.exit_code is not None and self.wall_s <= self.bound_s


def province(communities: int, folder: Path) -> tuple[Path, str, str]:
    """A generated province as JSON; its first community id and first funding source id."""
    from allocator.scenario.synthetic import generate_scenario

    data = generate_scenario(communities, seed=1)
    path = folder / f"province{communities}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path, data["communities"][0]["id"], data["funding"][0]["id"]


def arguments(command: str, path: Path, community: str, source: str, limit: float) -> list[str]:
    limit_args = ["--time-limit", f"{limit:g}", "--format", "json"]
    return {
        "solve": ["solve", str(path), *limit_args],
        "solve-cbc": ["solve", str(path), "--solver", "cbc", *limit_args],
        "solve-explain": ["solve", str(path), "--explain", *limit_args],
        "explain": ["explain", str(path), community, *limit_args],
        "alternatives": ["alternatives", str(path), *limit_args],
        "compare": ["compare", str(path), str(path), *limit_args],
        "sweep": ["sweep", str(path), "--vary", f"funding[{source}].budget*=0.9,1.1", *limit_args],
    }[command]


def bound_s(command: str, limit: float) -> float:
    points = SWEEP_POINTS if command == "sweep" else 1
    return math.ceil(points) * (limit * 1.1 + 2.0)


def run(command: str, path: Path, community: str, source: str, limit: float, size: int) -> Run:
    args = [sys.executable, "-m", "allocator", *arguments(command, path, community, source, limit)]
    bound = bound_s(command, limit)
    began = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, start_new_session=True
    )
    try:
        out, _ = process.communicate(timeout=bound + OVERRUN_KILL_S)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        code = None
    wall = time.perf_counter() - began
    status, gap, cut = read_result(command, out)
    if code is None:
        status = f"killed {OVERRUN_KILL_S:g} s past the bound"
    return Run(size, command, limit, wall, bound, code, status, gap, cut)


def read_result(command: str, out: bytes) -> tuple[str, str, str]:
    """Status, gap and what was cut short, from the command's JSON."""
    try:
        data = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "no JSON", "-", "-"
    if command == "alternatives":
        plan, cut = data["optimal"], data.get("cut_short", [])
        cut = [*plan.get("cut_short", []), *cut]
        found = len(data.get("alternatives", []))
        return f"{plan['status']}, {found} alternatives", _gap(plan), _parts(cut)
    if command == "explain":
        return data.get("status", "-"), "-", _parts(data.get("cut_short", []))
    if command == "compare":
        rows = data.get("scenarios", [])
        return ", ".join(str(r.get("status")) for r in rows), "-", _parts(data.get("cut_short", []))
    if command == "sweep":
        statuses = ", ".join(str(r.get("status")) for r in data)
        cut = "; ".join(str(r["cut_short"]) for r in data if r.get("cut_short"))
        return statuses, "-", cut[:60] or "-"
    return data["status"], _gap(data), _parts(data.get("cut_short", []))


def _gap(plan: dict) -> str:
    gap = plan.get("solver", {}).get("gap")
    return "-" if gap is None else f"{gap:.1e}"


def _parts(cut: list[dict]) -> str:
    return ", ".join(f"{c['part']} ({c['how']})" for c in cut) or "-"


def table(runs: list[Run]) -> str:
    head = (
        "| communities | command | limit s | wall s | bound s | within | exit | status | gap "
        "| cut short |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {r.communities:,} | {r.command} | {r.limit_s:g} | {r.wall_s:.2f} | {r.bound_s:.1f} "
        f"| {'yes' if r.within else 'NO'} | {r.exit_code} | {r.status} | {r.gap} "
        f"| {r.cut_short} |"
        for r in runs
    ]
    return "\n".join([head, *rows])


DEFAULT_COMMANDS = ("solve", "solve-cbc", "solve-explain", "explain", "alternatives")


def write_json(runs: list[Run], path: Path, began: float) -> None:
    rows = [{**r.__dict__, "within": r.within} for r in runs]
    record = {
        "command": " ".join(["python", "benchmarks/deadlines.py", *sys.argv[1:]]),
        "load_average": os.getloadavg(),
        "elapsed_s": round(time.perf_counter() - began, 1),
        "rows": rows,
    }
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="500,1000,3000,10000", help="communities, comma-separated"
    )
    parser.add_argument("--limits", default="5,10,30", help="seconds, comma-separated")
    parser.add_argument("--commands", default=",".join(DEFAULT_COMMANDS), help=", ".join(COMMANDS))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "deadlines.json"))
    args = parser.parse_args()
    began = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",")]
    limits = [float(s) for s in args.limits.split(",")]
    commands = [c.strip() for c in args.commands.split(",")]
    unknown = set(commands) - set(COMMANDS)
    if unknown:
        raise SystemExit(f"unknown commands {sorted(unknown)}: use {', '.join(COMMANDS)}")
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path, community, source = province(size, Path(folder))
            for limit in limits:
                for command in commands:
                    done = run(command, path, community, source, limit, size)
                    print(table([done]).splitlines()[-1], flush=True)
                    runs.append(done)
                    write_json(runs, Path(args.out), began)
    print()
    print(table(runs))
    kept = sum(r.within for r in runs)
    print(f"\n{kept} of {len(runs)} runs within limit x 1.1 + 2 s.")


if __name__ == "__main__":
    main()
