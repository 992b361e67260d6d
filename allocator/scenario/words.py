"""Ids and words as a planner writes them: Chinese ids, and the Chinese words of the codes.

- An id (of a group, community, route, funding source or variant) is made of Chinese
  characters (汉字), ASCII letters and digits, `_` and `-`: `南桥`, `nanqiao`, `南桥-租赁`. Spaces,
  dots, brackets, commas, `=` and full-width punctuation are refused, naming the character: a
  change path (`communities[南桥].options[南桥-租赁].max_area_m2`) and the rows of the model
  (`budget.县财政.county`) must carry every id as it is written.
- Route kinds, group kinds, scopes, locks and yes-or-no answers may be written in Chinese
  (加高改造, 镇, 县, 选定, 是) as well as in English (heighten, town, county, chosen, true): the
  words are those of `allocator.labels`. `with_codes` puts the English codes in place of the
  words in a scenario's data as it is read, so the scenario (and the changes of its variants,
  `options[kind=lease]`) sees codes only; the schema's validators (`word`, `yes_no`) do the same
  for a dict given to `scenario_from_dict`, and refuse anything else with the words it takes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from allocator.catalogue import current, say
from allocator.labels import WORDS, code_of

# Chinese characters: CJK unified ideographs (the basic block, extension A and the
# supplementary planes, where rare characters of place names live), compatibility ideographs
# and 〇 (the Chinese zero).
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
ID_CHARACTERS = f"A-Za-z0-9_\\-{HAN}"
ID = re.compile(f"[{ID_CHARACTERS}]+")
# The same for editors (JSON Schema patterns are read without the `u` flag: basic plane only).
ID_PATTERN = "^[A-Za-z0-9_\\-\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$"

# Characters people put in ids by mistake, and what to say about each (Chinese, English).
_NAMED = {
    " ": ("空格", "a space"),
    "\u3000": ("全角空格", "a full-width space"),
    "\t": ("制表符", "a tab"),
    ".": ("点 (.)", "a dot (.)"),
    "。": ("句号 (。)", "a full-width full stop (。)"),
    ",": ("逗号 (,)", "a comma (,)"),
    "，": ("全角逗号 (，)", "a full-width comma (，)"),
    "、": ("顿号 (、)", "an enumeration comma (、)"),
    ":": ("冒号 (:)", "a colon (:)"),
    "：": ("全角冒号 (：)", "a full-width colon (：)"),
    "；": ("全角分号 (；)", "a full-width semicolon (；)"),
    "=": ("等号 (=)", "an equals sign (=)"),
    "“": ("中文引号 (“)", "a Chinese quotation mark (“)"),
    "”": ("中文引号 (”)", "a Chinese quotation mark (”)"),
    "（": ("全角括号 (（)", "a full-width bracket (（)"),
    "）": ("全角括号 (）)", "a full-width bracket (）)"),
}
FULL_WIDTH_PUNCTUATION = {
    "：": ":",
    "，": ",",
    "；": ";",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "（": "(",
    "）": ")",
    "【": "[",
    "】": "]",
    "\u3000": " ",
}


def check_id(value: str) -> str:
    """`value` if it is an id; else ValueError naming the first character an id cannot hold."""
    if ID.fullmatch(value):
        return value
    if not value:
        raise ValueError(say("input.id_empty"))
    bad = next(c for c in value if not ID.fullmatch(c))
    if bad in _NAMED:
        what = _NAMED[bad][0 if current() == "zh" else 1]
    elif 0xFF01 <= ord(bad) <= 0xFF5E:
        what = say("input.id_full_width", char=bad)
    else:
        what = say("input.id_other_char", char=bad, code=f"{ord(bad):04X}")
    hint = say("input.id_list_hint") if bad in ",，、" or bad in " \u3000" else ""
    raise ValueError(say("input.id_char", what=what, hint=hint))


def _listed(table: str) -> str:
    return say("sep").join(f"{word} '{code}'" for code, word in WORDS[table].items())


def written_forms(table: str) -> list[str]:
    """The codes of a table and their Chinese words: what a file may write (for JSON Schema)."""
    return [*WORDS[table], *WORDS[table].values()]


def word(table: str) -> Callable[[Any], Any]:
    """A before-validator: the code of a planner's word (Chinese or English) in `table`;
    anything else refused with the words the field takes."""

    def to_code(value: Any) -> Any:
        if value is None or not isinstance(value, str):
            return value  # the schema says what type it wants
        code = code_of(table, value)
        if code is None:
            raise ValueError(say("input.one_of", choices=_listed(table)))
        return code

    return to_code


def yes_no(value: Any) -> Any:
    """A before-validator: 是/否 (and the other words of `labels`) as true or false."""
    if not isinstance(value, str):
        return value
    code = code_of("yes_no", value)
    if code is None:
        raise ValueError(say("input.yes_no"))
    return code == "true"


def means(value: Any, written: str) -> bool:
    """Whether a planner's word (`租赁`, `县`, `是`) is the code `value` holds (`lease`,
    `county`, True): a change's condition `options[kind=租赁]` picks the leases."""
    if isinstance(value, bool):
        return code_of("yes_no", written) == str(value).lower()
    return isinstance(value, str) and any(code_of(t, written) == value for t in WORDS)


# Where the words stand in a scenario's data: list key -> {field: table} of its entries.
_ENTRY_WORDS = {
    "groups": {"kind": "group_kind"},
    "communities": {"must_meet": "yes_no"},
    "options": {"kind": "option_kind", "locked": "locked", "replaces_existing": "yes_no"},
    "funding": {"scope": "scope", "capital_only": "yes_no"},
}


def with_codes(data: Any) -> Any:
    """The scenario data with every planner's word in its place replaced by its code (the
    entries holding one are copied; `data` is not changed). Words that are none of the table's
    are left for the schema to refuse, with the words it takes."""
    if not isinstance(data, dict):
        return data
    changed = dict(data)
    for key in ("groups", "communities", "funding"):
        if isinstance(data.get(key), list):
            changed[key] = [_entry(key, entry) for entry in data[key]]
    return changed


def _entry(key: str, entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    result = dict(entry)
    for field, table in _ENTRY_WORDS[key].items():
        if isinstance(entry.get(field), str):
            code = code_of(table, entry[field])
            if code is not None:
                result[field] = (code == "true") if table == "yes_no" else code
    if key == "communities" and isinstance(entry.get("options"), list):
        result["options"] = [_entry("options", option) for option in entry["options"]]
    if key == "funding":
        _funding_words(result)
    return result


def _funding_words(source: dict[str, Any]) -> None:
    pays_for = source.get("pays_for")
    if isinstance(pays_for, list):
        source["pays_for"] = [
            (code_of("option_kind", k) or k) if isinstance(k, str) else k for k in pays_for
        ]
    by_kind = source.get("budget_by_kind")
    if isinstance(by_kind, dict):
        codes = {k: code_of("group_kind", k) if isinstance(k, str) else None for k in by_kind}
        if len({codes[k] or k for k in by_kind}) == len(by_kind):  # 街道 and street: keep both
            source["budget_by_kind"] = {codes[k] or k: v for k, v in by_kind.items()}
