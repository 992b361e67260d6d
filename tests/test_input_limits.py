"""Hostile and mistaken input is refused fast and clearly: exit code 2, a message naming the file,
the line, the entry and the field and saying what to write instead, no traceback, in a couple of
seconds and bounded memory. Each class of input has its test; tests/test_fuzz_input.py mutates
whole files."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allocator.catalogue import use_lang
from allocator.cli import app
from allocator.scenario.checks import check_references
from allocator.scenario.loading import load_scenario

SMALL = """\
name: small
groups:
  - {id: g, name: 城南街道, kind: street}
communities:
  - id: a
    name: 新兴社区
    group: g
    existing_area_m2: 0
    households: 3600
    options:
      - {id: a-lease, kind: lease, max_area_m2: 500, cost_per_m2: 0.01}
funding:
  - {id: county, name: 县财政, budget: 100}
"""
BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the input problems in English, as `--lang en` and `use_lang("en")`
    give them (their Chinese forms: tests/test_problem_words.py)."""
    with use_lang("en"):
        yield


def validate(path: Path) -> tuple[int, str]:
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["validate", "--lang", "en", str(path)])
    assert time.perf_counter() - started < 10, "refused in a couple of seconds"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def refused(tmp_path: Path, content: str | bytes, *pieces: str, name: str = "s.yaml") -> str:
    """Validate `content` as a file; it must be refused (exit 2) with every piece in the output."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    code, output = validate(path)
    assert code == 2, output
    for piece in (name, *pieces):
        assert piece in output, (piece, output)
    return output


# --------------------------------------------------------------------------------------------
# 1. Duplicate keys
# --------------------------------------------------------------------------------------------
def test_a_second_block_at_the_end_names_both_lines(tmp_path: Path) -> None:
    appended = SMALL + "communities:\n  - {id: b, name: B, group: g, existing_area_m2: 0}\n"
    refused(tmp_path, appended, "line 14", "field 'communities'", "lines 4 and 14", "keep one")


def test_a_field_written_twice_names_the_entry(tmp_path: Path) -> None:
    twice = SMALL.replace("    households: 3600\n", "    households: 3600\n    households: 36\n")
    refused(tmp_path, twice, "line 10", "community 'a', field 'households'", "lines 9 and 10")
    flow = SMALL.replace("budget: 100}", "budget: 100, budget: 200}")
    refused(tmp_path, flow, "line 13", "funding source 'county'", "twice on line 13")


def test_duplicate_keys_in_json(tmp_path: Path) -> None:
    text = '{"name": "x",\n "communities": [],\n "name": "y"}\n'
    refused(tmp_path, text, "line 3", "field 'name'", "lines 1 and 3", name="s.json")


# --------------------------------------------------------------------------------------------
# 2. Numbers as a person reads them
# --------------------------------------------------------------------------------------------
def test_a_leading_zero_is_decimal(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SMALL.replace("budget: 100", "budget: 0450"), encoding="utf-8")
    assert load_scenario(path).funding[0].budget == 450  # not octal 296


@pytest.mark.parametrize(
    ("written", "advice"),
    [
        ("7:30", "e.g. 450"),
        ("1_000", "write 1000"),
        ("0b101", "decimal digits: 5"),
        ("0x1C2", "decimal digits: 450"),
        ("0o17", "decimal digits: 15"),
        ("yes", "yes-or-no"),
        ("no", "yes-or-no"),
        ("on", "yes-or-no"),
        ("off", "yes-or-no"),
        ("true", "not true"),
        ('"1,200"', "write 1200"),
        ("３６００", "write 3600"),
        ("450万元", "write the number alone, 450"),
        ("2024-01-01", "valid number"),
    ],
)
def test_odd_numbers_are_refused_with_what_to_write(
    tmp_path: Path, written: str, advice: str
) -> None:
    text = SMALL.replace("budget: 100", f"budget: {written}")
    refused(tmp_path, text, "line 13", "funding source 'county', field 'budget'", advice)


def test_yes_and_no_stay_answers_where_an_answer_is_wanted(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    text = SMALL.replace("    group: g\n", "    group: g\n    must_meet: yes\n")
    path.write_text(text.replace("name: small", "name: no"), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.communities[0].must_meet is True and scenario.name == "no"


# --------------------------------------------------------------------------------------------
# 3. Limits: aliases, nesting, files, names, extends, comments
# --------------------------------------------------------------------------------------------
def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    assert len(BOMB) < 540
    refused(tmp_path, BOMB + SMALL, "line 6", "aliases (*name)", "fewer aliases")
    in_change = SMALL + "variants:\n  - name: v\n    changes:\n      - name: " + _inline(BOMB)
    refused(tmp_path, in_change, "line 17", "aliases")
    merge = "\n".join(
        ["m0: &m0 {x: 1, y: 2}"]
        + [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}]}}" for i in range(1, 30)]
    )
    refused(tmp_path, merge + "\n" + SMALL, "aliases")
    refused(tmp_path, SMALL.replace("name: small", "name: &r [1, *r]"), "line 1", "inside its own")


def test_an_alias_bomb_in_a_base_file(tmp_path: Path) -> None:
    """The problem is the base file's, and named there."""
    (tmp_path / "base.yaml").write_text(BOMB + SMALL, encoding="utf-8")
    (tmp_path / "s.yaml").write_text("extends: base.yaml\n", encoding="utf-8")
    code, output = validate(tmp_path / "s.yaml")
    assert code == 2 and "base.yaml, line 6" in output and "aliases" in output


