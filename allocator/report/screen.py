"""The plan on a screen: tables chosen by the terminal's width, so that at 80 or 120 columns no
number or name is broken across lines.

Below `MIDDLE` columns the plan per community shows the community (★ a demonstration site), its
routes (one a line), final against target area, shortfall and cost; from `MIDDLE` also the
street or town, the existing area and who pays (one source a line); from `WIDE` (or with
`--wide`) every column, as the CSV files have them. Names, not ids; numbers are never wrapped;
a route counted at a share of its area (shared space) is marked and explained under the table.
"""

from __future__ import annotations

from typing import Any

from allocator.labels import OPTION_KIND_ZH
from allocator.plan import CommunityResult, OptionResult, Plan

MIDDLE = 110  # columns from which the street or town, existing area and payers are shown
WIDE = 200  # columns from which every column is shown
SHARED = "*"  # marks a route whose counted area differs from its area


def table_width(console: Any, wide: bool) -> int:
    """The width the tables are chosen for: every column with `wide`, else the console's."""
    return WIDE if wide else int(console.width)


def plan_table(plan: Plan, width: int) -> Any:
    """The plan per community for a screen `width` columns wide (below WIDE): the columns that
    fit, whole, with their headers in Chinese and English when those fit too."""
    from rich import box
    from rich.table import Table

    columns, bilingual = _fitting(plan, width)
    table = Table(title="各社区方案 Plan per community", title_justify="left", box=box.SIMPLE_HEAD)
    for _, header, _cells, right in columns:
        label = header if bilingual else header.split(" ")[0]
        table.add_column(label, justify="right" if right else "left", no_wrap=True)
    for row in zip(*(cells for _, _, cells, _ in columns), strict=True):
        table.add_row(*row)
    return table


def _fitting(plan: Plan, width: int) -> tuple[list[_Column], bool]:
    """The columns that fit in `width` (who pays, the existing area and the street or town
    left out in that order until they do) and whether English headers fit beside them."""
    columns = _columns(plan)
    for drop in ("payers", "existing", "group"):
        if _width(columns, bilingual=False) <= width:
            break
        columns = [c for c in columns if c[0] != drop]
    return columns, _width(columns, bilingual=True) <= width


_Column = tuple[str, str, list[str], bool]  # key, header (Chinese English), cells, right-aligned


def _columns(plan: Plan) -> list[_Column]:
    sources = {f.source: f.source_name for f in plan.funding_results}
    rows = plan.community_results
    return [
        ("name", "社区 Community", [_name(c) for c in rows], False),
        ("group", "街道/镇 Street/town", [c.group_name for c in rows], False),
        ("existing", "现有m² Existing", [f"{c.existing_area_m2:,.1f}" for c in rows], True),
        (
            "routes",
            "方案m² Routes",
            ["\n".join(map(_route, c.options)) or "-" for c in rows],
            False,
        ),
        (
            "final",
            "建成/标准m² Final",
            [f"{c.final_area_m2:,.0f}/{c.target_area_m2:,.0f}" for c in rows],
            True,
        ),
        (
            "short",
            "缺口m² Short",
            ["-" if c.shortfall_m2 <= 0 else f"{c.shortfall_m2:,.1f}" for c in rows],
            True,
        ),
        ("cost", "费用万元 Cost", [f"{c.cost:,.2f}" for c in rows], True),
        ("payers", "资金来源万元 Paid by", [_payers(c, sources) for c in rows], False),
    ]


def _width(columns: list[_Column], *, bilingual: bool) -> int:
    """Cells the table takes: each column's widest line, its header, and 3 between columns."""
    from rich.cells import cell_len

    total = 2
    for _, header, cells, _ in columns:
        label = header if bilingual else header.split(" ")[0]
        lines = [line for cell in cells for line in cell.split("\n")]
        total += max(cell_len(x) for x in [label, *lines]) + 3
    return total


def footnotes(plan: Plan, width: int) -> list[str]:
    """What the marks in the plan table mean, for the marks it has; where to find the columns
    the screen had no room for."""
    notes = []
    if "payers" not in {key for key, *_ in _fitting(plan, width)[0]}:
        notes.append("资金来源见 plan.xlsx（--out）或 --wide; who pays: plan.xlsx or --wide")
    if any(c.must_meet for c in plan.community_results):
        notes.append("★ 示范点 demonstration site (must meet the standard)")
    shared = [o for c in plan.community_results for o in c.options if _shared(o)]
    if shared:
        area = sum(o.area_m2 for o in shared)
        counted = sum(o.counted_area_m2 for o in shared)
        notes.append(
            f"{SHARED} 共享空间按计入比例计入建成面积（{len(shared)} 处，{area:,.1f} m² 计 "
            f"{counted:,.1f} m²） shared space counts at its share"
        )
    return notes


def funding_table(plan: Plan, width: int) -> Any:
    """Money by source, 万元: one row per source and unit from `MIDDLE` columns, one row per
    source below (its units added up, and counted)."""
    from rich import box
    from rich.table import Table

    table = Table(title="资金使用 Money by source 万元", title_justify="left", box=box.SIMPLE_HEAD)
    middle = width >= MIDDLE
    table.add_column("资金 Source" if middle else "资金", no_wrap=True)
    table.add_column("单位 Unit" if middle else "单位数", no_wrap=True)
    for label in ("预算 Budget", "已用 Used", "结余 Left"):
        table.add_column(label if middle else label.split()[0], justify="right", no_wrap=True)
    rows: dict[tuple[str, str], list[Any]] = {}
    for f in plan.funding_results:
        key = (f.source, f.unit if width >= MIDDLE else "")
        row = rows.setdefault(key, [f.source_name, f.unit, 0.0, 0.0, 0.0, 0])
        row[2:] = [row[2] + f.budget, row[3] + f.used, row[4] + f.left, row[5] + 1]
    for name, unit, budget, used, left, units in rows.values():
        where = unit if width >= MIDDLE else str(units)
        table.add_row(name, where, f"{budget:,.2f}", f"{used:,.2f}", f"{left:,.2f}")
    return table


def _name(c: CommunityResult) -> str:
    return f"★{c.name}" if c.must_meet else c.name


def _shared(o: OptionResult) -> bool:
    return abs(o.counted_area_m2 - o.area_m2) > 1e-6


def _route(o: OptionResult) -> str:
    mark = SHARED if _shared(o) else ""
    return f"{OPTION_KIND_ZH.get(o.kind, o.kind)} {o.area_m2:,.1f}{mark}"


def _payers(c: CommunityResult, names: dict[str, str]) -> str:
    paid: dict[str, float] = {}
    for option in c.options:
        for source, amount in option.funding.items():
            paid[source] = paid.get(source, 0.0) + amount
    return "\n".join(f"{names.get(s, s)} {v:,.2f}" for s, v in paid.items() if v > 0) or "-"
