"""The `allocator` command: load -> check -> solve -> render. Exit codes:
0 a plan (optimal, or the best found at the time limit, with its gap); 2 invalid input;
3 infeasible (what cannot be met is named); 4 no plan from the solver."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from allocator.plan import Plan
    from allocator.scenario import Scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Plan premises and funding for a county's communities (社区规范化建设).",
)

EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_PLAN = 2, 3, 4


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Solver(StrEnum):
    highs = "highs"
    cbc = "cbc"


ScenarioPath = Annotated[Path, typer.Argument(help="Scenario file (YAML).", show_default=False)]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Also write plan.json and CSV tables to this folder.")
]
SolverOption = Annotated[Solver, typer.Option(help="highs (default) or cbc.")]
TimeLimitOption = Annotated[
    float | None, typer.Option("--time-limit", help="Wall-clock seconds for each solve.", min=0)
]
GapOption = Annotated[float, typer.Option(help="Relative MIP gap to prove.", min=0, max=1)]


def console(stderr: bool = False) -> object:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    wide = None if stream.isatty() else 220
    return Console(file=stream, width=wide, highlight=False, soft_wrap=False)


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def load_or_exit(path: Path) -> Scenario:
    """Load and validate a scenario; on any problem print them all and exit 2."""
    from allocator.errors import ScenarioError
    from allocator.scenario import load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as error:
        fail(error.report())


def exit_code(plan: Plan) -> int:
    return {"optimal": 0, "time_limit": 0, "infeasible": EXIT_INFEASIBLE}.get(
        plan.status.value, EXIT_NO_PLAN
    )


def emit_plan(plan: Plan, fmt: Format, out: Path | None) -> None:
    """Print a plan in the chosen format and write its files; exit with the plan's code."""
    from allocator import render
    from allocator.report import options_table

    if out is not None:
        try:
            render.write_files(out, render.plan_files(plan))
        except OSError as error:
            fail(f"{out}: cannot write the plan files: {error}", EXIT_INVALID)
    if fmt == Format.json:
        typer.echo(render.plan_json(plan))
    elif fmt == Format.csv:
        sys.stdout.write(render.frame_csv(options_table(plan)))
    else:
        render.print_plan(plan, console())
        from allocator.cli_explain import print_plan_extras

        print_plan_extras(plan, console())
    raise typer.Exit(exit_code(plan))


@app.command()
def solve(
    path: ScenarioPath,
    fmt: FormatOption = Format.table,
    out: OutOption = None,
    solver: SolverOption = Solver.highs,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Wall-clock seconds for the solve.", min=0)
    ] = None,
    gap: GapOption = 1e-6,
    variant: Annotated[
        str | None, typer.Option("--variant", help="Solve this variant of the file.")
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add shadow prices: budgets and targets.")
    ] = False,
    price_step: Annotated[
        float,
        typer.Option(
            "--price-step",
            help="With --explain: 万元 added to each budget when "
            "re-solving (what another 50 万元 buys: 50).",
            min=0.01,
        ),
    ] = 1.0,
) -> None:
    """Find the plan that brings every community to its standard at least cost."""
    from allocator.solving import solve as solve_scenario

    scenario = load_or_exit(path)
    if variant is not None:
        from allocator.cli_whatif import variant_or_exit

        scenario = variant_or_exit(scenario, variant)
    plan = solve_scenario(scenario, solver=solver.value, time_limit=time_limit, gap=gap)
    if explain:
        from allocator.cli_explain import with_shadow_prices

        plan = with_shadow_prices(plan, scenario, solver.value, price_step)
    emit_plan(plan, fmt, out)


@app.command()
def validate(path: ScenarioPath) -> None:
    """Check a scenario file without solving it."""
    scenario = load_or_exit(path)
    options = sum(len(c.options) for c in scenario.communities)
    typer.echo(
        f"{path}: valid. {len(scenario.communities)} communities in {len(scenario.groups)} "
        f"groups, {options} options, {len(scenario.funding)} funding sources."
    )
    from allocator.cli_whatif import report_variants

    report_variants(scenario)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    import json

    from allocator.scenario import Scenario

    typer.echo(json.dumps(Scenario.model_json_schema(), ensure_ascii=False, indent=2))


def main() -> None:
    app()


import allocator.cli_explain  # noqa: E402, F401  (registers explain and alternatives)
import allocator.cli_scale  # noqa: E402, F401  (registers generate)
import allocator.cli_whatif  # noqa: E402, F401  (registers compare and sweep)