def test_an_alias_bomb_in_its_own_process_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB + "name: *i\ncommunities: *i\n", encoding="utf-8")
    done = _run_limited(["validate", str(path)])
    assert done.returncode == 2 and "aliases" in done.stderr and "Traceback" not in done.stderr


def test_anchors_and_merge_keys_still_read(tmp_path: Path) -> None:
    text = SMALL.replace(
        "      - {id: a-lease, kind: lease, max_area_m2: 500, cost_per_m2: 0.01}\n",
        "      - &lease {id: a-lease, kind: lease, max_area_m2: 500, cost_per_m2: 0.01}\n"
        "      - {<<: *lease, id: a-lease2, max_area_m2: 300}\n",
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    options = load_scenario(path).communities[0].options
    assert [(o.id, o.max_area_m2, o.cost_per_m2) for o in options] == [
        ("a-lease", 500, 0.01),
        ("a-lease2", 300, 0.01),
    ]


@pytest.mark.parametrize(("depth", "name"), [(45, "s.yaml"), (900, "s.yaml"), (5000, "s.json")])
def test_deep_nesting(tmp_path: Path, depth: int, name: str) -> None:
    if name.endswith(".json"):
        text = '{"name": "x", "communities": ' + "[" * depth + "]" * depth + "}"
    else:
        text = SMALL.replace("name: small", "name: " + "[" * depth + "]" * depth)
    refused(tmp_path, text, "line 1", "nested more than 40 levels", name=name)


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for path, piece in [("/dev/zero", "device"), (fifo, "named pipe"), (tmp_path, "folder")]:
        code, output = validate(Path(path))
        assert code == 2 and "cannot be read" in output and piece in output, output
    done = _run_limited(["validate", "/dev/zero"])
    assert done.returncode == 2 and "device" in done.stderr


def test_a_file_over_the_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as stream:
        stream.truncate(201 * 2**20)  # sparse: nothing is written
    code, output = validate(path)
    assert code == 2 and "201 MB" in output and "up to 200 MB" in output


def test_names_that_cannot_be_files(tmp_path: Path) -> None:
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    code, output = validate(tmp_path / "l1")
    assert code == 2 and "loop of symbolic links" in output
    code, output = validate(tmp_path / ("x" * 300 + ".yaml"))
    assert code == 2 and "names are at most 255" in output


@pytest.mark.parametrize(
    ("target", "piece"),
    [
        ("missing.yaml", "no such file"),
        ("folder", "folder"),
        ("pipe.yaml", "named pipe"),
        ("/dev/zero", "device"),
        ("l1", "loop of symbolic links"),
        ("s.yaml", "leads back to itself"),
        ("x" * 300, "names are at most 255"),
        ("a\\0b", "U+0000"),
    ],
)
def test_extends_what_is_not_a_scenario_file(tmp_path: Path, target: str, piece: str) -> None:
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    refused(tmp_path, f'extends: "{target}"\n', "line 1", piece)


def test_a_long_chain_of_extends(tmp_path: Path) -> None:
    (tmp_path / "c0.yaml").write_text(SMALL, encoding="utf-8")
    for number in range(1, 12):
        (tmp_path / f"c{number}.yaml").write_text(f"extends: c{number - 1}.yaml\n")
    assert validate(tmp_path / "c9.yaml")[0] == 0
    code, output = validate(tmp_path / "c11.yaml")
    assert code == 2 and "more than 10 files" in output


def test_many_leading_comment_lines_are_read_at_once(tmp_path: Path) -> None:
    comments = "# a comment line of the header\n" * 55_000  # 1.6 MB
    data = json.dumps(load_scenario_dict(tmp_path), ensure_ascii=False)
    for body in (data, SMALL):
        path = tmp_path / "commented.yaml"
        path.write_text(comments + body, encoding="utf-8")
        started = time.perf_counter()
        assert validate(path)[0] == 0
        assert time.perf_counter() - started < 5


def load_scenario_dict(tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return load_scenario(path).source


# --------------------------------------------------------------------------------------------
# 4. Plausible maxima, ids that are not text
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "pieces"),
    [
        ("budget: 100", "budget: 1e15", ["line 13", "at most 10,000,000 万元", "got 1e+15"]),
        ("cost_per_m2: 0.01", "cost_per_m2: 2500", ["at most 100 万元 per m2", "0.22"]),
        ("cost_per_m2: 0.01", "annual_cost_per_m2: 15", ["万元 per m2 per year", "0.018"]),
        ("max_area_m2: 500", "max_area_m2: 1e15", ["at most 100,000 m2"]),
        ("households: 3600", "households: 10000000000000000000000", ["1,000,000 households"]),
        ("name: small", "name: small\nhorizon_years: 1000000000000", ["at most 100 years"]),
        ("households: 3600", "priority: 1e15", ["at most 1,000"]),
    ],
)
def test_amounts_beyond_any_county(tmp_path: Path, old: str, new: str, pieces: list[str]) -> None:
    refused(tmp_path, SMALL.replace(old, new), *pieces)


