"""The plan year by year, as read back: each route's start year from the solver's values,
every figure of money and area recomputed from the scenario's own numbers
(`allocator.model.years`, `allocator.scenario.years`)."""

from __future__ import annotations

from typing import Any

from allocator.model.years import fy, start, xs
from allocator.plan import CommunityResult, OptionResult, YearFundingResult, YearResult
from allocator.scenario.schema import Option, Scenario
from allocator.scenario.years import (
    capital_share,
    in_service,
    ready_after,
    running_years,
    start_years,
)
from allocator.solving.staff_readback import staff_in_year

_DIGITS = 6
_MEETS_M2 = 1e-4


def option_years(scenario: Scenario, option: Option, values: dict[Any, Any]) -> dict[str, Any]:
    """start_year, ready_year and paid_by_year of a chosen route (nothing without years); for
    a bridge lease also its building, its years in service and its figures (`_bridge`)."""
    if not scenario.years:
        return {}
    begun = [t for t in start_years(scenario, option) if _value(values, start(option, t)) > 0.5]
    first = begun[0] if begun else None
    paid: dict[int, dict[str, float]] = {}
    for source in scenario.funding:
        for t in scenario.years:
            amount = round(_value(values, fy(option, source, t)), _DIGITS)
            if amount > 0:
                paid.setdefault(t, {})[source.id] = amount
    found = {
        "start_year": first,
        "ready_year": None if first is None else first + ready_after(option),
        "paid_by_year": paid,
    }
    if option.bridges is not None and first is not None:
        found.update(_bridge(scenario, option, first, values))
    return found


def _bridge(
    scenario: Scenario, option: Option, first: int, values: dict[Any, Any]
) -> dict[str, Any]:
    """A bridge lease's building, its years in service, and its figures: its area (from its
    start-year columns), no area counted at the end of the plan, rent over its own years."""
    community = next(c for c in scenario.communities if any(o is option for o in c.options))
    area = sum(_value(values, xs(option, t)) for t in start_years(scenario, option))
    area = _rounded(min(max(area, 0.0), option.max_area_m2))
    years = running_years(community, option, scenario.horizon_years)
    capital = _rounded(option.fixed_cost + option.cost_per_m2 * area)
    running = _rounded(years * (option.annual_cost + option.annual_cost_per_m2 * area))
    return {
        "bridges": option.bridges,
        "in_service_years": tuple(
            t for t in scenario.years or () if in_service(community, option, first, t)
        ),
        "area_m2": area,
        "counted_area_m2": 0.0,
        "capital_cost": capital,
        "running_cost": running,
        "cost": _rounded(capital + running),
    }


def _rounded(value: float) -> float:
    """As the plan's figures are rounded (`allocator.solving.readback.rounded`, which imports
    this module): to 1e-6, and to 1e-3 when within 1e-5 of it."""
    fine, coarse = round(value, _DIGITS), round(value, 3)
    value = coarse if abs(fine - coarse) <= 1e-5 else fine
    return 0.0 if value == 0 else value


def plan_years(scenario: Scenario, communities: tuple[CommunityResult, ...]) -> dict[str, Any]:
    """The Plan's years, by_year and funding_by_year (nothing without years)."""
    if not scenario.years:
        return {}
    options = {o.id: o for c in scenario.communities for o in c.options}
    by_id = {c.id: c for c in scenario.communities}
    by_year = []
    for year in scenario.years:
        cost = sum(_cash(scenario, options[o.id], o, year) for c in communities for o in c.options)
        staff = [staff_in_year(scenario, by_id[c.id], c, year) for c in communities]
        cost += sum(cash for cash, _ in staff)
        short = [_short_by(c, options, year) for c in communities]
        posts = [short for _, short in staff]
        by_year.append(
            YearResult(
                year=year,
                cost=round(cost, _DIGITS),
                communities_meeting_target=sum(s <= _MEETS_M2 for s in short),
                shortfall_m2=round(sum(short), _DIGITS),
                posts_short=sum(posts) if scenario.staffing is not None else None,
            )
        )
    return {
        "years": tuple(scenario.years),
        "by_year": tuple(by_year),
        "funding_by_year": _funding_by_year(scenario, communities),
    }


def _cash(scenario: Scenario, option: Option, result: OptionResult, year: int) -> float:
    """What the chosen route costs in `year`: its one-off cost's share for the year (all in
    its start year unless its capital_profile spreads it), its running cost in every year
    from its start (a bridge lease's in its years in service)."""
    if result.start_year is None or year < result.start_year:
        return 0.0
    share = capital_share(scenario, option, result.start_year, year)
    area = result.area_m2
    capital = share * (option.fixed_cost + option.cost_per_m2 * area)
    if result.bridges is not None and year not in result.in_service_years:
        return capital
    return capital + option.annual_cost + option.annual_cost_per_m2 * area


def _short_by(c: CommunityResult, options: dict[str, Option], year: int) -> float:
    """m2 the community lacks at the end of `year`: the routes ready by then count (a
    replacing route takes the existing premises away once it is ready), a bridge lease in
    the years it is in service."""
    ready = [o for o in c.options if o.ready_year is not None and o.ready_year <= year]
    replaced = any(options[o.id].replaces_existing for o in ready)
    area = (0.0 if replaced else c.existing_area_m2) + sum(o.counted_area_m2 for o in ready)
    bridging = [o for o in c.options if year in o.in_service_years]
    area += sum(options[o.id].area_factor * o.area_m2 for o in bridging)
    return max(0.0, c.target_area_m2 - area)


def _funding_by_year(
    scenario: Scenario, communities: tuple[CommunityResult, ...]
) -> tuple[YearFundingResult, ...]:
    by_id = {c.id: c for c in scenario.communities}
    sources = {s.id: s for s in scenario.funding}
    used: dict[tuple[str, str, int], float] = {}
    for result in communities:
        community = by_id[result.id]
        for option in result.options:
            for year, paid in option.paid_by_year.items():
                for sid, amount in paid.items():
                    unit = scenario.unit_of(sources[sid], community)
                    used[(sid, unit, year)] = used.get((sid, unit, year), 0.0) + amount
        for by_year in result.staff_funding_by_year.values():  # the staff money of each year
            for year, paid in by_year.items():
                for sid, amount in paid.items():
                    unit = scenario.unit_of(sources[sid], community)
                    used[(sid, unit, year)] = used.get((sid, unit, year), 0.0) + amount
    rows = []
    for source in scenario.funding:
        for unit in scenario.units(source):
            budget_so_far = used_so_far = 0.0
            for year in scenario.years or ():
                spent = round(used.get((source.id, unit, year), 0.0), _DIGITS)
                budget = (source.budget_by_year or {}).get(year)
                left = None
                if budget is not None:
                    budget_so_far += budget
                    used_so_far += spent
                    left = (budget_so_far - used_so_far) if source.carry_over else budget - spent
                    left = round(left, _DIGITS)
                rows.append(
                    YearFundingResult(source.id, source.name, unit, year, budget, spent, left)
                )
    return tuple(rows)


def _value(values: dict[Any, Any], label: Any) -> float:
    value = values.get(label)
    return (value.varValue or 0.0) if value is not None else 0.0
