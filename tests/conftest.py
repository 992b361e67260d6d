"""Shared test helpers: small scenarios as dicts, and solving with the independent checker."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from oracle import check_plan

from allocator.plan import Plan
from allocator.scenario import scenario_from_dict
from allocator.solving import solve

ROOT = Path(__file__).resolve().parent.parent
COUNTY_FILE = ROOT / "scenarios" / "2024.yaml"


def community(cid: str, options: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A community of group 'g' (a street) with the given options."""
    return {"id": cid, "name": f"{cid} 社区", "group": "g", "options": options, **fields}


def option(
    oid: str, kind: str = "lease", max_area_m2: float = 500, **fields: Any
) -> dict[str, Any]:
    return {"id": oid, "kind": kind, "max_area_m2": max_area_m2, **fields}


def scenario_dict(
    communities: list[dict[str, Any]],
    funding: list[dict[str, Any]] | None = None,
    **top: Any,
) -> dict[str, Any]:
    """A one-street scenario; funding defaults to one county pot of 1,000 万元."""
    groups = top.pop("groups", [{"id": "g", "name": "城南街道", "kind": "street"}])
    if funding is None:
        funding = [{"id": "county", "name": "县财政", "budget": 1000}]
    return {
        "name": "test",
        "groups": groups,
        "communities": communities,
        "funding": funding,
        **top,
    }


def solve_checked(raw: dict[str, Any], **options: Any) -> Plan:
    """Solve a scenario dict; every plan found must pass the independent checker."""
    plan = solve(scenario_from_dict(copy.deepcopy(raw)), **options)
    if plan.status.has_plan:
        violations = check_plan(raw, plan.to_dict())
        assert violations == [], violations
    return plan


def chosen(plan: Plan) -> dict[str, float]:
    """Option id -> area of every chosen option."""
    return {o.id: o.area_m2 for c in plan.community_results for o in c.options}


def result(plan: Plan, community_id: str) -> Any:
    return next(c for c in plan.community_results if c.id == community_id)


@pytest.fixture(scope="session")
def county_raw() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(COUNTY_FILE.read_text(encoding="utf-8"))
