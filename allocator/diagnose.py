"""Why a scenario has no plan, in planner terms."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from allocator.scenario import Community, Option, Scenario


def diagnose(scenario: Scenario) -> dict[str, Any]:
    """Say what cannot be met: demonstration sites that no choice of routes can bring to
    their target, or else that the money and funding rules cannot pay for all of them."""
    short = []
    for community in scenario.communities:
        if community.must_meet:
            best = best_reachable_area_m2(community)
            if best < community.target_area_m2 - 1e-6:
                short.append({
                    "community": community.id,
                    "name": community.name,
                    "target_m2": community.target_area_m2,
                    "reachable_m2": round(best, 6),
                    "missing_m2": round(community.target_area_m2 - best, 6),
                })
    if short:
        names = "; ".join(
            f"{s['name']} ({s['community']}) lacks {s['missing_m2']:.1f} m2 even with every "
            f"route open to it" for s in short
        )
        summary = (
            f"{names}. Add a route, allow more routes to be combined (max_options), or lower "
            "the target or drop must_meet."
        )
    else:
        sites = [c.id for c in scenario.communities if c.must_meet]
        summary = (
            "Every demonstration site can reach its target on its own, but the budgets and "
            "funding rules cannot pay for all of them together, or locked decisions conflict "
            f"(must_meet: {', '.join(sites) or 'none'}). Raise a budget, relax a funding rule, "
            "or drop must_meet somewhere."
        )
    return {"summary": summary, "short_m2": short}


def best_reachable_area_m2(community: Community) -> float:
    """Largest area the community can reach, ignoring money: every allowed set of routes."""
    options = [o for o in community.options if o.locked != "rejected"]
    locked = [o for o in options if o.locked == "chosen"]
    free = [o for o in options if o.locked != "chosen"]
    best = community.existing_area_m2 if not any(o.replaces_existing for o in locked) else 0.0
    room = community.max_options - len(locked)
    for size in range(0, max(room, 0) + 1):
        for extra in combinations(free, size):
            chosen = [*locked, *extra]
            if _allowed(chosen):
                best = max(best, _area_m2(community, chosen))
    return best


def _allowed(chosen: list[Option]) -> bool:
    ids = {o.id for o in chosen}
    if sum(o.replaces_existing for o in chosen) > 1:
        return False
    return not any(other in ids for o in chosen for other in o.excludes)


def _area_m2(community: Community, chosen: list[Option]) -> float:
    existing = 0.0 if any(o.replaces_existing for o in chosen) else community.existing_area_m2
    return existing + sum(o.area_factor * o.max_area_m2 for o in chosen)
