"""Every way a scenario comes to be: read from a file, validated from a dict, a file that
extends another, and a loaded scenario with changes (`Scenario.with_changes`, `.variant`).

`load_scenario(path)` is a thin wrapper over `scenario_from_dict(data)`; both raise
`ScenarioError` with every problem found, each naming the file, line, entry and field.

A variant is a name, a description and a list of changes (`path: value`, see
`allocator.scenario.changes` for the paths and the `{scale: x}` / `{add: x}` forms). In a
scenario file:

    variants:
      - name: budget_cut
        description: County budget cut by a fifth
        changes:
          - funding[county].budget: {scale: 0.8}

or in a file of its own, `extends: 2024.yaml` with `changes:` (and optionally `name`,
`description`, `variants`). `Scenario.with_changes({...})` and `Scenario.variant(name)` return
new scenarios; the original is never touched. The result of the changes is validated like any
scenario, and every problem names the variant and the change behind it (with its line, when
the change is written in the file).

Changing a scenario means validating again, and a file that extends another is read through its
changes, so these live together here. Each scenario made here keeps the dict it was validated
from and `DERIVATIONS`, by which its `with_changes` and `variant` methods reach back to this
module: the schema (`Deriving`) imports nothing built on it.
"""

from __future__ import annotations

import copy
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from allocator.catalogue import say
from allocator.errors import Problem, ScenarioError, locate
from allocator.scenario.changes import ChangeError, Loc, apply_change, change_pairs, format_value
from allocator.scenario.checks import check_references
from allocator.scenario.files import read_text, unreadable
from allocator.scenario.parsing import parse
from allocator.scenario.schema import Scenario, Variant
from allocator.scenario.schema_problems import schema_problems
from allocator.scenario.workbook_read import is_workbook, read_workbook

__all__ = ["DERIVATIONS", "load_scenario", "scenario_from_dict"]


# --------------------------------------------------------------------------------------------
# From a file or a dict
# --------------------------------------------------------------------------------------------
def scenario_from_dict(
    data: Any, *, origin: str = "<scenario>", text: str | None = None
) -> Scenario:
    """Validate a scenario dict; raise ScenarioError listing every problem.

    `origin` names the file in messages; `text` (the YAML source) lets them give line numbers.
    """
    if not isinstance(data, dict):
        raise ScenarioError(origin, [Problem((), say("problem.not_mapping"))])
    if "extends" in data or "changes" in data:
        return expand_extends(data, origin=origin, text=text)
    problems: list[Problem] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        problems.extend(schema_problems(error))
    problems.extend(check_references(data))
    if problems:
        located = locate(problems, data, text)
        raise ScenarioError(origin, sorted(located, key=lambda p: p.line or 0))
    assert scenario is not None
    scenario._source = data
    scenario._deriving = DERIVATIONS
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (YAML or JSON, or a workbook: .xlsx); raise ScenarioError naming
    file, line (for a workbook: sheet, cell and column header), entry and field. See `files`
    for what is refused unread, `parsing` for how the text is read, `workbook_read` for
    workbooks."""
    path = Path(path)
    if is_workbook(path):
        return _load_workbook(path)
    text = read_text(path)
    data = parse(text, str(path))
    scenario = scenario_from_dict(data, origin=str(path), text=text)
    scenario._path = str(path)
    return scenario


def _load_workbook(path: Path) -> Scenario:
    """A workbook's scenario; every problem put on its cell (sheet, cell, column header)."""
    book = read_workbook(path)
    checked: list[Problem] = []
    try:
        scenario = scenario_from_dict(book.data, origin=str(path))
    except ScenarioError as error:
        checked = error.problems
    if book.problems or checked:
        raise ScenarioError(str(path), book.sorted_problems(checked))
    scenario._path = str(path)
    scenario._cells = book
    return scenario


# --------------------------------------------------------------------------------------------
# Changes applied to a scenario's dict, each problem put on the change behind it
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Change:
    path: str
    value: Any
    line: int | None = None

    @property
    def text(self) -> str:
        return f"{self.path}: {format_value(self.value)}"


