"""Random tiny counties, drawn from a fixed seed, solved by the package and by brute force.

Where the hypothesis strategies explore shapes, this draws every rule with high probability
at once (capital-only money with matching shares, caps, limits on projects, budgets by kind),
which is where mistakes in the bounds of the model hide.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from oracle import brute_force, check_plan

from allocator import solve
from allocator.errors import ScenarioError
from allocator.scenario.loading import scenario_from_dict
from allocator.scenario.schema import OPTION_KINDS


def random_county(rng: random.Random) -> dict[str, Any]:
    communities, number = [], 0
    count = rng.randint(1, 3)
    sizes = [1] * count
    for _ in range(rng.randint(count, 6) - count):
        sizes[rng.randrange(count)] += 1
    for c, size in enumerate(sizes):
        options = []
        for _ in range(size):
            high = rng.choice([50, 100, 200, 300])
            entry: dict[str, Any] = {
                "id": f"o{number}",
                "kind": rng.choice(OPTION_KINDS),
                "max_area_m2": high,
            }
            number += 1
            for key, chance, values in (
                ("min_area_m2", 0.3, [high, high / 2]),
                ("area_factor", 0.3, [0.5, 0.6, 1]),
                ("replaces_existing", 0.2, [True]),
                ("fixed_cost", 0.5, [1, 5, 10]),
                ("cost_per_m2", 0.7, [0.05, 0.2, 0.25]),
                ("annual_cost_per_m2", 0.3, [0.01, 0.02]),
                ("annual_cost", 0.15, [1, 2]),
                ("locked", 0.1, ["chosen", "rejected"]),
            ):
                if rng.random() < chance:
                    entry[key] = rng.choice(values)
            options.append(entry)
        if len(options) > 1 and rng.random() < 0.3:
            options[0]["excludes"] = [options[1]["id"]]
        community: dict[str, Any] = {
            "id": f"c{c}",
            "name": f"社区{c}",
            "group": rng.choice(["g1", "g2"]),
            "existing_area_m2": rng.choice([0, 100, 300]),
            "options": options,
        }
        for key, chance, values in (
            ("must_meet", 0.3, [True]),
            ("priority", 0.5, [1, 2, 3]),
            ("max_options", 0.3, [1]),
            ("target_area_m2", 0.3, [300, 400, 500]),
        ):
            if rng.random() < chance:
                community[key] = rng.choice(values)
        communities.append(community)
    funding = [{"id": "county", "name": "县财政", "budget": rng.choice([10, 30, 60, 200])}]
    for s in range(rng.randint(0, 2)):
        source: dict[str, Any] = {
            "id": f"s{s}",
            "name": f"资金{s}",
            "budget": rng.choice([5, 10, 40]),
            "scope": rng.choice(["county", "group", "community"]),
        }
        for key, values in (
            ("pays_for", [rng.sample(OPTION_KINDS, 3)]),
            ("capital_only", [True]),
            ("max_share", [0.8]),
            ("max_per_option", [5, 20]),
            ("max_options_funded", [1, 2]),
        ):
            if rng.random() < 0.4:
                source[key] = rng.choice(values)
        if source["scope"] != "county" and rng.random() < 0.3:
            source["budget_by_kind"] = {"street": rng.choice([5, 20]), "town": rng.choice([3, 8])}
        funding.append(source)
    return {
        "name": "random",
        "horizon_years": rng.choice([1, 2, 3]),
        "groups": [
            {"id": "g1", "name": "街道", "kind": "street"},
            {"id": "g2", "name": "镇", "kind": "town"},
        ],
        "communities": communities,
        "funding": funding,
    }


@pytest.mark.parametrize("seed", range(24))
def test_random_counties_match_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    compared = 0
    for _ in range(60):
        raw = random_county(rng)
        try:
            scenario = scenario_from_dict(copy.deepcopy(raw))
        except ScenarioError:
            continue  # e.g. more locked routes than may be combined: rejected as input
        plan = solve(scenario)
        best = brute_force(raw)
        if best is None:
            assert not plan.status.has_plan, raw
            continue
        assert plan.status.has_plan, raw
        assert check_plan(raw, plan.to_dict()) == []
        assert plan.weighted_shortfall == pytest.approx(best[0], abs=1e-4, rel=1e-6), raw
        assert plan.total_cost == pytest.approx(best[1], abs=1e-4, rel=1e-5), raw
        compared += 1
    assert compared > 10
