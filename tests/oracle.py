"""Independent test oracle for allocator plans.

Nothing here imports ``allocator``. The oracle reads the scenario format (version 1) and the
model (docs/model.md) on its own, so that a mistake in the package cannot hide behind the same
mistake in its checker.

- ``normalise(raw)`` applies the documented defaults to a scenario dict as ``yaml.safe_load``
  gives it.
- ``check_plan(raw, plan)`` recomputes every rule of the model from a plan in the JSON-contract
  shape and lists the violations, each starting with a rule tag such as ``[budget]`` (see
  ``RULES``). An empty list means the plan is valid.
- ``brute_force(raw)`` finds the exact lexicographic optimum (least weighted shortfall, then
  least total cost) of a tiny scenario: it enumerates every choice of options (and, for sources
  limited in the number of options they fund, which options they fund) and solves the
  remaining linear programme with HiGHS (highspy), twice per choice.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import highspy
import numpy as np
from oracle_bridge import BRIDGE_RULES, bridge_years, check_bridges
from oracle_staff import STAFF_RULES, check_staff, pays_for, staff_money
from oracle_years import YEAR_RULES, check_years

OPTION_KINDS = (
    "allocate_build",
    "heighten",
    "lease",
    "asset_swap",
    "integrate",
    "developer",
    "reclaim",
)
COUNTY_UNIT = "county"
REL_TOL = 1e-5  # relative slack for comparing money and area figures (plans round them)
AREA_TOL_M2 = 1e-4  # a shortfall at most this large counts as "target met"
NOISE_M2 = 1e-7  # a shortfall at most this large is zero: meets_target must be true
TIE_TOL = 1e-6  # weighted shortfalls this close are equal when ranking choices

RULES: dict[str, str] = {
    "contract": "a key of the JSON contract is missing or has the wrong type",
    "status": "the plan's status is not one that carries a plan",
    "community-missing": "a community of the scenario is not in the plan",
    "community-duplicate": "a community appears more than once",
    "community-unknown": "the plan lists a community the scenario does not have",
    "community-data": "name, group, existing or target area differ from the scenario",
    "option-unknown": "a chosen option does not exist",
    "option-community": "a chosen option belongs to another community",
    "option-duplicate": "an option is listed more than once",
    "option-kind": "an option's kind differs from the scenario",
    "area-range": "area outside [min_area_m2, max_area_m2]",
    "locked": "a locked option is not decided as locked",
    "excludes": "two options that exclude each other are both chosen",
    "max-options": "more options chosen for a community than max_options",
    "replacing": "more than one replaces_existing option chosen for a community",
    "counted-area": "counted_area_m2 != area_factor * area_m2",
    "capital-cost": "capital_cost != fixed_cost + cost_per_m2 * area",
    "running-cost": "running_cost != horizon_years * (annual_cost + annual_cost_per_m2 * area)",
    "option-cost": "cost != capital_cost + running_cost",
    "source-unknown": "money from a source the scenario does not have",
    "funding-negative": "a negative amount of money",
    "funding-sum": "the money for an option does not add up to its cost",
    "pays-for": "a source pays for a kind of option outside its pays_for",
    "capital-only": "capital-only sources pay more than the option's capital cost",
    "max-share": "a source pays more than max_share of an option's cost",
    "max-per-option": "a source pays more than max_per_option towards one option",
    "max-options-funded": "a source funds more options than max_options_funded",
    "budget": "a source spends more in a unit than that unit's budget",
    "funding-table": "the funding table disagrees with the money in the plan",
    "final-area": "final_area_m2 is not existing (unless replaced) plus counted areas",
    "shortfall": "shortfall_m2 != max(0, target - final area)",
    "meets-target": "meets_target disagrees with the shortfall",
    "community-cost": "a community's cost is not the sum of its options' costs",
    "must-meet": "a must_meet community falls short of its target",
    "total-cost": "total_cost is not the sum of option costs",
    "total-shortfall": "total_shortfall_m2 is not the sum of shortfalls",
    "weighted-shortfall": "weighted_shortfall is not the sum of priority * shortfall",
    "communities-meeting": "communities_meeting_target is not the number meeting their target",
    "county-money": "county_money_used is not the money the plan takes from the county's own "
    "sources (general money of county scope)",
}
RULES.update(STAFF_RULES)
RULES.update(YEAR_RULES)
RULES.update(BRIDGE_RULES)


# --------------------------------------------------------------------------------------------
# Normalised scenario
# --------------------------------------------------------------------------------------------


class Group(TypedDict):
    id: str
    name: str
    kind: str


class Option(TypedDict):
    id: str
    community: str
    kind: str
    min_area_m2: float
    max_area_m2: float
    area_factor: float
    replaces_existing: bool
    fixed_cost: float
    cost_per_m2: float
    annual_cost: float
    annual_cost_per_m2: float
    excludes: list[str]
    locked: str | None
    rent_years: int | None  # a bridge lease's years in service (oracle_bridge); else None


class Community(TypedDict):
    id: str
    name: str
    group: str
    group_kind: str
    existing_area_m2: float
    target_area_m2: float
    must_meet: bool
    priority: float
    max_options: int
    options: list[str]


class Source(TypedDict):
    id: str
    name: str
    scope: str
    pays_for: list[str]
    capital_only: bool
    max_share: float
    max_per_option: float | None
    max_options_funded: int | None
    budgets: dict[str, float]


class Scenario(TypedDict):
    name: str
    horizon_years: int
    groups: dict[str, Group]
    communities: dict[str, Community]
    options: dict[str, Option]
    sources: dict[str, Source]


def _get(entry: Mapping[str, Any], key: str, default: Any) -> Any:
    """The value under ``key``, or ``default`` when it is absent or null."""
    value = entry.get(key)
    return default if value is None else value


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def normalise(raw: Mapping[str, Any]) -> Scenario:
    """Apply the v1 defaults to a raw scenario dict; excludes are made symmetric."""
    defaults = _get(raw, "defaults", {})
    default_target = float(_get(defaults, "target_area_m2", 500))
    default_max_options = int(_get(defaults, "max_options_per_community", 2))
    groups = {
        g["id"]: Group(id=g["id"], name=str(_get(g, "name", g["id"])), kind=g["kind"])
        for g in _get(raw, "groups", [])
    }
    communities: dict[str, Community] = {}
    options: dict[str, Option] = {}
    for c in raw["communities"]:
        option_ids = []
        for o in _get(c, "options", []):
            options[o["id"]] = _normalise_option(o, c["id"], c)
            option_ids.append(o["id"])
        communities[c["id"]] = Community(
            id=c["id"],
            name=str(_get(c, "name", c["id"])),
            group=c["group"],
            group_kind=groups[c["group"]]["kind"] if c["group"] in groups else "",
            existing_area_m2=float(_get(c, "existing_area_m2", 0)),
            target_area_m2=float(_get(c, "target_area_m2", default_target)),
            must_meet=bool(_get(c, "must_meet", False)),
            priority=float(_get(c, "priority", 1)),
            max_options=int(_get(c, "max_options", default_max_options)),
            options=option_ids,
        )
    _make_excludes_symmetric(options)
    sources = {s["id"]: _normalise_source(s, groups, communities) for s in _get(raw, "funding", [])}
    return Scenario(
        name=raw["name"],
        horizon_years=int(_get(raw, "horizon_years", 1)),
        groups=groups,
        communities=communities,
        options=options,
        sources=sources,
    )


def _normalise_option(o: Mapping[str, Any], community_id: str, c: Mapping[str, Any]) -> Option:
    return Option(
        id=o["id"],
        community=community_id,
        kind=o["kind"],
        min_area_m2=float(_get(o, "min_area_m2", 0)),
        max_area_m2=float(o["max_area_m2"]),
        area_factor=float(_get(o, "area_factor", 1)),
        replaces_existing=bool(_get(o, "replaces_existing", False)),
        fixed_cost=float(_get(o, "fixed_cost", 0)),
        cost_per_m2=float(_get(o, "cost_per_m2", 0)),
        annual_cost=float(_get(o, "annual_cost", 0)),
        annual_cost_per_m2=float(_get(o, "annual_cost_per_m2", 0)),
        excludes=list(_get(o, "excludes", [])),
        locked=o.get("locked"),
        rent_years=bridge_years({p["id"]: p for p in _get(c, "options", [])}, o),
    )


def _make_excludes_symmetric(options: dict[str, Option]) -> None:
    pairs = {(o, p) for o, opt in options.items() for p in opt["excludes"]}
    pairs |= {(p, o) for o, p in pairs}
    for option_id, option in options.items():
        option["excludes"] = sorted(p for o, p in pairs if o == option_id)


def _normalise_source(
    s: Mapping[str, Any], groups: dict[str, Group], communities: dict[str, Community]
) -> Source:
    scope = _get(s, "scope", "county")
    return Source(
        id=s["id"],
        name=str(_get(s, "name", s["id"])),
        scope=scope,
        pays_for=sorted(pays_for(s)),
        capital_only=bool(_get(s, "capital_only", False)),
        max_share=float(_get(s, "max_share", 1)),
        max_per_option=_optional_float(s.get("max_per_option")),
        max_options_funded=_optional_int(s.get("max_options_funded")),
        budgets=_unit_budgets(s, scope, groups, communities),
    )


def _unit_budgets(
    s: Mapping[str, Any], scope: str, groups: dict[str, Group], communities: dict[str, Community]
) -> dict[str, float]:
    """Budget per unit: ``budgets[unit]``, else ``budget_by_kind[kind]``, else ``budget``."""
    unit_kinds: dict[str, str | None]
    if scope == "county":
        unit_kinds = {COUNTY_UNIT: None}
    elif scope == "group":
        unit_kinds = {gid: g["kind"] for gid, g in groups.items()}
    elif scope == "community":
        unit_kinds = {cid: c["group_kind"] for cid, c in communities.items()}
    else:
        raise ValueError(f"source {s['id']!r}: unknown scope {scope!r}")
    base = float(_get(s, "budget", 0))
    by_kind = _get(s, "budget_by_kind", {})
    explicit = _get(s, "budgets", {})
    budgets: dict[str, float] = {}
    for unit, kind in unit_kinds.items():
        if unit in explicit:
            budgets[unit] = float(explicit[unit])
        elif kind in by_kind:
            budgets[unit] = float(by_kind[kind])
        else:
            budgets[unit] = base
    return budgets


def unit_of(source: Source, community: Community) -> str:
    """The unit of ``source``'s scope that the money for ``community`` comes from."""
    if source["scope"] == "group":
        return community["group"]
    if source["scope"] == "community":
        return community["id"]
    return COUNTY_UNIT


