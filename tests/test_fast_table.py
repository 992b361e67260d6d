"""A table printed by `allocator.report.fast_table.fast` reads the same as rich prints it: the
same characters on every line (styles aside), at every width, for the plan's tables and for
cells that rich wraps, folds, reads as markup or sets right."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from conftest import ROOT
from rich import box
from rich.console import Console
from rich.table import Table

from allocator.plan import COMMUNITY_COLUMNS, FUNDING_COLUMNS, community_rows, funding_rows
from allocator.report import render, screen
from allocator.report.fast_table import FastTable, fast
from allocator.report.staff import STAFF_COLUMNS, staff_rows, staff_screen_table
from allocator.scenario.loading import load_scenario, scenario_from_dict
from allocator.scenario.synthetic import generate_scenario
from allocator.solving.lexicographic import solve

_STYLE = re.compile(r"\x1b\[[0-9;]*m")


def _printed(table: Any, width: int, terminal: bool = False) -> str:
    console = Console(
        file=io.StringIO(),
        width=width,
        highlight=False,
        soft_wrap=False,
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
    )
    console.print(table)
    return _STYLE.sub("", console.file.getvalue())


def _same(table: Table, width: int) -> None:
    fast_one = fast(table)
    assert isinstance(fast_one, FastTable)
    for terminal in (False, True):
        assert _printed(fast_one, width, terminal) == _printed(table, width, terminal)


@pytest.fixture(scope="module")
def plans() -> list[Any]:
    county = solve(load_scenario(ROOT / "scenarios" / "2024_staff.yaml"))
    province = solve(scenario_from_dict(generate_scenario(300, seed=2)), time_limit=5)
    assert county.status.has_plan and province.status.has_plan
    return [county, province]


@pytest.mark.parametrize("width", [60, 80, 120, 199])
def test_the_screen_tables(plans: list[Any], width: int) -> None:
    for plan in plans:
        _same(screen.plan_table(plan, width), width)
        _same(screen.funding_table(plan, width), width)
    _same(staff_screen_table(plans[0], width), width)


@pytest.mark.parametrize("width", [120, 220, 300])
def test_the_wide_tables(plans: list[Any], width: int) -> None:
    """Every column, cells folded where the width is short."""
    for plan in plans:
        _same(render.rich_table(community_rows(plan), COMMUNITY_COLUMNS, "plan"), width)
        _same(render.rich_table(funding_rows(plan), FUNDING_COLUMNS, "funding"), width)
    _same(render.rich_table(staff_rows(plans[0]), STAFF_COLUMNS, "staff"), width)


@pytest.mark.parametrize("width", [20, 34, 50, 90])
def test_cells_rich_wraps_folds_reads_or_sets_right(width: int) -> None:
    wide = Table(title="一个很长很长的标题 with words that wrap", title_justify="left")
    wide.add_column("名称", overflow="fold")
    wide.add_column("words")
    wide.add_column("cost", justify="right", no_wrap=True)
    wide.add_row("南桥社区" * 6, "a few words that wrap here and there", "12,345.00")
    wide.add_row("[bold]marked[/bold] up :smile:", "x" * 40, "1.00   ")
    wide.add_row("two\nlines", "", "-")
    wide.add_row("tab\there", "[not markup", "3")
    _same(wide, width)
    simple = Table(title="simple", title_justify="left", box=box.SIMPLE_HEAD)
    simple.add_column("社区", no_wrap=True)
    simple.add_column("路径", no_wrap=True)
    simple.add_column("万元", justify="right", no_wrap=True)
    simple.add_row("★南桥社区", "租赁 200.0\n加高改造 150.0*", "1,234.56")
    simple.add_row("b", "-", "0.00")
    _same(simple, width)


def test_an_empty_table_and_other_kinds() -> None:
    """No rows: the header alone. A table with lines between rows is printed by rich itself."""
    empty = Table(title="none")
    empty.add_column("a")
    empty.add_column("b", justify="right")
    _same(empty, 40)
    lined = Table(show_lines=True)
    lined.add_column("a")
    assert fast(lined) is lined


def test_cells_are_counted_as_rich_counts_them() -> None:
    """ASCII, CJK ideographs and punctuation, full-width forms, symbols, tabs and controls."""
    import random

    from rich.cells import cell_len

    from allocator.report.fast_table import _cell_len

    ranges = [(0x20, 0x7F), (0x4E00, 0x4E80), (0x3000, 0x3041), (0xFF00, 0xFF70), (0x2600, 0x2610)]
    chars = [chr(c) for low, high in ranges for c in range(low, high)] + ["\t", "\x07", "²", "é"]
    rng = random.Random(1)
    for _ in range(5000):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 12)))
        assert _cell_len(text) == cell_len(text), repr(text)
