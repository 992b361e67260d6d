"""Plan -> text for the screen and files: rich tables, JSON, CSV (UTF-8 with BOM for Excel)."""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.catalogue import say, word, yes_no
from allocator.plan import (
    COMMUNITY_COLUMNS,
    FUNDING_COLUMNS,
    Plan,
    Status,
    column_label,
    communities_table,
    community_rows,
    funding_rows,
    funding_table,
    labelled,
    options_table,
    summary,
)
from allocator.report import screen
from allocator.report.fast_table import fast
from allocator.report.outfolder import CSV_ENCODING as CSV_ENCODING
from allocator.report.outfolder import NO_PLAN_FILE, write_folder
from allocator.report.staff import (
    has_staff,
    staff_columns,
    staff_rows,
    staff_screen_table,
    staff_table,
)
from allocator.report.years import by_year_table, has_years, years_screen_table

if TYPE_CHECKING:  # pandas (0.15 s) is imported where a table is made or read
    import pandas as pd

    from allocator.analysis.explanation import Explanation
    from allocator.scenario.schema import Scenario

_SIGNED_NUMBER = re.compile(r"[-+][0-9][0-9,]*(?:\.[0-9]*)?")


def plan_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)


def frame_csv(frame: pd.DataFrame, lang: str | None = None) -> str:
    """CSV text with people's labels and words (route kinds, 是/否); write it with
    CSV_ENCODING."""
    return csv_text(labelled(worded(frame, lang), lang))


def worded(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The same table with its codes in words: route kinds, and yes or no for true/false."""
    import pandas as pd

    frame = frame.copy()
    if "kind" in frame.columns:
        frame["kind"] = frame["kind"].map(lambda k: word("kind", k, lang))
    for column in frame.columns:
        if pd.api.types.is_bool_dtype(frame[column]):
            frame[column] = frame[column].map(lambda v: yes_no(bool(v), lang))
    return frame


def csv_text(frame: pd.DataFrame) -> str:
    """CSV text in which no text cell starts a spreadsheet formula: a name such as
    '=HYPERLINK(...)' or '@SUM(...)' is written with a leading apostrophe, as Excel shows text."""
    buffer = io.StringIO()
    frame.map(_inert).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue()


def _inert(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, made text; '-' and -5 stay."""
    if not isinstance(value, str) or value[:1] not in ("=", "+", "-", "@") or value == "-":
        return value
    return value if _SIGNED_NUMBER.fullmatch(value) else "'" + value


def _cell(value: Any, column: str) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, float):
        return f"{value:,.1f}" if column.endswith("m2") else f"{value:,.2f}"
    return str(value)


def rich_table(rows: list[dict[str, Any]], columns: Sequence[str], title: str) -> Any:
    """Every column of a plan's table (`community_rows`, ...), labelled; a column of numbers
    with a fraction, as pandas would read it (whole numbers in it as fractions, None as nan),
    set right. Printed by `fast_table.fast`."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False)
    numeric = {c for c in columns if _fractions([row[c] for row in rows])}
    for column in columns:
        right = "right" if column in numeric else "left"
        table.add_column(column_label(column), justify=right, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(_number(row[c], c in numeric), c) for c in columns))
    return table


def _fractions(values: list[Any]) -> bool:
    """A column pandas reads as numbers with a fraction (float64): numbers and None, with a
    float or a None among whole numbers."""
    kinds = {type(v) for v in values}
    mixed = int in kinds and type(None) in kinds
    return kinds <= {float, int, type(None)} and (float in kinds or mixed)


def _number(value: Any, fraction: bool) -> Any:
    if not fraction:
        return value
    return math.nan if value is None else float(value)


def print_plan(plan: Plan, console: Any, *, wide: bool = False) -> None:
    """The recommendation table, the funding table and the summary; or why there is no plan.
    The tables fit the console's width (`allocator.report.screen`); every column with `wide`."""
    from rich.table import Table

    if not plan.status.has_plan:
        why = screen.no_plan_summary(plan.diagnosis) if plan.diagnosis else _no_plan_reason(plan)
        status = word("status", plan.status.value)
        console.print(f"[bold]{say('plan.no_plan', status=status)}[/] {why}")
        return
    width = screen.table_width(console, wide)
    if width >= screen.WIDE:
        console.print(fast(rich_table(community_rows(plan), COMMUNITY_COLUMNS, say("title.plan"))))
        console.print(fast(rich_table(funding_rows(plan), FUNDING_COLUMNS, say("title.funding"))))
    else:
        console.print(fast(screen.plan_table(plan, width)))
        for note in screen.footnotes(plan, width):
            console.print(note)
        console.print(fast(screen.funding_table(plan, width)))
    if has_years(plan):
        console.print(years_screen_table(plan))
    if has_staff(plan):
        if width >= screen.WIDE:
            console.print(
                fast(rich_table(staff_rows(plan), staff_columns(plan), say("title.staff")))
            )
        else:
            console.print(fast(staff_screen_table(plan, width)))
    facts = Table(title=say("title.summary"), title_justify="left", show_header=False)
    facts.add_column()
    facts.add_column()
    for key, value in summary(plan).items():
        facts.add_row(key, value)
    console.print(facts)
    if plan.status == Status.TIME_LIMIT:
        console.print(f"[bold]{say('plan.note')}[/] {say('plan.time_limit')}")
    elif plan.status == Status.NOT_PROVEN:
        console.print(
            f"[bold]{say('plan.note')}[/] {say('plan.not_proven', notes=_stage_notes(plan))}"
        )