def capital_cost(option: Option, area_m2: float) -> float:
    return option["fixed_cost"] + option["cost_per_m2"] * area_m2


def running_cost(option: Option, area_m2: float, horizon_years: int) -> float:
    return horizon_years * (option["annual_cost"] + option["annual_cost_per_m2"] * area_m2)


# --------------------------------------------------------------------------------------------
# Plan checker
# --------------------------------------------------------------------------------------------


class _Problems(list[str]):
    def add(self, rule: str, message: str) -> None:
        assert rule in RULES, rule
        self.append(f"[{rule}] {message}")


def _slack(tol: float, *values: float) -> float:
    return tol + REL_TOL * max([1.0, *(abs(v) for v in values)])


def _close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= _slack(tol, a, b)


def _at_most(a: float, b: float, tol: float) -> bool:
    return a <= b + _slack(tol, a, b)


@dataclass
class _Recomputed:
    """Figures recomputed from the plan's decisions (chosen options, areas, money)."""

    chosen: dict[str, dict[str, Any]] = field(default_factory=dict)  # option id -> plan entry
    cost: dict[str, float] = field(default_factory=dict)  # option id -> cost
    capital: dict[str, float] = field(default_factory=dict)  # option id -> capital cost
    shortfall: dict[str, float] = field(default_factory=dict)  # community id -> m2


