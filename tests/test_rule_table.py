"""The table of rule families (allocator.model.rules): every family is checked by the
independent oracle, and a family added to the table reaches both formulations unchanged."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import community, option, scenario_dict
from oracle import RULES

import allocator.model.reference as reference
import allocator.model.sets_families as sets_families
from allocator import solve
from allocator.model.rules import BY_NAME, FAMILIES, Family, Role
from allocator.model.terms import Instance, Layout, Row, Sense, name_of, x
from allocator.scenario.loading import scenario_from_dict

# Each family and the rule tag of tests/oracle.py that checks it from the scenario file alone.
ORACLE_TAG = {
    "area_when_chosen": "area-range",
    "max_area": "area-range",
    "min_area": "area-range",
    "locked": "locked",
    "excludes": "excludes",
    "max_options": "max-options",
    "paid": "funding-sum",
    "capital_only": "capital-only",
    "max_share": "max-share",
    "max_per_option": "max-per-option",
    "funded": "max-options-funded",
    "max_options_funded": "max-options-funded",
    "budget": "budget",
    "one_replacing": "replacing",
    "target": "final-area",
    "must_meet": "must-meet",
    "meets_target": "communities-meeting",
    "staff_target": "staff-posts",
    "staff_by_year": "staff-by-year",
    "post_quota": "post-quota",
    "dispatch_pool": "dispatch-pool",
    "recruit_limit": "recruit-limit",
    "staff_paid": "staff-paid",
    "pay_rise": "pay-rise",
    "meets_both": "communities-meeting-both",
    "start_year": "start-year",
    "paid_by_year": "paid-by-year",
    "budget_by_year": "budget-by-year",
    "due_year": "due-year",
    "bridge": "bridge",
}


def test_every_family_is_checked_by_the_oracle() -> None:
    names = [family.name for family in FAMILIES]
    assert len(set(names)) == len(names), "family names are unique"
    assert set(names) == set(ORACLE_TAG), "a new family needs an oracle check named here"
    assert {ORACLE_TAG[name] for name in names} <= set(RULES)


def test_the_sets_formulation_names_only_families_of_the_table() -> None:
    assert set(sets_families.WRITTEN_HERE) <= set(BY_NAME)


def test_decision_families_have_distinct_drop_ranks() -> None:
    ranks = [f.drop_rank for f in FAMILIES if f.role == Role.DECISION]
    assert len(set(ranks)) == len(ranks)


def _lease_cap_rules(layout: Layout) -> Iterator[Instance]:
    """A family that is not in the package: at most 100 m2 of leases in each community."""
    for ci, c in enumerate(layout.scenario.communities):
        leases = [(x(o), 1.0) for o in c.options if o.kind == "lease"]
        if leases:
            row = Row(name_of("lease_cap", c.id), tuple(leases), Sense.LE, 100.0)
            text = f"{c.id} leases at most 100 m2"
            yield Instance("lease_cap", (c.id,), ("communities", ci), text, rows=(row,))


LEASE_CAP = Family("lease_cap", "(99)", "sum of leased m2 <= 100", _lease_cap_rules, drop_rank=99)


@pytest.mark.parametrize("formulation", ["naive", "sets"])
def test_a_new_family_reaches_both_formulations(
    monkeypatch: pytest.MonkeyPatch, formulation: str
) -> None:
    """Worked by hand: one community lacks 500 m2 and may lease up to 500 m2 at 0.02 万元/m2 or
    build 500 m2 whole at 0.05. Without the cap it leases 500 (10 万元); with a 100 m2 cap on
    leases, leasing leaves 400 short, so it builds (25 万元) and meets the target."""
    raw: dict[str, Any] = scenario_dict(
        [
            community(
                "a",
                [
                    option("a-lease", annual_cost_per_m2=0.02),
                    option(
                        "a-build",
                        "allocate_build",
                        min_area_m2=500,
                        max_area_m2=500,
                        cost_per_m2=0.05,
                    ),  # fmt: skip
                ],
                max_options=1,
            )
        ]
    )
    free = solve(scenario_from_dict(copy.deepcopy(raw)), formulation=formulation)
    assert [o.id for o in free.community_results[0].options] == ["a-lease"]
    families = (*FAMILIES, LEASE_CAP)
    monkeypatch.setattr(reference, "FAMILIES", families)
    monkeypatch.setattr(sets_families, "FAMILIES", families)
    capped = solve(scenario_from_dict(copy.deepcopy(raw)), formulation=formulation)
    [result] = capped.community_results
    assert [o.id for o in result.options] == ["a-build"]
    assert capped.total_cost == pytest.approx(25) and result.shortfall_m2 == pytest.approx(0)
