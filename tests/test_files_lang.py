"""The memo (report.docx) and the ledgers of plan.xlsx speak the run's language: Chinese by
default, English with --lang en, every sentence from the catalogue."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from conftest import COUNTY_FILE
from docx import Document
from typer.testing import CliRunner

from allocator.cli import app


def _files(tmp_path: Path, *args: str) -> tuple[str, list[list[object]]]:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["solve", str(COUNTY_FILE), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    memo = "\n".join(p.text for p in Document(str(out / "report.docx")).paragraphs)
    book = openpyxl.load_workbook(out / "plan.xlsx", read_only=True)
    ledger = next(s for s in book.worksheets if s.title.startswith("南桥"))
    return memo, [list(row) for row in ledger.iter_rows(values_only=True)]


def test_memo_and_ledger_in_chinese_and_in_english(tmp_path: Path) -> None:
    memo, ledger = _files(tmp_path / "zh")
    assert "一、总体情况" in memo and "求解状态：最优（已证明）" in memo
    assert "全县 27 个社区中，21 个达到用房标准" in memo
    cells = [str(v) for row in ledger for v in row if v is not None]
    assert "南桥社区 台账（一社区一册）" in cells and "选用路径及资金来源" in cells
    assert any(c.startswith("南桥社区（nanqiao，城南街道）现有 280 m²") for c in cells), cells
    # a plan without staff or years: no posts in the ledger, no years in the memo
    assert "人员配备" not in cells and "启动年份" not in cells
    assert "人员：" not in memo and "逐年安排" not in memo

    memo, ledger = _files(tmp_path / "en", "--lang", "en")
    assert "1. Overview" in memo and "Solver status: optimal (proven)" in memo
    assert "Of the county's 27 communities, 21 meet the premises standard" in memo
    assert "一、" not in memo and "求解状态" not in memo
    cells = [str(v) for row in ledger for v in row if v is not None]
    assert "南桥社区: ledger (one per community)" in cells and "Routes chosen and who pays" in cells
    assert any(c.startswith("南桥社区 (nanqiao, 城南街道) has 280 m2") for c in cells), cells
    assert "heightening" in cells or "lease" in cells or "reclaimed rooms" in cells