def check_plan(
    raw_scenario: Mapping[str, Any], plan: Mapping[str, Any], tol: float = 1e-6
) -> list[str]:
    """Every violation of the model's rules by ``plan``, as ``[rule] message`` strings."""
    scenario = normalise(raw_scenario)
    problems = _check_contract(plan)
    if problems:
        return list(problems)
    if plan["scenario"] != scenario["name"]:
        problems.add("contract", f"plan of {plan['scenario']!r}, not of {scenario['name']!r}")
    if plan["status"] not in ("optimal", "time_limit", "not_proven"):
        problems.add("status", f"status {plan['status']!r} carries no plan to check")
        return list(problems)
    rows = _community_rows(scenario, plan, problems)
    figures = _Recomputed()
    _collect_chosen(scenario, rows, figures, problems)
    _check_choices(scenario, figures, problems)
    _check_option_figures(scenario, figures, problems, tol)
    _check_funding_rules(scenario, figures, problems, tol)
    kinds = {gid: g["kind"] for gid, g in scenario["groups"].items()}
    staff = check_staff(raw_scenario, plan, kinds, problems.add, lambda a, b: _close(a, b, tol))
    used = _check_budgets(scenario, figures, problems, tol, staff)
    check_years(raw_scenario, plan, lambda s, kind: kind in pays_for(s), problems.add, kinds)
    _check_funding_table(scenario, plan["funding"], used, problems, tol)
    check_bridges(raw_scenario, plan, problems.add)
    _check_communities(scenario, rows, figures, problems, tol)
    _check_totals(scenario, plan, figures, problems, tol)
    _check_county_money(scenario, plan, figures, problems, tol)
    return list(problems)


_TOP_KEYS = (
    "scenario",
    "status",
    "total_cost",
    "total_shortfall_m2",
    "weighted_shortfall",
    "communities_meeting_target",
    "communities",
    "funding",
    "solver",
    "input_sha256",
)
_TOP_NUMBERS = ("total_cost", "total_shortfall_m2", "weighted_shortfall")
_SOLVER_KEYS = ("name", "version", "gap", "runtime_s")
_COMMUNITY_NUMBERS = ("existing_area_m2", "target_area_m2", "final_area_m2", "shortfall_m2", "cost")
_COMMUNITY_KEYS = ("id", "name", "group", "meets_target", "options", *_COMMUNITY_NUMBERS)
_OPTION_NUMBERS = ("area_m2", "counted_area_m2", "capital_cost", "running_cost", "cost")
_OPTION_KEYS = ("id", "kind", "funding", *_OPTION_NUMBERS)
_FUNDING_NUMBERS = ("budget", "used", "left")
_FUNDING_KEYS = ("source", "unit", *_FUNDING_NUMBERS)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_entry(
    entry: Any, keys: tuple[str, ...], numbers: tuple[str, ...], where: str, problems: _Problems
) -> bool:
    """Record missing keys and non-numbers in ``entry``; True when it is usable."""
    if not isinstance(entry, Mapping):
        problems.add("contract", f"{where}: expected an object, got {type(entry).__name__}")
        return False
    ok = True
    for key in keys:
        if key not in entry:
            problems.add("contract", f"{where}: missing key {key!r}")
            ok = False
        elif key in numbers and not _is_number(entry[key]):
            problems.add("contract", f"{where}.{key}: {entry[key]!r} is not a finite number")
            ok = False
    return ok


def _check_contract(plan: Mapping[str, Any]) -> _Problems:
    problems = _Problems()
    if isinstance(plan, Mapping) and plan.get("status") in ("infeasible", "no_plan"):
        _check_entry(plan, _TOP_KEYS, (), "plan", problems)
        for key in (*_TOP_NUMBERS, "communities_meeting_target"):
            if plan.get(key, None) is not None:  # no plan, no figures: null, never 0
                problems.add("contract", f"plan.{key} is {plan[key]!r} where there is no plan")
        problems.add("status", f"status {plan['status']!r} carries no plan to check")
        return problems
    if not _check_entry(plan, _TOP_KEYS, _TOP_NUMBERS, "plan", problems):
        return problems
    _check_entry(plan["solver"], _SOLVER_KEYS, (), "plan.solver", problems)
    if not isinstance(plan["communities_meeting_target"], int) or isinstance(
        plan["communities_meeting_target"], bool
    ):
        problems.add("contract", "plan.communities_meeting_target is not an integer")
    for i, row in enumerate(plan["funding"]):
        _check_entry(row, _FUNDING_KEYS, _FUNDING_NUMBERS, f"plan.funding[{i}]", problems)
    for i, row in enumerate(plan["communities"]):
        where = f"plan.communities[{i}]"
        if not _check_entry(row, _COMMUNITY_KEYS, _COMMUNITY_NUMBERS, where, problems):
            continue
        if not isinstance(row["meets_target"], bool):
            problems.add("contract", f"{where}.meets_target is not a boolean")
        for j, option in enumerate(row["options"]):
            where_option = f"{where}.options[{j}]"
            if _check_entry(option, _OPTION_KEYS, _OPTION_NUMBERS, where_option, problems):
                for source_id, amount in option["funding"].items():
                    if not _is_number(amount):
                        problems.add("contract", f"{where_option}.funding.{source_id}: {amount!r}")
    return problems


