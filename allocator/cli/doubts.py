"""Warnings on a loaded scenario (values implausible in their unit, a file not in UTF-8), and the
`--strict` option that makes the warnings errors.

Every command that loads a scenario (`common.load_or_exit`, `common.variant_or_exit`) passes it
here: the warnings go to stderr, in Chinese first, and the command goes on; with `--strict` they
are errors: exit 2, before anything is solved or written. A command takes `--strict` by one line
in its signature (`strict: StrictOption = False`); the option's callback keeps the flag here for
the loading that follows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from allocator.scenario.schema import Scenario

EXIT_INVALID = 2
_FLAGS = {"strict": False}


def _remember(value: bool) -> bool:
    _FLAGS["strict"] = bool(value)
    return value


StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Values implausible in their unit (a cost per m2 above 1 万元, a budget above "
        "10,000 万元, ...) are errors (exit 2), not warnings.",
        callback=_remember,
    ),
]


def strict() -> bool:
    return _FLAGS["strict"]


def warn_or_exit(scenario: Scenario, base: Scenario | None = None) -> None:
    """Print the scenario's warnings on stderr (a variant's own only: not those of its `base`);
    with --strict, print them as errors and exit 2."""
    from allocator.scenario.files import encoding_note
    from allocator.scenario.plausible import report, warnings_of

    if base is None and scenario.path is not None:
        note = encoding_note(Path(scenario.path))
        if note:
            typer.echo(note, err=True)
    doubts = warnings_of(scenario)
    if base is not None and doubts:
        known = {d.loc for d in warnings_of(base)}  # one warning for one mistake, at the base
        doubts = [d for d in doubts if d.loc not in known]
    if not doubts:
        return
    if strict():
        typer.echo(
            report(doubts).replace("提示 warning", "错误 error (--strict)", 1)
            + "\n  改正这些数值，或去掉 --strict 以警告继续 (fix them, or run without --strict)",
            err=True,
        )
        raise typer.Exit(EXIT_INVALID)
    typer.echo(report(doubts), err=True)
