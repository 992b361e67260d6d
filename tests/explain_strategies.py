"""Random tiny scenarios for the tests of diagnosis, shadow prices and alternatives.

Tiny enough for the brute force of tests/oracle.py (at most 5 options in all), with the rules
that make plans interesting: all-or-nothing routes, locks, exclusions, must_meet sites, and
budgets small enough to bind.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

KINDS = ("lease", "heighten", "allocate_build", "integrate", "reclaim")


@st.composite
def options(
    draw: st.DrawFn, prefix: str, count: int, areas: tuple[int, ...] = (100, 200, 300, 500)
) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    for i in range(count):
        high = draw(st.sampled_from(areas))
        entry: dict[str, Any] = {
            "id": f"{prefix}{i}",
            "kind": draw(st.sampled_from(KINDS)),
            "max_area_m2": high,
            "min_area_m2": draw(st.sampled_from([0, 0, high])),
            "cost_per_m2": draw(st.sampled_from([0.02, 0.05, 0.1, 0.25])),
            "fixed_cost": draw(st.sampled_from([0, 0, 2])),
            "annual_cost_per_m2": draw(st.sampled_from([0, 0, 0.01])),
            "area_factor": draw(st.sampled_from([1, 1, 0.6])),
        }
        if made and draw(st.integers(0, 3)) == 0:
            entry["excludes"] = [made[-1]["id"]]
        lock = draw(st.sampled_from([None, None, None, "chosen", "rejected"]))
        if lock == "rejected" or (lock == "chosen" and i == 0):  # one lock chosen at most
            entry["locked"] = lock
        made.append(entry)
    return made


@st.composite
def funding(draw: st.DrawFn) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = [
        {"id": "county", "name": "县财政", "budget": draw(st.sampled_from([0, 5, 10, 25, 60]))}
    ]
    if draw(st.booleans()):
        source: dict[str, Any] = {
            "id": "startup",
            "name": "启动经费",
            "scope": "community",
            "budget": draw(st.sampled_from([0, 3, 10])),
        }
        if draw(st.booleans()):
            source["pays_for"] = ["lease", "reclaim", "integrate"]
        sources.append(source)
    if draw(st.integers(0, 2)) == 0:
        sources.append(
            {
                "id": "grant",
                "name": "项目",
                "budget": draw(st.sampled_from([10, 30])),
                "pays_for": ["heighten", "allocate_build"],
                "capital_only": True,
                "max_share": 0.8,
                "max_per_option": 20,
            }
        )
    return sources


@st.composite
def tiny_scenarios(
    draw: st.DrawFn,
    max_options_total: int = 5,
    must_meet_odds: int = 3,
    areas: tuple[int, ...] = (100, 200, 300, 500),
) -> dict[str, Any]:
    """1-2 communities in one street; `must_meet_odds` 3 makes about a third of them sites;
    `areas` are the largest areas routes may have (all 500: every site can reach 500 m2)."""
    count = draw(st.integers(1, 2))
    communities = []
    left = max_options_total
    for c in range(count):
        n = draw(st.integers(1, max(1, min(3, left - (count - c - 1)))))
        left -= n
        communities.append(
            {
                "id": f"c{c}",
                "name": f"社区{c}",
                "group": "g",
                "existing_area_m2": draw(st.sampled_from([0, 100, 250])),
                "target_area_m2": 500,
                "must_meet": draw(st.integers(1, must_meet_odds)) == 1,
                "priority": draw(st.sampled_from([1, 2])),
                "max_options": draw(st.sampled_from([1, 2])),
                "options": draw(options(f"c{c}o", n, areas)),
            }
        )
    return {
        "name": "tiny",
        "horizon_years": draw(st.sampled_from([1, 3])),
        "groups": [{"id": "g", "name": "城南街道", "kind": "street"}],
        "communities": communities,
        "funding": draw(funding()),
    }


def routes(plan: Any) -> frozenset[str]:
    """The ids of the routes a plan (object or JSON dict) takes."""
    if isinstance(plan, dict):
        return frozenset(o["id"] for c in plan["communities"] for o in c["options"])
    return frozenset(o.id for c in plan.community_results for o in c.options)
