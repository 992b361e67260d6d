"""A scenario as a workbook for planners (`allocator convert county.yaml county.xlsx`), and the
empty workbook they fill in (`allocator template county.xlsx`), written with XlsxWriter.

The layout is the table of `workbook_columns`: a sheet `说明` that explains every column, `情景`
(settings), `设置` (the planning years and the order of the objectives), `街镇`, `社区`, `路径`,
`资金`, `预算`, `年度预算`, `人员配备` (the staffing block), `假设`, and a hidden `_lists` sheet
that holds the drop-down lists, reached through defined names (XlsxWriter refuses a literal
list over 255 characters). Money is written in 元 (staff costs in 元 a person-year), rent in
元/m2/月 and the pay rise in 元 a person-month; the reader turns them back into the scenario's
万元 exactly. The file is written next to its place and moved there when complete,
so a failure leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from allocator.labels import WORDS, choices, zh
from allocator.scenario.schema import OPTION_KINDS, Scenario
from allocator.scenario.workbook_columns import (
    BUDGETS,
    COMMUNITIES,
    EXAMPLE,
    FUNDING,
    GROUPS,
    LISTS_SHEET,
    MEASURE_ZH,
    OPTIONS,
    PAYS_FOR_KINDS,
    README_SHEET,
    UNIT_ALL,
    VARIANTS,
    YEAR_BUDGETS,
    Column,
    Sheet,
    to_sheet,
)
from allocator.scenario.workbook_items import (
    ITEM_SHEETS,
    PLAN_SHEET,
    SETTINGS,
    SETTINGS_SHEET,
    SHEETS,
    STAFF_SHEET,
)

Row = dict[str, Any]
FONT = "宋体"  # in every Chinese Windows and in WPS
_SPARE_ROWS = 1000  # rows below the data that keep the drop-downs


def write_workbook(path: Path, scenario: Scenario | None = None) -> None:
    """Write `scenario` (None: the empty template with one example row a sheet) to `path`."""
    import xlsxwriter

    rows = scenario_rows(scenario) if scenario is not None else example_rows()
    path = Path(path)
    handle, temporary = tempfile.mkstemp(suffix=".xlsx", prefix=".", dir=path.parent or ".")
    os.close(handle)
    try:
        book = xlsxwriter.Workbook(
            temporary, {"default_format_properties": {"font_name": FONT, "font_size": 11}}
        )
        _Writer(book, example=scenario is None).write(rows)
        book.close()
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


# --------------------------------------------------------------------------------------------
# Rows: the scenario as one dict per row, keyed by column, in the scenario's units
# --------------------------------------------------------------------------------------------
def scenario_rows(scenario: Scenario) -> dict[str, list[Row]]:
    """Every sheet's rows. A community's target and route limit are left blank where the
    scenario takes them from `defaults` (its source does not give them)."""
    dump = scenario.model_dump(mode="python")
    source = scenario.source.get("communities") or []
    rows: dict[str, list[Row]] = {SETTINGS_SHEET.name: _settings(dump)}
    rows[GROUPS.name] = [dict(g) for g in dump["groups"]]
    rows[COMMUNITIES.name], rows[OPTIONS.name] = [], []
    for index, community in enumerate(dump["communities"]):
        given = source[index] if index < len(source) and isinstance(source[index], dict) else {}
        row = {k: v for k, v in community.items() if k != "options"}
        for key in ("target_area_m2", "max_options"):
            if key not in given:
                row[key] = None
        rows[COMMUNITIES.name].append(row)
        rows[OPTIONS.name].extend({"community": community["id"], **o} for o in community["options"])
    rows[FUNDING.name] = [_funding_row(source) for source in dump["funding"]]
    rows[BUDGETS.name] = [row for source in dump["funding"] for row in _budget_rows(source)]
    rows[YEAR_BUDGETS.name] = [
        {"source": source["id"], "year": year, "amount": amount}
        for source in dump["funding"]
        for year, amount in (source["budget_by_year"] or {}).items()
    ]
    rows[VARIANTS.name] = [row for variant in dump["variants"] for row in _variant_rows(variant)]
    rows[PLAN_SHEET.name] = _items(PLAN_SHEET, dump)
    rows[STAFF_SHEET.name] = _items(STAFF_SHEET, dump)
    return rows


def _items(sheet: Sheet, dump: dict[str, Any]) -> list[Row]:
    """A sheet of items: each item's value found at its `loc` in the scenario (None if unset)."""
    return [{"column": item, "value": _at(dump, item.loc)} for item in sheet.items]


def _at(data: Any, loc: tuple[str | int, ...]) -> Any:
    for key in loc:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list | tuple) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data


