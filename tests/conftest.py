"""Shared test helpers: small scenarios as dicts, and solving with the independent checker."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from oracle import check_plan

from allocator import solve
from allocator.plan import Plan
from allocator.scenario.loading import scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
COUNTY_FILE = ROOT / "scenarios" / "2024_premises.yaml"


def community(cid: str, options: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A community of group 'g' (a street) with the given options."""
    base = {"id": cid, "name": f"{cid} 社区", "group": "g", "existing_area_m2": 0}
    return {**base, "options": options, **fields}


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


def demo_site() -> dict[str, Any]:
    """Site 'demo': 100 m2, must meet 500, one lease of at most 200 m2: 200 m2 short whatever the
    money (the county has 1,000 万元)."""
    return scenario_dict(
        [
            community(
                "demo", [option("d-lease", max_area_m2=200)], existing_area_m2=100, must_meet=True
            )
        ]
    )


DEMO_SITE_FILE = (
    "name: demo\ngroups: [{id: g, name: 城南街道, kind: street}]\n"
    "communities:\n  - {id: demo, name: 新兴社区, group: g, existing_area_m2: 100,"
    " must_meet: true, options: [{id: l, kind: lease, max_area_m2: 200}]}\n"
    "funding: [{id: county, name: 县财政, budget: 100}]\n"
)


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    """The demonstration site as a scenario file: 100 m2 and one 200 m2 lease, 200 m2 short."""
    path = tmp_path / "demo.yaml"
    path.write_text(DEMO_SITE_FILE, encoding="utf-8")
    return path


def same_objectives(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    """The same (weighted shortfall, cost), or both None (no plan)."""
    if a is None or b is None:
        return a is b
    return a[0] == pytest.approx(b[0], abs=1e-3) and a[1] == pytest.approx(b[1], rel=1e-5, abs=1e-3)


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
