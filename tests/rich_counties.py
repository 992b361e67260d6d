"""Random county-size scenarios with every rule of the scenario format switched on at once.

`rich_county(rng)` draws one scenario dict (format version 1, as `yaml.safe_load` gives it) from
a `random.Random`: the same seed always gives the same scenario. Shapes:

- 6-30 communities in 2-4 groups, always at least one street (街道) and one town (镇);
- half the draws in the "estimates" style: 2-5 routes a community, with areas and prices drawn
  from ranges like those of scenarios/2024_premises.yaml; the other half in the "catalogue"
  style: 1-6 routes with round figures from a short list (areas of 50-300 m2, a few standard
  prices, some routes free), as tests/test_random_counties.py draws them: many ties, and
  shortfalls set by what the routes can add rather than by the money;
- routes of every kind, with all-or-nothing areas (`min_area_m2` equal to the largest), least
  areas below the largest, shared space counting in part (`area_factor`), routes replacing the
  existing premises (`replaces_existing`, often with a least area), exclusions, locks (chosen
  and rejected, also on routes that exclude others), fixed and running costs;
- demonstration sites (`must_meet`), priorities, `max_options` of 1 or 3 now and then, targets
  other than 500 m2;
- a county budget and up to five other sources, together with every funding rule: `pays_for`,
  `capital_only`, `max_share` (matching money), `max_per_option` (a cap), `max_options_funded`,
  group and community scopes, `budget_by_kind` and `budgets` per unit. All the money together
  is drawn as a share (0.25 to 6) of a rough least cost of full compliance, so budgets bind in
  most scenarios and are slack in some.

Some draws are invalid input (e.g. more routes locked chosen than may be combined) or have no
plan (a demonstration site that cannot be paid for): callers skip those (`ScenarioError`, a plan
without `status.has_plan`).

Nothing here imports `allocator`: the generator is as independent of the package as the oracle.
"""

from __future__ import annotations

import math
import random
from typing import Any

OPTION_KINDS = (
    "allocate_build",
    "heighten",
    "lease",
    "asset_swap",
    "integrate",
    "developer",
    "reclaim",
)
_BUILD_KINDS = ("allocate_build", "heighten", "asset_swap")
_KIND_WEIGHTS = {
    "allocate_build": 3,
    "heighten": 3,
    "lease": 3,
    "asset_swap": 1.5,
    "integrate": 2,
    "developer": 1.5,
    "reclaim": 1.5,
}


def _money(value: float) -> float:
    return round(value, 4)


def rich_county(rng: random.Random) -> dict[str, Any]:
    """One county-size scenario with every rule drawn with good probability."""
    style = rng.choice(("estimates", "catalogue"))
    groups = _groups(rng)
    horizon = rng.choice((1, 2, 3, 3))
    target = rng.choice((500, 500, 400))
    count = rng.randint(6, 30)
    make = _community if style == "estimates" else _catalogue_community
    communities = [make(rng, c, rng.choice(groups), target) for c in range(count)]
    data: dict[str, Any] = {
        "name": f"rich county ({style})",
        "horizon_years": horizon,
        "defaults": {
            "target_area_m2": target,
            "max_options_per_community": rng.choice((2, 2, 3)),
        },
        "groups": groups,
        "communities": communities,
    }
    data["funding"] = _funding(rng, data)
    return data


def _groups(rng: random.Random) -> list[dict[str, Any]]:
    count = rng.randint(2, 4)
    kinds = ["street", "town"] + [rng.choice(("street", "town")) for _ in range(count - 2)]
    rng.shuffle(kinds)
    return [
        {"id": f"g{i}", "name": f"{i}{'街道' if kind == 'street' else '镇'}", "kind": kind}
        for i, kind in enumerate(kinds)
    ]


def _community(
    rng: random.Random, number: int, group: dict[str, Any], default_target: float
) -> dict[str, Any]:
    urban = group["kind"] == "street"
    cid = f"c{number}"
    existing = rng.choice(
        (0, 0, 60, 120, 180, 250, 320, 420) if urban else (0, 0, 40, 90, 150, 220)
    )
    entry: dict[str, Any] = {
        "id": cid,
        "name": f"社区{number}",
        "group": group["id"],
        "existing_area_m2": existing,
    }
    if rng.random() < 0.2:
        entry["target_area_m2"] = rng.choice((300, 450, 600))
    if rng.random() < 0.15:
        entry["must_meet"] = True
    if rng.random() < 0.3:
        entry["priority"] = rng.choice((0.5, 1.5, 2, 3))
    if rng.random() < 0.25:
        entry["max_options"] = rng.choice((1, 3))
    kinds = list(OPTION_KINDS)
    chosen_kinds: list[str] = []
    for _ in range(rng.randint(2, 5)):
        kind = rng.choices(kinds, weights=[_KIND_WEIGHTS[k] for k in kinds])[0]
        chosen_kinds.append(kind)  # a kind may come twice (two leases, two buildings)
    entry["options"] = [
        _option(rng, f"{cid}o{i}", kind, urban) for i, kind in enumerate(chosen_kinds)
    ]
    _exclusions(rng, entry["options"])
    _locks(rng, entry["options"])
    if entry.get("must_meet") and rng.random() < 0.85:
        _make_reachable(entry, default_target)
    return entry


