"""A seeded mutation fuzzer over the scenario files (tests/input_mutants.py): every mutant given to
`allocator validate` ends with exit code 0 or 2, no traceback, in bounded time.

The mutants that once broke this (a traceback, a hang, memory without bound) are kept below as
fixed cases; benchmarks/fuzz_input.py runs many more mutants than this test does.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from conftest import DEMO_SITE_FILE
from input_mutants import BOMB, Mutant, mutant, seeds, write
from typer.testing import CliRunner

from allocator.cli import app

MUTANTS = 400  # 8 to 18 s on two cores, idle to busy
SEED = 20240611
SECONDS_PER_MUTANT = 5.0


def check(item: Mutant, folder: Path) -> None:
    path = write(item, folder)
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["validate", str(path)])
    seconds = time.perf_counter() - started
    what = f"{item.describe()}: {result.output[-500:]}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        what,
        result.exception,
    )
    assert result.exit_code in (0, 2), what
    assert "Traceback" not in result.output, what
    assert seconds < SECONDS_PER_MUTANT, (what, seconds)


def _demo(old: str, new: str) -> bytes:
    assert old in DEMO_SITE_FILE
    return DEMO_SITE_FILE.replace(old, new).encode("utf-8")


def _extends(target: str, special: str = "") -> Mutant:
    return Mutant(f"extends {target[:20]}", "-", f'extends: "{target}"\n'.encode(), special=special)


# Mutants that once ended in a traceback (TypeError, KeyError, ValueError, RecursionError,
# RuntimeError, OSError) or ran on without end.
_INLINE_BOMB = "[" + ", ".join(line.split(": ", 1)[1] for line in BOMB.split("\n")) + "]"
_CHANGE = "variants:\n  - name: v\n    changes:\n      - name: {}\n"
ONCE_BROKE = {
    "a community id written as a list": _demo("id: demo", "id: [a, b]"),
    "a group id written as a mapping": _demo("{id: g,", "{id: {},"),
    "an excluded option written as a list": _demo(
        "max_area_m2: 200}", "max_area_m2: 200, excludes: [[l]], locked: chosen}"
    ),
    "an id as an ordered map": _demo("id: demo", "id: !!omap [a: 1]"),
    "an id nested 45 deep": _demo("id: demo", "id: " + "[" * 45 + "]" * 45),
    "an id that is an alias inside itself": _demo("id: demo", "id: &r [1, *r]"),
    "!!bool maybe": _demo("must_meet: true", "must_meet: !!bool maybe"),
    "!!float abc": _demo("budget: 100", "budget: !!float abc"),
    "!!int 0x1C2 and more text": _demo("budget: 100", "budget: !!int 0x1C2 a fifth"),
    "a number of 5,000 digits": _demo("budget: 100", "budget: " + "1" * 5000),
    "a number of 5,000 digits in JSON": (
        b'{"name": "x", "communities": [], "horizon_years": ' + b"1" * 5000 + b"}"
    ),
    "nested 1,001 deep in JSON": b'{"name": ' + b"[" * 1001 + b"]" * 1001 + b"}",
    "nested 5,000 deep in JSON": b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "nested 900 deep in a variant's change": (
        DEMO_SITE_FILE + _CHANGE.format("[" * 900 + "]" * 900)
    ).encode(),
    "an alias bomb in a variant's change": (DEMO_SITE_FILE + _CHANGE.format(_INLINE_BOMB)).encode(),
    "1.6 MB of comments": b"# comment\n" * 160_000 + DEMO_SITE_FILE.encode(),
}
# Mutants that were read wrongly or with a misleading message: still exit 0 or 2 in time.
ALSO_KEPT = {
    "an alias bomb at the top": (BOMB + "\n" + DEMO_SITE_FILE).encode(),
    "an alias bomb in a value": _demo("name: demo", f"name: {_INLINE_BOMB}"),
    "a second communities block": (DEMO_SITE_FILE + "communities: []\n").encode(),
    "nested 200 deep in a mapping": _demo("name: demo", "name: " + "{a: " * 200 + "1" + "}" * 200),
}
REGRESSION_MUTANTS = {
    name: Mutant(name, "demo", content) for name, content in (ONCE_BROKE | ALSO_KEPT).items()
}
REGRESSION_MUTANTS |= {
    "extends a loop of symbolic links": _extends("loop.yaml", "loop"),  # once broke
    "extends a name holding NUL": _extends("a\\0b.yaml"),  # once broke
    "extends a name over 255 characters": _extends("x" * 300 + ".yaml"),  # once broke
    "extends a named pipe": _extends("pipe.yaml", "fifo"),
    "extends /dev/zero": _extends("/dev/zero"),
    "extends a folder": _extends("folder", "dir"),
    "extends itself": _extends("scenario.yaml"),
}


@pytest.mark.parametrize("name", sorted(REGRESSION_MUTANTS))
def test_mutants_that_once_broke_validate(tmp_path: Path, name: str) -> None:
    check(REGRESSION_MUTANTS[name], tmp_path)


def test_random_mutants_end_in_0_or_2(tmp_path: Path) -> None:
    texts = seeds()
    names = sorted(texts)
    rng = random.Random(SEED)
    for number in range(MUTANTS):
        name = rng.choice(names)
        check(mutant(name, texts[name], rng), tmp_path / f"m{number}")
