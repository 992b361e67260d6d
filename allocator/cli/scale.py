"""`allocator generate`: a synthetic province for benchmarks and trials at scale."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from allocator.catalogue import say
from allocator.cli.common import Lang, LangOption, app, fail


@app.command()
def generate(
    communities: Annotated[
        int, typer.Option("--communities", "-n", help="How many communities.", min=1)
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Same seed, same file.")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Scenario file to write (YAML).")] = Path(
        "province.yaml"
    ),
    staff: Annotated[
        bool,
        typer.Option(
            "--staff",
            help="Plan staff too: posts now (streets 5, towns 3-5, target 7), a quota of added "
            "posts, a pool of first secretaries, recruits, the pay rise, and a staff budget "
            "line of its own (县财政社区工作者经费). The premises part stays the same.",
        ),
    ] = False,
    years: Annotated[
        int,
        typer.Option(
            "--years",
            min=0,
            help="Plan over this many years from 2024 (0: one period): county-wide budgets in "
            "equal yearly parts, carried over; routes start in a year the plan chooses.",
        ),
    ] = 0,
    lang: LangOption = Lang.zh,
) -> None:
    """Write a synthetic province: groups of 5-40 communities, every route and funding rule,
    budgets that bind (all money covers about 70% of full compliance); with --staff, posts too."""
    from allocator.scenario.synthetic import generate_scenario, write_scenario

    data = generate_scenario(communities, seed, staff=staff, years=years)
    flags = f"{' --staff' if staff else ''}{f' --years {years}' if years else ''}"
    header = (
        f"{data['name']}: written by `allocator generate --communities {communities} "
        f"--seed {seed}{flags}`.\nThe same command writes the same file."
    )
    try:
        write_scenario(data, out, header)
    except OSError as error:
        fail(say("generate.unwritten", out=out, error=error))
    options = sum(len(c["options"]) for c in data["communities"])
    typer.echo(
        say(
            "generate.written",
            out=out,
            communities=communities,
            groups=len(data["groups"]),
            options=options,
            sources=len(data["funding"]),
        )
    )