def _community_rows(
    scenario: Scenario, plan: Mapping[str, Any], problems: _Problems
) -> dict[str, Mapping[str, Any]]:
    rows: dict[str, Mapping[str, Any]] = {}
    for row in plan["communities"]:
        cid = row["id"]
        if cid not in scenario["communities"]:
            problems.add("community-unknown", f"community {cid!r} is not in the scenario")
        elif cid in rows:
            problems.add("community-duplicate", f"community {cid!r} appears more than once")
        else:
            rows[cid] = row
    for cid in scenario["communities"]:
        if cid not in rows:
            problems.add("community-missing", f"community {cid!r} is missing from the plan")
    return rows


def _collect_chosen(
    scenario: Scenario,
    rows: Mapping[str, Mapping[str, Any]],
    figures: _Recomputed,
    problems: _Problems,
) -> None:
    for cid, row in rows.items():
        for entry in row["options"]:
            oid = entry["id"]
            option = scenario["options"].get(oid)
            if option is None:
                problems.add("option-unknown", f"{cid}: option {oid!r} does not exist")
            elif option["community"] != cid:
                problems.add(
                    "option-community", f"{cid}: option {oid!r} belongs to {option['community']}"
                )
            elif oid in figures.chosen:
                problems.add("option-duplicate", f"{cid}: option {oid!r} is listed twice")
            else:
                if entry["kind"] != option["kind"]:
                    problems.add(
                        "option-kind", f"{oid}: kind {entry['kind']!r}, expected {option['kind']!r}"
                    )
                figures.chosen[oid] = entry


def _check_choices(scenario: Scenario, figures: _Recomputed, problems: _Problems) -> None:
    chosen = figures.chosen
    for oid, option in scenario["options"].items():
        if option["locked"] == "chosen" and oid not in chosen:
            problems.add("locked", f"{oid} is locked chosen but not in the plan")
        if option["locked"] == "rejected" and oid in chosen:
            problems.add("locked", f"{oid} is locked rejected but chosen")
        for other in option["excludes"]:
            if oid < other and oid in chosen and other in chosen:
                problems.add("excludes", f"{oid} and {other} exclude each other but both chosen")
    for cid, community in scenario["communities"].items():
        picked = [o for o in community["options"] if o in chosen]
        if len(picked) > community["max_options"]:
            problems.add(
                "max-options",
                f"{cid}: {len(picked)} options chosen, at most {community['max_options']}",
            )
        replacing = [o for o in picked if scenario["options"][o]["replaces_existing"]]
        if len(replacing) > 1:
            problems.add("replacing", f"{cid}: several replacing options chosen: {replacing}")


def _check_option_figures(
    scenario: Scenario, figures: _Recomputed, problems: _Problems, tol: float
) -> None:
    horizon = scenario["horizon_years"]
    for oid, entry in figures.chosen.items():
        option = scenario["options"][oid]
        area = float(entry["area_m2"])
        low, high = option["min_area_m2"], option["max_area_m2"]
        if not (_at_most(low, area, tol) and _at_most(area, high, tol)):
            problems.add("area-range", f"{oid}: area {area} m2 outside [{low}, {high}]")
        capital = capital_cost(option, area)
        running = running_cost(option, area, option["rent_years"] or horizon)
        figures.capital[oid] = capital
        figures.cost[oid] = capital + running
        counted = 0.0 if option["rent_years"] else option["area_factor"] * area  # a bridge: 0
        expected = {
            "counted-area": ("counted_area_m2", counted),
            "capital-cost": ("capital_cost", capital),
            "running-cost": ("running_cost", running),
            "option-cost": ("cost", capital + running),
        }
        for rule, (key, value) in expected.items():
            if not _close(entry[key], value, tol):
                problems.add(rule, f"{oid}: {key} {entry[key]}, recomputed {value}")


def _check_funding_rules(
    scenario: Scenario, figures: _Recomputed, problems: _Problems, tol: float
) -> None:
    sources = scenario["sources"]
    for oid, entry in figures.chosen.items():
        option = scenario["options"][oid]
        cost, capital = figures.cost[oid], figures.capital[oid]
        money: dict[str, float] = {sid: float(a) for sid, a in entry["funding"].items()}
        if not _close(sum(money.values()), cost, tol):
            problems.add("funding-sum", f"{oid}: money {sum(money.values())} for cost {cost}")
        capital_only_money = 0.0
        for sid, amount in money.items():
            source = sources.get(sid)
            if source is None:
                problems.add("source-unknown", f"{oid}: money from unknown source {sid!r}")
                continue
            if amount < -_slack(tol, amount):
                problems.add("funding-negative", f"{oid}: {sid} pays {amount}")
            if amount > tol and option["kind"] not in source["pays_for"]:
                problems.add("pays-for", f"{oid}: {sid} may not pay for {option['kind']}")
            if source["capital_only"]:
                capital_only_money += amount
            if not _at_most(amount, source["max_share"] * cost, tol):
                problems.add(
                    "max-share",
                    f"{oid}: {sid} pays {amount} > {source['max_share']} x cost {cost}",
                )
            cap = source["max_per_option"]
            if cap is not None and not _at_most(amount, cap, tol):
                problems.add("max-per-option", f"{oid}: {sid} pays {amount} > {cap}")
        if not _at_most(capital_only_money, capital, tol):
            problems.add(
                "capital-only",
                f"{oid}: capital-only sources pay {capital_only_money} > capital cost {capital}",
            )


