"""Input problems in the planner's language: the frame of each message (file, line or cell,
entry, field) and the common validation messages come from the catalogue, Chinese by default
and English with `--lang en`, each still saying what to write instead. Every case is a copy of
scenarios/2024_premises.yaml with one mistake, or the county's workbook with one bad cell."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import COUNTY_FILE
from typer.testing import CliRunner

from allocator import load_scenario
from allocator.catalogue import use_lang
from allocator.cli import app
from allocator.errors import ScenarioError

COUNTY = COUNTY_FILE.read_text(encoding="utf-8")


def problems(path: Path, *args: str) -> list[str]:
    """The problem lines of `validate` on `path` (exit 2)."""
    result = CliRunner().invoke(app, ["validate", str(path), *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return [line for line in result.output.splitlines() if line.startswith("  - ")]


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in COUNTY
    path = tmp_path / "s.yaml"
    path.write_text(COUNTY.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(text: str, piece: str) -> int:
    return text[: text.index(piece)].count("\n") + 1


# (what is replaced, by what, the Chinese message, the English one)
CASES = {
    "missing": (
        "    name: 新兴社区\n",
        "",
        "社区 'xinxing'，字段 'name'：必填项缺失：请补上这一项",
        "community 'xinxing', field 'name': is required but missing: add it",
    ),
    "text in a number": (
        "    households: 4200\n",
        "    households: many\n",
        "字段 'households'：应为数字，用阿拉伯数字书写（例如 450 或 0.22）（现为 'many'）",
        "field 'households': must be a valid number, written in digits (e.g. 450 or 0.22)"
        " (got 'many')",
    ),
    "unknown kind": (
        "        kind: allocate_build\n",
        "        kind: build_new\n",
        "社区 'xinxing'，路径 'xinxing_build'，字段 'kind'：应为以下之一：无偿划拨新建 "
        "'allocate_build'、加高改造 'heighten'",
        "community 'xinxing', option 'xinxing_build', field 'kind': must be one of 无偿划拨新建 "
        "'allocate_build', 加高改造 'heighten'",
    ),
    "negative area": (
        "    existing_area_m2: 280 ",
        "    existing_area_m2: -280 ",
        "社区 'nanqiao'，字段 'existing_area_m2'：不能小于 0：请填写 0 或更大的数（现为 -280）",
        "community 'nanqiao', field 'existing_area_m2': must be greater than or equal to 0: "
        "write 0 or more (got -280)",
    ),
    "misspelt field": (
        "    households: 4200\n",
        "    households: 4200\n    househlds: 3\n",
        "字段 'househlds'：没有字段 'househlds'：您要写的是 'households' 吗？",
        "field 'househlds': unknown field 'househlds': did you mean 'households'?",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_mistake_is_named_in_chinese_and_in_english(tmp_path: Path, case: str) -> None:
    old, new, chinese, english = CASES[case]
    path = broken(tmp_path, old, new)
    anchor = new.rstrip("\n").split("\n")[-1] if new else "  - id: xinxing"
    line = line_of(path.read_text(encoding="utf-8"), anchor)
    [zh] = problems(path)
    assert zh.startswith(f"  - {path}，第 {line} 行：") and chinese in zh, zh
    [en] = problems(path, "--lang", "en")
    assert en.startswith(f"  - {path}, line {line}: ") and english in en, en


def test_the_head_counts_the_problems_in_either_language(tmp_path: Path) -> None:
    path = broken(tmp_path, "    households: 4200\n", "    households: many\n    househlds: 3\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.output.startswith(f"{path}：发现 2 处问题\n"), result.output
    result = CliRunner().invoke(app, ["validate", str(path), "--lang", "en"])
    assert result.output.startswith(f"{path}: 2 problems found\n"), result.output


def test_python_speaks_the_language_of_its_block(tmp_path: Path) -> None:
    path = broken(tmp_path, "    existing_area_m2: 280 ", "    existing_area_m2: -280 ")
    with pytest.raises(ScenarioError, match="不能小于 0"):
        load_scenario(path)
    with use_lang("en"), pytest.raises(ScenarioError, match="write 0 or more"):
        load_scenario(path)


def test_a_variant_change_is_named_in_chinese(tmp_path: Path) -> None:
    path = broken(tmp_path, "{scale: 0.8}", "{scale: -1}")
    [zh] = problems(path)
    assert "变体 'budget_cut'，改动 'funding[county].budget: {scale: -1}'" in zh, zh
    assert "导致：" in zh and "不能小于 0" in zh, zh


def test_a_bad_cell_is_named_in_chinese_and_in_english(tmp_path: Path) -> None:
    book = tmp_path / "county.xlsx"
    result = CliRunner().invoke(app, ["convert", str(COUNTY_FILE), str(book)])
    assert result.exit_code == 0 and result.output.startswith("已写入"), result.output
    workbook = openpyxl.load_workbook(book)
    workbook["社区"]["E2"] = -5
    workbook["社区"]["D3"] = "很多"
    workbook.save(book)
    zh = problems(book)
    assert zh[0].endswith(
        "社区!E2 (现有面积（m²）)：社区 'xinxing'：不能小于 0：请填写 0 或更大的数（现为 -5）"
    )
    assert zh[1].endswith("社区!D3 (户数)：应为数字，用阿拉伯数字书写（例如 450 或 0.22）"), zh
    en = problems(book, "--lang", "en")
    assert "社区!E2 (现有面积（m²）): community 'xinxing': must be greater than or equal" in en[0]
    assert en[1].endswith(
        "社区!D3 (户数): must be a valid number, written in digits (e.g. 450 or 0.22)"
    )


def test_template_and_convert_speak_the_language_asked(tmp_path: Path) -> None:
    book = tmp_path / "t.xlsx"
    assert CliRunner().invoke(app, ["template", str(book)]).output.startswith(f"已写入 {book}")
    again = CliRunner().invoke(app, ["template", str(book)])
    assert (
        again.exit_code == 2 and "文件已存在，未覆盖" in again.output and "--force" in again.output
    )
    again = CliRunner().invoke(app, ["template", str(book), "--lang", "en"])
    assert again.exit_code == 2 and "already exists" in again.output
    wrong = CliRunner().invoke(app, ["convert", str(COUNTY_FILE), str(tmp_path / "x.txt")])
    assert wrong.exit_code == 2 and "请写入扩展名为 .xlsx 的文件" in wrong.output
