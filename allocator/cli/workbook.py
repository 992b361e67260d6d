"""The template and convert commands: the planners' workbook (工作簿) in and out.

`allocator template county.xlsx` writes the empty workbook to fill in; `allocator convert A B`
turns a scenario file (YAML or JSON; a file that extends another is written resolved) into a
workbook, or a workbook into a scenario file, the direction chosen by the suffixes. Every other
command reads a workbook as it reads a scenario file. The workbook itself is Chinese; what the
commands print is in the language of `--lang` (Chinese by default)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from allocator.catalogue import say
from allocator.cli.common import EXIT_INVALID, Lang, LangOption, app, fail, load_or_exit

_TEXT_SUFFIXES = (".yaml", ".yml", ".json")
ForceOption = Annotated[
    bool, typer.Option("--force", help="Overwrite the file if it exists (覆盖已有文件).")
]


def _check_target(path: Path, force: bool, suffixes: tuple[str, ...]) -> None:
    if path.suffix.lower() not in suffixes:
        ends = say("workbook.or").join(suffixes)
        fail(say("workbook.suffix", path=path, suffixes=ends), EXIT_INVALID)
    if path.exists() and not force:
        fail(say("workbook.exists", path=path), EXIT_INVALID)
    if not path.parent.is_dir():
        fail(say("workbook.no_folder", path=path, folder=path.parent), EXIT_INVALID)


@app.command()
def template(
    path: Annotated[Path, typer.Argument(help="The workbook to write (.xlsx).")],
    force: ForceOption = False,
    lang: LangOption = Lang.zh,
) -> None:
    """Write an empty scenario workbook for planners to fill in (情景模板)."""
    from allocator.scenario.workbook_write import write_workbook

    _check_target(path, force, (".xlsx",))
    try:
        write_workbook(path)
    except OSError as error:
        fail(say("workbook.unwritten", path=path, error=error), EXIT_INVALID)
    typer.echo(say("workbook.template_written", path=path))


@app.command()
def convert(
    source: Annotated[Path, typer.Argument(help="Scenario file (YAML, JSON) or workbook (.xlsx).")],
    target: Annotated[Path, typer.Argument(help="The file to write: .xlsx, or .yaml / .json.")],
    force: ForceOption = False,
    lang: LangOption = Lang.zh,
) -> None:
    """Turn a scenario file into a workbook, or a workbook into a scenario file."""
    from allocator.scenario.workbook_read import is_workbook
    from allocator.scenario.workbook_write import write_workbook

    if source.resolve() == target.resolve():
        fail(say("workbook.same_file", path=target), EXIT_INVALID)
    reading_workbook = is_workbook(source)
    _check_target(target, force, _TEXT_SUFFIXES if reading_workbook else (".xlsx",))
    scenario = load_or_exit(source)
    try:
        if reading_workbook:
            target.write_text(scenario_text(scenario.source, source, target), encoding="utf-8")
        else:
            write_workbook(target, scenario)
    except OSError as error:
        fail(say("workbook.unwritten", path=target, error=error), EXIT_INVALID)
    typer.echo(say("workbook.written", path=target))


def scenario_text(data: dict, source: Path, target: Path) -> str:
    """A workbook's scenario as YAML (or JSON, by the target's suffix), in 万元 and m2."""
    if target.suffix.lower() == ".json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    import yaml

    head = (
        f"# Converted from {source.name} by `allocator convert`.\n"
        "# Money in 万元 (10,000 yuan), rent in 万元/m2/year, area in m2.\n"
    )
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
