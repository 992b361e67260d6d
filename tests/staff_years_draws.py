"""Staffing and years drawn onto a random scenario of tests/strategies.py, for the round trips
of the planners' workbook (tests/test_workbook_in.py).

`with_staff_and_years(base)` takes a scenario dict drawn by `base` and, each about half the
time, gives it a staffing block (each route and the pay rise sometimes, posts now per community,
a community's own target sometimes, sources paying for staff), years (one to three, sometimes
not consecutive) with due years, start windows, years until ready, the one-off cost's shares
by year, budgets by year and carry over, staff limits by year, a term and the pay rise's first
year, a lease bridging a new building or added storey (租赁过渡) sometimes, and an order of the
objective. Amounts are drawn with several decimals so that the workbook's 元 must come back as
the same 万元.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from allocator.scenario.schema import OPTION_KINDS
from allocator.scenario.staffing import PAID_STAFF_KINDS

PREMISES_MEASURES = ("weighted_shortfall", "communities_meeting", "total_cost", "county_money")
STAFF_MEASURES = ("posts_short", "communities_meeting_both")
BRIDGED = ("allocate_build", "heighten")  # the routes a lease may bridge
PROFILES = ([1], [0.6, 0.4], [0.5, 0.25, 0.25], [0.333, 0.667], [0.1, 0.2, 0.7])


def _maybe(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> Any:
    return draw(values) if draw(st.booleans()) else None


def _given(**entries: Any) -> dict[str, Any]:
    return {key: value for key, value in entries.items() if value is not None}


@st.composite
def staffing(draw: st.DrawFn) -> dict[str, Any]:
    """A staffing block: a target sometimes, each route and the pay rise about half the time."""
    costs = st.sampled_from([0, 4.5, 5.5, 7.5, 6.123, 8.25])
    rates = st.sampled_from([0, 200, 300, 400, 333.33])
    block = _given(
        posts_target=_maybe(draw, st.integers(5, 9)),
        add_post=_maybe(
            draw,
            st.builds(
                lambda quota, cost: _given(quota=quota, cost_per_post_year=cost),
                st.integers(0, 20),
                st.none() | costs,
            ),
        ),
        dispatch=_maybe(draw, st.builds(lambda pool: {"pool": pool}, st.integers(0, 10))),
        recruit=_maybe(
            draw,
            st.builds(
                lambda cost, most: _given(cost_per_person_year=cost, most=most),
                costs,
                st.none() | st.integers(0, 20),
            ),
        ),
        pay_rise=_maybe(
            draw,
            st.builds(
                lambda street, town: _given(street_yuan_per_month=street, town_yuan_per_month=town),
                st.none() | rates,
                st.none() | rates,
            ),
        ),
    )
    return block


@st.composite
def with_staff_and_years(
    draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]
) -> dict[str, Any]:
    data = draw(base)
    staffed = draw(st.booleans())
    if staffed:
        data["staffing"] = draw(staffing())
        for community in data["communities"]:
            community["posts_now"] = draw(st.integers(0, 7))
            if draw(st.integers(0, 3)) == 0:
                community["posts_target"] = draw(st.integers(4, 9))
        for source in data["funding"]:
            if not source.get("capital_only") and draw(st.booleans()):
                kinds = st.sampled_from([*OPTION_KINDS, *PAID_STAFF_KINDS])
                source["pays_for"] = draw(st.lists(kinds, min_size=1, max_size=5, unique=True))
    if draw(st.booleans()):
        _years(draw, data)
    if draw(st.integers(0, 3)) == 0:
        measures = [*PREMISES_MEASURES, *(STAFF_MEASURES if staffed else ())]
        order = draw(st.permutations(measures))
        data["objective"] = order[: draw(st.integers(1, len(order)))]
    return data


def _years(draw: st.DrawFn, data: dict[str, Any]) -> None:
    """Years, and with them due years, start windows, years until ready and yearly budgets."""
    first = draw(st.sampled_from([2024, 2025]))
    step = draw(st.sampled_from([1, 1, 2]))
    years = [first + step * k for k in range(draw(st.integers(1, 3)))]
    data["years"] = years
    data["horizon_years"] = max(data.get("horizon_years", 1), len(years))
    for community in data["communities"]:
        if draw(st.integers(0, 2)) == 0:
            community["due_year"] = draw(st.sampled_from(years))
        for option in community.get("options", []):
            if draw(st.integers(0, 2)) == 0:
                option["earliest_start"] = years[0]
                option["latest_start"] = draw(st.sampled_from(years))
            if draw(st.integers(0, 2)) == 0:
                option["ready_after"] = 0
            if draw(st.integers(0, 3)) == 0:
                option["capital_profile"] = draw(st.sampled_from(PROFILES))
        _bridge(draw, community)
    _staff_by_year(draw, data.get("staffing"), years)
    for source in data["funding"]:
        if draw(st.booleans()):
            amounts = st.sampled_from([0, 12.5, 40, 100.25, 300])
            named = draw(st.lists(st.sampled_from(years), min_size=1, unique=True))
            source["budget_by_year"] = {year: draw(amounts) for year in sorted(named)}
            if draw(st.booleans()):
                source["carry_over"] = True


def _bridge(draw: st.DrawFn, community: dict[str, Any]) -> None:
    """About half the time, with two routes or more, one becomes a lease bridging another made
    a new building or added storey that is not ready in its start year (租赁过渡): the lease
    replaces nothing. (The drawn routes carry every cost field, so a kind may change.)"""
    options = community.get("options", [])
    if len(options) < 2 or not draw(st.booleans()):
        return
    lease, building = draw(st.permutations(options))[:2]
    if building.get("ready_after") == 0:
        return
    building["kind"] = draw(st.sampled_from(BRIDGED))
    lease.update(kind="lease", bridges=building["id"])
    lease.pop("replaces_existing", None)


def _staff_by_year(draw: st.DrawFn, staffing: dict[str, Any] | None, years: list[int]) -> None:
    """With staffing, sometimes a limit by year of each route, a term and the rise's year."""
    if not staffing:
        return
    fields = {"add_post": "quota_by_year", "dispatch": "pool_by_year", "recruit": "most_by_year"}
    for route, field in fields.items():
        if route in staffing and draw(st.booleans()):
            named = draw(st.lists(st.sampled_from(years), min_size=1, unique=True))
            staffing[route][field] = {year: draw(st.integers(0, 5)) for year in sorted(named)}
    if "dispatch" in staffing and draw(st.booleans()):
        staffing["dispatch"]["term_years"] = draw(st.integers(1, 3))
    if "pay_rise" in staffing and draw(st.booleans()):
        staffing["pay_rise"]["from_year"] = draw(st.sampled_from(years))
