"""Full-width punctuation where YAML wants half-width: named with its line and what to type.

A Chinese input method types ： ， ； “ ” and the full-width space (U+3000) where the file needs
: , ; " and a space. Inside quoted text and in comments they are text like any other, and in a
plain value (`note: 一楼，临街`) they are too; outside them they break the file, and YAML's own
message (`could not find expected ':'`) names the line after the mistake, not the character.

- `syntax_problem`: when YAML stops on a line near full-width punctuation outside quotes, the
  punctuation is taken as the cause only if the text with it made half-width reads past that
  line; then the one problem is that character on its own line.
- `key_problems`: a key that holds full-width punctuation (`“name”:`, `　　households:`) is
  named as such, rather than as an unknown field.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from allocator.errors import Problem
from allocator.scenario.words import FULL_WIDTH_PUNCTUATION

_NAMES = {
    "：": "全角冒号 full-width colon",
    "，": "全角逗号 full-width comma",
    "；": "全角分号 full-width semicolon",
    "“": "中文引号 Chinese quotation mark",
    "”": "中文引号 Chinese quotation mark",
    "‘": "中文引号 Chinese quotation mark",
    "’": "中文引号 Chinese quotation mark",
    "（": "全角括号 full-width bracket",
    "）": "全角括号 full-width bracket",
    "【": "全角方括号 full-width bracket",
    "】": "全角方括号 full-width bracket",
    "\u3000": "全角空格 full-width space (U+3000)",
}
_ANY = re.compile("[" + "".join(_NAMES) + "]")
_LOOK_BACK = 3  # lines above the error where the cause may stand
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def outside_quotes(line: str) -> list[int]:
    """Columns (0-based) of full-width punctuation in `line` outside quotes and comments."""
    found = []
    quote = ""
    for column, character in enumerate(line):
        if quote:
            if character == quote:
                quote = ""
        elif character in "'\"":
            quote = character
        elif character == "#" and (column == 0 or line[column - 1] in " \t"):
            break
        elif character in _NAMES:
            found.append(column)
    return found


def syntax_problem(text: str, line: int | None) -> Problem | None:
    """The full-width punctuation that makes YAML stop at `line`, as one problem on its own
    line; None when there is none near, or making it half-width does not help."""
    if line is None or not _ANY.search(text):
        return None
    lines = text.split("\n")
    for number in range(min(line, len(lines)), max(line - _LOOK_BACK, 1) - 1, -1):
        columns = outside_quotes(lines[number - 1])
        if columns and _fixes(lines, number, columns, line):
            return Problem((), describe(lines[number - 1], columns), line=number)
    return None


def _fixes(lines: list[str], number: int, columns: list[int], error_line: int) -> bool:
    """Whether the text reads past `error_line` with the punctuation at `columns` half-width
    (a full-width space tried as two spaces, then as one)."""
    for space in ("  ", " "):
        content = list(lines[number - 1])
        for column in columns:
            wide = content[column]
            content[column] = space if wide == "\u3000" else FULL_WIDTH_PUNCTUATION[wide]
            if wide == "：" and not content[column + 1 : column + 2] == [" "]:
                content[column] = ": "  # a colon ends a key only with a space after it
        if reads_past(lines, number, "".join(content), error_line):
            return True
    return False


def reads_past(lines: list[str], number: int, replaced: str, error_line: int) -> bool:
    """Whether the text with line `number` replaced reads past `error_line` (or to its end)."""
    fixed = [*lines[: number - 1], replaced, *lines[number:]]
    try:
        yaml.compose("\n".join(fixed), Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        return mark is not None and mark.line + 1 > error_line
    except yaml.YAMLError:
        return False
    return True


_KEY_AND_VALUE = re.compile(r"(\s*(?:- )?)([A-Za-z_][A-Za-z0-9_]*)[ \t]+(\S.*)")


def missing_colon(text: str, line: int | None, message: str) -> Problem | None:
    """`households 3600` on the line above YAML's `could not find expected ':'`: named on its
    own line with what to write, when writing that makes the text read past the error."""
    if line is None or "expected ':'" not in message:
        return None
    lines = text.split("\n")
    number = line - 1
    while number >= 1 and lines[number - 1].strip() in ("", "#"):
        number -= 1
    match = _KEY_AND_VALUE.fullmatch(lines[number - 1]) if number >= 1 else None
    if match is None:
        return None
    indent, key, value = match.groups()
    written = f"{indent}{key}: {value}"
    if not reads_past(lines, number, written, line):
        return None
    return Problem(
        (),
        f"缺少冒号 a colon is missing after '{key}': write `{written.strip()}` "
        "(half-width ':' and a space)",
        line=number,
    )


def describe(content: str, columns: list[int], *, in_key: bool = False) -> str:
    """'全角冒号 '：' (column 15): type ':' instead' for each kind of character found."""
    parts = []
    for wide in dict.fromkeys(content[c] for c in columns):
        where = ", ".join(str(c + 1) for c in columns if content[c] == wide)
        narrow = "a space" if wide == "\u3000" else f"'{FULL_WIDTH_PUNCTUATION[wide]}'"
        narrow += " and a space" if wide == "：" else ""
        at = " in the field name" if in_key else f" (column {where})"
        parts.append(f"{_NAMES[wide]} '{wide}'{at}: type {narrow} instead (半角, half-width)")
    return "有全角标点，YAML 不认: " + "; ".join(parts)


def key_problems(data: Any, text: str) -> list[Problem]:
    """Each key that holds full-width punctuation (outside the changes of variants, whose paths
    may quote a name), named at its place."""
    if not _ANY.search(text):
        return []
    problems = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        node, loc = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and _ANY.search(key):
                    columns = [i for i, c in enumerate(key) if c in _NAMES]
                    problems.append(Problem((*loc, key), describe(key, columns, in_key=True)))
                elif key != "changes":
                    stack.append((value, (*loc, key)))
        elif isinstance(node, list):
            stack.extend((value, (*loc, index)) for index, value in enumerate(node))
    return problems
