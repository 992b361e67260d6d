"""The solve, validate and schema commands."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from allocator.cli.common import (
    EXIT_INVALID,
    EXIT_WRITE,
    Format,
    FormatOption,
    GapOption,
    LangOption,
    OutOption,
    ScenarioPath,
    Solver,
    SolverOption,
    WideOption,
    app,
    check_out,
    console,
    exit_code,
    fail,
    load_or_exit,
    report_variants,
    variant_or_exit,
)
from allocator.cli.doubts import StrictOption

if TYPE_CHECKING:
    from allocator.analysis.explanation import Explanation
    from allocator.plan import Plan
    from allocator.scenario.schema import Scenario
    from allocator.solving.worker import Deadline


def emit_plan(
    plan: Plan,
    fmt: Format,
    out: Path | None,
    scenario: Scenario | None = None,
    explanations: Mapping[str, Explanation] | None = None,
    *,
    wide: bool = False,
) -> None:
    """Print a plan in the chosen format, then write its files; exit with the plan's code,
    or EXIT_WRITE when the files cannot be written (the plan is on the screen all the same,
    and the folder keeps what it had)."""
    from allocator.plan import options_table
    from allocator.report import render

    if fmt == Format.json:
        typer.echo(render.plan_json(plan))
    elif fmt == Format.csv:
        sys.stdout.write(render.frame_csv(options_table(plan)))
    else:
        render.print_plan(plan, console(wide=wide), wide=wide)
        from allocator.cli.explain import print_plan_extras

        print_plan_extras(plan, console())
    if out is not None:
        _write_out(plan, out, scenario, explanations)
    raise typer.Exit(exit_code(plan))


def _write_out(
    plan: Plan,
    out: Path,
    scenario: Scenario | None,
    explanations: Mapping[str, Explanation] | None,
) -> None:
    from allocator.catalogue import say
    from allocator.report import render
    from allocator.report.outfolder import NO_PLAN_FILE, OutFolderRefused

    try:
        render.write_plan_set(plan, out, scenario, explanations)
    except OutFolderRefused as error:
        fail(str(error), EXIT_INVALID)
    except OSError as error:
        if not plan.status.has_plan:  # the exit code says there is no plan; that comes first
            typer.echo(
                say("out.no_plan_unwritten", out=out, file=NO_PLAN_FILE, error=error), err=True
            )
            return
        fail(say("out.unwritten", out=out, error=error), EXIT_WRITE)
    if not plan.status.has_plan:
        typer.echo(say("out.no_plan_written", out=out, file=out / NO_PLAN_FILE), err=True)


def explain_all(plan: Plan, scenario: Scenario, solver: str, deadline: Deadline) -> dict:
    """Why each community gets its routes, for the ledgers of plan.xlsx (`--explain --out`),
    up to the number of communities that get a ledger sheet each, within `deadline` (those it
    leaves no time for say so)."""
    from allocator.analysis.explanation import explain
    from allocator.report.ledger import LEDGER_SHEETS_MAX

    if not plan.status.has_plan or len(scenario.communities) > LEDGER_SHEETS_MAX:
        return {}
    return {
        c.id: explain(scenario, c.id, plan=plan, solver=solver, deadline=deadline)
        for c in scenario.communities
    }


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
        bool,
        typer.Option(
            "--explain",
            help="Add shadow prices: budgets and targets; with --out, also why each "
            "community gets its routes, in its ledger of plan.xlsx (re-solves per community).",
        ),
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
    strict: StrictOption = False,
    wide: WideOption = False,
    lang: LangOption = "zh",
    objective: Annotated[
        str | None,
        typer.Option(
            "--objective",
            help="目标顺序 The order of the objectives, comma-separated, from "
            "communities_meeting, weighted_shortfall, total_cost, county_money (default: the "
            "file's objective, else weighted_shortfall,total_cost).",
        ),
    ] = None,
    keep_close_to: KeepCloseToOption = None,
) -> None:
    """Find the plan that brings every community to its standard at least cost."""
    from allocator.analysis.diagnosis import solve as solve_scenario
    from allocator.solving.worker import Deadline, process_began, warm

    deadline = warm(Deadline.of(time_limit, began=process_began()))
    scenario = load_or_exit(path)
    if variant is not None:
        scenario = variant_or_exit(scenario, variant)
    if out is not None:
        check_out(out)
    scenario, previous = _objective_or_exit(scenario, objective, keep_close_to)
    plan = solve_scenario(
        scenario, solver=solver.value, deadline=deadline, gap=gap, keep_close_to=previous
    )
    explanations = {}
    if explain:
        from allocator.cli.explain import with_explanations_cut, with_shadow_prices

        plan = with_shadow_prices(plan, scenario, solver.value, price_step, deadline)
        if out is not None:
            explanations = explain_all(plan, scenario, solver.value, deadline)
            plan = with_explanations_cut(plan, explanations)
    emit_plan(plan, fmt, out, scenario, explanations, wide=wide)


KeepCloseToOption = Annotated[
    Path | None,
    typer.Option(
        "--keep-close-to",
        help="贴近原方案 A plan.json: among the plans equal on the objectives, take the one "
        "that changes the fewest routes, then payers, from it.",
    ),
]


def plan_to_keep_close_to(path: Path | None, scenario: Scenario) -> dict | None:
    """The plan of --keep-close-to as its JSON, or None; exit 2 with why it cannot be read."""
    return _objective_or_exit(scenario, None, path)[1]


def _objective_or_exit(
    scenario: Scenario, objective: str | None, keep_close_to: Path | None
) -> tuple[Scenario, dict | None]:
    """The scenario with the order of --objective, and the plan of --keep-close-to read (as its
    JSON); exit 2 with what is wrong before solving."""
    from allocator.model.closeness import previous_of
    from allocator.solving.lexicographic import with_objective

    try:
        if objective is not None:
            names = [name.strip() for name in objective.replace("，", ",").split(",")]
            scenario = with_objective(scenario, [name for name in names if name])
        if keep_close_to is None:
            return scenario, None
        previous_of(keep_close_to, scenario)  # a plan it can read, or why not
    except ValueError as error:
        fail(str(error))
    import json

    return scenario, json.loads(keep_close_to.read_text(encoding="utf-8-sig"))


@app.command()
def validate(path: ScenarioPath, strict: StrictOption = False, lang: LangOption = "zh") -> None:
    """Check a scenario file without solving it."""
    from allocator.catalogue import say

    scenario = load_or_exit(path)
    options = sum(len(c.options) for c in scenario.communities)
    typer.echo(
        say(
            "validate.valid",
            path=path,
            communities=len(scenario.communities),
            groups=len(scenario.groups),
            options=options,
            sources=len(scenario.funding),
        )
    )
    report_variants(scenario)


@app.command()
def schema(lang: LangOption = "zh") -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    import json

    from allocator.scenario.schema import Scenario

    typer.echo(json.dumps(Scenario.model_json_schema(), ensure_ascii=False, indent=2))
