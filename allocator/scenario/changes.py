"""The change language: `path: value`, applied to a raw scenario dict.

A path walks down from the top of the scenario:

    horizon_years                                   a top-level field
    defaults.target_area_m2                         a field of defaults
    funding[county].budget                          an entry of a list, by its id
    communities[*].must_meet                        every entry of a list
    communities[*].options[kind=lease].annual_cost_per_m2
                                                    entries whose field has this value
                                                    ([kind=lease,locked=chosen]: all must hold)
    funding[self_raised].budgets.daan               a key of a mapping

The value sets the field, or changes the number there: `{scale: 1.3}` multiplies it, `{add: -50}`
adds to it (on a mapping of numbers, such as budget_by_kind, every number changes); `{set: v}`
sets a value that would otherwise read as one of these forms. A path that matches nothing, or
names a field the format does not have, raises ChangeError with a message for people.
`allocator.scenario.loading` applies changes to scenarios and checks the result.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from allocator.scenario.schema import (
    Community,
    Defaults,
    FundingSource,
    Group,
    Option,
    Scenario,
    TargetRule,
)
from allocator.scenario.staffing import AddPosts, Dispatch, PayRise, Recruit, Staffing
from allocator.scenario.words import ID_CHARACTERS, means

Loc = tuple[str | int, ...]
OPERATIONS = ("scale", "add", "set")

# What a path may walk into: lists of entries, nested records and free mappings.
_LISTS: dict[tuple[type[BaseModel], str], type[BaseModel]] = {
    (Scenario, "groups"): Group,
    (Scenario, "communities"): Community,
    (Scenario, "funding"): FundingSource,
    (Community, "options"): Option,
}
_RECORDS: dict[tuple[type[BaseModel], str], type[BaseModel]] = {
    (Scenario, "defaults"): Defaults,
    (Scenario, "staffing"): Staffing,
    (Staffing, "add_post"): AddPosts,
    (Staffing, "dispatch"): Dispatch,
    (Staffing, "recruit"): Recruit,
    (Staffing, "pay_rise"): PayRise,
}
_MAPPINGS = {
    (FundingSource, "budget_by_kind"),
    (FundingSource, "budgets"),
    (FundingSource, "budget_by_year"),
    (AddPosts, "quota_by_year"),
    (Dispatch, "pool_by_year"),
    (Recruit, "most_by_year"),
}
_RULES = {(Defaults, "target_area_m2"), (Community, "target_area_m2")}
_FIXED = {"variants", "extends", "changes"}  # not changed by changes
_WORDS = {
    Scenario: "the scenario",
    Defaults: "defaults",
    Staffing: "staffing",
    AddPosts: "staffing's add_post",
    Dispatch: "staffing's dispatch",
    Recruit: "staffing's recruit",
    PayRise: "staffing's pay_rise",
    Group: "a group",
    Community: "a community",
    FundingSource: "a funding source",
    Option: "an option",
    TargetRule: "a target rule",
}
_MAPPING = "mapping"  # marks a node that is a free mapping (budgets, budget_by_kind)


class ChangeError(ValueError):
    """One change that cannot be applied; the message says why."""


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One segment of a path: a field name and, for a list, which entries."""

    name: str
    selector: str | None = None  # "*", an id, or "field=value,field=value"

    def conditions(self) -> list[tuple[str, str]]:
        assert self.selector is not None
        pairs = [part.split("=", 1) for part in self.selector.split(",")]
        return [(key.strip(), value.strip()) for key, value in pairs]


# A field name or a unit id of budgets (`budgets.大安镇`), then [id], [*] or [field=value].
_SEGMENT = re.compile(f"([{ID_CHARACTERS}]+)(?:\\[([^\\[\\]]*)\\])?")


def parse_path(path: str) -> list[Step]:
    """`communities[*].options[kind=lease].cost_per_m2` -> steps; ChangeError if malformed."""
    steps: list[Step] = []
    position = 0
    while True:
        match = _SEGMENT.match(path, position)
        if match is None:
            raise ChangeError(
                f"cannot read the path at '{path[position:] or '(end)'}': write field names "
                "joined by '.', with [id], [*] or [field=value] after a list, e.g. "
                "funding[county].budget"
            )
        name, selector = match.group(1), match.group(2)
        if selector is not None:
            selector = selector.strip()
            plain = re.fullmatch(f"[{ID_CHARACTERS}]+", selector)
            if not selector or ("=" not in selector and selector != "*" and not plain):
                raise ChangeError(f"'[{selector}]' in '{path}' is not [id], [*] or [field=value]")
            if "=" in selector and any(
                "=" not in part or not part.split("=", 1)[0].strip() for part in selector.split(",")
            ):
                raise ChangeError(f"'[{selector}]' in '{path}': write [field=value,field=value]")
        steps.append(Step(name, selector))
        position = match.end()
        if position == len(path):
            return steps
        if path[position] != ".":
            raise ChangeError(f"cannot read the path at '{path[position:]}': expected '.'")
        position += 1


