"""A planners' workbook (.xlsx) read into a scenario dict, with the cell each value came from.

Read with python-calamine, which reads the cells themselves (WPS writes wrong sheet dimensions)
and gives formulas' cached values. Row 1 of each sheet holds the headers: the Chinese header of
`workbook_columns` or its English key. Unknown sheets and columns, a missing required column or
a column written twice are refused before any cell is read. Then each cell is read by its
column's kind; a cell that cannot be read (text in a number column, a route kind that does not
exist) is a problem at that cell, and the scenario's own checks run on the rest, so that every
problem is listed at once. `Book.placed` puts each problem of the schema and the cross-entry
checks on the cell its value came from: `county.xlsx, 社区!E7 (现有面积（m²）): ...`.

Rows whose first cell is `示例` are the template's examples and are skipped; blank rows too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from allocator.catalogue import say
from allocator.scenario.files import check_file, refuse
from allocator.scenario.workbook_budgets import read_budgets, read_variants, read_year_budgets
from allocator.scenario.workbook_cells import BLANK, Book, Place, Row, read_cell
from allocator.scenario.workbook_columns import (
    BUDGETS,
    COMMUNITIES,
    EXAMPLE,
    FORMAT_NAME,
    FORMAT_VERSION,
    FUNDING,
    GROUPS,
    LISTS_SHEET,
    MEASURE_ZH,
    OPTIONS,
    PAYS_FOR_KINDS,
    READABLE_VERSIONS,
    README_KEYS,
    VARIANTS,
    YEAR_BUDGETS,
    Column,
    Sheet,
)
from allocator.scenario.workbook_items import (
    PLAN_SHEET,
    SETTINGS_SHEET,
    SHEETS,
    STAFF_SHEET,
)

Loc = tuple[str | int, ...]
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_OTHER_SHEETS = {
    ".xls": "an old Excel workbook (.xls)",
    ".et": "a WPS workbook (.et)",
    ".ett": "a WPS template (.ett)",
    ".xlsb": "a binary Excel workbook (.xlsb)",
    ".ods": "an OpenDocument spreadsheet (.ods)",
}
_SAVE_AS = "open it in Excel or WPS and save it as .xlsx (另存为 Excel 工作簿 *.xlsx)"


def is_workbook(path: Path) -> bool:
    """Whether `path` names a spreadsheet by its suffix (read here, or refused with advice)."""
    suffix = Path(path).suffix.lower()
    return suffix in WORKBOOK_SUFFIXES or suffix in _OTHER_SHEETS


# --------------------------------------------------------------------------------------------
# Opening the file
# --------------------------------------------------------------------------------------------
def open_sheets(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet's cells, by sheet name; ScenarioError saying what to do when the file is
    not an .xlsx workbook calamine can read."""
    import python_calamine

    origin = str(path)
    suffix = path.suffix.lower()
    if suffix in _OTHER_SHEETS:
        raise refuse(origin, f"is {_OTHER_SHEETS[suffix]}; {_SAVE_AS}")
    check_file(path)
    with open(path, "rb") as stream:
        magic = stream.read(4)
    if magic == b"\xd0\xcf\x11\xe0":
        raise refuse(
            origin,
            "is protected by a password, or is an old .xls file under another name: remove the "
            f"password (文件 > 加密 > 清除密码) or {_SAVE_AS}",
        )
    if magic != b"PK\x03\x04":
        raise refuse(origin, f"is not an .xlsx workbook (no workbook inside); {_SAVE_AS}")
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        return {
            name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in book.sheet_names
        }
    except python_calamine.PasswordError:
        raise refuse(origin, "is protected by a password: remove it and save again") from None
    except Exception as error:  # noqa: BLE001 - calamine's errors: a damaged or foreign zip
        raise refuse(origin, f"cannot be read as a workbook ({error}); {_SAVE_AS}") from None


def read_workbook(path: Path) -> Book:
    """The scenario dict of the workbook at `path` with the cell of every value; ScenarioError
    at once for a file that is not a workbook or sheets and columns that are not ours."""
    path = Path(path)
    cells = open_sheets(path)
    book = Book(str(path))
    layout = _layout(book, cells)
    book.raise_if_any()
    reader = _Reader(book, cells, layout)
    reader.read()
    return book


def _normal(text: Any) -> str:
    """A header or an item as compared: no spaces, full-width brackets, m² for m2, lower case."""
    folded = str(text).strip().replace(" ", "").replace("　", "")
    folded = folded.replace("(", "（").replace(")", "）").replace("m2", "m²").replace("M2", "m²")
    return folded.lower()


