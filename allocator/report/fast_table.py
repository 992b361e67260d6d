"""A rich table printed fast: the same lines rich prints, in a small share of its time.

rich measures and renders every cell of a table as its own renderable (1.5 ms a row of the
plan: 10,000 communities took 16 s to print). `fast(table)` gives a renderable that prints the
same table by rich's own rules at a fraction of the cost: the widths of the columns come from
rich (`Table._calculate_column_widths`) on a table of the few rows that decide them (per column,
the cell with the longest line and the one with the longest word), and every cell that fits its
column is padded as rich pads it; only a cell that does not fit is wrapped by rich
(`Text.wrap`, as rich wraps it). Cells are read as rich reads a string: markup and emoji codes
only where a cell has "[" or ":" in it.

The tables of `allocator.report.screen`, `allocator.report.staff` and the wide tables of
`allocator.report.render` are of the kind it knows (a box with edges, a header, no footer or
caption, no lines between rows, padding of one column each side, no fixed widths, no row
styles); any other table is printed by rich itself.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.table import Table


def fast(table: Table) -> Any:
    """`table` as a renderable that prints the same lines faster (the table itself when it is
    not of the kind `FastTable` knows)."""
    return FastTable(table) if _known(table) else table


def _known(table: Table) -> bool:
    plain = (
        table.box is not None
        and table.show_header
        and table.show_edge
        and not table.show_footer
        and not table.show_lines
        and not table.caption
        and not table.expand
        and table.width is None
        and table.min_width is None
        and not table.row_styles
        and table.padding == (0, 1, 0, 1)
        and table.leading == 0
        and table.style in (None, "", "none")
        and table.border_style in (None, "", "none")
    )
    columns = all(
        c.width is None
        and c.min_width is None
        and c.max_width is None
        and c.ratio is None
        and c.vertical == "top"
        and c.style in (None, "", "none")
        and c.header_style in (None, "", "none")
        and not c.footer
        for c in table.columns
    )
    cells = all(isinstance(cell, str) for c in table.columns for cell in c._cells)
    return plain and columns and cells and all(isinstance(c.header, str) for c in table.columns)


class FastTable:
    """The table's lines, as rich prints them (see the module's words)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        table, line = self.table, Segment.line()
        columns = table.columns
        headers = [_plain(console, c.header) for c in columns]
        cells = [[_plain(console, cell) for cell in c._cells] for c in columns]
        widths = _widths(console, options, table, headers, cells)
        if min(widths, default=0) < 3:  # a column without room for one cell: rich's own way
            yield from table.__rich_console__(console, options)
            return
        box = table.box.substitute(options, safe=table.safe_box or console.safe_box)
        if table.title:
            title = console.render_str(table.title, style="table.title", highlight=False)
            width = sum(widths) + len(widths) + 1
            shape = options.update(width=width, justify=table.title_justify, height=None)
            yield from console.render(title, shape)
        yield Segment(box.get_top(widths))
        yield line
        head = console.get_style("table.header")
        shown = [
            _lines(console, h, w - 2, c) for h, w, c in zip(headers, widths, columns, strict=True)
        ]
        for parts in _padded(shown, widths, bottom=True):  # rich sets a header at the foot
            yield Segment(box.head_left)
            for k, part in enumerate(parts):
                if k:
                    yield Segment(box.head_vertical)
                yield Segment(part, head)
            yield Segment(box.head_right)
            yield line
        yield Segment(box.get_row(widths, "head", edge=True))
        yield line
        rows = list(zip(*cells, strict=True))
        for k, row in enumerate(rows):
            shown = [
                _lines(console, t, w - 2, c) for t, w, c in zip(row, widths, columns, strict=True)
            ]
            last = k == len(rows) - 1  # rich draws the last row with the foot's edges
            left, middle, right = (
                (box.foot_left, box.foot_vertical, box.foot_right)
                if last
                else (box.mid_left, box.mid_vertical, box.mid_right)
            )
            for parts in _padded(shown, widths):
                yield Segment(left + middle.join(parts) + right)
                yield line
        yield Segment(box.get_bottom(widths))
        yield line


