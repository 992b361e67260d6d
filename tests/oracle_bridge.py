"""The independent oracle's checks of bridge leases (part of ``tests/oracle.py``; nothing here
imports ``allocator``), from the scenario file and the plan's JSON alone.

The rule, as the README states it: a lease with ``bridges: <building>`` (租赁过渡) is taken only
with that new building or added storey of its community and starts in the same year. It is
in service, counting its area and paying its rent, from its start until the year before the
building is ready (the building's ``ready_after`` years: default 1 for allocate_build and
heighten); its cost counts its rent over those years, not ``horizon_years``, and its area
does not count at the end of the plan (its ``counted_area_m2`` is 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BRIDGE_RULES = {
    "bridge": "a bridge lease is taken without its building or starts in another year, or the "
    "plan misstates the building it bridges or its years in service",
}
READY_AFTER = {"allocate_build": 1, "heighten": 1}


def bridge_years(options: Mapping[str, Mapping[str, Any]], option: Mapping[str, Any]) -> int | None:
    """The years a bridge lease is in service (its building's ready_after); None for a route
    that bridges nothing. ``options``: the raw options by id."""
    building = options.get(option.get("bridges") or "")
    if building is None:
        return None
    lag = building.get("ready_after")
    return READY_AFTER.get(building["kind"], 0) if lag is None else int(lag)


def in_use(options: Mapping[str, Mapping[str, Any]], option: Mapping[str, Any], start: int,
           lag: int, year: int) -> bool:  # fmt: skip
    """Does the route started in ``start`` (ready ``lag`` years on) count at the end of
    ``year``? A bridge lease from its start until its building is ready."""
    bridged = bridge_years(options, option)
    if bridged is not None:
        return start <= year < start + bridged
    return year >= start + lag


def check_bridges(raw: Mapping[str, Any], plan: Mapping[str, Any], add: Any) -> None:
    """Each chosen bridge lease: its building chosen and started the same year, and the plan's
    ``bridges`` and ``in_service_years`` as the file gives them."""
    rows = {row["id"]: row for row in plan["communities"]}
    years = list(raw.get("years") or ())
    for community in raw["communities"]:
        options = {o["id"]: o for o in community.get("options", [])}
        chosen = {o["id"]: o for o in (rows.get(community["id"]) or {}).get("options", [])}
        for oid, entry in chosen.items():
            option = options.get(oid)
            said = entry.get("bridges")
            if option is None or (said is None and not option.get("bridges")):
                continue
            if said != option.get("bridges"):
                add("bridge", f"{oid}: bridges {said!r} in the plan, {option.get('bridges')!r}")
                continue
            building = chosen.get(option["bridges"])
            start = entry.get("start_year")
            if building is None or building.get("start_year") != start:
                add("bridge", f"{oid} starts in {start} without {option['bridges']} then")
                continue
            service = [y for y in years if in_use(options, option, start, 0, y)]
            if list(entry.get("in_service_years") or []) != service:
                add("bridge", f"{oid}: in service {entry.get('in_service_years')}, not {service}")