def _settings(dump: dict[str, Any]) -> list[Row]:
    defaults = dump["defaults"]
    target = defaults["target_area_m2"]
    values = {
        "name": dump["name"],
        "description": dump["description"],
        "horizon_years": dump["horizon_years"],
        "max_options_per_community": defaults["max_options_per_community"],
    }
    if isinstance(target, dict):
        values.update(per_household=target["per_household"], at_least=target["at_least"])
    else:
        values["target_area_m2"] = target
    return [{"column": c, "value": values.get(c.key)} for c in SETTINGS]


def _funding_row(source: dict[str, Any]) -> Row:
    row = {k: v for k, v in source.items() if k not in ("budget", "budget_by_kind", "budgets")}
    for kind in PAYS_FOR_KINDS:
        row[f"pays_for.{kind}"] = kind in source["pays_for"]
    return row


def _budget_rows(source: dict[str, Any]) -> Iterator[Row]:
    if source["budget"] is not None:
        yield {
            "source": source["id"],
            "unit": UNIT_ALL[source["scope"]],
            "amount": source["budget"],
        }
    for kind, amount in (source["budget_by_kind"] or {}).items():
        yield {"source": source["id"], "unit": zh("group_kind", kind), "amount": amount}
    for unit, amount in (source["budgets"] or {}).items():
        yield {"source": source["id"], "unit": unit, "amount": amount}


def _variant_rows(variant: dict[str, Any]) -> Iterator[Row]:
    pairs = [(path, value) for item in variant["changes"] for path, value in item.items()]
    head = {"name": variant["name"], "description": variant["description"]}
    if not pairs:
        yield head
    for index, (path, value) in enumerate(pairs):
        yield {**(head if index == 0 else {"name": variant["name"]}), "path": path, "value": value}


def example_rows() -> dict[str, list[Row]]:
    """The template's rows: settings with their usual values, one example row a sheet."""
    usual = {"horizon_years": 3, "target_area_m2": 500, "max_options_per_community": 2}
    options = dict(kind="allocate_build", min_area_m2=560, max_area_m2=560, cost_per_m2=0.22,
                   capital_profile=[0.6, 0.4])  # fmt: skip
    pays = {f"pays_for.{kind}": kind in OPTION_KINDS for kind in PAYS_FOR_KINDS}
    return {
        SETTINGS_SHEET.name: [{"column": c, "value": usual.get(c.key)} for c in SETTINGS],
        PLAN_SHEET.name: [{"column": c, "value": None} for c in PLAN_SHEET.items],
        STAFF_SHEET.name: [{"column": c, "value": None} for c in STAFF_SHEET.items],
        GROUPS.name: [{"id": EXAMPLE, "name": "城南街道", "kind": "street"}],
        COMMUNITIES.name: [
            dict(id=EXAMPLE, name="新兴社区", group="城南街道", households=4200)
            | dict(existing_area_m2=120, must_meet=True, priority=1, posts_now=5)
        ],
        OPTIONS.name: [
            {"community": EXAMPLE, "id": "xinxing-build", **options, "replaces_existing": True}
            | {"note": "在划拨土地上新建（示例）"},
            dict(community=EXAMPLE, id="xinxing-lease", kind="lease", max_area_m2=300)
            | dict(annual_cost_per_m2=0.018, excludes=["xinxing-build"]),
            dict(community=EXAMPLE, id="xinxing-bridge", kind="lease", max_area_m2=200)
            | dict(annual_cost_per_m2=0.024, bridges="xinxing-build")
            | {"note": "新建建成前租房过渡（示例；分年度规划时可用）"},
        ],
        FUNDING.name: [dict(id=EXAMPLE, name="县财政", scope="county", **pays, carry_over=True)],
        BUDGETS.name: [{"source": EXAMPLE, "unit": "县", "amount": 450}],
        YEAR_BUDGETS.name: [{"source": EXAMPLE, "year": 2024, "amount": 200}],
        VARIANTS.name: [
            dict(name=EXAMPLE, description="县财政削减五分之一")
            | dict(path="funding[county].budget", value={"scale": 0.8})
        ],
    }


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------
def cell_value(column: Column, value: Any) -> Any:
    """What a cell holds for `value` (in the scenario's unit): a number, text, or None."""
    if value is None or value == () or value == []:
        return None
    kind = column.kind
    if kind in ("number", "int"):
        return to_sheet(value, column.factor)
    if kind == "bool":
        return zh("yes_no", bool(value))
    if kind in WORDS and kind != "yes_no":
        return zh(kind, value)
    if kind == "list":
        return ", ".join(value)
    if kind == "shares":  # each share as its shortest decimal, so that it reads back the same
        return ", ".join(repr(share) if share % 1 else str(int(share)) for share in value)
    if kind == "years":
        return ", ".join(str(year) for year in value) if len(value) > 1 else value[0]
    if kind == "by_year":
        return ", ".join(f"{year}:{n}" for year, n in sorted(value.items())) or None
    if kind == "measure":
        return MEASURE_ZH.get(value, str(value))
    if kind == "value":
        return value_text(value)
    return str(value)


