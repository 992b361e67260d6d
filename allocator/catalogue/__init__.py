"""Every text a planner reads, by key, in one catalogue per language (`zh`, `en`).

`say("summary.status", lang)` is the text of a key; `say("cli.valid", path=p, communities=27)`
fills its `{name}` fields from computed values. Chinese is the default; the command line sets
the language of a run with `--lang` (`use_lang`), and the Python functions that return text take
`lang=`. A key missing in either language, or one no module uses, fails tests/test_lang.py.
JSON keeps its codes and values as they are: it is for programs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from allocator.catalogue import en, zh

LANGS = ("zh", "en")
CATALOGUES: Mapping[str, Mapping[str, str]] = {"zh": zh.WORDS, "en": en.WORDS}
_CURRENT: ContextVar[str] = ContextVar("allocator_lang", default="zh")


def current() -> str:
    """The language of this run: zh unless `use_lang` or `set_lang` said otherwise."""
    return _CURRENT.get()


def set_lang(lang: str) -> Callable[[], None]:
    """Make `lang` the language of the rest of this run (the command line's `--lang`); returns
    what puts the language before it back (a command calls it when it ends)."""
    token = _CURRENT.set(_checked(lang))
    return lambda: _CURRENT.reset(token)


@contextmanager
def use_lang(lang: str | None) -> Iterator[str]:
    """Within the block, texts are in `lang` (the current language when None)."""
    token = _CURRENT.set(_checked(lang or current()))
    try:
        yield current()
    finally:
        _CURRENT.reset(token)


def say(key: str, lang: str | None = None, /, **fields: object) -> str:
    """The text of `key` in `lang` (the current language when None), its fields filled."""
    text = CATALOGUES[_checked(lang or current())][key]
    return text.format(**fields) if fields else text


def has(key: str) -> bool:
    return key in CATALOGUES["zh"]


def word(table: str, code: object, lang: str | None = None) -> str:
    """A code's word (`kind`, `status`, `trust`, `rule`, `aspect`...), or the code itself when
    the catalogue has no word for it (a new code reads as its code, not as an error)."""
    key = f"{table}.{str(code).lower() if isinstance(code, bool) else code}"
    words = CATALOGUES[_checked(lang or current())]
    return words[key] if key in words else str(code)


def yes_no(value: bool, lang: str | None = None) -> str:
    return say("yes" if value else "no", lang)


_ENTRY = re.compile(r"\b(funding source|community|option|group|variant|change) '")


def entries(text: str, lang: str | None = None) -> str:
    """A scenario entry as the scenario layer names it ("funding source 'county'") in the words
    of `lang` ("资金来源 'county'"): for the screen, where the entry names come from the
    scenario's descriptions of what changed."""
    return _ENTRY.sub(lambda m: say("entry." + m.group(1).replace(" ", "_"), lang) + " '", text)


def _checked(lang: str) -> str:
    if lang not in CATALOGUES:
        raise ValueError(f"lang must be one of {', '.join(LANGS)} (got {lang!r})")
    return lang