def _sheet_specs() -> dict[str, Sheet]:
    specs: dict[str, Sheet] = {}
    for spec in SHEETS:
        specs[_normal(spec.name)] = spec
        specs[_normal(spec.key)] = spec
    return specs


def _layout(book: Book, cells: dict[str, list[list[Any]]]) -> dict[str, tuple[Sheet, dict]]:
    """Each sheet of ours, its spec and {column index: Column}; problems for the rest."""
    specs = _sheet_specs()
    layout: dict[str, tuple[Sheet, dict[int, Column]]] = {}
    for order, (name, rows) in enumerate(cells.items()):
        key = _normal(name)
        if name == LISTS_SHEET:
            continue
        if key in README_KEYS:
            _check_version(book, name, rows)
            continue
        spec = specs.get(key)
        if spec is None:
            known = "、".join(s.name for s in SHEETS)
            book.fail(None, f"unknown sheet '{name}' (不认识的工作表; sheets: {known}, 说明)")
            continue
        if spec.name in {s.name for s, _ in layout.values()}:
            book.fail(None, f"sheet '{name}' gives {spec.name} a second time")
            continue
        layout[name] = (spec, _columns(book, name, order, spec, rows))
    for required in (SETTINGS_SHEET, COMMUNITIES):
        if required.name not in {s.name for s, _ in layout.values()}:
            book.fail(
                None,
                f"has no sheet '{required.name}' ({required.key}); start from `allocator template`",
            )
    return layout


def _columns(book: Book, name: str, order: int, spec: Sheet, rows: list[list[Any]]) -> dict:
    by_header = {}
    for column in spec.columns:
        by_header[_normal(column.header)] = column
        by_header[_normal(column.key)] = column
    header = rows[0] if rows else []
    found: dict[int, Column] = {}
    for col, text in enumerate(header):
        place = Place(name, 0, col, str(text), order)
        if str(text).strip() == "":
            if any(col < len(r) and str(r[col]).strip() for r in rows[1:]):
                book.fail(place, "a column with values has no header (列名为空)")
            continue
        column = by_header.get(_normal(text))
        if column is None:
            known = "、".join(c.header for c in spec.columns)
            book.fail(place, f"unknown column '{text}' (不认识的列; columns: {known})")
        elif column in found.values():
            book.fail(place, f"column '{text}' is given twice (列重复)")
        else:
            found[col] = column
    for column in spec.columns:
        if column.required and column not in found.values():
            book.fail(
                Place(name, 0, -1, "", order),
                f"missing column '{column.header}' ({column.key}) (缺少必填列)",
            )
    return found


