"""The entries of a scenario as read, before validation: what the cross-entry checks walk."""

from __future__ import annotations

from typing import Any


def entries_of(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The entries under `key` of a raw dict, each a dict ({} for one that is not)."""
    entries = data.get(key)
    if not isinstance(entries, list):
        return []
    return [entry if isinstance(entry, dict) else {} for entry in entries]
