"""The `allocator` command: load -> check -> solve -> render. Exit codes:
0 a plan (optimal, or the best found at the time limit, with its gap); 2 invalid input;
3 infeasible (what cannot be met is named); 4 no plan from the solver.

Each command module registers its commands on `allocator.cli.common.app`.

Importing the commands' libraries (typer, pydantic, pandas, rich) makes some hundred thousand
objects and no garbage, and Python's cyclic garbage collector would walk them again and again:
it is off while they are imported, and what they made is then set apart from later collections
(`gc.freeze`; the collector, turned on again, would otherwise walk it all at its next run)."""

from __future__ import annotations

import gc

_COLLECTING = gc.isenabled()
gc.disable()
try:
    from allocator.cli import explain, scale, solve, whatif, workbook
    from allocator.cli.common import app
finally:
    gc.freeze()
    if _COLLECTING:
        gc.enable()

__all__ = ["app", "main"]
_COMMANDS = (solve, whatif, explain, scale, workbook)


def main() -> None:
    """The command line, as the `allocator` script and `python -m allocator` run it."""
    app()