def _stage_notes(plan: Plan) -> str:
    """What the stages say about how they ended (their notes), stage by stage."""
    notes = [
        say(
            "plan.stage_note",
            stage=word("objective", stage.objective),
            status=word("status", stage.status),
            note=stage.note,
        )
        for stage in plan.solver.stages
        if stage.note and stage.status != "optimal"
    ]
    return "; ".join(notes) or say("plan.see_stages")


def _no_plan_reason(plan: Plan) -> str:
    if plan.solver.time_limit_s is not None:
        return say("plan.none_in_time")
    notes = [stage.note for stage in plan.solver.stages if stage.note]
    if notes:
        return say("plan.none_found_notes", notes="; ".join(notes))
    return say("plan.none_found")


def plan_files(
    plan: Plan,
    scenario: Scenario | None = None,
    explanations: Mapping[str, Explanation] | None = None,
) -> dict[str, str | bytes]:
    """The files `--out` writes for a plan, by name: plan.json, three CSV tables, plan.xlsx
    (with a ledger per community) and report.docx (the memo). A run without a plan writes
    `no_plan_files` instead."""
    from allocator.report.memo import memo_bytes
    from allocator.report.workbook import plan_workbook_bytes

    return {
        "plan.json": plan_json(plan),
        "communities.csv": frame_csv(communities_table(plan)),
        "options.csv": frame_csv(options_table(plan)),
        "funding.csv": frame_csv(funding_table(plan)),
        **({"staff.csv": frame_csv(staff_table(plan))} if has_staff(plan) else {}),
        **({"years.csv": frame_csv(by_year_table(plan))} if has_years(plan) else {}),
        "plan.xlsx": plan_workbook_bytes(plan, scenario, explanations),
        "report.docx": memo_bytes(plan, scenario),
    }


def no_plan_files(plan: Plan) -> dict[str, str]:
    """What a run without a plan writes: its report as `no_plan.json`, never over plan.json."""
    return {NO_PLAN_FILE: plan_json(plan)}


def write_files(directory: Path, files: Mapping[str, str | bytes]) -> None:
    """Write every file whole, or none, swapping the folder in at once; other files already
    in the folder stay (`allocator.report.outfolder`)."""
    write_folder(directory, files)


def write_plan_set(
    plan: Plan,
    directory: str | Path,
    scenario: Scenario | None = None,
    explanations: Mapping[str, Explanation] | None = None,
) -> list[str]:
    """What `solve --out DIR` writes, from Python: the plan's files, or for a run without a
    plan `no_plan.json` beside the previous plan, which stays as it was. Returns the names
    written. `scenario` adds the routes' notes; `explanations` (`allocator.explain` per
    community id) add why each community gets its routes to its ledger."""
    if plan.status.has_plan:
        files: Mapping[str, str | bytes] = plan_files(plan, scenario, explanations)
    else:
        files = no_plan_files(plan)
    write_files(Path(directory), files)
    return list(files)
