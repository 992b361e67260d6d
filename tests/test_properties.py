"""Properties on random small scenarios: every plan passes the independent checker, HiGHS and CBC
agree on both objectives, and on the tiniest the optimum equals brute-force enumeration."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import solve_checked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import brute_force

from allocator.scenario import OPTION_KINDS

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@st.composite
def options(draw: st.DrawFn, prefix: str, count: int) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    for i in range(count):
        high = draw(st.sampled_from([100, 200, 300, 450, 600]))
        entry: dict[str, Any] = {
            "id": f"{prefix}{i}",
            "kind": draw(st.sampled_from(OPTION_KINDS)),
            "max_area_m2": high,
            "min_area_m2": draw(st.sampled_from([0, 0, high // 2, high])),
            "cost_per_m2": draw(st.sampled_from([0, 0.01, 0.05, 0.2])),
            "fixed_cost": draw(st.sampled_from([0, 0, 2, 10])),
            "annual_cost_per_m2": draw(st.sampled_from([0, 0, 0.01])),
            "area_factor": draw(st.sampled_from([1, 1, 0.6])),
            "replaces_existing": draw(st.booleans()) and i == 0,
        }
        if made and draw(st.integers(0, 4)) == 0:
            entry["excludes"] = [made[-1]["id"]]
        lock = draw(st.sampled_from([None, None, None, None, "chosen", "rejected"]))
        if lock and not (lock == "chosen" and entry.get("excludes")):
            entry["locked"] = lock
        made.append(entry)
    return made


@st.composite
def funding(draw: st.DrawFn, community_ids: list[str]) -> list[dict[str, Any]]:
    sources = []
    for i in range(draw(st.integers(1, 3))):
        scope = draw(st.sampled_from(["county", "county", "group", "community"]))
        source: dict[str, Any] = {
            "id": f"s{i}",
            "name": f"资金{i}",
            "scope": scope,
            "budget": draw(st.sampled_from([0, 5, 20, 60, 150])),
        }
        if draw(st.booleans()):
            source["pays_for"] = draw(
                st.lists(st.sampled_from(OPTION_KINDS), min_size=1, max_size=4, unique=True)
            )
        if draw(st.integers(0, 3)) == 0:
            source["capital_only"] = True
        if draw(st.integers(0, 3)) == 0:
            source["max_share"] = draw(st.sampled_from([0.5, 0.8]))
        if draw(st.integers(0, 3)) == 0:
            source["max_per_option"] = draw(st.sampled_from([5, 30]))
        if draw(st.integers(0, 3)) == 0:
            source["max_options_funded"] = draw(st.integers(0, 2))
        sources.append(source)
    return sources


@st.composite
def scenarios(draw: st.DrawFn, max_options_total: int = 6) -> dict[str, Any]:
    count = draw(st.integers(1, 3))
    communities = []
    left = max_options_total
    for c in range(count):
        n = draw(st.integers(1, max(1, min(3, left - (count - c - 1)))))
        left -= n
        communities.append(
            {
                "id": f"c{c}",
                "name": f"社区{c}",
                "group": draw(st.sampled_from(["street", "town"])),
                "existing_area_m2": draw(st.sampled_from([0, 100, 250, 450])),
                "target_area_m2": draw(st.sampled_from([300, 500])),
                "must_meet": draw(st.integers(0, 5)) == 0,
                "priority": draw(st.sampled_from([1, 1, 2])),
                "max_options": draw(st.sampled_from([1, 2, 2])),
                "options": draw(options(f"c{c}o", n)),
            }
        )
    return {
        "name": "random",
        "horizon_years": draw(st.sampled_from([1, 3])),
        "groups": [
            {"id": "street", "name": "街道", "kind": "street"},
            {"id": "town", "name": "镇", "kind": "town"},
        ],
        "communities": communities,
        "funding": draw(funding([c["id"] for c in communities])),
    }


def _objectives(plan: Any) -> tuple[float, float] | None:
    return (plan.weighted_shortfall, plan.total_cost) if plan.status.has_plan else None


def _same(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a[0] == pytest.approx(b[0], abs=1e-3) and a[1] == pytest.approx(b[1], rel=1e-5, abs=1e-3)


@settings(SETTINGS, max_examples=200)
@given(scenarios())
def test_highs_plan_equals_brute_force(raw: dict[str, Any]) -> None:
    plan = solve_checked(raw)
    assert _same(_objectives(plan), brute_force(raw)), (plan, raw)


@SETTINGS
@given(scenarios(max_options_total=9))
def test_highs_and_cbc_agree(raw: dict[str, Any]) -> None:
    highs = solve_checked(raw, solver="highs")
    cbc = solve_checked(raw, solver="cbc")
    assert highs.status == cbc.status
    assert _same(_objectives(highs), _objectives(cbc)), (highs, cbc)