@dataclass
class _Derivation:
    """Changes applied to a copy of a scenario's dict; problems name `context` and the change."""

    origin: str
    context: str  # "variant 'budget_cut'" (in the run's language) or ""
    touched: list[tuple[_Change, list[Loc]]] = field(default_factory=list)

    def entry(self, change: _Change) -> str:
        parts = [self.context, say("problem.change", change=change.text)]
        return say("problem.sep").join(p for p in parts if p)

    def apply(self, data: dict[str, Any], changes: list[_Change]) -> dict[str, Any]:
        data = copy.deepcopy(data)
        problems = []
        for change in changes:
            try:
                if not isinstance(change.path, str):
                    raise ChangeError(
                        say("input.text") + say("input.got", value=format_value(change.path))
                    )
                self.touched.append((change, apply_change(data, change.path, change.value)))
            except ChangeError as error:
                problems.append(Problem((), str(error), line=change.line, entry=self.entry(change)))
        if problems:
            raise ScenarioError(self.origin, problems)
        return data

    def validate(self, data: dict[str, Any]) -> Scenario:
        """The result is checked like any scenario; each problem is put on the change behind it."""
        try:
            return scenario_from_dict(data, origin=self.origin)
        except ScenarioError as error:
            raise ScenarioError(self.origin, [self._blame(p) for p in error.problems]) from None

    def _blame(self, problem: Problem) -> Problem:
        what = problem.what()
        for change, locs in reversed(self.touched):
            if any(_related(loc, problem.loc) for loc in locs):
                gives = say("problem.gives", what=what)
                return Problem((), gives, line=change.line, entry=self.entry(change))
        return Problem((), say("problem.after_changes", what=what), entry=self.context)


def _related(written: Loc, wrong: Loc) -> bool:
    """A problem at `wrong` comes from writing `written`: one inside the other, or same entry."""
    shorter = min(len(written), len(wrong))
    return written[:shorter] == wrong[:shorter] or (len(written) > 1 and written[:-1] == wrong[:-1])


# --------------------------------------------------------------------------------------------
# A loaded scenario with changes, or one of its variants
# --------------------------------------------------------------------------------------------
def with_changes(
    scenario: Scenario, changes: Any, *, name: str | None = None, description: str | None = None
) -> Scenario:
    """A new scenario: `scenario` with `changes` ({path: value, ...}) applied."""
    pairs = [_Change(path, value) for path, value in change_pairs(changes)]
    derivation = _Derivation(scenario.path or "<scenario>", "")
    data = derivation.apply(scenario.source, pairs)
    if name is not None:
        data["name"] = name
    if description is not None:
        data["description"] = description
    result = derivation.validate(data)
    result._path = scenario.path
    result._label = scenario._label if name is None else None  # a renamed scenario is its own
    return result


def variant(scenario: Scenario, name: str) -> Scenario:
    """The scenario of variant `name`: its changes applied to `scenario`, named after it."""
    found = next((v for v in scenario.variants if v.name == name), None)
    origin = scenario.path or "<scenario>"
    if found is None:
        known = say("sep").join(v.name for v in scenario.variants) or say("problem.no_variants")
        message = say("problem.no_variant", name=name, known=known)
        raise ScenarioError(origin, [Problem(("variants",), message)])
    pairs = [(path, value) for item in found.changes for path, value in item.items()]
    try:
        result = _apply_variant(scenario, found, [None] * len(pairs))
    except ScenarioError:  # again, with the line of each change in the file for the messages
        lines = _variant_lines(scenario, name, len(pairs))
        result = _apply_variant(scenario, found, lines)
    result._path = scenario.path
    result._label = name
    return result


def _apply_variant(scenario: Scenario, found: Variant, lines: list[int | None]) -> Scenario:
    pairs = [(path, value) for item in found.changes for path, value in item.items()]
    changes = [_Change(p, v, line) for (p, v), line in zip(pairs, lines, strict=True)]
    derivation = _Derivation(scenario.path or "<scenario>", say("problem.variant", name=found.name))
    data = derivation.apply(scenario.source, changes)
    data["name"] = f"{scenario.name} / {found.name}"
    if found.description:
        data["description"] = found.description
    return derivation.validate(data)


def _variant_lines(scenario: Scenario, name: str, count: int) -> list[int | None]:
    """Line of each change of variant `name` in the scenario's file, where it is written there."""
    blank: list[int | None] = [None] * count
    raw, text = _read_yaml(scenario.path)
    entries = raw.get("variants") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        return blank
    for index, entry in enumerate(entries):
        if isinstance(entry, dict) and entry.get("name") == name:
            locs = _change_locs(entry.get("changes"), ("variants", index, "changes"))
            return _lines(raw, text, locs) if len(locs) == count else blank
    return blank


def _change_locs(changes: Any, prefix: Loc) -> list[Loc]:
    if isinstance(changes, dict):
        return [(*prefix, str(path)) for path in changes]
    locs: list[Loc] = []
    for index, item in enumerate(changes if isinstance(changes, list) else []):
        if isinstance(item, dict):
            locs.extend((*prefix, index, str(path)) for path in item)
    return locs


def _lines(data: Any, text: str | None, locs: list[Loc]) -> list[int | None]:
    if text is None:
        return [None] * len(locs)
    return [p.line for p in locate([Problem(loc, "") for loc in locs], data, text)]


