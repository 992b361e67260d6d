"""Shared pieces of the `allocator` command: the app, options, console and exits.
A command runs load -> check -> solve -> render. Exit codes:
0 a plan (optimal; the best found at the time limit, with its gap; or not proven optimal, with
the reason); 2 invalid input; 3 infeasible (what cannot be met is named); 4 no plan from the
solver; 5 the files of --out could not be written (the plan is printed; the folder keeps what it
had)."""

from __future__ import annotations

import contextvars
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from allocator.plan import Plan
    from allocator.scenario.schema import Scenario


class _OwnContext(TyperGroup):
    """The commands, each run in a context of its own (`contextvars`): the language `--lang`
    sets ends with the command, also when click refuses its arguments before it runs (then
    no close callback is called)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.copy_context().run(super().main, *args, **kwargs)


app = typer.Typer(
    cls=_OwnContext,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Plan premises and funding for a county's communities (社区规范化建设).",
)

EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_PLAN, EXIT_WRITE = 2, 3, 4, 5


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Solver(StrEnum):
    highs = "highs"
    cbc = "cbc"


ScenarioPath = Annotated[
    Path,
    typer.Argument(
        help="情景文件 Scenario file: YAML, JSON or an Excel workbook (.xlsx).", show_default=False
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Also write the files to this folder, all at once (plan.xlsx, report.docx...).",
    ),
]
SolverOption = Annotated[Solver, typer.Option(help="highs (default) or cbc.")]
TimeLimitOption = Annotated[
    float | None, typer.Option("--time-limit", help="Wall-clock seconds for each solve.", min=0)
]
GapOption = Annotated[float, typer.Option(help="Relative MIP gap to prove.", min=0, max=1)]


class Lang(StrEnum):
    zh = "zh"
    en = "en"


def _use_lang(ctx: typer.Context, value: Lang | None) -> Lang | None:
    """The option's callback: texts of the command in this language, until it ends."""
    from allocator.catalogue import set_lang

    ctx.call_on_close(set_lang((value or Lang.zh).value))
    return value


LangOption = Annotated[
    Lang,
    typer.Option(
        "--lang",
        help="屏幕文字的语言：zh 中文（默认）或 en English. Language of what is printed.",
        callback=_use_lang,
        is_eager=True,
    ),
]


WideOption = Annotated[
    bool,
    typer.Option("--wide", help="Every column of the plan, however wide the screen (宽表)."),
]


def console(stderr: bool = False, *, wide: bool = False) -> object:
    """A console as wide as the terminal (or COLUMNS); 220 columns into a file or a pipe, or
    with `wide`."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    fits = stream.isatty() or os.environ.get("COLUMNS", "").isdigit()
    width = 220 if wide or not fits else None
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def check_out(out: Path) -> None:
    """Exit 2 before any work when the folder given to --out cannot take a set of files."""
    from allocator.report.outfolder import out_folder_problem

    problem = out_folder_problem(out)
    if problem:
        fail(problem)


def load_or_exit(path: Path) -> Scenario:
    """Load and validate a scenario; on any problem print them all and exit 2. Its warnings
    (values implausible in their unit) go to stderr, or exit 2 with --strict (`doubts`)."""
    from allocator.cli.doubts import warn_or_exit
    from allocator.errors import ScenarioError
    from allocator.scenario.loading import load_scenario

    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        fail(error.report())
    warn_or_exit(scenario)
    return scenario


def exit_code(plan: Plan) -> int:
    """0 for a plan (optimal, time_limit or not_proven: `Status.has_plan`), 3 infeasible, 4 no
    plan."""
    from allocator.plan import Status

    if plan.status.has_plan:
        return 0
    return EXIT_INFEASIBLE if plan.status == Status.INFEASIBLE else EXIT_NO_PLAN


def variant_or_exit(scenario: Scenario, name: str) -> Scenario:
    """The scenario of variant `name`; its problems printed and exit 2 if it has any."""
    from allocator.cli.doubts import warn_or_exit
    from allocator.errors import ScenarioError

    try:
        result = scenario.variant(name)
    except ScenarioError as error:
        fail(error.report())
    warn_or_exit(result, base=scenario)
    return result


def report_variants(scenario: Scenario) -> None:
    """Print, for each variant, what it changes (entry, field, old -> new); exit 2 if any
    variant has problems (all of them are listed)."""
    from allocator.catalogue import entries, say
    from allocator.errors import ScenarioError
    from allocator.scenario.differences import scenario_diff

    problems: list[str] = []
    for variant in scenario.variants:
        try:
            changed = scenario_diff(scenario, scenario.variant(variant.name))
        except ScenarioError as error:
            problems.extend(error.report().splitlines()[1:])
            continue
        count = len(changed)
        description = variant.description.strip() or say("validate.no_description")
        typer.echo(say("validate.variant", name=variant.name, description=description))
        key = {0: "validate.variant_same", 1: "validate.variant_valid_one"}.get(count)
        typer.echo("  " + say(key or "validate.variant_valid", count=count))
        for row in changed.itertuples(index=False):
            typer.echo(f"    {entries(row.entry)}: {row.field}: {row.old} -> {row.new}")
    if problems:
        key = "validate.variant_problem" if len(problems) == 1 else "validate.variant_problems"
        head = say(key, path=scenario.path, count=len(problems))
        fail("\n".join([head, *problems]))


# --------------------------------------------------------------------------------------------
# compare
# --------------------------------------------------------------------------------------------
