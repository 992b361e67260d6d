"""The YAML reader of scenario files: libyaml's C loader (9.5 s for 10,000 communities, 31 s
in pure Python) with YAML 1.2's core schema and limits hostile text cannot stretch.

- Plain values are read by YAML 1.2's core schema, the one JSON shares: 0450 is 450 (YAML 1.1
  read it as octal 296), true/false are booleans, and yes/no/on/off, 7:30, 1_000, 0b101, dates
  are text, which a number field refuses with what to write (see `numbers`). Hexadecimal and
  octal (0x1C2, 0o17), numbers in YAML 1.2, are kept as text too: a planner who writes them is
  told the decimal amount rather than having it read silently. Tags other than the core ones
  (!!binary, !!set, !!python/...) are refused.
- A key written twice in one mapping is an error naming both lines (YAML keeps the last one
  without a word).
- Aliases (*name) may repeat their anchors (&name) into at most `MAX_ALIAS_VALUES` values more
  than the file's length, and never into themselves; nothing is nested deeper than `MAX_DEPTH`
  levels (a scenario needs about 10). Both are measured on the node tree, before any alias is
  expanded, so a 537-byte alias bomb is refused at once.
- A syntax error names its line, and full-width punctuation (：，“”) near it.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from allocator.errors import Problem, ScenarioError, locate

MAX_DEPTH = 40
MAX_ALIAS_VALUES = 100_000
_MAX_DIGITS = 30
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"
_CORE = "tag:yaml.org,2002:"

_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_SPECIAL_FLOATS = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
_FULL_WIDTH = {"：": ":", "，": ",", "；": ";", "“": '"', "”": '"', "‘": "'", "’": "'", "　": " "}


class _Reader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """libyaml's parser with YAML 1.2 core resolution, core tags only, and duplicate keys
    noted as (mapping node, first key node, second key node)."""

    yaml_implicit_resolvers: dict[Any, Any] = {}
    yaml_constructors: dict[Any, Any] = {}
    yaml_multi_constructors: dict[Any, Any] = {}

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.duplicates: list[tuple[Any, Any, Any]] = []
        self._keys_checked: set[int] = set()

    def flatten_mapping(self, node: Any) -> None:
        """Keys written twice are noted before merge keys (<<) add the merged ones, which may
        be overridden: every mapping is flattened first, merged mappings included."""
        pairs = node.value
        if len(pairs) > 1 and id(node) not in self._keys_checked:
            self._keys_checked.add(id(node))
            try:
                distinct = len({key.value for key, _ in pairs})
            except TypeError:  # a list or a mapping as a key, which construction refuses
                distinct = 0
            if distinct != len(pairs):  # a key written twice, or merge keys: look closer
                self.duplicates.extend(_duplicates(node))
        super().flatten_mapping(node)


def _key(node: Any) -> Any:
    return (node.tag, node.value) if isinstance(node, yaml.ScalarNode) else id(node)


def _duplicates(node: Any) -> list[tuple[Any, Any, Any]]:
    seen: dict[Any, Any] = {}
    found = []
    for key_node, _ in node.value:
        if key_node.tag == _MERGE:
            continue
        first = seen.setdefault(_key(key_node), key_node)
        if first is not key_node:
            found.append((node, first, key_node))
    return found


def _error(node: Any, problem: str) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


def _construct_int(reader: _Reader, node: Any) -> int:
    text = reader.construct_scalar(node)
    if not _INT.fullmatch(text):
        raise _error(node, f"'{text}' is not a whole number: write it in decimal digits")
    if len(text.lstrip("+-")) > _MAX_DIGITS:
        raise _error(node, f"a number of {len(text)} digits is beyond any amount in a scenario")
    return int(text)


def _construct_float(reader: _Reader, node: Any) -> float:
    text = reader.construct_scalar(node)
    special = _SPECIAL_FLOATS.get(text.lower())
    if special is not None:
        return special
    if not _FLOAT.fullmatch(text):
        raise _error(node, f"'{text}' is not a number: write it in decimal digits")
    return float(text)


def _construct_bool(reader: _Reader, node: Any) -> bool:
    text = reader.construct_scalar(node)
    if text.lower() not in ("true", "false"):
        raise _error(node, f"'{text}' is not true or false: write true or false")
    return text.lower() == "true"


def _construct_undefined(reader: _Reader, node: Any) -> Any:
    tag = node.tag.replace(_CORE, "!!")
    raise _error(
        node, f"the tag '{tag}' is not part of the scenario format: write the value without it"
    )


for _tag, _regexp, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$", "-+0123456789."),
    ("float", r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+."),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("merge", r"^(?:<<)$", "<"),
):
    _Reader.add_implicit_resolver(_CORE + _tag, re.compile(_regexp), list(_first))
for _tag, _constructor in (
    ("str", yaml.constructor.SafeConstructor.construct_yaml_str),
    ("seq", yaml.constructor.SafeConstructor.construct_yaml_seq),
    ("map", yaml.constructor.SafeConstructor.construct_yaml_map),
    ("null", yaml.constructor.SafeConstructor.construct_yaml_null),
    ("merge", yaml.constructor.SafeConstructor.construct_yaml_str),  # '<<' as a value
    ("bool", _construct_bool),
    ("int", _construct_int),
    ("float", _construct_float),
):
    _Reader.add_constructor(_CORE + _tag, _constructor)
_Reader.add_constructor(None, _construct_undefined)


def read_yaml(text: str, origin: str) -> Any:
    """The data of a YAML text; ScenarioError naming the line of what is wrong."""
    reader = _Reader(text)
    try:
        node = reader.get_single_node()
        if node is None:
            return None
        if "*" in text:  # an alias: measure what it would expand to before expanding it
            problem = _alias_problem(node, MAX_ALIAS_VALUES + len(text))
            if problem:
                raise ScenarioError(origin, [problem])
        data = reader.construct_document(node)
    except yaml.YAMLError as error:
        raise ScenarioError(origin, [_syntax_problem(error, text)]) from None
    finally:
        reader.dispose()
    if reader.duplicates:
        problems = _duplicate_problems(node, reader.duplicates)
        raise ScenarioError(origin, locate(problems, data, None))
    return data


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _alias_problem(root: Any, limit: int) -> Problem | None:
    """Values and depth of the tree as aliases would expand it, counted without expanding
    (each node measured once); a problem when either is beyond its limit, or an alias is
    used inside its own anchor."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            open_nodes.discard(key)
            line = node.start_mark.line + 1
            if sizes[key] > limit:
                return Problem(
                    (),
                    f"aliases (*name) repeat their anchors (&name) into more than {limit:,} "
                    "values: write the entries out, or use fewer aliases",
                    line=line,
                )
            if depths[key] > MAX_DEPTH:
                return Problem((), too_deep(), line=line)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return Problem(
                (),
                "an alias (*name) is used inside its own anchor (&name), which makes the entry "
                "endless: refer to another entry",
                line=node.start_mark.line + 1,
            )
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return None


