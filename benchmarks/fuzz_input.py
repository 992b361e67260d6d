"""Mutate the scenario files many times and run each mutant through `allocator validate`.

    .venv/bin/python benchmarks/fuzz_input.py [--count 2000] [--seed 0] [--slow 2.0]
        [--solve] [--keep DIR] [--verbose]

Each mutant (see tests/input_mutants.py: lines deleted and swapped, odd numbers, other types,
duplicate keys, aliases and alias bombs, deep nesting, tags, control characters, encodings,
`extends` to things that are not scenario files) is written to a folder of its own and given to
`validate` through typer's CliRunner, in this process. Every mutant must end with exit code 0
(valid) or 2 (input problems, named) and no traceback, within `--slow` seconds.

With `--solve`, each mutant that `validate` accepts is also solved (`solve --time-limit 10`),
which must end with 0 (a plan), 3 (no plan meets the rules) or 4 (no plan in time), no
traceback: a value that passes validation must not break the solver.

Prints the count of each exit code per mutation family, the slowest mutants, the growth of
this process's peak memory, and every mutant that broke the rule (with `--keep DIR`, their
files are kept there). Exit code 1 when any broke it.
"""

from __future__ import annotations

import argparse
import random
import resource
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from input_mutants import Mutant, mutant, seeds, write  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from allocator.cli import app  # noqa: E402

SOLVE = ("solve", "--time-limit", "10", "--format", "json")


def _stop(signum: int, frame: object) -> None:
    raise TimeoutError("stopped after the time limit")


def run(
    item: Mutant, folder: Path, command: tuple[str, ...] = ("validate",), limit_s: int = 60
) -> tuple[int, str, float]:
    """Exit code, output and seconds of `allocator <command>` on the mutant; a run still going
    after `limit_s` seconds is stopped (between Python steps) and reported."""
    path = write(item, folder)
    start = time.perf_counter()
    signal.signal(signal.SIGALRM, _stop)
    signal.alarm(limit_s)
    try:
        result = CliRunner().invoke(app, [command[0], str(path), *command[1:]])
    finally:
        signal.alarm(0)
    seconds = time.perf_counter() - start
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output += f"\n{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, output, seconds


def broken(code: int, output: str, seconds: float, slow: float, codes: tuple[int, ...]) -> str:
    """Why this run breaks the rule, or ''."""
    if code not in codes:
        return f"exit code {code}"
    if "Traceback" in output:
        return "a traceback"
    if seconds > slow:
        return f"{seconds:.1f} s"
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slow", type=float, default=2.0, help="seconds a mutant may take")
    parser.add_argument("--solve", action="store_true", help="also solve the valid mutants")
    parser.add_argument("--keep", type=Path, help="keep the files of broken mutants here")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    texts = seeds()
    names = sorted(texts)
    rng = random.Random(args.seed)
    codes: dict[str, Counter[int]] = defaultdict(Counter)
    times: list[tuple[float, str]] = []
    failures: list[tuple[str, str, str]] = []
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        for number in range(args.count):
            name = rng.choice(names)
            item = mutant(name, texts[name], rng)
            folder = Path(scratch) / f"m{number}"
            code, output, seconds = run(item, folder)
            family = item.kind.split(" ")[0]
            codes[family][code] += 1
            times.append((seconds, item.describe()))
            why = broken(code, output, seconds, args.slow, (0, 2))
            if not why and code == 0 and args.solve:
                code, output, seconds = run(item, folder, SOLVE)
                codes["solved"][code] += 1
                why = broken(code, output, seconds, 60.0, (0, 3, 4))
                why = why and f"solve: {why}"
            if why:
                failures.append((item.describe(), why, output[-600:]))
                if args.keep:
                    write(item, args.keep / f"m{number}")
            if args.verbose:
                print(f"{number:5d} {code} {seconds:5.2f}s {item.describe()}", flush=True)
    total = time.perf_counter() - started
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(f"{args.count} mutants in {total:.0f} s (seed {args.seed})")
    print(f"{'mutation':<12} {'exit 0':>7} {'exit 2':>7} {'exit 3':>7} {'exit 4':>7} {'other':>7}")
    for family, counted in sorted(codes.items()):
        other = sum(n for c, n in counted.items() if c not in (0, 2, 3, 4))
        row = " ".join(f"{counted[c]:>7}" for c in (0, 2, 3, 4))
        print(f"{family:<12} {row} {other:>7}")
    print("slowest:", "; ".join(f"{s:.2f} s {d}" for s, d in sorted(times, reverse=True)[:5]))
    print(f"peak memory of this process: {peak_before / 1024:.0f} -> {peak_after / 1024:.0f} MiB")
    print(
        f"{len(failures)} broke the rule (validate: exit 0 or 2, no traceback, under "
        f"{args.slow} s; solve: exit 0, 3 or 4)"
    )
    for described, why, output in failures:
        print(f"- {described}: {why}\n  {output.strip()[-400:]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
