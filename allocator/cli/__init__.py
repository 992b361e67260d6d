"""The `allocator` command: load -> check -> solve -> render. Exit codes:
0 a plan (optimal, or the best found at the time limit, with its gap); 2 invalid input;
3 infeasible (what cannot be met is named); 4 no plan from the solver.

Each command module registers its commands on `allocator.cli.common.app`.

Importing the command's libraries (typer, pydantic, pandas, rich) makes some hundred thousand
objects and no garbage, and Python's cyclic garbage collector would walk them again and again:
it is off while they are imported, and `main` sets what the imports made apart from later
collections (`gc.freeze`). At the county's 27 communities that is some 50 ms of a 0.72 s run."""

from __future__ import annotations

import gc

_COLLECTING = gc.isenabled()
gc.disable()
try:
    from allocator.cli import explain, scale, solve, whatif, workbook
    from allocator.cli.common import app
finally:
    if _COLLECTING:
        gc.enable()

__all__ = ["app", "main"]
_COMMANDS = (solve, whatif, explain, scale, workbook)


def main() -> None:
    """The command line, as the `allocator` script and `python -m allocator` run it."""
    gc.freeze()  # what the imports made lives as long as the process: no collection walks it
    app()
