"""The schema's errors (pydantic's) as problems for people, in the catalogue's words.

pydantic names each error by a type (`missing`, `extra_forbidden`, `greater_than_equal`...):
the common ones are worded by the catalogue in the run's language, each saying what to write
instead, and the value found is quoted when it is short. An unknown field names the field of
that entry it most resembles (`househlds` -> `households`). The validators of the scenario
layer word their own messages (`numbers`, `words`).
"""

from __future__ import annotations

import difflib
import math
from functools import cache
from typing import Any

from pydantic import ValidationError

from allocator.catalogue import say
from allocator.errors import Problem
from allocator.scenario.changes import Loc
from allocator.scenario.schema import TARGET_TAGS, Scenario


def schema_problems(error: ValidationError) -> list[Problem]:
    """Each error of the schema as a problem at its place, in the catalogue's words."""
    problems = []
    for item in error.errors():
        raw = tuple(item["loc"])  # drop the union's tag: target_area_m2.rule.x -> target_area_m2.x
        loc = tuple(
            k
            for i, k in enumerate(raw)
            if not (k in TARGET_TAGS and i > 0 and raw[i - 1] == "target_area_m2")
        )
        problems.append(Problem(loc, _message(item, loc)))
    return problems


# pydantic's error types worded by the catalogue: the type -> the key, and the context's
# limit named in it (ge: 0 -> "不能小于 0").
_WORDED = {
    "int_type": "input.number",
    "float_type": "input.number",
    "int_parsing": "input.number",
    "float_parsing": "input.number",
    "int_from_float": "input.whole_number",
    "finite_number": "input.finite",
    "greater_than_equal": "input.at_least",
    "greater_than": "input.above",
    "less_than_equal": "input.at_most",
    "less_than": "input.below",
    "model_type": "input.entry",
    "dict_type": "input.entry",
    "model_attributes_type": "input.entry",
    "list_type": "input.list_of",
    "tuple_type": "input.list_of",
    "bool_type": "input.yes_no",
    "bool_parsing": "input.yes_no",
    "literal_error": "input.one_of",
    "enum": "input.one_of",
}
_LIMITS = {
    "greater_than_equal": "ge",
    "greater_than": "gt",
    "less_than_equal": "le",
    "less_than": "lt",
}


def _message(item: Any, loc: Loc) -> str:
    """One pydantic error in the catalogue's words, with the value written when it is short."""
    kind = item["type"]
    value = item.get("input")
    context = item.get("ctx") or {}
    if kind == "extra_forbidden":
        like = _like(loc)
        if like:
            return say("input.unknown_field_like", name=loc[-1], like=like)
        return say("input.unknown_field", name=loc[-1])
    if kind == "missing":
        return say("input.missing")
    if kind == "string_type":
        return _not_text(value)
    if kind in _LIMITS:
        message = say(_WORDED[kind], limit=_limit(context.get(_LIMITS[kind])))
    elif kind in ("literal_error", "enum"):
        message = say("input.one_of", choices=context.get("expected", ""))
    elif kind in _WORDED:
        message = say(_WORDED[kind])
    else:  # a validator's own message (worded by the scenario layer), or pydantic's
        message = item["msg"].replace("Input should be", "must be").removeprefix("Value error, ")
    if not isinstance(value, dict | list):
        message += say("input.got", value=_shown(value))
    return message


def _limit(value: Any) -> str:
    """0 for 0.0: a limit as the file would write it."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _not_text(value: Any) -> str:
    if isinstance(value, dict | list):
        kind = say("input.mapping" if isinstance(value, dict) else "input.list")
        return say("input.text_not_mapping", kind=kind)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return say("input.text_in_quotes", value=value) + say("input.got", value=value)
    return say("input.text") + say("input.got", value=_shown(value))


def _shown(value: Any) -> str:
    """A wrong value as a message quotes it: NaN, 1e+15, 'text' (cut after 60 characters)."""
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.10g}"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _like(loc: Loc) -> str | None:
    """The known field nearest in spelling to the unknown field at the end of `loc`."""
    node: dict[str, Any] | None = _schema()
    for key in loc[:-1]:
        node = _step(node, key)
        if node is None:
            return None
    names = list((node or {}).get("properties", {}))
    close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.75)
    return close[0] if close else None


@cache
def _schema() -> dict[str, Any]:
    return Scenario.model_json_schema()


def _resolved(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str):
        return _schema()["$defs"].get(ref.rsplit("/", 1)[-1], {})
    for choice in node.get("anyOf", []):
        found = _resolved(choice)
        if "properties" in found or "items" in found:
            return found
    return node


def _step(node: dict[str, Any] | None, key: str | int) -> dict[str, Any] | None:
    """The schema of `key` inside `node` (a property, or the items of a list)."""
    if node is None:
        return None
    node = _resolved(node)
    if isinstance(key, int):
        items = node.get("items")
        return _resolved(items) if isinstance(items, dict) else None
    child = node.get("properties", {}).get(key)
    return _resolved(child) if isinstance(child, dict) else None