def value_text(value: Any) -> Any:
    """A change's value as a planner writes it: a number as a number, else YAML flow text
    ({scale: 0.8}, 选定, [a, b]) that the reader reads back as the same value."""
    from allocator.scenario.yaml_core import read_yaml

    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = _flow(value)
    try:
        if read_yaml(text, "<value>") == value:
            return text
    except Exception:  # noqa: BLE001 - any text the reader refuses is written as JSON instead
        pass
    return json.dumps(value, ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value)
    return str(value) if value is not None else "null"


class _Writer:
    """Writes the sheets of one workbook, with its formats and drop-down lists."""

    def __init__(self, book: Any, example: bool) -> None:
        self.book = book
        self.example = example
        self.header = book.add_format(
            {"bold": True, "bg_color": "#D9D9D9", "border": 1, "text_wrap": True}
        )
        self.grey = {"font_color": "#808080", "italic": True}
        self.formats: dict[tuple[str, bool], Any] = {}

    def cell_format(self, number_format: str, example: bool) -> Any:
        key = (number_format, example)
        if key not in self.formats:
            properties: dict[str, Any] = {"num_format": number_format} if number_format else {}
            if example:
                properties.update(self.grey)
            self.formats[key] = self.book.add_format(properties) if properties else None
        return self.formats[key]

    def write(self, rows: dict[str, list[Row]]) -> None:
        from allocator.scenario.workbook_explain import write_readme

        write_readme(self.book.add_worksheet(README_SHEET), self.header, example=self.example)
        for sheet in SHEETS:
            if sheet in ITEM_SHEETS:
                self.write_items(sheet, rows[sheet.name])
            else:
                self.write_sheet(sheet, rows[sheet.name])
        self.write_lists()

    def write_items(self, spec: Sheet, rows: list[Row]) -> None:
        """A sheet of items: 项目, 值 (a drop-down on the items that have one), 说明."""
        sheet = self.book.add_worksheet(spec.name)
        for col, column in enumerate(spec.columns):
            sheet.write_string(0, col, column.header, self.header)
            sheet.set_column(col, col, column.width)
        for index, row in enumerate(rows, start=1):
            column = row["column"]
            sheet.write_string(index, 0, column.header)
            self.write_cell(sheet, index, 1, column, row["value"], False)
            sheet.write_string(index, 2, column.note)
            if column.drop_down:
                sheet.data_validation(
                    index, 1, index, 1, {"validate": "list", "source": f"={column.drop_down}"}
                )
        sheet.freeze_panes(1, 0)

    def write_sheet(self, spec: Sheet, rows: list[Row]) -> None:
        sheet = self.book.add_worksheet(spec.name)
        for col, column in enumerate(spec.columns):
            sheet.write_string(0, col, column.header, self.header)
            sheet.set_column(col, col, column.width, self.cell_format(column.number_format, False))
        for index, row in enumerate(rows, start=1):
            for col, column in enumerate(spec.columns):
                self.write_cell(sheet, index, col, column, row.get(column.key), self.example)
        last = len(rows) + _SPARE_ROWS
        for col, column in enumerate(spec.columns):
            if column.drop_down:
                strict = column.kind not in ("group", "community", "unit")
                sheet.data_validation(
                    1,
                    col,
                    last,
                    col,
                    {"validate": "list", "source": f"={column.drop_down}", "show_error": strict},
                )
        sheet.freeze_panes(1, 1)
        sheet.set_row(0, 32)
        sheet.autofilter(0, 0, max(len(rows), 1), len(spec.columns) - 1)

    def write_cell(
        self, sheet: Any, row: int, col: int, column: Column, value: Any, example: bool
    ) -> None:
        cell = cell_value(column, value)
        style = self.cell_format(column.number_format, example)
        if cell is None:
            if example:
                sheet.write_blank(row, col, None, style)
        elif isinstance(cell, int | float):
            sheet.write_number(row, col, cell, style)
        else:
            sheet.write_string(row, col, cell, style)

    def write_lists(self) -> None:
        """The hidden `_lists` sheet and a defined name for each drop-down list."""
        sheet = self.book.add_worksheet(LISTS_SHEET)
        lists = {
            "路径类型表": choices("option_kind"),
            "街镇类型表": choices("group_kind"),
            "资金范围表": choices("scope"),
            "锁定表": choices("locked"),
            "是否表": choices("yes_no"),
            "预算单位表": [*UNIT_ALL.values(), *choices("group_kind")],
            "目标表": list(MEASURE_ZH.values()),
        }
        for col, (name, words) in enumerate(lists.items()):
            sheet.write_string(0, col, name)
            for row, word in enumerate(words, start=1):
                sheet.write_string(row, col, word)
            letter = chr(ord("A") + col)
            self.book.define_name(name, f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(words) + 1}")
        self.book.define_name("街镇表", f"='{GROUPS.name}'!$A$2:$A$5000")
        self.book.define_name("社区表", f"='{COMMUNITIES.name}'!$A$2:$A$100000")
        sheet.hide()
