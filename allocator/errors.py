"""Input problems for people: each names the file, the line, the entry and the field.

The frame of a message (`file, line 12: community 'x', field 'name': ...`) and the words for
the entries are the catalogue's, in the language of the run (`allocator.catalogue`): Chinese
unless `--lang en` or `use_lang("en")` says otherwise. A problem's message is worded when the
problem is found, in the language of that moment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from allocator.catalogue import say

# The lists whose entries messages name, and the catalogue's word for an entry of each.
_ENTRY_WORDS = {
    "communities": "entry.community",
    "options": "entry.option",
    "groups": "entry.group",
    "funding": "entry.funding_source",
    "variants": "entry.variant",
    "changes": "entry.change",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input. `loc` is the path of keys and list positions; `place`,
    for a workbook, the cell and its column header (`社区!E7 (现有面积（m²）)`), which is
    shown instead of a line and names the field itself."""

    loc: tuple[str | int, ...]
    message: str
    line: int | None = None
    entry: str = ""
    place: str = ""

    def describe(self, origin: str) -> str:
        where = say("problem.at_line", origin=origin, line=self.line) if self.line else origin
        where = say("problem.at_place", origin=origin, place=self.place) if self.place else where
        return printable(say("problem.said", where=where, what=self.what()))

    def what(self) -> str:
        """The problem without its file and line: entry, field and message."""
        field = "" if self.place else _field_name(self.loc)
        parts = [p for p in (self.entry, say("problem.field", field=field) if field else "") if p]
        if not parts:
            return self.message
        return say("problem.what", parts=say("problem.sep").join(parts), message=self.message)


class ScenarioError(Exception):
    """A scenario that cannot be used, with every problem found in it."""

    def __init__(self, origin: str, problems: list[Problem]) -> None:
        self.origin = origin
        self.problems = problems
        super().__init__(self.report())

    def report(self) -> str:
        count = len(self.problems)
        key = "problem.found_one" if count == 1 else "problem.found"
        head = printable(say(key, origin=self.origin, count=count))
        return "\n".join([head, *("  - " + p.describe(self.origin) for p in self.problems)])


# What a message may not show as it is: control characters (C0 but tab, DEL, C1), the line and
# paragraph separators and the bidirectional controls, which can rewrite what a screen shows.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` safe to print: each control character written as its escape (\\x1b, \\u202e)."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _field_name(loc: tuple[str | int, ...]) -> str:
    """The innermost named field of a location, with dict keys after it (budgets.x)."""
    names: list[str] = []
    keys = list(loc)
    while keys and isinstance(keys[-1], int) and len(keys) > 1 and keys[-2] not in _ENTRY_WORDS:
        keys.pop()  # a position inside a plain list (excludes: [...]) belongs to that field
    for key in reversed(keys):
        if isinstance(key, int):
            break
        names.insert(0, str(key))
    return ".".join(names)


def describe_entry(
    data: Any,
    loc: tuple[str | int, ...],
    words: Mapping[str, str] | None = None,
    shape: str | None = None,
    sep: str | None = None,
) -> str:
    """ "社区 'xinxing'，路径 'xinxing-lease'" (in English "community 'xinxing', option
    'xinxing-lease'") for a location inside the raw scenario, in the words of the run's
    language; with other `words`, `shape` and `sep`, the same entries worded otherwise."""
    if words is None:
        words = {key: say(entry) for key, entry in _ENTRY_WORDS.items()}
    shape = say("problem.entry") if shape is None else shape
    sep = say("problem.sep") if sep is None else sep
    parts: list[str] = []
    node = data
    for index, key in enumerate(loc):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(key, int) and index > 0 and loc[index - 1] in words:
            word = words[str(loc[index - 1])]
            ident = node.get("id") if isinstance(node, dict) else None
            if ident is None and loc[index - 1] == "variants" and isinstance(node, dict):
                ident = node.get("name")  # variants are named, not numbered
            if isinstance(ident, str | int) and not isinstance(ident, bool):
                parts.append(shape.format(word=word, ident=ident))
            else:
                parts.append(say("problem.entry_number", word=word, number=key + 1))
    return sep.join(parts)


def locate(problems: list[Problem], data: Any, text: str | None) -> list[Problem]:
    """Fill in each problem's entry description and, when the YAML text is known, its line."""
    root = _compose(text) if text is not None else None
    located = []
    for problem in problems:
        line = problem.line
        if line is None and root is not None:
            line = _line_of(root, problem.loc)
        entry = problem.entry or describe_entry(data, problem.loc)
        located.append(replace(problem, line=line, entry=entry))
    return located


def _compose(text: str) -> Any:
    import yaml

    try:
        return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def _line_of(node: Any, loc: tuple[str | int, ...]) -> int | None:
    """Line (1-based) of the deepest YAML node on the path `loc`."""
    import yaml

    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(key):
                    child = value_node if not isinstance(value_node, yaml.ScalarNode) else key_node
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if 0 <= key < len(node.value):
                child = node.value[key]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line