# --------------------------------------------------------------------------------------------
# Finding what a path points at
# --------------------------------------------------------------------------------------------
@dataclass
class _Node:
    """A place in the raw scenario dict: its location, value and what kind of record it is."""

    loc: Loc
    value: Any
    model: type[BaseModel] | str | None


@dataclass(frozen=True)
class Target:
    """A field a change writes: the dict holding it, the key, and the record it belongs to."""

    loc: Loc
    container: dict[str, Any]
    key: str
    model: type[BaseModel] | str | None


def find_targets(data: dict[str, Any], steps: list[Step]) -> list[Target]:
    """Every field `steps` points at in `data` (missing records are created empty)."""
    nodes = [_Node((), data, Scenario)]
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        above, nodes = nodes, [child for node in nodes for child in _descend(node, step, last)]
        if not nodes:
            raise ChangeError(_nothing_message(steps, index, above))
        if last:
            return [Target(n.loc[:-1], n.value, str(n.loc[-1]), n.model) for n in nodes]
    return []  # not reached: a path has at least one step


def _descend(node: _Node, step: Step, last: bool) -> list[_Node]:
    """The nodes one step below `node`; for the last step, the (container, key) to write."""
    container, model = node.value, node.model
    if not isinstance(container, dict):
        raise ChangeError(f"'{_where(node.loc)}' is not a record: there is no '{step.name}' in it")
    _check_field(model, step.name, node.loc)
    if model is Scenario and step.name in _FIXED:
        raise ChangeError(f"'{step.name}' cannot be changed by a change")
    kind = (model, step.name) if isinstance(model, type) else None
    if kind in _LISTS and not (last and step.selector is None):  # a whole list may be set
        return _select(node, step, _LISTS[kind], last)
    if step.selector is not None:
        raise ChangeError(f"'{step.name}' is not a list: remove '[{step.selector}]'")
    loc = (*node.loc, step.name)
    if last:
        return [_Node(loc, container, model)]
    child = container.get(step.name)
    if kind in _RECORDS or kind in _MAPPINGS:
        if child is None:
            child = container[step.name] = {}
        return [_Node(loc, child, _RECORDS.get(kind, _MAPPING))]  # type: ignore[arg-type]
    if kind in _RULES and isinstance(child, dict):
        return [_Node(loc, child, TargetRule)]
    value = format_value(_effective(container, step.name, model))
    raise ChangeError(f"'{step.name}' holds a single value ({value}): nothing inside it to change")


def _check_field(model: type[BaseModel] | str | None, name: str, loc: Loc) -> None:
    if not isinstance(model, type):
        return  # a free mapping: any key (the result is validated)
    if name not in model.model_fields:
        known = ", ".join(f for f in model.model_fields if f not in _FIXED)
        raise ChangeError(
            f"unknown field '{name}' of {_WORDS.get(model, model.__name__)} (fields: {known})"
        )


def _select(node: _Node, step: Step, entry_model: type[BaseModel], last: bool) -> list[_Node]:
    if step.selector is None:
        raise ChangeError(
            f"'{step.name}' is a list: pick entries with {step.name}[id], {step.name}[*] "
            f"or {step.name}[field=value]"
        )
    if last:
        raise ChangeError(
            f"'{step.name}[{step.selector}]' is a whole entry: name one of its fields after "
            "a '.', or set the whole list (without [...])"
        )
    entries = node.value.get(step.name)
    conditions = step.conditions() if "=" in step.selector else []
    for key, _ in conditions:
        _check_field(entry_model, key, (*node.loc, step.name))
    chosen = []
    for position, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        if step.selector == "*" or (
            entry.get("id") == step.selector
            if not conditions
            else all(
                _matches(_effective(entry, key, entry_model), text) for key, text in conditions
            )
        ):
            chosen.append(_Node((*node.loc, step.name, position), entry, entry_model))
    return chosen


def _matches(value: Any, text: str) -> bool:
    import yaml

    try:
        wanted = yaml.safe_load(text) if text else ""
    except yaml.YAMLError:
        wanted = text
    if isinstance(value, bool) or isinstance(wanted, bool):
        return value is wanted or str(value).lower() == text.lower() or means(value, text)
    if _is_number(value) and _is_number(wanted):
        return float(value) == float(wanted)
    return value == wanted or str(value) == text or means(value, text)


def _effective(entry: dict[str, Any], key: str, model: type[BaseModel] | str | None) -> Any:
    """The value of a field, or the format's default when the entry leaves it out."""
    if key in entry or not isinstance(model, type) or key not in model.model_fields:
        return entry.get(key)
    info = model.model_fields[key]
    return (
        None if info.is_required() else copy.deepcopy(info.get_default(call_default_factory=True))
    )