def _check_budgets(
    scenario: Scenario,
    figures: _Recomputed,
    problems: _Problems,
    tol: float,
    staff: Mapping[tuple[str, str], float],
) -> dict[tuple[str, str], float]:
    """Check max_options_funded and unit budgets (routes' money and ``staff`` money, by source
    and unit); return money used per (source, unit)."""
    used: dict[tuple[str, str], float] = dict(staff)
    funded: dict[str, list[str]] = {}
    for oid, entry in figures.chosen.items():
        community = scenario["communities"][scenario["options"][oid]["community"]]
        for sid, amount in entry["funding"].items():
            source = scenario["sources"].get(sid)
            if source is None:
                continue
            key = (sid, unit_of(source, community))
            used[key] = used.get(key, 0.0) + float(amount)
            if amount > tol:
                funded.setdefault(sid, []).append(oid)
    for sid, option_ids in funded.items():
        limit = scenario["sources"][sid]["max_options_funded"]
        if limit is not None and len(option_ids) > limit:
            problems.add(
                "max-options-funded",
                f"{sid} funds {len(option_ids)} options {option_ids} > {limit}",
            )
    for (sid, unit), amount in used.items():
        budget = scenario["sources"][sid]["budgets"][unit]
        if not _at_most(amount, budget, tol):
            problems.add("budget", f"{sid} in {unit}: uses {amount} > budget {budget}")
    return used


def _check_funding_table(
    scenario: Scenario,
    table: list[Mapping[str, Any]],
    used: Mapping[tuple[str, str], float],
    problems: _Problems,
    tol: float,
) -> None:
    """Rows must agree with the recomputed money; rows of unused units may be left out."""
    seen: set[tuple[str, str]] = set()
    for row in table:
        key = (row["source"], row["unit"])
        source = scenario["sources"].get(row["source"])
        if source is None or row["unit"] not in source["budgets"]:
            problems.add("funding-table", f"row {key}: no such source and unit")
            continue
        if key in seen:
            problems.add("funding-table", f"row {key} appears more than once")
            continue
        seen.add(key)
        budget = source["budgets"][row["unit"]]
        spent = used.get(key, 0.0)
        for name, value in (("budget", budget), ("used", spent), ("left", budget - spent)):
            if not _close(row[name], value, tol):
                problems.add("funding-table", f"row {key}: {name} {row[name]}, recomputed {value}")
    for key, spent in used.items():
        if spent > tol and key not in seen:
            problems.add("funding-table", f"no row for {key}, which uses {spent}")


def _check_communities(
    scenario: Scenario,
    rows: Mapping[str, Mapping[str, Any]],
    figures: _Recomputed,
    problems: _Problems,
    tol: float,
) -> None:
    for cid, community in scenario["communities"].items():
        picked = [o for o in community["options"] if o in figures.chosen]
        options = [scenario["options"][o] for o in picked]
        replaced = any(o["replaces_existing"] for o in options)
        final = 0.0 if replaced else community["existing_area_m2"]
        final += sum(o["area_factor"] * float(figures.chosen[o["id"]]["area_m2"])
                     for o in options if not o["rent_years"])  # fmt: skip
        shortfall = max(0.0, community["target_area_m2"] - final)
        figures.shortfall[cid] = shortfall
        if community["must_meet"] and shortfall > AREA_TOL_M2:
            problems.add("must-meet", f"{cid} must meet its target but falls {shortfall} m2 short")
        row = rows.get(cid)
        if row is None:
            continue
        _check_community_data(community, row, problems, tol)
        cost = sum(figures.cost[o] for o in picked)
        for rule, key, value in (
            ("final-area", "final_area_m2", final),
            ("shortfall", "shortfall_m2", shortfall),
            ("community-cost", "cost", cost),
        ):
            if not _close(row[key], value, tol):
                problems.add(rule, f"{cid}: {key} {row[key]}, recomputed {value}")
        if shortfall <= NOISE_M2:
            expected_meets: bool | None = True
        elif shortfall > AREA_TOL_M2:
            expected_meets = False
        else:  # within solver noise of the target: either answer is fair
            expected_meets = None
        if expected_meets is not None and row["meets_target"] is not expected_meets:
            problems.add(
                "meets-target", f"{cid}: meets_target {row['meets_target']}, shortfall {shortfall}"
            )


def _check_community_data(
    community: Community, row: Mapping[str, Any], problems: _Problems, tol: float
) -> None:
    expected: dict[str, str | float] = {
        "name": community["name"],
        "group": community["group"],
        "existing_area_m2": community["existing_area_m2"],
        "target_area_m2": community["target_area_m2"],
    }
    for key, value in expected.items():
        got = row[key]
        if isinstance(value, float) and _is_number(got):
            same = _close(got, value, tol)
        else:
            same = got == value
        if not same:
            problems.add("community-data", f"{community['id']}: {key} {got!r}, expected {value!r}")


def _check_totals(
    scenario: Scenario,
    plan: Mapping[str, Any],
    figures: _Recomputed,
    problems: _Problems,
    tol: float,
) -> None:
    communities = scenario["communities"]
    staff_cost = sum(float(row.get("staff_cost", 0.0)) for row in plan["communities"])
    expected = {
        "total-cost": ("total_cost", sum(figures.cost.values()) + staff_cost),
        "total-shortfall": ("total_shortfall_m2", sum(figures.shortfall.values())),
        "weighted-shortfall": (
            "weighted_shortfall",
            sum(communities[c]["priority"] * s for c, s in figures.shortfall.items()),
        ),
    }
    for rule, (key, value) in expected.items():
        if not _close(plan[key], value, tol):
            problems.add(rule, f"{key} {plan[key]}, recomputed {value}")
    # Communities within solver noise of their target must count; those further short must not.
    surely = sum(1 for s in figures.shortfall.values() if s <= NOISE_M2)
    at_most = sum(1 for s in figures.shortfall.values() if s <= AREA_TOL_M2)
    reported = plan["communities_meeting_target"]
    if not surely <= reported <= at_most:
        expected = surely if surely == at_most else f"{surely}..{at_most}"
        problems.add(
            "communities-meeting", f"communities_meeting_target {reported}, recomputed {expected}"
        )


