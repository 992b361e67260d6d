"""The ledgers of plan.xlsx (一社区一册): per community its name and street or town, its
existing area, each chosen route with its area, cost and who pays (and, with years, the year it
starts and the year its area counts), the area reached against the target, its posts when the
plan has staff (now, added by each route, final against target, short, what staff and the pay
rise cost and who pays), the routes open to it with the notes of the scenario file, and why
these routes (from `allocator.analysis.explanation`, when the plan was explained).

Up to `LEDGER_SHEETS_MAX` communities get a sheet each; above that each street or town gets
one sheet with its communities one after another (a workbook of thousands of sheets cannot be
used). The ledger's words are the catalogue's (`ledger.`), in the run's language: Chinese
unless `--lang en`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from allocator.catalogue import say, word, yes_no
from allocator.plan import CommunityResult, Plan
from allocator.report import words
from allocator.report.sheets import Column, print_setup, sheet_name, write_pairs, write_table

if TYPE_CHECKING:
    from allocator.analysis.explanation import Explanation
    from allocator.scenario.schema import Community, Scenario

LEDGER_SHEETS_MAX = 200
_WIDE = 8  # columns a sentence spans
_CHARS_PER_LINE = 60


def route_notes(scenario: Scenario | None) -> dict[str, str]:
    """The scenario file's note of every route, by route id."""
    if scenario is None:
        return {}
    return {o.id: o.note.strip() for c in scenario.communities for o in c.options if o.note}


def group_kind_words(scenario: Scenario | None, group_id: str) -> str:
    if scenario is None:
        return ""
    kind = next((g.kind for g in scenario.groups if g.id == group_id), None)
    return say(f"ledger.group_kind.{kind}") if kind else ""


def write_ledgers(
    book: Any,
    fmt: dict[str, Any],
    taken: set[str],
    plan: Plan,
    scenario: Scenario | None,
    explanations: Mapping[str, Explanation],
) -> list[str]:
    """One ledger sheet per community (or per street or town above LEDGER_SHEETS_MAX);
    returns the sheet names in order."""
    names = []
    if len(plan.community_results) <= LEDGER_SHEETS_MAX:
        for community in plan.community_results:
            sheet = book.add_worksheet(sheet_name(community.name, taken))
            _ledger_block(sheet, 0, fmt, plan, scenario, community, explanations)
            _finish(sheet)
            names.append(sheet.name)
        return names
    groups: dict[str, list[CommunityResult]] = {}
    for community in plan.community_results:
        groups.setdefault(community.group, []).append(community)
    for members in groups.values():
        sheet = book.add_worksheet(sheet_name(members[0].group_name, taken))
        row = 0
        for community in members:
            row = _ledger_block(sheet, row, fmt, plan, scenario, community, explanations) + 2
        _finish(sheet)
        names.append(sheet.name)
    return names


def _finish(sheet: Any) -> None:
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, _WIDE + 4, 13)
    sheet.freeze_panes(1, 0)
    print_setup(sheet, landscape=True)


def _ledger_block(
    sheet: Any,
    row: int,
    fmt: dict[str, Any],
    plan: Plan,
    scenario: Scenario | None,
    c: CommunityResult,
    explanations: Mapping[str, Explanation],
) -> int:
    """One community's ledger from `row`; returns the next free row."""
    sheet.write_string(row, 0, say("ledger.title", name=c.name), fmt["title"])
    kind = group_kind_words(scenario, c.group)
    group = say("ledger.group_of_kind", group=c.group_name, kind=kind) if kind else c.group_name
    pairs: list[tuple[str, Any, str]] = [
        (say("ledger.group"), group, "text"),
        (say("ledger.id"), c.id, "text"),
        (say("ledger.demo"), yes_no(c.must_meet), "text"),
        (say("ledger.existing"), c.existing_area_m2, "area"),
        (say("ledger.target"), c.target_area_m2, "area"),
        (say("ledger.final"), c.final_area_m2, "area"),
        (say("ledger.short"), c.shortfall_m2, "area"),
        (say("ledger.meets"), yes_no(c.meets_target), "text"),
        (say("ledger.cost"), c.cost, "money"),
    ]
    row = write_pairs(sheet, row + 2, pairs, fmt) + 1
    sheet.write_string(row, 0, say("ledger.chosen"), fmt["heading"])
    row = _chosen_routes(sheet, row + 1, fmt, plan, scenario, c) + 1
    row = _sentence(sheet, row, fmt, say("ledger.plan"), words.plan_sentence(plan, c))
    if c.posts is not None:
        sheet.write_string(row + 1, 0, say("ledger.staff"), fmt["heading"])
        row = write_pairs(sheet, row + 2, staff_pairs(plan, c), fmt)
    community = _community(scenario, c.id)
    if community is not None and community.options:
        sheet.write_string(row + 1, 0, say("ledger.open"), fmt["heading"])
        row = _open_routes(sheet, row + 2, fmt, community, c)
    explanation = explanations.get(c.id)
    if explanation is None or scenario is None:
        return _sentence(sheet, row + 1, fmt, say("ledger.why"), say("ledger.not_explained"))
    why = say("sentence_gap").join(words.why_sentences(plan, scenario, explanation))
    row = _sentence(sheet, row + 1, fmt, say("ledger.why"), why)
    forced = words.forced_rows(explanation)
    if forced:
        lines = "\n".join(say("ledger.forced_line", route=r, what=w) for r, w in forced)
        row = _sentence(sheet, row, fmt, say("ledger.forced"), lines)
    return row