def too_deep() -> str:
    return (
        f"lists and mappings are nested more than {MAX_DEPTH} levels deep here; a scenario "
        "needs about 10: check the brackets and the indentation"
    )


def _duplicate_problems(root: Any, duplicates: list[tuple[Any, Any, Any]]) -> list[Problem]:
    """Each key written twice, at its place in the scenario (entry and field) and both lines."""
    wanted = {id(mapping) for mapping, _, _ in duplicates}
    places: dict[int, tuple[str | int, ...]] = {}
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    while stack and len(places) < len(wanted):
        node, loc = stack.pop()
        if id(node) in wanted:
            places.setdefault(id(node), loc)
        if isinstance(node, yaml.MappingNode):
            stack.extend((v, (*loc, str(k.value))) for k, v in node.value if len(loc) < MAX_DEPTH)
        elif isinstance(node, yaml.SequenceNode) and len(loc) < MAX_DEPTH:
            stack.extend((v, (*loc, i)) for i, v in enumerate(node.value))
    problems = []
    for mapping, first, second in duplicates:
        a, b = first.start_mark.line + 1, second.start_mark.line + 1
        where = f"on lines {a} and {b}" if a != b else f"twice on line {a}"
        problems.append(
            Problem(
                (*places.get(id(mapping), ()), str(second.value)),
                f"is written {where}; the second would replace the first without a word: keep "
                "one (merge the two)",
                line=b,
            )
        )
    return problems


def _syntax_problem(error: yaml.YAMLError, text: str) -> Problem:
    """A YAML error on its line, saying what is wrong and, where it can, what to write."""
    if isinstance(error, yaml.reader.ReaderError):
        head = text.encode("utf-8", "replace")[: max(error.position, 0)]  # libyaml counts bytes
        line = head.count(b"\n") + 1
        character = error.character if isinstance(error.character, int) else 0
        return Problem(
            (),
            f"holds the control character U+{character:04X}, which a scenario file does not "
            "have: delete it (or is this not a text file?)",
            line=line,
        )
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    what = getattr(error, "problem", None) or str(error)
    if "nesting depth" in what:  # libyaml stops at 1,000 levels
        return Problem((), too_deep(), line=line)
    if isinstance(error, yaml.constructor.ConstructorError):
        if "unhashable" in what:
            what = "a key must be a name, not a list or a mapping"
        return Problem((), what, line=line)
    return Problem((), f"YAML syntax error: {what}{_full_width_hint(text, line)}", line=line)


def _full_width_hint(text: str, line: int | None) -> str:
    """Full-width punctuation near the error, which YAML does not read as punctuation."""
    if line is None:
        return ""
    lines = text.split("\n", line)[max(line - 2, 0) : line]
    for number, content in enumerate(lines, start=max(line - 1, 1)):
        for wide, narrow in _FULL_WIDTH.items():
            if wide in content.split("#", 1)[0]:
                return (
                    f" (line {number} has a full-width '{wide}': write '{narrow}' instead, "
                    "half-width 半角)"
                )
    return ""