# --------------------------------------------------------------------------------------------
# Brute force
# --------------------------------------------------------------------------------------------


def brute_force(
    raw_scenario: Mapping[str, Any], max_total_options: int = 10
) -> tuple[float, float] | None:
    """Exact (weighted shortfall, total cost) optimum of a tiny scenario, or None if infeasible.

    Every admissible set of chosen options is enumerated (locks, excludes, max_options, at most
    one replacing option per community), and for each source with ``max_options_funded`` every
    set of chosen options it may fund. What is left is a linear programme in areas and money,
    solved in two stages: least weighted shortfall, then least cost keeping that shortfall.
    """
    scenario = normalise(raw_scenario)
    if len(scenario["options"]) > max_total_options:
        raise ValueError(
            f"brute_force is for tiny scenarios: {len(scenario['options'])} options "
            f"> {max_total_options}"
        )
    per_community = [_community_choices(scenario, cid) for cid in scenario["communities"]]
    results: list[tuple[float, float]] = []
    for parts in itertools.product(*per_community):
        chosen = [oid for part in parts for oid in part]
        for funders in _funding_permissions(scenario, chosen):
            result = _solve_fixed_choice(scenario, chosen, funders)
            if result is not None:
                results.append(result)
    if not results:
        return None
    best_shortfall = min(ws for ws, _ in results)
    best_cost = min(cost for ws, cost in results if ws <= best_shortfall + TIE_TOL)
    return best_shortfall, best_cost


def _community_choices(scenario: Scenario, community_id: str) -> list[tuple[str, ...]]:
    community = scenario["communities"][community_id]
    options = scenario["options"]
    forced = tuple(o for o in community["options"] if options[o]["locked"] == "chosen")
    free = [o for o in community["options"] if options[o]["locked"] is None]
    choices = []
    for size in range(len(free) + 1):
        for extra in itertools.combinations(free, size):
            picked = forced + extra
            if len(picked) > community["max_options"]:
                continue
            if sum(options[o]["replaces_existing"] for o in picked) > 1:
                continue
            if any(p in options[o]["excludes"] for o, p in itertools.combinations(picked, 2)):
                continue
            choices.append(picked)
    return choices


def _funding_permissions(
    scenario: Scenario, chosen: list[str]
) -> Iterator[dict[str, tuple[str, ...]]]:
    """For each source, which chosen options it may fund; one dict per combination."""
    per_source: list[list[tuple[str, ...]]] = []
    for source in scenario["sources"].values():
        eligible = tuple(o for o in chosen if scenario["options"][o]["kind"] in source["pays_for"])
        limit = source["max_options_funded"]
        if limit is None or limit >= len(eligible):
            per_source.append([eligible])
        else:
            # Funding fewer options than the limit is covered by paying zero.
            per_source.append(list(itertools.combinations(eligible, limit)))
    for picks in itertools.product(*per_source):
        yield dict(zip(scenario["sources"], picks, strict=True))


