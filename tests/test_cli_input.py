"""Bad input through the real command line: exit code 2, a message naming file, line, entry
and field, no traceback, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from allocator.catalogue import use_lang
from allocator.cli import app

GOOD = """\
name: small
groups:
  - {id: g, name: 城南街道, kind: street}
communities:
  - id: a
    name: 新兴社区
    group: g
    existing_area_m2: 0
    options:
      - {id: a-lease, kind: lease, max_area_m2: 500, cost_per_m2: 0.01}
funding:
  - {id: county, name: 县财政, budget: 100}
"""


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the input problems in English, as `--lang en` and `use_lang("en")`
    give them (their Chinese forms: tests/test_problem_words.py)."""
    with use_lang("en"):
        yield


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["solve", "--lang", "en", str(path), "--out", str(out), *args])
    assert "Traceback" not in result.output
    assert not out.exists(), "nothing may be written for bad input"
    return result.exit_code, result.output


def test_good_file_solves(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = CliRunner().invoke(app, ["solve", "--lang", "en", str(path)])
    assert result.exit_code == 0, result.output
    assert "新兴社区" in result.output


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        # YAML syntax error: the line of the problem
        (GOOD.replace("kind: street}", "kind: street"), ["line 4", "YAML syntax error"]),
        # a missing required field
        (
            GOOD.replace("    name: 新兴社区\n", ""),
            ["line 5", "community 'a'", "'name'", "required"],
        ),
        # wrong type
        (
            GOOD.replace("max_area_m2: 500", "max_area_m2: big"),
            ["line 10", "option 'a-lease'", "'max_area_m2'", "valid number"],
        ),
        # negative amount
        (
            GOOD.replace("budget: 100", "budget: -1"),
            ["line 12", "funding source 'county'", "'budget'", "greater than or equal to 0"],
        ),
        # NaN amount
        (
            GOOD.replace("cost_per_m2: 0.01", "cost_per_m2: .nan"),
            ["option 'a-lease'", "'cost_per_m2'", "finite"],
        ),
        # min above max
        (
            GOOD.replace("max_area_m2: 500", "max_area_m2: 500, min_area_m2: 600"),
            ["option 'a-lease'", "'min_area_m2'", "above max_area_m2 500"],
        ),
        # unknown kind
        (
            GOOD.replace("kind: lease", "kind: rent"),
            ["option 'a-lease'", "'kind'", "'lease'", "got 'rent'"],
        ),
        # duplicate ids
        (
            GOOD.replace(
                "  - {id: county", "  - {id: x, name: X, budget: 1}\n  - {id: county"
            ).replace("id: x,", "id: county,"),
            ["duplicate funding source id 'county'"],
        ),
        # unknown group
        (
            GOOD.replace("group: g", "group: nowhere"),
            ["line 7", "community 'a'", "'group'", "unknown group 'nowhere'"],
        ),
        # unknown option in excludes
        (
            GOOD.replace("cost_per_m2: 0.01}", "cost_per_m2: 0.01, excludes: [a-build]}"),
            ["'excludes'", "'a-build' is not an option of community 'a'"],
        ),
        # unknown unit in budgets
        (
            GOOD.replace("budget: 100}", "scope: group, budgets: {g: 5, nowhere: 5}}"),
            ["'budgets.nowhere'", "not a group"],
        ),
        # unknown field
        (GOOD.replace("budget: 100}", "budget: 100, colour: red}"), ["unknown field 'colour'"]),
        # empty communities
        ("name: x\ncommunities: []\n", ["'communities'", "empty"]),
        # two variants of one name
        (
            GOOD + "variants:\n  - name: v\n    changes:\n      - funding[county].budget: 1\n"
            "  - name: v\n    changes:\n      - funding[county].budget: 2\n",
            ["line 17", "duplicate variant name 'v'"],
        ),
        # not a mapping
        ("- just\n- a list\n", ["must hold a mapping"]),
    ],
)
def test_bad_input_is_named(tmp_path: Path, broken: str, expected: list[str]) -> None:
    code, output = run(tmp_path, broken)
    assert code == 2, output
    assert "scenario.yaml" in output
    for piece in expected:
        assert piece in output, (piece, output)


def test_unknown_source_in_pays_for_is_an_unknown_kind(tmp_path: Path) -> None:
    broken = GOOD.replace("budget: 100}", "budget: 100, pays_for: [lease, parking]}")
    code, output = run(tmp_path, broken)
    assert code == 2 and "'pays_for'" in output and "got 'parking'" in output


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    broken = (
        GOOD.replace("group: g", "group: nowhere")
        .replace("max_area_m2: 500", "max_area_m2: -5")
        .replace("budget: 100", "budget: .nan")
    )
    code, output = run(tmp_path, broken)
    assert code == 2
    assert "3 problems found" in output
    assert all(s in output for s in ("unknown group", "'max_area_m2'", "'budget'"))


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["solve", "--lang", "en", str(tmp_path / "none.yaml")])
    assert (
        result.exit_code == 2 and "none.yaml" in result.output and "no such file" in result.output
    )
    result = CliRunner().invoke(app, ["validate", "--lang", "en", str(tmp_path)])
    assert result.exit_code == 2 and "cannot be read" in result.output
    if os.geteuid() != 0:  # root reads everything
        locked = tmp_path / "locked.yaml"
        locked.write_text(GOOD, encoding="utf-8")
        locked.chmod(0)
        result = CliRunner().invoke(app, ["solve", "--lang", "en", str(locked)])
        assert result.exit_code == 2 and "cannot be read" in result.output


def test_bad_input_in_a_real_process(tmp_path: Path) -> None:
    """The installed command, in its own process: exit 2, message on stderr, no traceback."""
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("group: g", "group: nowhere"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "allocator", "solve", str(path), "--format", "json", "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "unknown group 'nowhere'" in done.stderr and "Traceback" not in done.stderr


def test_validate_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--lang", "en", str(path)])
    assert result.exit_code == 0 and "valid" in result.output
    result = CliRunner().invoke(app, ["schema"])
    schema = yaml.safe_load(result.output)
    assert "communities" in schema["properties"] and "name" in schema["required"]
