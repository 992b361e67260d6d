"""The solve, validate and schema commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from allocator.cli.common import (
    EXIT_INVALID,
    Format,
    FormatOption,
    GapOption,
    OutOption,
    ScenarioPath,
    Solver,
    SolverOption,
    app,
    console,
    exit_code,
    fail,
    load_or_exit,
    report_variants,
    variant_or_exit,
)

if TYPE_CHECKING:
    from allocator.plan import Plan


def emit_plan(plan: Plan, fmt: Format, out: Path | None) -> None:
    """Print a plan in the chosen format and write its files; exit with the plan's code."""
    from allocator.plan import options_table
    from allocator.report import render

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
        from allocator.cli.explain import print_plan_extras

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
    from allocator.analysis.diagnosis import solve as solve_scenario

    scenario = load_or_exit(path)
    if variant is not None:
        scenario = variant_or_exit(scenario, variant)
    plan = solve_scenario(scenario, solver=solver.value, time_limit=time_limit, gap=gap)
    if explain:
        from allocator.cli.explain import with_shadow_prices

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
    report_variants(scenario)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    import json

    from allocator.scenario.schema import Scenario

    typer.echo(json.dumps(Scenario.model_json_schema(), ensure_ascii=False, indent=2))