@dataclass
class _Lp:
    """A small LP: columns with bounds, rows ``lower <= sum coef * col <= upper``."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    rows: list[tuple[float, float, dict[int, float]]] = field(default_factory=list)

    def add_col(self, lower: float, upper: float) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.lower) - 1

    def add_row(self, lower: float, upper: float, coefs: dict[int, float]) -> None:
        self.rows.append((lower, upper, coefs))


def _solve_fixed_choice(
    scenario: Scenario, chosen: list[str], funders: Mapping[str, tuple[str, ...]]
) -> tuple[float, float] | None:
    lp = _Lp()
    area = {
        o: lp.add_col(scenario["options"][o]["min_area_m2"], scenario["options"][o]["max_area_m2"])
        for o in chosen
    }
    cost_coefs, cost_constant = _add_money(scenario, lp, chosen, area, funders)
    shortfall_coefs = _add_shortfalls(scenario, lp, chosen, area)
    highs = _to_highs(lp)
    stage_one = _minimise(highs, shortfall_coefs, 0.0)
    if stage_one is None:
        return None
    columns = np.array(list(shortfall_coefs), dtype=np.int32)
    highs.addRow(
        -highspy.kHighsInf,
        stage_one + 1e-9 * max(1.0, stage_one),
        len(columns),
        columns,
        np.array(list(shortfall_coefs.values()), dtype=float),
    )
    highs.changeColsCost(len(columns), columns, np.zeros(len(columns)))
    stage_two = _minimise(highs, cost_coefs, cost_constant)
    if stage_two is None:
        raise RuntimeError("stage two infeasible after a feasible stage one")
    return stage_one, stage_two


def _add_money(
    scenario: Scenario,
    lp: _Lp,
    chosen: list[str],
    area: Mapping[str, int],
    funders: Mapping[str, tuple[str, ...]],
    money_columns: dict[tuple[str, str], int] | None = None,
) -> tuple[dict[int, float], float]:
    """Money columns and rows; return the cost objective (coefficients, constant). The money
    columns by (option, source) go into ``money_columns`` when given."""
    horizon = scenario["horizon_years"]
    sources = scenario["sources"]
    cost_coefs: dict[int, float] = {}
    cost_constant = 0.0
    per_unit: dict[tuple[str, str], dict[int, float]] = {}
    for oid in chosen:
        option = scenario["options"][oid]
        community = scenario["communities"][option["community"]]
        slope = option["cost_per_m2"] + horizon * option["annual_cost_per_m2"]
        constant = option["fixed_cost"] + horizon * option["annual_cost"]
        cost_coefs[area[oid]] = slope
        cost_constant += constant
        money: dict[str, int] = {}
        for sid, source in sources.items():
            if oid in funders[sid]:
                cap = source["max_per_option"]
                money[sid] = lp.add_col(0.0, highspy.kHighsInf if cap is None else cap)
                if money_columns is not None:
                    money_columns[(oid, sid)] = money[sid]
                share = source["max_share"]
                lp.add_row(
                    -highspy.kHighsInf,
                    share * constant,
                    {money[sid]: 1.0, area[oid]: -share * slope},
                )
                unit = per_unit.setdefault((sid, unit_of(source, community)), {})
                unit[money[sid]] = 1.0
        # (cost balance) sum_s f = constant + slope * x
        lp.add_row(constant, constant, {**{c: 1.0 for c in money.values()}, area[oid]: -slope})
        capital_only = {c: 1.0 for sid, c in money.items() if sources[sid]["capital_only"]}
        if capital_only:
            lp.add_row(
                -highspy.kHighsInf,
                option["fixed_cost"],
                {**capital_only, area[oid]: -option["cost_per_m2"]},
            )
    for (sid, unit), coefs in per_unit.items():
        lp.add_row(-highspy.kHighsInf, sources[sid]["budgets"][unit], coefs)
    return cost_coefs, cost_constant


def _add_shortfalls(
    scenario: Scenario, lp: _Lp, chosen: list[str], area: Mapping[str, int]
) -> dict[int, float]:
    """Shortfall columns and rows; return the weighted-shortfall objective."""
    objective: dict[int, float] = {}
    for community in scenario["communities"].values():
        options = [scenario["options"][o] for o in community["options"] if o in chosen]
        replaced = any(o["replaces_existing"] for o in options)
        existing = 0.0 if replaced else community["existing_area_m2"]
        column = lp.add_col(0.0, 0.0 if community["must_meet"] else highspy.kHighsInf)
        objective[column] = community["priority"]
        # shortfall + sum area_factor * x >= target - existing
        coefs = {column: 1.0, **{area[o["id"]]: o["area_factor"] for o in options}}
        lp.add_row(community["target_area_m2"] - existing, highspy.kHighsInf, coefs)
    return objective


def _to_highs(lp: _Lp) -> highspy.Highs:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.addVars(len(lp.lower), np.array(lp.lower, dtype=float), np.array(lp.upper, dtype=float))
    for lower, upper, coefs in lp.rows:
        columns = np.array(list(coefs), dtype=np.int32)
        values = np.array(list(coefs.values()), dtype=float)
        highs.addRow(lower, upper, len(columns), columns, values)
    return highs


def _minimise(highs: highspy.Highs, coefs: Mapping[int, float], constant: float) -> float | None:
    """Minimise ``constant + sum coef * col``; None when infeasible."""
    columns = np.array(list(coefs), dtype=np.int32)
    highs.changeColsCost(len(columns), columns, np.array(list(coefs.values()), dtype=float))
    highs.changeObjectiveOffset(constant)
    highs.run()
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return float(highs.getInfo().objective_function_value)
    if status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return None
    raise RuntimeError(f"HiGHS returned {highs.modelStatusToString(status)}")


# --------------------------------------------------------------------------------------------
# The measures an objective may order, and the brute force for any order of them
# --------------------------------------------------------------------------------------------

MEASURES = ("communities_meeting", "weighted_shortfall", "total_cost", "county_money")


def is_county_money(source: Source | None) -> bool:
    """The county's own money: a source of county scope with no rule per option (it pays for
    every kind, any share, no cap, no limit on the options it funds, running costs too). A
    grant of county scope with rules is the region's earmarked money, not the county's."""
    return (
        source is not None
        and source["scope"] == "county"
        and set(source["pays_for"]) >= set(OPTION_KINDS)
        and source["max_share"] >= 1
        and source["max_per_option"] is None
        and source["max_options_funded"] is None
        and not source["capital_only"]
    )


def county_money_of(raw_scenario: Mapping[str, Any], plan: Mapping[str, Any]) -> float:
    """万元 of the county's own money in the plan, summed from its options' funding."""
    sources = normalise(raw_scenario)["sources"]
    routes = sum(
        float(amount)
        for row in plan["communities"]
        for option in row["options"]
        for sid, amount in option["funding"].items()
        if sid in sources and is_county_money(sources[sid])
    )
    staff = staff_money(plan)
    return routes + sum(
        v for sid, v in staff.items() if sid in sources and is_county_money(sources[sid])
    )


def measures_of(raw_scenario: Mapping[str, Any], plan: Mapping[str, Any]) -> dict[str, float]:
    """Each measure recomputed from the scenario and the plan's chosen options and money."""
    scenario = normalise(raw_scenario)
    meeting = weighted = cost = 0.0
    for row in plan["communities"]:
        community = scenario["communities"][row["id"]]
        options = [scenario["options"][o["id"]] for o in row["options"]]
        areas = {o["id"]: float(o["area_m2"]) for o in row["options"]}
        replaced = any(o["replaces_existing"] for o in options)
        final = (0.0 if replaced else community["existing_area_m2"]) + sum(
            o["area_factor"] * areas[o["id"]] for o in options
        )
        short = max(community["target_area_m2"] - final, 0.0)
        meeting += short <= AREA_TOL_M2
        weighted += community["priority"] * short
        horizon = scenario["horizon_years"]
        cost += sum(
            capital_cost(o, areas[o["id"]]) + running_cost(o, areas[o["id"]], horizon)
            for o in options
        )
    staff_cost = sum(float(row.get("staff_cost", 0.0)) for row in plan["communities"])
    measures = {
        "communities_meeting": meeting,
        "weighted_shortfall": weighted,
        "total_cost": cost + staff_cost,
        "county_money": county_money_of(raw_scenario, plan),
    }
    if raw_scenario.get("staffing") is not None:  # the plan's figures, checked by check_plan
        measures["posts_short"] = plan["posts_short"]
        measures["communities_meeting_both"] = plan["communities_meeting_both"]
    return measures


