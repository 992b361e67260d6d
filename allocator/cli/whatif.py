"""What-if commands: `allocator compare` and `allocator sweep`, and the variant helpers that
`solve --variant` and `validate` use. Exit codes as for solve: 0 done (points or scenarios
without a plan are rows with their status), 2 invalid input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from allocator.catalogue import say, yes_no
from allocator.cli.common import (
    EXIT_WRITE,
    Format,
    FormatOption,
    GapOption,
    Lang,
    LangOption,
    OutOption,
    Solver,
    SolverOption,
    TimeLimitOption,
    app,
    console,
    fail,
    load_or_exit,
    variant_or_exit,
)
from allocator.cli.doubts import StrictOption
from allocator.cli.solve import KeepCloseToOption, plan_to_keep_close_to

if TYPE_CHECKING:
    import pandas as pd

    from allocator.scenario.schema import Scenario

BASE = "base"


# --------------------------------------------------------------------------------------------
# Helpers for solve --variant and validate
# --------------------------------------------------------------------------------------------


@app.command()
def compare(
    paths: Annotated[list[Path], typer.Argument(help="Scenario file(s).", show_default=False)],
    variants: Annotated[
        str | None,
        typer.Option("--variants", help="Variants of the one file, a,b,... (default: all)."),
    ] = None,
    fmt: FormatOption = Format.table,
    out: OutOption = None,
    solver: SolverOption = Solver.highs,
    time_limit: TimeLimitOption = None,
    gap: GapOption = 1e-6,
    payers: Annotated[
        bool,
        typer.Option(
            "--payers",
            help="Also list the communities whose plans differ only in who pays (资金来源).",
        ),
    ] = False,
    strict: StrictOption = False,
    lang: LangOption = Lang.zh,
    keep_close_to: KeepCloseToOption = None,
) -> None:
    """Solve scenarios and set them side by side: totals, what differs per community, and the
    input changes behind it. One file: the base and its variants; several files: each file.
    Communities that differ only in who pays are counted under the table, listed with --payers."""
    from allocator.solving.worker import Deadline, process_began, warm
    from allocator.whatif.comparison import compare as compare_scenarios
    from allocator.whatif.comparison import labelled

    deadline = warm(Deadline.of(time_limit, began=process_began()))
    chosen = _compared(paths, variants)
    previous = plan_to_keep_close_to(keep_close_to, next(iter(chosen.values())))
    result = compare_scenarios(
        chosen,
        solver=solver.value,
        deadline=deadline,
        gap=gap,
        payers=payers,
        keep_close_to=previous,
    )
    frames = {
        "scenarios": result.summary,
        "communities": result.communities,
        "inputs": result.inputs,
    }
    if out is not None:
        _write(
            out,
            {
                "compare.json": _json(result.to_dict()),
                **{f"{name}.csv": _csv(labelled(frame)) for name, frame in frames.items()},
            },
        )
    if fmt == Format.json:
        typer.echo(_json(result.to_dict()))
    elif fmt == Format.csv:
        sys.stdout.write(_csv(labelled(result.summary)))
    else:
        from allocator.cli.explain import print_cut_short

        _print_comparison(frames, result.payers_note("--payers"))
        print_cut_short(result.cut_short, console())


def _compared(paths: list[Path], variants: str | None) -> dict[str, Scenario]:
    if len(paths) > 1:
        if variants is not None:
            fail(say("compare.variants_one_file"))
        scenarios = [load_or_exit(p) for p in paths]
        labels = [p.stem for p in paths]
        if len(set(labels)) < len(labels):
            labels = [str(p) for p in paths]
        return dict(zip(labels, scenarios, strict=True))
    base = load_or_exit(paths[0])
    names = (
        [n.strip() for n in variants.split(",") if n.strip()]
        if variants is not None
        else [v.name for v in base.variants]
    )
    if variants is not None and not names:
        fail(say("compare.variants_empty"))
    chosen = {BASE: base}
    for name in names:
        if name != BASE:
            chosen[name] = variant_or_exit(base, name)
    return chosen


def _print_comparison(frames: dict[str, pd.DataFrame], payers_note: str) -> None:
    from rich.text import Text

    from allocator.whatif.comparison import labelled, shown

    screen = console()
    titles = {name: say(f"compare.title_{name}") for name in ("scenarios", "communities", "inputs")}
    for name, frame in frames.items():
        if frame.empty:
            screen.print(say("compare.none", title=titles[name]))
        else:
            screen.print(_table(labelled(shown(frame)), titles[name]))
        if name == "communities" and payers_note:
            screen.print(Text(payers_note))


# --------------------------------------------------------------------------------------------
# sweep
# --------------------------------------------------------------------------------------------
@app.command()
def sweep(
    path: Annotated[Path, typer.Argument(help="Scenario file (YAML).", show_default=False)],
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary",
            help="PATH=START:STOP:STEP or PATH=a,b,c (PATH*=... scales, "
            "PATH+=... adds); once or twice.",
            show_default=False,
        ),
    ],
    variant: Annotated[
        str | None, typer.Option("--variant", help="Sweep this variant of the file.")
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Processes solving at once.", min=1)
    ] = 1,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Draw the frontier (or heat map) to this file.")
    ] = None,
    fmt: FormatOption = Format.table,
    out: OutOption = None,
    solver: SolverOption = Solver.highs,
    time_limit: TimeLimitOption = None,
    gap: GapOption = 1e-6,
    strict: StrictOption = False,
    lang: LangOption = Lang.zh,
    keep_close_to: KeepCloseToOption = None,
) -> None:
    """Solve the scenario over a grid of one or two parameters: one row per point."""
    from allocator.errors import ScenarioError
    from allocator.whatif.comparison import labelled
    from allocator.whatif.sweeping import parse_vary
    from allocator.whatif.sweeping import sweep as run_sweep

    if len(vary) > 2:
        fail(say("sweep.two_at_most"))
    try:
        parameters = [parse_vary(spec) for spec in vary]
    except ValueError as error:
        fail(f"--vary {error}")
    scenario = load_or_exit(path)
    if variant is not None:
        scenario = variant_or_exit(scenario, variant)
    previous = plan_to_keep_close_to(keep_close_to, scenario)
    try:
        frame = run_sweep(
            scenario,
            parameters,
            jobs=jobs,
            progress=True,
            solver=solver.value,
            time_limit=time_limit,
            gap=gap,
            keep_close_to=previous,
        )
    except ScenarioError as error:
        fail(error.report())
    if plot is not None:
        from allocator.report.plots import plot_sweep, save

        try:
            save(plot_sweep(frame), plot)
        except (OSError, ValueError) as error:
            fail(say("sweep.plot_failed", plot=plot, error=error))
    if out is not None:
        _write(
            out, {"sweep.csv": _csv(labelled(frame)), "sweep.json": _json(_frame_records(frame))}
        )
    if fmt == Format.json:
        typer.echo(_json(_frame_records(frame)))
    elif fmt == Format.csv:
        sys.stdout.write(_csv(labelled(frame)))
    else:
        console().print(_table(labelled(frame), say("sweep.title")))


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------
def _frame_records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _csv(frame: pd.DataFrame) -> str:
    from allocator.report.render import csv_text

    return csv_text(frame)


def _write(out: Path, files: dict[str, str]) -> None:
    from allocator.report import render
    from allocator.report.outfolder import OutFolderRefused

    try:
        render.write_files(out, files)  # all at once, the folder swapped in whole
    except OutFolderRefused as error:
        fail(str(error))
    except OSError as error:
        fail(say("out.whatif_unwritten", out=out, error=error), EXIT_WRITE)


def _table(frame: pd.DataFrame, title: str) -> object:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    for column in frame.columns:  # Text: paths such as funding[county] are not rich markup
        numeric = frame[column].dtype.kind in "fi"
        table.add_column(Text(str(column)), justify="right" if numeric else "left", overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(Text(_cell(v, str(c))) for v, c in zip(row, frame.columns, strict=True)))
    return table


def _cell(value: object, column: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, float):
        if "m2" in column or "m²" in column:
            return f"{value:,.1f}"
        if "runtime" in column:
            return f"{value:.2f}"
        if "万元" in column or column.endswith("_wan") or "Cost" in column or "缺口" in column:
            return f"{value:,.2f}"
        return f"{value:g}"
    return str(value)