def staff_pairs(plan: Plan, c: CommunityResult) -> list[tuple[str, Any, str]]:
    """A community's posts as label / value rows: now, added by each route, final, target,
    short, both standards met, the staff cost and what each source pays of it."""
    if c.posts is None:
        return []
    names = words.source_names(plan)
    added = [
        (say("ledger.posts_added", route=say(f"staff.{route}")), count, "count")
        for route, count in c.posts.added.items()
    ]
    paid = [
        (say("ledger.col_paid", source=names.get(source, source)), round(amount, 6), "money")
        for source, amount in c.staff_paid_wan().items()
        if amount
    ]
    return [
        (say("ledger.posts_now"), c.posts.now, "count"),
        *added,
        (say("ledger.posts_final"), c.posts.final, "count"),
        (say("ledger.posts_target"), c.posts.target, "count"),
        (say("ledger.posts_short"), c.posts.short, "count"),
        (say("ledger.meets_both"), yes_no(c.meets_target and c.posts.short == 0), "text"),
        (say("ledger.staff_cost"), c.staff_cost, "money"),
        *paid,
    ]


def _chosen_routes(
    sheet: Any,
    row: int,
    fmt: dict[str, Any],
    plan: Plan,
    scenario: Scenario | None,
    c: CommunityResult,
) -> int:
    names = words.source_names(plan)
    paying = list(words.paid_by(plan, c))
    years = [Column(say(f"ledger.col_{key}"), "count", 10) for key in ("start", "ready")]
    years = years if plan.years is not None else []
    columns = [
        Column(say("ledger.col_route"), width=22),
        Column(say("ledger.col_kind"), width=12),
        Column(say("ledger.col_area"), "area", 10, total=True),
        Column(say("ledger.col_counted"), "area", 10, total=True),
        Column(say("ledger.col_capital"), "money", 12, total=True),
        Column(say("ledger.col_running"), "money", 12, total=True),
        Column(say("ledger.cost"), "money", 12, total=True),
        *(
            Column(say("ledger.col_paid", source=names.get(s, s)), "money", 14, total=True)
            for s in paying
        ),
        *years,
    ]
    rows = [
        [o.id, words.kind_words(o.kind), o.area_m2, o.counted_area_m2, o.capital_cost,
         o.running_cost, o.cost, *(round(o.funding.get(s, 0.0), 6) for s in paying),
         *((o.start_year, o.ready_year) if years else ())]
        for o in c.options
    ]  # fmt: skip
    if not rows:
        sheet.write_string(row, 0, say("ledger.no_route"), fmt["text"])
        return row + 1
    return write_table(sheet, row, columns, rows, fmt, set_widths=False)


def _open_routes(
    sheet: Any, row: int, fmt: dict[str, Any], community: Community, c: CommunityResult
) -> int:
    chosen = {o.id for o in c.options}
    columns = [
        Column(say("ledger.col_route")),
        Column(say("ledger.col_kind")),
        Column(say("ledger.col_max_area"), "area"),
        Column(say("ledger.col_chosen")),
        Column(say("ledger.col_locked")),
    ]
    rows = [
        [o.id, words.kind_words(o.kind), o.max_area_m2, yes_no(o.id in chosen),
         word("locked", o.locked) if o.locked else ""]
        for o in community.options
    ]  # fmt: skip
    after = write_table(sheet, row, columns, rows, fmt, total_label=None, set_widths=False)
    notes = [say("ledger.notes"), *(o.note.strip() for o in community.options)]
    for offset, note in enumerate(notes):
        style = fmt["header"] if offset == 0 else fmt["text"]
        _merged(sheet, row + offset, len(columns), note, style)
    return after


def _merged(sheet: Any, row: int, first_col: int, text: str, style: Any) -> None:
    """Text across the columns from `first_col` to the ledger's width, its row tall enough."""
    sheet.merge_range(row, first_col, row, first_col + _WIDE - 1, "", style)
    sheet.write_string(row, first_col, text, style)
    lines = max(1, math.ceil(len(text) / _CHARS_PER_LINE), text.count("\n") + 1)
    if lines > 1:
        sheet.set_row(row, 14 * lines)


def _sentence(sheet: Any, row: int, fmt: dict[str, Any], label: str, text: str) -> int:
    """A label, then a paragraph across the sheet's width; returns the next free row."""
    sheet.write_string(row, 0, label, fmt["heading"])
    _merged(sheet, row + 1, 0, text, fmt["text"])
    return row + 2


def _community(scenario: Scenario | None, community_id: str) -> Community | None:
    if scenario is None:
        return None
    return next((c for c in scenario.communities if c.id == community_id), None)