def _check_county_money(
    scenario: Scenario,
    plan: Mapping[str, Any],
    figures: _Recomputed,
    problems: _Problems,
    tol: float,
) -> None:
    """county_money_used, where the plan states it, against the money of the county's own
    sources in its options."""
    stated = plan.get("county_money_used")
    if stated is None:
        return
    used = sum(
        float(amount)
        for option in figures.chosen.values()
        for sid, amount in option["funding"].items()
        if sid in scenario["sources"] and is_county_money(scenario["sources"][sid])
    )
    used += sum(
        amount
        for sid, amount in staff_money(plan).items()
        if sid in scenario["sources"] and is_county_money(scenario["sources"][sid])
    )
    if not _close(float(stated), used, tol):
        problems.add("county-money", f"county_money_used {stated}, recomputed {used}")


def brute_force_order(
    raw_scenario: Mapping[str, Any], order: tuple[str, ...], max_total_options: int = 10
) -> tuple[float, ...] | None:
    """The exact lexicographic optimum of a tiny scenario for the objective ``order`` (names of
    ``MEASURES``; communities_meeting maximised, the others minimised), as values in that
    order, or None if infeasible.

    Every admissible choice of options and of the options each limited source funds is
    enumerated as in ``brute_force``, and with it every set of communities made to meet their
    target (shortfall 0) among those whose options can reach it: the count is that set's size.
    For each, the other measures are minimised in order by linear programmes, each kept."""
    scenario = normalise(raw_scenario)
    if len(scenario["options"]) > max_total_options:
        raise ValueError(f"brute_force_order is for tiny scenarios: > {max_total_options} options")
    per_community = [_community_choices(scenario, cid) for cid in scenario["communities"]]
    found: list[tuple[float, ...]] = []
    for parts in itertools.product(*per_community):
        chosen = [oid for part in parts for oid in part]
        reachable = [cid for cid in scenario["communities"] if _can_reach(scenario, cid, chosen)]
        for funders in _funding_permissions(scenario, chosen):
            for size in range(len(reachable) + 1):
                for meeting in itertools.combinations(reachable, size):
                    values = _solve_fixed_order(scenario, chosen, funders, set(meeting), order)
                    if values is not None:
                        found.append(values)
    return _lexicographic_best(found, order)


def _can_reach(scenario: Scenario, community_id: str, chosen: list[str]) -> bool:
    community = scenario["communities"][community_id]
    options = [scenario["options"][o] for o in community["options"] if o in chosen]
    base = 0.0 if any(o["replaces_existing"] for o in options) else community["existing_area_m2"]
    most = base + sum(o["area_factor"] * o["max_area_m2"] for o in options)
    return most >= community["target_area_m2"] - 1e-9


def _solve_fixed_order(
    scenario: Scenario,
    chosen: list[str],
    funders: Mapping[str, tuple[str, ...]],
    meeting: set[str],
    order: tuple[str, ...],
) -> tuple[float, ...] | None:
    lp = _Lp()
    area = {
        o: lp.add_col(scenario["options"][o]["min_area_m2"], scenario["options"][o]["max_area_m2"])
        for o in chosen
    }
    money: dict[tuple[str, str], int] = {}
    cost_coefs, cost_constant = _add_money(scenario, lp, chosen, area, funders, money)
    shortfall_coefs = _add_shortfalls(scenario, lp, chosen, area)
    highs = _to_highs(lp)
    for cid, column in zip(scenario["communities"], shortfall_coefs, strict=True):
        if cid in meeting:
            highs.changeColBounds(column, 0.0, 0.0)
    sources = scenario["sources"]
    objectives = {
        "weighted_shortfall": (shortfall_coefs, 0.0),
        "total_cost": (cost_coefs, cost_constant),
        "county_money": (
            {col: 1.0 for (_, sid), col in money.items() if is_county_money(sources[sid])},
            0.0,
        ),
    }
    values: list[float] = []
    for name in order:
        if name == "communities_meeting":
            values.append(float(len(meeting)))
            continue
        coefs, constant = objectives[name]
        everything = np.arange(len(lp.lower), dtype=np.int32)
        highs.changeColsCost(len(everything), everything, np.zeros(len(everything)))
        value = _minimise(highs, coefs, constant) if coefs else 0.0
        if value is None:
            return None
        values.append(value)
        if coefs:
            columns = np.array(list(coefs), dtype=np.int32)
            keep = value - constant + 1e-9 * max(1.0, abs(value))
            highs.addRow(-highspy.kHighsInf, keep, len(columns), columns,
                         np.array(list(coefs.values()), dtype=float))  # fmt: skip
    if not order or all(name == "communities_meeting" for name in order):
        everything = np.arange(len(lp.lower), dtype=np.int32)
        highs.changeColsCost(len(everything), everything, np.zeros(len(everything)))
        if _minimise(highs, {}, 0.0) is None:
            return None
    return tuple(values)


def _lexicographic_best(
    found: list[tuple[float, ...]], order: tuple[str, ...]
) -> tuple[float, ...] | None:
    """The best of ``found`` measure by measure: a count exactly, others within 1e-6."""
    left = found
    for k, name in enumerate(order):
        if not left:
            return None
        if name == "communities_meeting":
            best = max(v[k] for v in left)
            left = [v for v in left if v[k] == best]
        else:
            best = min(v[k] for v in left)
            left = [v for v in left if v[k] <= best + TIE_TOL * max(1.0, abs(best))]
    if not left:
        return None
    return tuple(min(v[k] for v in left) if name != "communities_meeting" else left[0][k]
                 for k, name in enumerate(order))  # fmt: skip