def _check_version(book: Book, name: str, rows: list[list[Any]]) -> None:
    """The format the explanation sheet names (格式版本：allocator-workbook N) is one this
    allocator reads."""
    for r, row in enumerate(rows[:40]):
        for c, value in enumerate(row):
            text = str(value).strip()
            if FORMAT_NAME in text:
                version = text.split(FORMAT_NAME, 1)[1].strip()
                if version not in map(str, READABLE_VERSIONS):
                    book.fail(
                        Place(name, r, c, "格式版本"),
                        say(
                            "workbook.version",
                            text=f"{FORMAT_NAME} {version}",
                            known=f"{FORMAT_NAME} {FORMAT_VERSION}",
                        ),
                    )
                return


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------
class _Reader:
    """Reads the sheets of one workbook into `book.data`, recording the cell of every value."""

    def __init__(self, book: Book, cells: dict[str, list[list[Any]]], layout: dict) -> None:
        self.book = book
        self.sheets = {
            spec.name: (name, order, cells[name], columns)
            for order, (name, (spec, columns)) in enumerate(layout.items())
        }

    def read(self) -> None:
        settings = self.settings()
        planned = self.planning()
        staffing = self.staffing()
        groups = [self.book.record(("groups", i), row) for i, row in enumerate(self.rows(GROUPS))]
        communities = self.communities(groups)
        self.options(communities)
        funding = self.funding()
        units = {str(e.get("id")) for e in (*groups, *communities)}
        read_budgets(self.book, self.rows(BUDGETS), funding, units)
        read_year_budgets(self.book, self.rows(YEAR_BUDGETS), funding)
        variants = read_variants(self.book, self.rows(VARIANTS))
        if COMMUNITIES.name in self.sheets:
            name, order, _, _ = self.sheets[COMMUNITIES.name]
            header = COMMUNITIES.columns[0].header
            self.book.places.setdefault(("communities",), Place(name, 1, 0, header, order))
        if ("years",) in self.book.flagged:
            self._years_unread()
        data = self.book.data
        data.update(settings)
        data.update(planned)
        if staffing:
            data["staffing"] = staffing
        if groups:
            data["groups"] = groups
        data["communities"] = communities
        if funding:
            data["funding"] = funding
        if variants:
            data["variants"] = variants

    def _years_unread(self) -> None:
        """The planning years could not be read: the cells that name a year are not judged
        against them (each would say the scenario has no years)."""
        for loc in list(self.book.places):
            if any(key in _NAMING_A_YEAR for key in loc if isinstance(key, str)):
                self.book.flagged.add(loc)

    # --- generic ------------------------------------------------------------------------
    def rows(self, spec: Sheet) -> list[Row]:
        """The data rows of a sheet (none if the workbook has no such sheet)."""
        if spec.name not in self.sheets:
            return []
        name, order, cells, columns = self.sheets[spec.name]
        found = []
        for r, raw in enumerate(cells[1:], start=1):
            if all(str(v).strip() == "" for v in raw) or str(raw[0]).strip() == EXAMPLE:
                continue
            row = Row(Place(name, r, 0, spec.columns[0].header, order))
            for col, column in columns.items():
                place = Place(name, r, col, str(cells[0][col]), order)
                row.places[column.key] = place
                if col == 0 or column.key == spec.columns[0].key:
                    row.first = place
                try:
                    value = read_cell(column, raw[col] if col < len(raw) else "")
                except ValueError as error:
                    row.bad[column.key] = str(error)
                    continue
                if value is not BLANK:
                    row.values[column.key] = value
            found.append(row)
        return found

    # --- sheets -------------------------------------------------------------------------
    def items(self, spec: Sheet) -> dict[str, Any]:
        """The values of a sheet of items by item key (none if the workbook has no such
        sheet); the cell of each item given, blank or not, at the item's `loc`."""
        if spec.name not in self.sheets:
            return {}
        name, order, cells, columns = self.sheets[spec.name]
        by_role = {column.key: col for col, column in columns.items()}
        items = {}
        for item in spec.items:
            items[_normal(item.header)] = item
            items[_normal(item.key)] = item
        values: dict[str, Any] = {}
        for r, raw in enumerate(cells[1:], start=1):
            written = raw[by_role["item"]] if by_role["item"] < len(raw) else ""
            if str(written).strip() == "":
                continue
            item = items.get(_normal(written))
            col = by_role["value"]
            place = Place(name, r, col, str(written).strip(), order)
            if item is None:
                known = "、".join(i.header for i in spec.items)
                self.book.fail(
                    Place(name, r, by_role["item"], "项目", order),
                    say("workbook.unknown_item", item=written, known=known),
                )
                continue
            if item.loc in self.book.places:
                self.book.fail(place, say("workbook.item_twice", item=written))
                continue
            self.book.places[item.loc] = place
            try:
                value = read_cell(item, raw[col] if col < len(raw) else "")
            except ValueError as error:
                self.book.fail(place, str(error), item.loc)
                continue
            if value is not BLANK:
                values[item.key] = value
        return values

    def settings(self) -> dict[str, Any]:
        return self.scenario_settings(self.items(SETTINGS_SHEET))

    def planning(self) -> dict[str, Any]:
        """设置: the planning years, and the objective's measures in the order given (blank
        items left out; each measure's place is the cell it was written in)."""
        values = self.items(PLAN_SHEET)
        found: dict[str, Any] = {}
        if "years" in values:
            found["years"] = values["years"]
        given = [item for item in PLAN_SHEET.items if item.key in values and item.key != "years"]
        if given:
            found["objective"] = [values[item.key] for item in given]
            cells = [self.book.places[item.loc] for item in given]
            for k, measure in enumerate(found["objective"]):
                if measure in found["objective"][:k]:
                    first = cells[found["objective"].index(measure)]
                    said = say("workbook.measure_twice", measure=MEASURE_ZH[measure], first=first)
                    self.book.fail(cells[k], said, ("objective",))
            self.book.places[("objective",)] = cells[0]
            for k, cell in enumerate(cells):
                self.book.places[("objective", k)] = cell
        return found

    def staffing(self) -> dict[str, Any]:
        """人员配备: the staffing block, each route's entry when one of its items is given;
        nothing when every item is blank (no staffing)."""
        values = self.items(STAFF_SHEET)
        block: dict[str, Any] = {}
        for item in STAFF_SHEET.items:
            if item.key in values:
                *parents, last = item.loc[1:]
                entry = block
                for parent in parents:
                    entry = entry.setdefault(parent, {})
                entry[last] = values[item.key]
        given = [self.book.places[i.loc] for i in STAFF_SHEET.items if i.loc in self.book.places]
        if given:
            self.book.places.setdefault(("staffing",), given[0])
        for route in ("add_post", "dispatch", "recruit", "pay_rise"):
            cells = [self.book.places[i.loc] for i in STAFF_SHEET.items
                     if i.loc[1] == route and i.loc in self.book.places]  # fmt: skip
            if cells:
                self.book.places[("staffing", route)] = cells[0]
        return block

    def scenario_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        top = {k: values[k] for k in ("name", "description", "horizon_years") if k in values}
        defaults: dict[str, Any] = {}
        if "per_household" in values:
            rule = {"per_household": values["per_household"]}
            if "at_least" in values:
                rule["at_least"] = values["at_least"]
            defaults["target_area_m2"] = rule
            if "target_area_m2" in values:
                self.book.fail(
                    self.book.places[("defaults", "target_area_m2")],
                    "give the default target either in m² or by households (按户数), not both",
                )
        elif "at_least" in values:
            self.book.fail(
                self.book.places[("defaults", "target_area_m2", "at_least")],
                "a least area (最低面积) goes with an area per household (每户面积): give both",
            )
        elif "target_area_m2" in values:
            defaults["target_area_m2"] = values["target_area_m2"]
        if "max_options_per_community" in values:
            defaults["max_options_per_community"] = values["max_options_per_community"]
        if "per_household" in values:
            self.book.places[("defaults", "target_area_m2")] = self.book.places[
                ("defaults", "target_area_m2", "per_household")
            ]
        return {**top, "defaults": defaults} if defaults else top

    def communities(self, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = _ids_by_name(groups)
        made = []
        for i, row in enumerate(self.rows(COMMUNITIES)):
            entry = self.book.record(("communities", i), row)
            written = entry.get("group")
            if isinstance(written, str) and written not in names.values():
                entry["group"] = names.get(written, written)
            entry["options"] = []
            made.append(entry)
        return made

    def options(self, communities: list[dict[str, Any]]) -> None:
        index = {c["id"]: i for i, c in enumerate(communities) if isinstance(c.get("id"), str)}
        for name, ident in _ids_by_name(communities).items():
            index.setdefault(name, index.get(ident, -1))
        for row in self.rows(OPTIONS):
            written = row.values.get("community")
            at = index.get(written, -1) if isinstance(written, str) else -1
            if at < 0:
                if "community" not in row.bad:
                    known = "、".join(str(c.get("id")) for c in communities[:20]) or "none"
                    what = f"unknown community '{written}'" if written else "is required"
                    self.book.fail(row.places["community"], f"{what} (社区表中没有; {known})")
                continue
            options = communities[at]["options"]
            options.append(
                self.book.record(("communities", at, "options", len(options)), row, ("community",))
            )
        for community in communities:
            if not community["options"]:
                del community["options"]

    def funding(self) -> list[dict[str, Any]]:
        made = []
        for i, row in enumerate(self.rows(FUNDING)):
            pays = {
                k.removeprefix("pays_for."): v
                for k, v in row.values.items()
                if k.startswith("pays_for.")
            }
            entry = self.book.record(("funding", i), row, tuple(f"pays_for.{k}" for k in pays))
            firsts = [p for k, p in row.places.items() if k.startswith("pays_for.")]
            if firsts:
                self.book.places[("funding", i, "pays_for")] = firsts[0]
            if pays:  # all blank: pays for every route kind; else a blank is 否
                entry["pays_for"] = [kind for kind in PAYS_FOR_KINDS if pays.get(kind) is True]
            made.append(entry)
        return made


# The cells judged against the planning years (not judged when the years cannot be read).
_NAMING_A_YEAR = ("due_year", "earliest_start", "latest_start", "budget_by_year", "bridges",
                  "capital_profile")  # fmt: skip


def _ids_by_name(entries: list[dict[str, Any]]) -> dict[str, str]:
    """Each name that one entry alone has -> its id (a planner may write either)."""
    counted: dict[str, list[str]] = {}
    for entry in entries:
        if isinstance(entry.get("name"), str) and isinstance(entry.get("id"), str):
            counted.setdefault(entry["name"].strip(), []).append(entry["id"])
    return {name: ids[0] for name, ids in counted.items() if len(ids) == 1}
