"""Properties on random small scenarios: every plan passes the independent checker, HiGHS and CBC
agree on both objectives, and on the tiniest the optimum equals brute-force enumeration."""

from __future__ import annotations

from typing import Any

from conftest import same_objectives as _same
from conftest import solve_checked
from hypothesis import HealthCheck, given, settings
from oracle import brute_force
from strategies import scenarios

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _objectives(plan: Any) -> tuple[float, float] | None:
    return (plan.weighted_shortfall, plan.total_cost) if plan.status.has_plan else None


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
