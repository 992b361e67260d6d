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

from allocator.catalogue import say, word
from allocator.findings import Diagnosis
from allocator.plan import CommunityResult, OptionResult, Plan

MIDDLE = 110  # columns from which the street or town, existing area and payers are shown
WIDE = 200  # columns from which every column is shown
SHARED = "*"  # marks a route whose counted area differs from its area


def table_width(console: Any, wide: bool) -> int:
    """The width the tables are chosen for: every column with `wide`, else the console's."""
    return WIDE if wide else int(console.width)


def plan_table(plan: Plan, width: int) -> Any:
    """The plan per community for a screen `width` columns wide (below WIDE): the columns that
    fit, whole, with their headers in the catalogue's language."""
    from rich import box
    from rich.table import Table

    columns = _fitting(plan, width)
    table = Table(title=say("title.plan"), title_justify="left", box=box.SIMPLE_HEAD)
    for _, header, _cells, right in columns:
        table.add_column(header, justify="right" if right else "left", no_wrap=True)
    for row in zip(*(cells for _, _, cells, _ in columns), strict=True):
        table.add_row(*row)
    return table


def _fitting(plan: Plan, width: int) -> list[_Column]:
    """The columns that fit in `width` (who pays, the existing area and the street or town
    left out in that order until they do)."""
    columns = _columns(plan)
    for drop in ("payers", "existing", "group"):
        if _width(columns) <= width:
            break
        columns = [c for c in columns if c[0] != drop]
    return columns


_Column = tuple[str, str, list[str], bool]  # key, header, cells, right-aligned


def _columns(plan: Plan) -> list[_Column]:
    sources = {f.source: f.source_name for f in plan.funding_results}
    rows = plan.community_results
    return [
        ("name", say("screen.name"), [_name(c) for c in rows], False),
        ("group", say("screen.group"), [c.group_name for c in rows], False),
        ("existing", say("screen.existing"), [f"{c.existing_area_m2:,.1f}" for c in rows], True),
        (
            "routes",
            say("screen.routes"),
            ["\n".join(map(_route, c.options)) or "-" for c in rows],
            False,
        ),
        (
            "final",
            say("screen.final"),
            [f"{c.final_area_m2:,.0f}/{c.target_area_m2:,.0f}" for c in rows],
            True,
        ),
        (
            "short",
            say("screen.short"),
            ["-" if c.shortfall_m2 <= 0 else f"{c.shortfall_m2:,.1f}" for c in rows],
            True,
        ),
        ("cost", say("screen.cost"), [f"{c.cost:,.2f}" for c in rows], True),
        ("payers", say("screen.payers"), [_payers(c, sources) for c in rows], False),
    ]


def _width(columns: list[_Column]) -> int:
    """Cells the table takes: each column's widest line, its header, and 3 between columns."""
    from rich.cells import cell_len

    total = 2
    for _, header, cells, _ in columns:
        lines = [line for cell in cells for line in cell.split("\n")]
        total += max(cell_len(x) for x in [header, *lines]) + 3
    return total


def footnotes(plan: Plan, width: int) -> list[str]:
    """What the marks in the plan table mean, for the marks it has; where to find the columns
    the screen had no room for."""
    notes = []
    if "payers" not in {key for key, *_ in _fitting(plan, width)}:
        notes.append(say("screen.payers_elsewhere"))
    if any(c.must_meet for c in plan.community_results):
        notes.append(say("screen.demo"))
    shared = [o for c in plan.community_results for o in c.options if _shared(o)]
    if shared:
        area = sum(o.area_m2 for o in shared)
        counted = sum(o.counted_area_m2 for o in shared)
        notes.append(
            say(
                "screen.shared",
                mark=SHARED,
                count=len(shared),
                area=f"{area:,.1f}",
                counted=f"{counted:,.1f}",
            )
        )
    return notes


def funding_table(plan: Plan, width: int) -> Any:
    """Money by source, 万元: one row per source and unit from `MIDDLE` columns, one row per
    source below (its units added up, and counted)."""
    from rich import box
    from rich.table import Table

    table = Table(title=say("title.funding"), title_justify="left", box=box.SIMPLE_HEAD)
    middle = width >= MIDDLE
    table.add_column(say("screen.source"), no_wrap=True)
    table.add_column(say("screen.unit" if middle else "screen.units"), no_wrap=True)
    for key in ("screen.budget", "screen.used", "screen.left"):
        table.add_column(say(key), justify="right", no_wrap=True)
    rows: dict[tuple[str, str], list[Any]] = {}
    for f in plan.funding_results:
        key = (f.source, f.unit if width >= MIDDLE else "")
        row = rows.setdefault(key, [f.source_name, f.unit, 0.0, 0.0, 0.0, 0])
        row[2:] = [row[2] + f.budget, row[3] + f.used, row[4] + f.left, row[5] + 1]
    names = _unit_names(plan)
    for name, unit, budget, used, left, units in rows.values():
        where = names.get(unit, unit) if width >= MIDDLE else str(units)
        table.add_row(name, where, f"{budget:,.2f}", f"{used:,.2f}", f"{left:,.2f}")
    return table


def _unit_names(plan: Plan) -> dict[str, str]:
    """A budget's unit in words: the county, a street or town, a community, by its name."""
    names = {c.group: c.group_name for c in plan.community_results}
    names.update({c.id: c.name for c in plan.community_results})
    return {**names, "county": say("screen.county_unit")}


def _name(c: CommunityResult) -> str:
    return f"★{c.name}" if c.must_meet else c.name


def _shared(o: OptionResult) -> bool:
    return abs(o.counted_area_m2 - o.area_m2) > 1e-6


def _route(o: OptionResult) -> str:
    mark = SHARED if _shared(o) else ""
    year = "" if o.start_year is None else f" ({o.start_year})"
    if o.in_service_years:  # a bridge lease: the years it is in use
        first, last = o.in_service_years[0], o.in_service_years[-1]
        year = f" ({say('screen.bridging', years=first if first == last else f'{first}–{last}')})"
    return f"{word('kind', o.kind)} {o.area_m2:,.1f}{mark}{year}"


def _payers(c: CommunityResult, names: dict[str, str]) -> str:
    paid = c.routes_paid_wan()
    return "\n".join(f"{names.get(s, s)} {v:,.2f}" for s, v in paid.items() if v > 0) or "-"


def no_plan_summary(diagnosis: Diagnosis) -> str:
    """Why there is no plan, in a few sentences of the run's language, from the diagnosis's
    fields: sites short whatever the money, the rules in conflict, the cheapest repair."""
    parts = [
        say("noplan.site", name=s.name, missing=f"{s.missing_m2:.1f}") for s in diagnosis.short_m2
    ]
    if diagnosis.conflicts:
        rules = say("sep").join(dict.fromkeys(word("family", c.rule) for c in diagnosis.conflicts))
        parts.append(say("noplan.conflict", count=len(diagnosis.conflicts), rules=rules))
    if diagnosis.repairs:
        money = say("sep").join(
            say("noplan.repair", extra=f"{r.extra_budget:.2f}", source=r.source, unit=r.unit)
            for r in diagnosis.repairs
        )
        parts.append(
            say("noplan.cheapest", money=money, total=f"{diagnosis.repairs_total_wan:.2f}")
        )
    elif diagnosis.money_can_repair is False:
        parts.append(say("noplan.money_cannot"))
    elif diagnosis.money_can_repair is None:
        parts.append(say("noplan.money_unsettled"))
    return say("sentence_gap").join(parts) or say("noplan.none")