def _nothing_message(steps: list[Step], index: int, above: list[_Node]) -> str:
    shown = ".".join(s.name + (f"[{s.selector}]" if s.selector else "") for s in steps[: index + 1])
    step = steps[index]
    if step.selector and step.selector != "*" and "=" not in step.selector:
        ids = [
            str(e.get("id"))
            for node in above
            for e in node.value.get(step.name) or []
            if isinstance(e, dict)
        ]
        listed = ", ".join(ids[:8]) + (", ..." if len(ids) > 8 else "") or "none"
        return f"matches nothing: there is no {shown} (ids there: {listed})"
    if step.selector and "=" in step.selector:
        return f"matches nothing: no entry with {step.selector} in {shown}"
    return f"matches nothing: {shown} is empty"


def _where(loc: Loc) -> str:
    return ".".join(str(k) if isinstance(k, str) else f"[{k}]" for k in loc).replace(".[", "[")


# --------------------------------------------------------------------------------------------
# Applying changes
# --------------------------------------------------------------------------------------------
def split_operation(value: Any) -> tuple[str, Any]:
    """`{scale: 1.3}` -> ('scale', 1.3); a plain value -> ('set', value)."""
    if isinstance(value, dict) and any(k in OPERATIONS for k in value):
        if len(value) != 1:
            raise ChangeError(
                f"{format_value(value)}: write a value, or one of {{scale: x}}, {{add: x}}, "
                "{set: value}, alone"
            )
        ((operation, amount),) = value.items()
        entries = operation == "add" and isinstance(amount, list)  # entries to append
        if operation != "set" and not _is_number(amount) and not entries:
            entries_too = " (or, to add to a list, a list of entries)" if operation == "add" else ""
            raise ChangeError(
                f"{operation} needs a number{entries_too}, got {format_value(amount)}"
            )
        return operation, amount
    return "set", value


def apply_change(data: dict[str, Any], path: str, value: Any) -> list[Loc]:
    """Apply one change to a raw scenario dict in place; return the locations it wrote."""
    operation, amount = split_operation(value)
    targets = find_targets(data, parse_path(path))
    for target in targets:
        key: Any = target.key
        if key not in target.container and key.isdigit() and int(key) in target.container:
            key = int(key)  # a year written as a number in the file: budget_by_year.2025
        old = _effective_old(data, replace(target, key=key))
        target.container[key] = _new_value(old, operation, amount, target.key)
    return [(*t.loc, t.key) for t in targets]


def _effective_old(data: dict[str, Any], target: Target) -> Any:
    if target.key not in target.container and target.model is Community:
        defaults = data.get("defaults") if isinstance(data.get("defaults"), dict) else {}
        if target.key == "target_area_m2":
            return defaults.get("target_area_m2", 500.0)
        if target.key == "max_options":
            return defaults.get("max_options_per_community", 2)
    return _effective(target.container, target.key, target.model)


def _new_value(old: Any, operation: str, amount: Any, key: str) -> Any:
    if operation == "set":
        return copy.deepcopy(amount)
    if isinstance(old, list) != isinstance(amount, list):
        raise ChangeError(f"cannot add to '{key}': a list takes a list of entries to add")
    if isinstance(old, list):  # entries appended: funding: {add: [...]}
        return old + copy.deepcopy(amount)
    if isinstance(old, dict) and old and all(_is_number(v) for v in old.values()):
        return {k: _arithmetic(v, operation, amount) for k, v in old.items()}
    if not _is_number(old):
        what = "has no value" if old is None else f"is {format_value(old)}, not a number"
        raise ChangeError(f"cannot {operation} '{key}': it {what}; set it instead")
    return _arithmetic(old, operation, amount)


def _arithmetic(old: float, operation: str, amount: float) -> float:
    result = old * amount if operation == "scale" else old + amount
    if isinstance(result, float):
        result = round(result, 9)  # 450 * 0.8 is 360, not 360.00000000000006
        return int(result) if isinstance(old, int) and result.is_integer() else result
    return result


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def change_pairs(changes: Any) -> list[tuple[str, Any]]:
    """{path: value} or [{path: value}, ...] or [(path, value), ...] -> [(path, value), ...]."""
    if isinstance(changes, dict):
        return list(changes.items())
    pairs: list[tuple[str, Any]] = []
    for item in changes or ():
        if isinstance(item, dict):
            pairs.extend(item.items())
        elif isinstance(item, tuple | list) and len(item) == 2:
            pairs.append((item[0], item[1]))
        else:
            raise TypeError(f"a change is {{path: value}} or (path, value), got {item!r}")
    return pairs


def format_value(value: Any) -> str:
    """A value as a planner writes it in YAML: 360, 0.0234, true, [a, b], {scale: 0.8}."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)
