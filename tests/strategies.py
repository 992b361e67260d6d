"""Random small scenarios for the property tests, in three shapes drawn by one strategy:

- BROAD (tests/test_properties.py): 1-3 communities in a street and a town, every option kind,
  1-3 sources with every rule; at most 6 options in all, so the brute force can check the optimum.
- SETS (tests/test_formulation.py): 1-4 communities of 1-4 options each, fixed annual costs and
  budgets by group kind, for the sets formulation against the reference.
- TINY (tiny_scenarios, for the tests of diagnosis, shadow prices and alternatives): tiny enough
  for the brute force of tests/oracle.py (at most 5 options in all), with the rules that make
  plans interesting: all-or-nothing routes, locks, exclusions, must_meet sites, and budgets small
  enough to bind.

Fields named `..._odds` hold N for a chance of about one in N (see `_one_in`). Each shape draws
the same values in the same order as the strategy it replaced, so the derandomized property tests
keep their examples.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import strategies as st

from allocator.scenario.schema import OPTION_KINDS


@dataclass(frozen=True)
class Funding:
    """Sources s0, s1, ... in any scope, each with some of the rules."""

    most: int
    budgets: tuple[float, ...]
    budgets_by_kind: tuple[float, ...] | None  # a street's budget, for group and community scopes
    pays_for_odds: int
    pays_for_most: int
    max_shares: tuple[float, ...]
    max_per_option: tuple[float, ...]
    max_options_funded_odds: int


@dataclass(frozen=True)
class Shape:
    """What the communities, options and funding of a random scenario are drawn from."""

    name: str
    groups: tuple[tuple[str, str, str], ...]  # (id, name, kind)
    communities: int  # 1 to this many
    existing_m2: tuple[float, ...]
    target_m2: tuple[float, ...]
    must_meet: tuple[int, int]  # a site when the integer drawn from this range is the lowest
    priorities: tuple[float, ...]
    max_options: tuple[int, ...]
    options_each: int  # 1 to this many options a community
    kinds: tuple[str, ...]
    areas: tuple[int, ...]
    min_shares: tuple[float, ...]  # of the largest area
    costs_per_m2: tuple[float, ...]
    fixed_costs: tuple[float, ...]
    annual_costs: tuple[float, ...] | None
    annual_costs_per_m2: tuple[float, ...]
    replaces_odds: int | None
    replaces_first_only: bool
    excludes_odds: int
    unlocked: int  # lock draws that leave an option unlocked, against one chosen and one rejected
    # which options a chosen lock is kept on: "any" that excludes none, only the "first" of a
    # community, or "one" a community that excludes none and replaces nothing
    chosen: Literal["any", "first", "one"]
    funding: Funding | None  # None: the county, a startup fund and a capital grant


BROAD = Shape(
    name="random",
    groups=(("street", "街道", "street"), ("town", "镇", "town")),
    communities=3,
    existing_m2=(0, 100, 250, 450),
    target_m2=(300, 500),
    must_meet=(0, 5),
    priorities=(1, 1, 2),
    max_options=(1, 2, 2),
    options_each=3,
    kinds=OPTION_KINDS,
    areas=(100, 200, 300, 450, 600),
    min_shares=(0, 0, 0.5, 1),
    costs_per_m2=(0, 0.01, 0.05, 0.2),
    fixed_costs=(0, 0, 2, 10),
    annual_costs=None,
    annual_costs_per_m2=(0, 0, 0.01),
    replaces_odds=2,
    replaces_first_only=True,
    excludes_odds=5,
    unlocked=4,
    chosen="any",
    funding=Funding(
        most=3,
        budgets=(0, 5, 20, 60, 150),
        budgets_by_kind=None,
        pays_for_odds=2,
        pays_for_most=4,
        max_shares=(0.5, 0.8),
        max_per_option=(5, 30),
        max_options_funded_odds=4,
    ),
)

SETS = Shape(
    name="random",
    groups=(("east", "东街道", "street"), ("west", "西镇", "town")),
    communities=4,
    existing_m2=(0, 120, 280, 450),
    target_m2=(400, 500),
    must_meet=(0, 6),
    priorities=(1, 1, 1.5),
    max_options=(1, 2, 2, 3),
    options_each=4,
    kinds=OPTION_KINDS,
    areas=(80, 150, 240, 400, 600),
    min_shares=(0, 0, 0.5, 1),
    costs_per_m2=(0, 0.02, 0.09, 0.25),
    fixed_costs=(0, 0, 5),
    annual_costs=(0, 0, 1),
    annual_costs_per_m2=(0, 0, 0.018),
    replaces_odds=5,
    replaces_first_only=False,
    excludes_odds=4,
    unlocked=6,
    chosen="one",
    funding=Funding(
        most=4,
        budgets=(0, 10, 40, 120, 400),
        budgets_by_kind=(5, 30),
        pays_for_odds=3,
        pays_for_most=3,
        max_shares=(0.8,),
        max_per_option=(8, 30),
        max_options_funded_odds=5,
    ),
)

TINY = Shape(
    name="tiny",
    groups=(("g", "城南街道", "street"),),
    communities=2,
    existing_m2=(0, 100, 250),
    target_m2=(500,),
    must_meet=(1, 3),
    priorities=(1, 2),
    max_options=(1, 2),
    options_each=3,
    kinds=("lease", "heighten", "allocate_build", "integrate", "reclaim"),
    areas=(100, 200, 300, 500),
    min_shares=(0, 0, 1),
    costs_per_m2=(0.02, 0.05, 0.1, 0.25),
    fixed_costs=(0, 0, 2),
    annual_costs=None,
    annual_costs_per_m2=(0, 0, 0.01),
    replaces_odds=None,
    replaces_first_only=False,
    excludes_odds=4,
    unlocked=3,
    chosen="first",
    funding=None,
)


def _one_in(draw: st.DrawFn, odds: int) -> bool:
    """A coin for odds 2, else an integer from 0 to odds - 1 that is 0 (hypothesis favours
    small integers, so more often than one in `odds`)."""
    return draw(st.booleans()) if odds == 2 else draw(st.integers(0, odds - 1)) == 0


def _pick(draw: st.DrawFn, values: Sequence[Any]) -> Any:
    """One of `values`; a single value is taken as it is, without a draw."""
    return values[0] if len(values) == 1 else draw(st.sampled_from(values))


@st.composite
def options(draw: st.DrawFn, shape: Shape, prefix: str, count: int | None) -> list[dict[str, Any]]:
    """`count` options; None draws 1 to `shape.options_each` of them."""
    if count is None:
        count = draw(st.integers(1, shape.options_each))
    made: list[dict[str, Any]] = []
    for i in range(count):
        high = draw(st.sampled_from(shape.areas))
        entry: dict[str, Any] = {
            "id": f"{prefix}{i}",
            "kind": draw(st.sampled_from(shape.kinds)),
            "max_area_m2": high,
            "min_area_m2": draw(st.sampled_from([int(high * m) for m in shape.min_shares])),
            "cost_per_m2": draw(st.sampled_from(shape.costs_per_m2)),
            "fixed_cost": draw(st.sampled_from(shape.fixed_costs)),
        }
        if shape.annual_costs is not None:
            entry["annual_cost"] = draw(st.sampled_from(shape.annual_costs))
        entry["annual_cost_per_m2"] = draw(st.sampled_from(shape.annual_costs_per_m2))
        entry["area_factor"] = draw(st.sampled_from([1, 1, 0.6]))
        if shape.replaces_odds is not None:
            replaces = _one_in(draw, shape.replaces_odds)
            entry["replaces_existing"] = replaces and (i == 0 or not shape.replaces_first_only)
        if made and _one_in(draw, shape.excludes_odds):
            entry["excludes"] = [made[-1]["id"]]
        lock = draw(st.sampled_from([None] * shape.unlocked + ["chosen", "rejected"]))
        if lock == "rejected" or (lock == "chosen" and _may_choose(shape, entry, made)):
            entry["locked"] = lock
        made.append(entry)
    return made


def _may_choose(shape: Shape, entry: dict[str, Any], made: list[dict[str, Any]]) -> bool:
    if shape.chosen == "first":
        return not made
    if entry.get("excludes"):
        return False
    if shape.chosen == "any":
        return True
    return not entry.get("replaces_existing") and not any(o.get("locked") == "chosen" for o in made)


@st.composite
def sources(draw: st.DrawFn, shape: Funding) -> list[dict[str, Any]]:
    made = []
    for i in range(draw(st.integers(1, shape.most))):
        scope = draw(st.sampled_from(["county", "county", "group", "community"]))
        source: dict[str, Any] = {
            "id": f"s{i}",
            "name": f"资金{i}",
            "scope": scope,
            "budget": draw(st.sampled_from(shape.budgets)),
        }
        if shape.budgets_by_kind and scope != "county" and draw(st.booleans()):
            source["budget_by_kind"] = {
                "street": draw(st.sampled_from(shape.budgets_by_kind)),
                "town": 10,
            }
        if _one_in(draw, shape.pays_for_odds):
            source["pays_for"] = draw(
                st.lists(
                    st.sampled_from(OPTION_KINDS),
                    min_size=1,
                    max_size=shape.pays_for_most,
                    unique=True,
                )
            )
        if _one_in(draw, 4):
            source["capital_only"] = True
        if _one_in(draw, 4):
            source["max_share"] = _pick(draw, shape.max_shares)
        if _one_in(draw, 4):
            source["max_per_option"] = draw(st.sampled_from(shape.max_per_option))
        if _one_in(draw, shape.max_options_funded_odds):
            source["max_options_funded"] = draw(st.integers(0, 2))
        made.append(source)
    return made


@st.composite
def county_startup_grant(draw: st.DrawFn) -> list[dict[str, Any]]:
    """The county's budget, half the time a community startup fund, a third of the time a
    capital grant with rules."""
    made: list[dict[str, Any]] = [
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
        made.append(source)
    if _one_in(draw, 3):
        made.append(
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
    return made


@st.composite
def scenarios(
    draw: st.DrawFn, shape: Shape = BROAD, max_options_total: int | None = 6
) -> dict[str, Any]:
    """A scenario of `shape`; `max_options_total` None leaves the options in all unbounded."""
    count = draw(st.integers(1, shape.communities))
    communities = []
    left = max_options_total
    for c in range(count):
        n = None
        if left is not None:
            n = draw(st.integers(1, max(1, min(shape.options_each, left - (count - c - 1)))))
            left -= n
        communities.append(
            {
                "id": f"c{c}",
                "name": f"社区{c}",
                "group": _pick(draw, [g[0] for g in shape.groups]),
                "existing_area_m2": draw(st.sampled_from(shape.existing_m2)),
                "target_area_m2": _pick(draw, shape.target_m2),
                "must_meet": draw(st.integers(*shape.must_meet)) == shape.must_meet[0],
                "priority": draw(st.sampled_from(shape.priorities)),
                "max_options": draw(st.sampled_from(shape.max_options)),
                "options": draw(options(shape, f"c{c}o", n)),
            }
        )
    funding = sources(shape.funding) if shape.funding else county_startup_grant()
    return {
        "name": shape.name,
        "horizon_years": draw(st.sampled_from([1, 3])),
        "groups": [{"id": i, "name": name, "kind": kind} for i, name, kind in shape.groups],
        "communities": communities,
        "funding": draw(funding),
    }


def tiny_scenarios(
    max_options_total: int = 5,
    must_meet_odds: int = 3,
    areas: tuple[int, ...] = (100, 200, 300, 500),
) -> st.SearchStrategy[dict[str, Any]]:
    """1-2 communities in one street; `must_meet_odds` 3 makes about a third of them sites;
    `areas` are the largest areas routes may have (all 500: every site can reach 500 m2)."""
    shape = dataclasses.replace(TINY, must_meet=(1, must_meet_odds), areas=areas)
    return scenarios(shape, max_options_total)


def routes(plan: Any) -> frozenset[str]:
    """The ids of the routes a plan (object or JSON dict) takes."""
    if isinstance(plan, dict):
        return frozenset(o["id"] for c in plan["communities"] for o in c["options"])
    return frozenset(o.id for c in plan.community_results for o in c.options)