def test_amounts_at_the_maxima_solve(tmp_path: Path) -> None:
    """Every amount at its maximum: the solver gives a plan or says none exists, no crash."""
    text = (
        SMALL.replace("name: small", "name: big\nhorizon_years: 100")
        .replace("households: 3600", "households: 1000000\n    priority: 1000")
        .replace("cost_per_m2: 0.01}", "cost_per_m2: 100, fixed_cost: 10000000}")
        .replace("max_area_m2: 500", "max_area_m2: 100000")
        .replace("budget: 100}", "budget: 10000000, max_per_option: 10000000}")
    )
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["solve", "--lang", "en", str(path), "--format", "json"])
    assert result.exit_code in (0, 3), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_ids_and_kinds_that_are_lists_or_mappings(tmp_path: Path) -> None:
    raw = {
        "name": "x",
        "groups": [{"id": ["g"], "name": "G", "kind": {"street": 1}}],
        "communities": [
            {"id": {"a": 1}, "name": "A", "group": ["g"], "options": [
                {"id": ["o"], "kind": ["lease"], "max_area_m2": 5, "excludes": [["o"]],
                 "locked": "chosen"}]},
        ],
        "funding": [{"id": ["c"], "name": "c", "scope": "group", "budget_by_kind": {"town": 1}}],
        "variants": [{"name": ["v"]}, {"name": ["v"]}],
    }  # fmt: skip
    assert isinstance(check_references(raw), list)  # no TypeError
    output = refused(tmp_path, json.dumps(raw), name="s.json")
    assert "group #1, field 'id': must be one text value, not a list" in output
    assert "community #1, field 'id': must be one text value, not a mapping" in output


