"""What differs between two scenarios: every input, entry by entry and field by field.

`scenario_diff(before, after)` lists entry, field, old and new; `side_by_side` does the same for
several scenarios at once (the input table of a comparison). Targets are compared resolved (in
m2), so a rule per household and the number it gives are the same input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allocator.scenario.changes import format_value
from allocator.scenario.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["flatten", "scenario_diff", "side_by_side"]

_NOT_COMPARED = {"name", "description", "variants", "extends", "changes"}


def flatten(scenario: Scenario) -> dict[tuple[str, str], Any]:
    """(entry, field) -> value, for every input of a validated scenario (targets resolved)."""
    dumped = scenario.model_dump(mode="json")
    flat: dict[tuple[str, str], Any] = {}
    for key, value in dumped.items():
        if key in _NOT_COMPARED or isinstance(value, list | dict):
            continue
        flat[("scenario", key)] = value
    _flatten_record(flat, "defaults", dumped["defaults"], ())
    for part, record in (dumped.get("staffing") or {}).items():  # add_post: {quota: 15}
        fields = record if isinstance(record, dict) else {"": record}
        for key, value in fields.items():
            flat[("staffing", f"{part}.{key}" if key else part)] = value
    for group in dumped["groups"]:
        _flatten_record(flat, f"group '{group['id']}'", group, ("id",))
    for community in dumped["communities"]:
        entry = f"community '{community['id']}'"
        _flatten_record(flat, entry, community, ("id", "options"))
        for option in community["options"]:
            _flatten_record(flat, f"{entry}, option '{option['id']}'", option, ("id",))
    for source in dumped["funding"]:
        _flatten_record(flat, f"funding source '{source['id']}'", source, ("id",))
    return flat


def _flatten_record(
    flat: dict[tuple[str, str], Any], entry: str, record: dict[str, Any], skip: tuple[str, ...]
) -> None:
    flat[(entry, "")] = "present"
    for key, value in record.items():
        if key in skip:
            continue
        if isinstance(value, dict) and key not in ("target_area_m2",):
            for inner, item in value.items():
                flat[(entry, f"{key}.{inner}")] = item
        else:
            flat[(entry, key)] = value


def side_by_side(scenarios: dict[str, Scenario]) -> pd.DataFrame:
    """One row per input that differs between the scenarios, one column per scenario."""
    import pandas as pd

    flats = {label: flatten(s) for label, s in scenarios.items()}
    keys = list(dict.fromkeys(k for flat in flats.values() for k in flat))
    rows = []
    for entry, name in keys:
        values = [flat.get((entry, name), _ABSENT) for flat in flats.values()]
        if any(v != values[0] for v in values[1:]):
            rows.append(
                {
                    "entry": entry,
                    "field": name or "(entry)",
                    **{label: _shown(v) for label, v in zip(flats, values, strict=True)},
                }
            )
    return pd.DataFrame(rows, columns=["entry", "field", *flats])


_ABSENT = object()


def _shown(value: Any) -> str:
    return "absent" if value is _ABSENT else format_value(value)


def scenario_diff(before: Scenario, after: Scenario) -> pd.DataFrame:
    """What changed from `before` to `after`: entry, field, old, new (targets resolved)."""
    return side_by_side({"old": before, "new": after})