def _padded(shown: list[list[str]], widths: list[int], bottom: bool = False) -> list[list[str]]:
    """The row's lines, each cell's line with its padding; a shorter cell blank below (above
    when `bottom`)."""
    height = max(len(lines) for lines in shown)
    if bottom:
        shown = [
            [" " * (w - 2)] * (height - len(lines)) + lines
            for lines, w in zip(shown, widths, strict=True)
        ]
    return [
        [
            f" {lines[k]} " if k < len(lines) else " " * width
            for lines, width in zip(shown, widths, strict=True)
        ]
        for k in range(height)
    ]


def _lines(console: Console, text: str, width: int, column: Any) -> list[str]:
    """The lines of a cell `width` cells wide, justified as the column is: padded when every
    line fits, else wrapped by rich."""
    from rich.text import Text

    lines = text.split("\n")
    sizes = [_cell_len(line) for line in lines]
    if "\t" in text or max(sizes) > width:
        wrapped = Text(text).wrap(
            console,
            width,
            justify=column.justify,
            overflow=column.overflow,
            no_wrap=column.no_wrap,
        )
        return [_fit(line.plain, width, column.justify) for line in wrapped]
    if column.justify == "right":  # as rich: the line's end stripped, then set right
        lines = [line.rstrip() for line in lines]
        return [" " * (width - _cell_len(line)) + line for line in lines]
    return [line + " " * (width - size) for line, size in zip(lines, sizes, strict=True)]


def _fit(line: str, width: int, justify: str) -> str:
    from rich.cells import cell_len, set_cell_size

    line = set_cell_size(line, min(cell_len(line), width))
    gap = " " * (width - cell_len(line))
    return gap + line if justify == "right" else line + gap


def _widths(
    console: Console,
    options: ConsoleOptions,
    table: Table,
    headers: list[str],
    cells: list[list[str]],
) -> list[int]:
    """The columns' widths (padding included) rich gives the table: computed by rich on a
    table of the rows that decide them."""
    from rich.table import Table as RichTable
    from rich.text import Text

    rows: set[int] = set()
    for column in cells:
        if column:
            measured = [_measure(text) for text in column]
            rows.add(max(range(len(column)), key=lambda i: measured[i][0]))
            rows.add(max(range(len(column)), key=lambda i: measured[i][1]))
    deciding = RichTable(box=table.box, safe_box=table.safe_box, title=None)
    for column, header in zip(table.columns, headers, strict=True):
        deciding.add_column(
            Text(header),
            justify=column.justify,
            no_wrap=column.no_wrap,
            overflow=column.overflow,
        )
    for i in sorted(rows):
        deciding.add_row(*(Text(column[i]) for column in cells))
    width = options.max_width - deciding._extra_width
    return deciding._calculate_column_widths(console, options.update_width(width))


def _plain(console: Console, cell: str) -> str:
    """The text rich shows for a string cell: its markup and emoji codes read."""
    if "[" in cell or ":" in cell:
        return console.render_str(cell, highlight=False).plain
    return cell


def _measure(text: str) -> tuple[int, int]:
    """rich's measure of a text: its longest word and its longest line, in cells."""
    lines = text.splitlines()
    longest = max((_cell_len(line) for line in lines), default=0)
    if text.isascii() and " " not in text and "\t" not in text:
        return (longest if lines else 0), longest  # one word a line
    words = text.split()
    return (max(_cell_len(word) for word in words) if words else longest), longest


@lru_cache(maxsize=1 << 16)
def _wide_len(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


# Text of printable ASCII and of characters two cells wide in rich's count (the CJK ideographs,
# CJK punctuation, full-width forms): its cells are counted at once.
_COUNTED_AT_ONCE = re.compile("[\x20-\x7e\u4e00-\u9fff\u3001-\u3029\u3030-\u303e\uff01-\uff60]*")


def _cell_len(text: str) -> int:
    """Cells `text` takes on a screen, as rich counts them."""
    if text.isascii() and text.isprintable():
        return len(text)
    if _COUNTED_AT_ONCE.fullmatch(text):
        return 2 * len(text) - len(text.encode("ascii", "ignore"))
    return _wide_len(text)