# --------------------------------------------------------------------------------------------
# Encodings, control characters, tags, full-width punctuation
# --------------------------------------------------------------------------------------------
def test_encodings(tmp_path: Path) -> None:
    refused(tmp_path, SMALL.encode("gbk"), "line 3", "GBK", "save it as UTF-8")
    refused(tmp_path, SMALL.encode("utf-16-le"), "UTF-16 without a byte-order mark")
    ascii_only = "name: x\ncommunities: []\n".encode("utf-16-le")  # also valid UTF-8
    refused(tmp_path, ascii_only, "UTF-16 without a byte-order mark")
    refused(tmp_path, b"PK\x03\x04\x14\x00", "Excel workbook")
    for content in (
        SMALL.encode("utf-16"),
        b"\xef\xbb\xbf" + SMALL.replace("\n", "\r\n").encode(),
    ):
        path = tmp_path / "s.yaml"
        path.write_bytes(content)
        assert validate(path)[0] == 0


@pytest.mark.parametrize("written", ['"\\e[2J\\e[31m红"', '"\\u202Eevil"', '"a\\rb"'])
def test_control_characters_in_text(tmp_path: Path, written: str) -> None:
    text = SMALL.replace("name: 新兴社区", f"name: {written}")
    refused(tmp_path, text, "line 6", "community 'a', field 'name'", "control character")
    refused(tmp_path, SMALL.replace("新兴社区", "新兴\x1b社区"), "line 6", "U+001B")


@pytest.mark.parametrize(
    ("written", "piece"),
    [
        ("!!python/object/apply:os.system [echo hi]", "tag '!!python/object/apply:os.system'"),
        ("!!binary aGVsbG8=", "tag '!!binary'"),
        ("!!set {a, b}", "tag '!!set'"),
        ("!!bool maybe", "not true or false"),
        ("!!float abc", "not a number"),
        ("!!int 0x1C2", "decimal digits"),
        ("11111111111111111111111111111111111111111", "beyond any amount"),
    ],
)
def test_tags_and_forms_the_reader_refuses(tmp_path: Path, written: str, piece: str) -> None:
    refused(tmp_path, SMALL.replace("budget: 100", f"budget: {written}"), "line 13", piece)


def test_full_width_punctuation_is_named(tmp_path: Path) -> None:
    text = SMALL.replace("households: 3600", "households：3600")
    refused(tmp_path, text, "line 9:", "全角冒号", "'：' (column 15): type ':' and a space")


# --------------------------------------------------------------------------------------------
def _inline(block: str) -> str:
    """The anchors of a block as one flow list, for a value."""
    return "[" + ", ".join(line.split(": ", 1)[1] for line in block.strip().split("\n")) + "]\n"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))


def _run_limited(args: list[str]) -> subprocess.CompletedProcess[str]:
    """The command in its own process, with 1 GiB of address space and 60 s."""
    return subprocess.run(
        [sys.executable, "-m", "allocator", *args, "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,  # only sets a limit: safe before exec
    )


def test_a_name_that_starts_a_formula_is_text_in_csv(tmp_path: Path) -> None:
    """A spreadsheet runs a cell that starts with = + - @ as a formula; such text is written
    with a leading apostrophe, as Excel shows text."""
    path = tmp_path / "s.yaml"
    path.write_text(SMALL.replace("name: 新兴社区", 'name: "=HYPERLINK(1)"'), encoding="utf-8")
    result = CliRunner().invoke(app, ["solve", "--lang", "en", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert ",'=HYPERLINK(1)," in result.output and ",=HYPERLINK" not in result.output
