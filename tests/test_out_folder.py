"""`--out DIR` never loses a plan: the set goes in whole or not at all, a failed write leaves the
old set and exits 5 (the plan still printed), a run without a plan leaves the old plan and
writes no_plan.json, and no temporary file is left in or beside DIR."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allocator.cli import app
from allocator.report import outfolder
from allocator.report.outfolder import leftovers, write_folder

GOOD = """\
name: small
groups: [{id: g, name: 城南街道, kind: street}]
communities:
  - id: a
    name: 新兴社区
    group: g
    existing_area_m2: 100
    options:
      - {id: a-lease, kind: lease, max_area_m2: 500, annual_cost_per_m2: 0.01}
funding: [{id: county, name: 县财政, budget: 100}]
"""
# A demonstration site that cannot reach its target with every route: no plan (exit 3).
NO_PLAN = GOOD.replace(
    "    existing_area_m2: 100\n", "    existing_area_m2: 0\n    must_meet: true\n"
)
NO_PLAN = NO_PLAN.replace("max_area_m2: 500", "max_area_m2: 100")
PLAN_SET = [
    "communities.csv",
    "funding.csv",
    "options.csv",
    "plan.json",
    "plan.xlsx",
    "report.docx",
]


def _solve(tmp_path: Path, text: str, out: Path, name: str = "county.yaml") -> object:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(app, ["solve", str(path), "--out", str(out)])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_second_run_replaces_the_set_and_keeps_other_files(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert _solve(tmp_path, GOOD, out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == PLAN_SET
    (out / "我的笔记.txt").write_text("planner's own notes", encoding="utf-8")
    cheaper = GOOD.replace("annual_cost_per_m2: 0.01", "annual_cost_per_m2: 0.005")
    assert _solve(tmp_path, cheaper, out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*PLAN_SET, "我的笔记.txt"])
    assert (out / "我的笔记.txt").read_text(encoding="utf-8") == "planner's own notes"
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["total_cost"] == pytest.approx(400 * 0.005)
    assert leftovers(out) == []


def test_a_failure_while_writing_leaves_the_old_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up after three files: exit 5, the plan on the screen, the old set as it
    was, nothing temporary in or beside the folder."""
    out = tmp_path / "plan"
    assert _solve(tmp_path, GOOD, out).exit_code == 0
    before = _snapshot(out)
    written: list[str] = []
    real = outfolder._write_one

    def full_disk(path: Path, content: str | bytes) -> None:
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path.name)
        real(path, content)

    monkeypatch.setattr(outfolder, "_write_one", full_disk)
    dearer = GOOD.replace("annual_cost_per_m2: 0.01", "annual_cost_per_m2: 0.02")
    result = _solve(tmp_path, dearer, out)
    assert result.exit_code == 5, result.output
    assert "No space left on device" in result.output
    assert "新兴社区" in result.output, "the plan is printed all the same"
    assert "Traceback" not in result.output
    assert len(written) == 3
    assert _snapshot(out) == before
    assert leftovers(out) == []


def test_a_failure_at_the_swap_puts_the_old_set_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where folders cannot be exchanged in one step (Windows, some disks): the old folder is
    renamed aside, and when the new one cannot take its name (a file open in Excel), back."""
    out = tmp_path / "plan"
    write_folder(out, {"plan.json": "old"})
    monkeypatch.setattr(outfolder, "_exchange", lambda first, second: False)
    real_rename = os.rename

    def refuse_new(source: os.PathLike[str], target: os.PathLike[str]) -> None:
        if ".new-" in Path(source).name:
            raise PermissionError(errno.EACCES, "file in use", str(target))
        real_rename(source, target)

    monkeypatch.setattr(outfolder.os, "rename", refuse_new)
    with pytest.raises(PermissionError):
        write_folder(out, {"plan.json": "new"})
    assert (out / "plan.json").read_text(encoding="utf-8") == "old"
    assert leftovers(out) == []
    monkeypatch.setattr(outfolder.os, "rename", real_rename)
    write_folder(out, {"plan.json": "new"})
    assert (out / "plan.json").read_text(encoding="utf-8") == "new"
    assert leftovers(out) == []


def test_a_kill_between_the_two_renames_is_undone_by_the_next_write(tmp_path: Path) -> None:
    """The one moment without the name: the old set renamed aside, the new one not yet in.
    The next write first puts the old set back, then writes the new one."""
    out = tmp_path / "plan"
    write_folder(out, {"plan.json": "old", "funding.csv": "a,b\r\n"})
    aside = tmp_path / ".plan.old-123-456"
    os.rename(out, aside)
    outfolder._recover(outfolder._target(out))
    assert (out / "plan.json").read_text(encoding="utf-8") == "old"
    os.rename(out, aside)
    write_folder(out, {"plan.json": "new"})
    assert (out / "plan.json").read_text(encoding="utf-8") == "new"
    assert (out / "funding.csv").read_bytes() == b"\xef\xbb\xbfa,b\r\n", "carried over"
    assert leftovers(out) == []


def test_a_run_without_a_plan_keeps_the_old_plan(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert _solve(tmp_path, GOOD, out).exit_code == 0
    before = _snapshot(out)
    result = _solve(tmp_path, NO_PLAN, out, name="no_plan.yaml")
    assert result.exit_code == 3, result.output
    assert "no_plan.json" in result.output
    after = _snapshot(out)
    assert {name: after[name] for name in before} == before, "the old plan is untouched"
    report = json.loads(after["no_plan.json"])
    assert report["status"] == "infeasible" and "diagnosis" in report
    assert leftovers(out) == []
    assert _solve(tmp_path, GOOD, out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == PLAN_SET, "a new plan retires no_plan.json"


def test_a_run_without_a_plan_into_a_new_folder(tmp_path: Path) -> None:
    out = tmp_path / "new" / "plan"
    result = _solve(tmp_path, NO_PLAN, out)
    assert result.exit_code == 3
    assert sorted(p.name for p in out.iterdir()) == ["no_plan.json"]


@pytest.mark.parametrize("kind", ["file", "nested", "here"])
def test_folders_that_cannot_take_a_set_are_refused_before_solving(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    if kind == "file":
        out.write_text("not a folder", encoding="utf-8")
        message = "is a file, not a folder"
    elif kind == "nested":
        (out / "old plans").mkdir(parents=True)
        message = "holds folders (old plans)"
    else:
        out.mkdir()
        monkeypatch.chdir(out)
        message = "is the current folder"
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = _solve(tmp_path, GOOD, out)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output
    after = sorted(p.name for p in tmp_path.rglob("*"))
    assert after == sorted([*before, "county.yaml"]) or after == before


def test_compare_out_uses_the_same_writer(tmp_path: Path) -> None:
    path = tmp_path / "county.yaml"
    path.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["compare", str(path), str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "compare.json").exists() and leftovers(out) == []
