"""The command's start: its imports run with the garbage collector off, which is on again after
them (as it was before), and what they made is set apart from later collections."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_the_collector_is_on_again_after_the_imports() -> None:
    code = "import gc, allocator.cli; print(gc.isenabled(), gc.get_freeze_count() > 0)"
    assert _run(code) == "True True"


def test_a_collector_turned_off_before_stays_off() -> None:
    code = "import gc; gc.disable(); import allocator.cli; print(gc.isenabled())"
    assert _run(code) == "False"


def test_the_worker_answers_with_its_collector_on() -> None:
    code = (
        "import gc\n"
        "from allocator.solving.worker import Deadline, within\n"
        "from allocator.solving import worker\n"
        "call = within(Deadline.of(60.0), gc.isenabled)\n"
        "print(call.done, call.value, worker._shared().pid is not None)\n"
    )
    assert _run(code) == "True True True"


def test_printing_a_plan_imports_no_pandas() -> None:
    """pandas (0.15 s) is imported by the functions that make DataFrames only: the county
    solved and printed, on a screen and into a pipe (every column), does without it; a plan's
    DataFrame still comes."""
    county = str(ROOT / "scenarios" / "2024_premises.yaml")
    code = (
        "import sys\n"
        "from allocator.cli import app\n"
        "from typer.testing import CliRunner\n"
        "for env in ({'COLUMNS': '100'}, {}):\n"
        f"    result = CliRunner().invoke(app, ['solve', {county!r}], env=env)\n"
        "    assert result.exit_code == 0, result.output\n"
        "print('pandas' in sys.modules)\n"
        "import allocator\n"
        f"plan = allocator.solve(allocator.load_scenario({county!r}))\n"
        "print(type(plan.communities).__name__)\n"
    )
    assert _run(code).splitlines() == ["False", "DataFrame"]