def _read_yaml(path: str | None) -> tuple[Any, str | None]:
    """The data and text of a scenario file as `load_scenario` reads it, or None, None."""
    if path is None:
        return None, None
    try:
        text = read_text(Path(path))
        return parse(text, path), text
    except ScenarioError:
        return None, None


# --------------------------------------------------------------------------------------------
# A file that extends another
# --------------------------------------------------------------------------------------------
_EXTENDING: ContextVar[tuple[Path, ...]] = ContextVar("extending", default=())
_EXTENDING_KEYS = ("extends", "name", "description", "changes", "variants")
MAX_EXTENDS = 10  # files in one chain of `extends`, the base included


def expand_extends(data: dict[str, Any], *, origin: str, text: str | None) -> Scenario:
    """A file that says `extends: base.yaml`: the base scenario with this file's changes."""
    _check_extending(data, origin, text)
    base_path = _base_path(str(data["extends"]), origin, data, text)
    chain = _EXTENDING.get()
    token = _EXTENDING.set((*chain, Path(origin).resolve()))
    try:
        base = load_scenario(base_path)
    finally:
        _EXTENDING.reset(token)
    locs = _change_locs(data.get("changes"), ("changes",))
    pairs = change_pairs(data.get("changes"))
    changes = [
        _Change(p, v, line) for (p, v), line in zip(pairs, _lines(data, text, locs), strict=True)
    ]
    derivation = _Derivation(origin, "")
    merged = derivation.apply(base.source, changes)
    merged["name"] = data.get("name") or f"{base.name} / {Path(origin).stem}"
    if "description" in data:
        merged["description"] = data["description"]
    variants = [v for v in data.get("variants") or [] if isinstance(v, dict)]
    mine = {v.get("name") for v in variants if isinstance(v.get("name"), str)}
    inherited = [v for v in merged.get("variants", []) if v.get("name") not in mine]
    if inherited or mine:
        merged["variants"] = [*inherited, *data.get("variants", [])]
    return derivation.validate(merged)


def _base_path(named: str, origin: str, data: dict[str, Any], text: str | None) -> Path:
    """The file `extends` names (relative to this file), a scenario file that does not lead back
    here nor make a chain over `MAX_EXTENDS`; else the problem at the `extends` line."""
    chain = _EXTENDING.get()
    here = Path(origin).parent if Path(origin).is_file() else Path.cwd()
    reason = unreadable(here / named)
    problem = None
    if reason == "no such file":
        problem = f"'{named}': no such file (looked for {(here / named).absolute()})"
    elif reason:
        problem = f"'{named}': {reason}"
    else:
        base_path = (here / named).resolve()
        if base_path in chain or base_path == Path(origin).resolve():
            cycle = " -> ".join(p.name for p in (*chain, Path(origin), base_path))
            problem = f"'{named}' leads back to itself ({cycle})"
        elif len(chain) + 1 >= MAX_EXTENDS:
            problem = (
                f"'{named}' would make a chain of more than {MAX_EXTENDS} files that extend "
                "one another: start this file from one nearer the base scenario"
            )
    if problem:
        raise ScenarioError(origin, locate([Problem(("extends",), problem)], data, text))
    return base_path


def _check_extending(data: dict[str, Any], origin: str, text: str | None) -> None:
    problems = []
    if "extends" not in data:
        problems.append(
            Problem(
                ("changes",),
                "only a file that `extends` another lists changes "
                "at the top; here, put them in a variant (variants: - name: ... "
                "changes: ...)",
            )
        )
    elif not isinstance(data["extends"], str) or not data["extends"].strip():
        problems.append(Problem(("extends",), "must be the name of a scenario file"))
    for key in data:
        if key not in _EXTENDING_KEYS:
            problems.append(
                Problem(
                    (key,),
                    f"a file that extends another holds only "
                    f"{', '.join(_EXTENDING_KEYS)}; write '{key}' as a change",
                )
            )
    changes = data.get("changes", [])
    if not isinstance(changes, dict | list) or (
        isinstance(changes, list) and not all(isinstance(c, dict) for c in changes)
    ):
        problems.append(Problem(("changes",), "must be a list of `path: value` entries"))
    variants = data.get("variants", [])
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        problems.append(Problem(("variants",), "must be a list of variants (name, changes)"))
    if problems:
        raise ScenarioError(origin, locate(problems, data, text))


@dataclass(frozen=True)
class _Derivations:
    """`Scenario.with_changes` and `Scenario.variant` (the schema's `Deriving`)."""

    def with_changes(
        self, scenario: Scenario, changes: Any, *, name: str | None, description: str | None
    ) -> Scenario:
        return with_changes(scenario, changes, name=name, description=description)

    def variant(self, scenario: Scenario, name: str) -> Scenario:
        return variant(scenario, name)


DERIVATIONS = _Derivations()
