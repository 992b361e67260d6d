"""A scenario's text as data, read as a person reads it, within limits that hostile text cannot
stretch.

- Text that is one JSON object after its '#' comments (as `allocator generate` writes it) is
  read by the JSON parser (0.04 s for 10,000 communities); anything else, and JSON with a key
  written twice (which the YAML reader places on its lines), by the YAML reader of
  `allocator.scenario.yaml_core`: YAML 1.2's core schema on libyaml, duplicate keys, aliases.
- Nothing is nested deeper than `MAX_DEPTH` levels (deep JSON once ended in a RecursionError).
- No text holds a control character (ESC, CR, bidirectional overrides...) that could change
  what a screen or a spreadsheet shows.
"""

from __future__ import annotations

import json
import re
from typing import Any

from allocator.errors import Problem, ScenarioError, locate
from allocator.scenario.punctuation import key_problems, missing_colon, syntax_problem
from allocator.scenario.words import with_codes
from allocator.scenario.yaml_core import MAX_DEPTH, read_yaml, too_deep

# Control characters a text may not hold (all but tab and line feed): C0, DEL, C1, the line
# and paragraph separators, and the bidirectional embeddings, overrides and isolates. A file's
# text gets one only from the character itself (not CR: a line break) or from an escape (\\).
_ABOVE_ASCII = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f{_ABOVE_ASCII}]")
_SUSPECT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_ABOVE_ASCII}\\\\]")


def parse(text: str, origin: str) -> Any:
    """The data of a scenario's text, with the planners' words of codes read as the codes
    (加高改造 as heighten: `words.with_codes`); ScenarioError naming the line of what is wrong,
    and full-width punctuation where it stands for YAML's (`punctuation`)."""
    data = _json_document(text)
    if data is _NOT_JSON:
        data = _yaml(text, origin)
    problems = check_shape(data, text)
    if not problems:
        problems = key_problems(data, text)
    if problems:
        raise ScenarioError(origin, locate(problems, data, text))
    return with_codes(data)


def _yaml(text: str, origin: str) -> Any:
    """`read_yaml`, its syntax error put on full-width punctuation that causes it."""
    try:
        return read_yaml(text, origin)
    except ScenarioError as error:
        first = error.problems[0] if len(error.problems) == 1 else None
        if first is None or not first.message.startswith("YAML syntax error"):
            raise
        cause = syntax_problem(text, first.line) or missing_colon(text, first.line, first.message)
        if cause is None:
            raise
        raise ScenarioError(origin, [cause]) from None


# --------------------------------------------------------------------------------------------
# JSON-shaped text
# --------------------------------------------------------------------------------------------
_NOT_JSON = object()


class _Duplicate(ValueError):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Duplicate  # the YAML reader says on which lines
    return mapping


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_pairs)
_BLANK = re.compile(r"\s*")


def _json_document(text: str) -> Any:
    """The value of a text that is one JSON object after its '#' comments; `_NOT_JSON` for
    any other text, or JSON with a problem, which the YAML reader then places on its line."""
    start = _after_comments(text)
    if not text.startswith("{", start):
        return _NOT_JSON
    try:
        data, end = _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError):
        return _NOT_JSON
    return data if not text[end:].strip() else _NOT_JSON


def _after_comments(text: str) -> int:
    """Where the text starts after blank and '#' comment lines, in one pass."""
    position = 0
    while True:
        position = _BLANK.match(text, position).end()  # type: ignore[union-attr]
        if not text.startswith("#", position):
            return position
        newline = text.find("\n", position)
        if newline < 0:
            return len(text)
        position = newline + 1


# --------------------------------------------------------------------------------------------
# The data: depth and control characters
# --------------------------------------------------------------------------------------------
def check_shape(data: Any, text: str | None = None) -> list[Problem]:
    """Nesting within `MAX_DEPTH` and no control characters in any text (key or value). `text`,
    when given, lets a file with neither a control character nor a backslash (an escape) skip
    looking at each string: then only the depth is measured, level by level, which is quick."""
    if _depth(data) <= MAX_DEPTH and text is not None and _SUSPECT.search(text) is None:
        return []
    return _walk(data)


def _depth(data: Any) -> int:
    """Levels of lists and mappings, counted up to one past `MAX_DEPTH`."""
    level = [data] if type(data) in _CONTAINERS else []
    depth = 0
    while level and depth <= MAX_DEPTH:
        depth += 1
        level = [
            child
            for value in level
            for child in (value.values() if type(value) is dict else value)
            if type(child) in _CONTAINERS
        ]
    return depth


_CONTAINERS = (dict, list)


def _walk(data: Any) -> list[Problem]:
    """Every control character in a key or a value, or the first place nested too deep; each
    shared container (an alias) is looked at once."""
    problems: list[Problem] = []
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if not isinstance(value, dict | list) or id(value) in seen:
            continue
        seen.add(id(value))
        if len(loc) >= MAX_DEPTH:  # named where it starts: the entry and its field
            return [Problem(loc[:5], too_deep())]
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in pairs:
            if isinstance(key, str) and _CONTROL.search(key):
                problems.append(_control_problem((*loc, key), key))
            if isinstance(item, dict | list):
                stack.append((item, (*loc, key)))
            elif isinstance(item, str) and _CONTROL.search(item):
                problems.append(_control_problem((*loc, key), item))
    return problems


def _control_problem(loc: tuple[str | int, ...], text: str) -> Problem:
    character = _CONTROL.search(text).group()  # type: ignore[union-attr]
    return Problem(
        loc,
        f"holds the control character U+{ord(character):04X}, which can change what a screen "
        "or a spreadsheet shows: delete it",
    )
