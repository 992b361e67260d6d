"""The `allocator` command: load -> check -> solve -> render. Exit codes:
0 a plan (optimal, or the best found at the time limit, with its gap); 2 invalid input;
3 infeasible (what cannot be met is named); 4 no plan from the solver.

Each command module registers its commands on `allocator.cli.common.app`."""

from __future__ import annotations

from allocator.cli import explain, scale, solve, whatif, workbook
from allocator.cli.common import app

__all__ = ["app", "main"]
_COMMANDS = (solve, whatif, explain, scale, workbook)


def main() -> None:
    app()