def _catalogue_community(
    rng: random.Random, number: int, group: dict[str, Any], default_target: float
) -> dict[str, Any]:
    """A community whose routes take their figures from a short catalogue (round areas of
    50-400 m2, a few standard prices): many routes, many ties, much left short."""
    cid = f"c{number}"
    entry: dict[str, Any] = {
        "id": cid,
        "name": f"社区{number}",
        "group": group["id"],
        "existing_area_m2": rng.choice((0, 100, 300)),
    }
    for key, chance, values in (
        ("must_meet", 0.12, (True,)),
        ("priority", 0.5, (1, 2, 3)),
        ("max_options", 0.3, (1, 3)),
        ("target_area_m2", 0.3, (300, 400, 500)),
    ):
        if rng.random() < chance:
            entry[key] = rng.choice(values)
    options = []
    for i in range(rng.choice((1, 2, 2, 3, 3, 4, 5, 6))):
        high = rng.choice((50, 100, 200, 300))
        option: dict[str, Any] = {
            "id": f"{cid}o{i}",
            "kind": rng.choice(OPTION_KINDS),
            "max_area_m2": high,
        }
        for key, chance, values in (
            ("min_area_m2", 0.35, (high, high // 2)),
            ("area_factor", 0.3, (0.5, 0.6, 1)),
            ("replaces_existing", 0.2, (True,)),
            ("fixed_cost", 0.5, (1, 5, 10)),
            ("cost_per_m2", 0.7, (0.05, 0.2, 0.25)),
            ("annual_cost_per_m2", 0.3, (0.01, 0.02)),
            ("annual_cost", 0.15, (1, 2)),
            ("locked", 0.1, ("chosen", "rejected")),
        ):
            if rng.random() < chance:
                option[key] = rng.choice(values)
        options.append(option)
    if len(options) > 1 and rng.random() < 0.4:
        first, second = rng.sample(options, 2)
        first["excludes"] = [second["id"]]
    entry["options"] = options
    if entry.get("must_meet") and rng.random() < 0.85:
        _make_reachable(entry, default_target)
    return entry


def _option(rng: random.Random, oid: str, kind: str, urban: bool) -> dict[str, Any]:
    """A route with kind-like areas and costs (万元, 万元/m2, 万元/m2/year)."""
    option: dict[str, Any] = {"id": oid, "kind": kind}
    if kind == "allocate_build":
        high = rng.randrange(250, 700, 10)
        option["max_area_m2"] = high
        option["min_area_m2"] = rng.choice((high, high, int(high * 0.6), 0))
        option["cost_per_m2"] = _money(rng.uniform(0.14, 0.32))
        if rng.random() < 0.35:
            option["replaces_existing"] = True
        if rng.random() < 0.3:
            option["fixed_cost"] = rng.choice((2, 5, 12))
    elif kind == "heighten":
        area = rng.randrange(120, 320, 10)
        option |= {"max_area_m2": area, "min_area_m2": area}
        option["cost_per_m2"] = _money(rng.uniform(0.18, 0.35))
    elif kind == "lease":
        monthly_yuan = rng.uniform(10, 30) if urban else rng.uniform(5, 15)
        option["max_area_m2"] = rng.randrange(60, 400, 10)
        option["annual_cost_per_m2"] = _money(monthly_yuan * 12 / 10_000)
        if rng.random() < 0.3:
            option["min_area_m2"] = int(option["max_area_m2"] * rng.choice((0.5, 1)))
        if rng.random() < 0.3:
            option["annual_cost"] = _money(rng.uniform(0.2, 1.5))
        if rng.random() < 0.2:
            option["cost_per_m2"] = _money(rng.uniform(0.02, 0.06))  # fit-out
        if rng.random() < 0.15:
            option["replaces_existing"] = True
            option["min_area_m2"] = option["max_area_m2"] = max(option["max_area_m2"], 300)
    elif kind == "asset_swap":
        area = rng.randrange(300, 720, 10)
        option |= {"max_area_m2": area, "min_area_m2": rng.choice((area, area, int(area * 0.8)))}
        option["replaces_existing"] = rng.random() < 0.85
        option["fixed_cost"] = _money(rng.uniform(2, 15))
        option["cost_per_m2"] = _money(rng.uniform(0.05, 0.15))
    elif kind == "integrate":
        option["max_area_m2"] = rng.randrange(150, 520, 10)
        option["area_factor"] = rng.choice((0.5, 0.6, 0.6, 0.7, 0.8, 1.0))
        option["cost_per_m2"] = _money(rng.uniform(0.02, 0.08))
        if rng.random() < 0.25:
            option["min_area_m2"] = int(option["max_area_m2"] * 0.5)
        if rng.random() < 0.25:
            option["annual_cost_per_m2"] = _money(rng.uniform(0.002, 0.01))
    elif kind == "developer":
        area = rng.randrange(100, 400, 10)
        option |= {"max_area_m2": area, "min_area_m2": area}
        option["cost_per_m2"] = _money(rng.uniform(0.05, 0.15))
        if rng.random() < 0.2:
            option["replaces_existing"] = True
    else:  # reclaim: rooms let out; the rent income is lost every year
        area = rng.randrange(40, 180, 10)
        option |= {"max_area_m2": area, "min_area_m2": area, "cost_per_m2": 0.02}
        option["annual_cost"] = _money(area * rng.uniform(5, 15) * 12 / 10_000)
    return option


def _exclusions(rng: random.Random, options: list[dict[str, Any]]) -> None:
    """A lease excludes a heightening; otherwise a pair of routes now and then."""
    for option in options:
        if option["kind"] != "lease":
            continue
        others = [o["id"] for o in options if o["kind"] == "heighten"]
        if others and rng.random() < 0.7:
            option["excludes"] = [rng.choice(others)]
    if len(options) >= 2 and rng.random() < 0.35:
        a, b = rng.sample(options, 2)
        if b["id"] not in a.get("excludes", []):
            a.setdefault("excludes", []).append(b["id"])


def _locks(rng: random.Random, options: list[dict[str, Any]]) -> None:
    """Decisions already taken: one route locked chosen (also one that excludes others, or one
    that replaces the existing premises), one rejected, or both."""
    draw = rng.random()
    if draw < 0.12:
        rng.choice(options)["locked"] = "chosen"
    elif draw < 0.22:
        rng.choice(options)["locked"] = "rejected"
    elif draw < 0.27 and len(options) >= 3:
        first, second = rng.sample(options, 2)
        first["locked"], second["locked"] = "chosen", "rejected"


def _make_reachable(entry: dict[str, Any], default_target: float) -> None:
    """A demonstration site's largest route alone reaches the target; the locks of the site
    are cleared (a route locked chosen could leave no room for it)."""
    for option in entry["options"]:
        option.pop("locked", None)
    target = entry.get("target_area_m2", default_target)
    usable = [o for o in entry["options"] if o.get("locked") != "rejected"]
    if not usable:
        return
    best = max(usable, key=lambda o: o["max_area_m2"] * o.get("area_factor", 1.0))
    base = 0 if best.get("replaces_existing") else entry["existing_area_m2"]
    need = math.ceil((target - base) / best.get("area_factor", 1.0))
    if best["max_area_m2"] < need:
        if best.get("min_area_m2", 0) == best["max_area_m2"]:
            best["min_area_m2"] = need
        best["max_area_m2"] = need


# --- money ----------------------------------------------------------------------------------


def _option_cost(option: dict[str, Any], area: float, years: int) -> float:
    capital = option.get("fixed_cost", 0) + option.get("cost_per_m2", 0) * area
    running = option.get("annual_cost", 0) + option.get("annual_cost_per_m2", 0) * area
    return capital + years * running


def _rough_need(entry: dict[str, Any], default_target: float, years: int) -> float:
    """A rough cost of bringing a community to its target: its gap at the cheapest cost per
    counted m2 of its routes (at their largest area)."""
    target = entry.get("target_area_m2", default_target)
    gap = max(target - entry["existing_area_m2"], 0.0)
    rates = [
        _option_cost(o, o["max_area_m2"], years) / (o["max_area_m2"] * o.get("area_factor", 1.0))
        for o in entry["options"]
        if o.get("locked") != "rejected"
    ]
    return gap * min(rates) if rates else 0.0


def _site_need(entry: dict[str, Any], years: int) -> float:
    """What a demonstration site's largest route costs at its largest area (enough to reach
    the target when `_make_reachable` made it so; a rough figure otherwise)."""
    usable = [o for o in entry["options"] if o.get("locked") != "rejected"]
    if not usable:
        return 0.0
    best = max(usable, key=lambda o: o["max_area_m2"] * o.get("area_factor", 1.0))
    return _option_cost(best, best["max_area_m2"], years)


def _funding(rng: random.Random, data: dict[str, Any]) -> list[dict[str, Any]]:
    years = data["horizon_years"]
    default_target = data["defaults"]["target_area_m2"]
    communities = data["communities"]
    groups = data["groups"]
    need = sum(_rough_need(c, default_target, years) for c in communities)
    money = need * rng.choice((0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.2, 1.6, 3, 6))
    n = len(communities)
    sources: list[dict[str, Any]] = []

    startup: dict[str, Any] | None = None
    if rng.random() < 0.8:
        startup = {
            "id": "startup",
            "name": "社区启动经费",
            "scope": "community",
            "budget_by_kind": {"street": rng.choice((5, 10, 15)), "town": rng.choice((3, 5, 8))},
        }
        if rng.random() < 0.4:
            startup["budgets"] = {
                c["id"]: rng.choice((0, 8, 20)) for c in rng.sample(communities, min(3, n))
            }
        if rng.random() < 0.4:
            startup["pays_for"] = rng.sample(OPTION_KINDS, rng.randint(3, 6))
        sources.append(startup)

    if rng.random() < 0.85:
        grant: dict[str, Any] = {
            "id": "grant",
            "name": "建设项目补助",
            "scope": "county",
            "budget": _money(money * rng.uniform(0.1, 0.3)),
            "pays_for": list(_BUILD_KINDS) if rng.random() < 0.7 else rng.sample(OPTION_KINDS, 3),
        }
        if rng.random() < 0.8:
            grant["capital_only"] = True
        if rng.random() < 0.8:
            grant["max_share"] = rng.choice((0.5, 0.6, 0.8))
        if rng.random() < 0.8:
            grant["max_per_option"] = rng.choice((10, 20, 30, 45))
        if rng.random() < 0.75:
            grant["max_options_funded"] = rng.randint(1, max(1, n // 4))
        sources.append(grant)

    if rng.random() < 0.6:
        lottery: dict[str, Any] = {
            "id": "lottery",
            "name": "福彩公益金",
            "scope": "county",
            "budget": _money(money * rng.uniform(0.03, 0.12)),
            "pays_for": rng.sample(("integrate", "developer", "reclaim", "lease", "heighten"), 3),
            "capital_only": rng.random() < 0.7,
            "max_per_option": rng.choice((4, 8, 12)),
        }
        if rng.random() < 0.4:
            lottery["max_options_funded"] = rng.randint(2, max(2, n // 3))
        if rng.random() < 0.3:
            lottery["max_share"] = rng.choice((0.5, 0.8))
        sources.append(lottery)

    if rng.random() < 0.8:
        raised: dict[str, Any] = {
            "id": "self_raised",
            "name": "镇街自筹及社会捐助",
            "scope": "group",
            "budget_by_kind": {
                "street": rng.choice((0, 5, 15, 30)),
                "town": rng.choice((0, 5, 10, 25)),
            },
        }
        if rng.random() < 0.4:
            raised["budgets"] = {g["id"]: rng.choice((10, 20, 40)) for g in rng.sample(groups, 1)}
        if rng.random() < 0.3:
            raised["max_per_option"] = rng.choice((8, 15))
        sources.append(raised)

    if rng.random() < 0.5:
        rent: dict[str, Any] = {
            "id": "rent_subsidy",
            "name": "租赁补贴",
            "scope": "group",
            "budget": rng.choice((2, 4, 8)),
            "pays_for": ["lease"] if rng.random() < 0.7 else ["lease", "reclaim"],
            "max_share": 0.5,
        }
        if rng.random() < 0.5:
            rent["budget_by_kind"] = {"street": rng.choice((3, 6)), "town": rng.choice((1, 2))}
        if rng.random() < 0.3:
            rent["max_options_funded"] = rng.randint(1, 3)
        sources.append(rent)

    # the county's own money: what the other sources leave of the drawn total, at least enough
    # for the routes locked chosen now and then (a rough figure: a floor, not a guarantee)
    other = sum(s.get("budget", 0) for s in sources if s.get("scope", "county") == "county")
    locked = sum(
        _option_cost(o, o.get("min_area_m2", 0), years)
        for c in communities
        for o in c["options"]
        if o.get("locked") == "chosen"
    )
    sites = sum(_site_need(c, years) for c in communities if c.get("must_meet"))
    floor = 1.3 * (locked + sites) if rng.random() < 0.9 else 0.0
    county = max(money - other, floor, 5.0)
    sources.insert(
        0, {"id": "county", "name": "县财政", "scope": "county", "budget": _money(round(county, 1))}
    )
    # now and then the county's money does not pay for one kind that nothing depends on
    committed = {
        o["kind"]
        for c in communities
        for o in c["options"]
        if o.get("locked") == "chosen" or c.get("must_meet")
    }
    spare = [k for k in OPTION_KINDS if k not in committed]
    if spare and rng.random() < 0.3:
        left_out = rng.choice(spare)
        sources[0]["pays_for"] = [k for k in OPTION_KINDS if k != left_out]
    rng.shuffle(sources)  # the order of the file ranks payers in ties
    return sources
