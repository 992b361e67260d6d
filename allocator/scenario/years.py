"""The years of a campaign in the format: the planning years, a route's start window and the
years until it is ready, a community's due year, and budgets per year.

`years: [2024, 2025, 2026]` makes the plan choose a start year for every route it takes. A
route may start from `earliest_start` to `latest_start` (default: any planning year), and its
area counts `ready_after` years after its start (default by kind: a new building or an added
storey 1, every other route 0); a route must be ready by the last planning year. Its one-off
cost is paid in its start year, its running cost (rent) in every year from its start. A
community with `due_year` must reach its target by the end of that year; `must_meet` without
one means by the last year. A source's `budget_by_year` caps what each unit of its scope
spends in each year; with `carry_over`, money left in a year may be spent later. `budget`
stays the whole campaign's money (rent counted over `horizon_years`, as without years).

A lease with `bridges: <building>` (租赁过渡) is taken only with that new building or added
storey of its community and starts with it; it counts its area and pays its rent from its
start until the year before the building is ready, and not at the end of the plan: its cost
counts its rent over the building's `ready_after` years, not `horizon_years`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field

from allocator.catalogue import say, word
from allocator.errors import Problem
from allocator.scenario.entries import entries_of
from allocator.scenario.numbers import _NUMBER

# The schema imports this module: a scenario and an option are typed by what is read of them.
Scenario = Any
Community = Any
Option = Any

PlanYear = Annotated[int, Field(ge=1900, le=2200), _NUMBER]
Lag = Annotated[int, Field(ge=0, le=20), _NUMBER]
READY_AFTER = {"allocate_build": 1, "heighten": 1}  # years from the start; other kinds 0

# Fields added with years and staff: left out of a scenario's hash while unset, so that a file
# from before them keeps its hash.
_NEW = {
    "scenario": ("years", "staffing"),
    "community": ("posts_now", "posts_target", "due_year"),
    "option": ("earliest_start", "latest_start", "ready_after", "capital_profile", "bridges"),
    "funding": ("budget_by_year", "carry_over"),
    "add_post": ("quota_by_year",),
    "dispatch": ("pool_by_year", "term_years"),
    "recruit": ("most_by_year",),
    "pay_rise": ("from_year",),
}


def unset_new_fields(scenario: Scenario) -> dict[str, Any]:
    """The `exclude` of model_dump for the new fields at their default (None, or False)."""

    def unset(entry: Any, kind: str) -> dict[str, Any]:
        return {name: True for name in _NEW[kind] if getattr(entry, name) in (None, False)}

    staffing = scenario.staffing
    parts = ("add_post", "dispatch", "recruit", "pay_rise")
    staff = {} if staffing is None else {
        part: unset(getattr(staffing, part), part)
        for part in parts if getattr(staffing, part) is not None
    }  # fmt: skip
    return {
        **unset(scenario, "scenario"),
        **({"staffing": staff} if staff else {}),
        "communities": {
            ci: {**unset(c, "community"),
                 "options": {oi: unset(o, "option") for oi, o in enumerate(c.options)}}
            for ci, c in enumerate(scenario.communities)
        },
        "funding": {si: unset(s, "funding") for si, s in enumerate(scenario.funding)},
    }  # fmt: skip


def year_index(scenario: Scenario) -> dict[int, int]:
    """Each planning year's place (0 for the first); {0: 0} without years (one period)."""
    return {year: k for k, year in enumerate(scenario.years or (0,))}


def ready_after(option: Option) -> int:
    """Years from the route's start until its area counts."""
    if option.ready_after is not None:
        return option.ready_after
    return READY_AFTER.get(option.kind, 0)


def capital_shares(option: Option) -> tuple[float, ...]:
    """The one-off cost's shares in the start year and the years after it."""
    return tuple(option.capital_profile or (1.0,))


def capital_share(scenario: Scenario, option: Option, started: int, year: int) -> float:
    """The share of the route's one-off cost paid in `year` when it starts in `started`."""
    years = list(scenario.years or ())
    k = years.index(year) - years.index(started)
    shares = capital_shares(option)
    return shares[k] if 0 <= k < len(shares) else 0.0


def building_of(community: Community, option: Option) -> Option | None:
    """The new building or added storey a bridge lease (租赁过渡) waits for; None for a route
    that bridges nothing."""
    if option.bridges is None:
        return None
    return next((o for o in community.options if o.id == option.bridges), None)


def running_years(community: Community, option: Option, horizon_years: int) -> int:
    """The years a route's running cost (rent) counts in its cost: `horizon_years`, but for a
    bridge lease the years until its building is ready (its building's ready_after)."""
    building = building_of(community, option)
    return horizon_years if building is None else ready_after(building)


def in_service(community: Community, option: Option, started: int, year: int) -> bool:
    """Does the route started in `started` count its area at the end of `year`? From its
    ready year on; a bridge lease only until the year before its building is ready."""
    building = building_of(community, option)
    if building is not None and year >= started + ready_after(building):
        return False
    return year >= started + ready_after(option)


def pays_rent(community: Community, option: Option, started: int, year: int) -> bool:
    """Is the route's running cost (rent) due in `year`? Every year from its start; a bridge
    lease's until its building is ready."""
    building = building_of(community, option)
    return started <= year and (building is None or year < started + ready_after(building))


def start_years(scenario: Scenario, option: Option) -> list[int]:
    """The years route `option` may start in: within its window, ready by the last year, and
    its one-off cost paid by then."""
    years = scenario.years or ()
    if not years:
        return []
    last = years[-1]
    lag = max(ready_after(option), len(capital_shares(option)) - 1)
    first_ok = option.earliest_start if option.earliest_start is not None else years[0]
    last_ok = option.latest_start if option.latest_start is not None else last
    return [t for t in years if first_ok <= t <= last_ok and t + lag <= last]


def check_years(data: dict[str, Any]) -> list[Problem]:
    """Years in order, once each; every year a route, a community or a budget names is one of
    them (and is only named with `years`); a route that can start in no year."""
    years = data.get("years")
    listed = [y for y in years if isinstance(y, int)] if isinstance(years, list) else []
    problems = []
    if listed and (sorted(set(listed)) != listed):
        problems.append(Problem(("years",), say("input.years_order")))
    horizon = data.get("horizon_years", 1)
    if listed and isinstance(horizon, int) and horizon < len(listed):
        problems.append(
            Problem(
                ("horizon_years",), say("input.years_horizon", horizon=horizon, count=len(listed))
            )
        )

    def named(loc: tuple[Any, ...], value: Any) -> None:
        problems.extend(year_named(loc, value, listed))

    for ci, community in enumerate(entries_of(data, "communities")):
        named(("communities", ci, "due_year"), community.get("due_year"))
        for oi, option in enumerate(entries_of(community, "options")):
            for field in ("earliest_start", "latest_start"):
                named(("communities", ci, "options", oi, field), option.get(field))
            shares = option.get("capital_profile")
            numbers = isinstance(shares, list) and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in shares
            )
            problems += check_bridge(data, ci, community, oi, option)
            if numbers and shares and abs(sum(shares) - 1) > 1e-9:
                loc = ("communities", ci, "options", oi, "capital_profile")
                problems.append(Problem(loc, say("input.profile_sum", total=sum(shares))))
    for si, source in enumerate(entries_of(data, "funding")):
        by_year = source.get("budget_by_year")
        for year in by_year if isinstance(by_year, dict) else ():
            named(("funding", si, "budget_by_year", year), _as_year(year))
    return problems


BRIDGED_KINDS = ("allocate_build", "heighten")  # the routes a lease may bridge


def check_bridge(
    data: dict[str, Any], ci: int, community: dict[str, Any], oi: int, option: dict[str, Any]
) -> list[Problem]:
    """A bridge lease (`bridges`): with years, a lease, naming a new building or added storey
    of its own community that takes at least a year to be ready, itself in use from its start
    (ready_after 0), replacing nothing (it counts only for a while)."""
    target = option.get("bridges")
    if not isinstance(target, str):
        return []
    loc = ("communities", ci, "options", oi)
    faults = _bridge_faults(data, community, option, target)
    return [Problem((*loc, field), why) for field, why in faults]


def _bridge_faults(
    data: dict[str, Any], community: dict[str, Any], option: dict[str, Any], target: str
) -> Iterator[tuple[str, str]]:
    """(field, what is wrong) for each fault of a bridge lease naming `target`."""
    siblings = {o.get("id"): o for o in entries_of(community, "options")}
    building = siblings.get(target)
    if not data.get("years"):
        yield "bridges", say("input.bridge_no_years")
    elif option.get("kind") != "lease":
        kind = option.get("kind")
        if kind is not None:  # an unreadable kind is said at `kind`
            yield "bridges", say("input.bridge_not_lease", kind=_kind_words(kind))
    elif building is None or building is option:
        have = [i for i, o in siblings.items() if o.get("kind") in BRIDGED_KINDS]
        yield "bridges", say("input.bridge_unknown", target=target,
                             community=community.get("id"), have=have)  # fmt: skip
    elif building.get("kind") not in BRIDGED_KINDS:
        kind = _kind_words(building.get("kind"))
        yield "bridges", say("input.bridge_wrong_kind", target=target, kind=kind)
    else:
        lag = building.get("ready_after")
        lag = READY_AFTER[building["kind"]] if lag is None else lag
        if isinstance(lag, int) and lag < 1:
            yield "bridges", say("input.bridge_ready_now", target=target, lag=lag)
    if option.get("ready_after") not in (None, 0):
        yield "ready_after", say("input.bridge_ready_after", value=option.get("ready_after"))
    if option.get("replaces_existing") is True:
        yield "replaces_existing", say("input.bridge_replaces")


def _kind_words(kind: Any) -> str:
    """A route kind as the run's language names it (资源整合 integrate), or as written."""
    from allocator.labels import code_of

    code = code_of("option_kind", kind) if isinstance(kind, str) else None
    return f"{word('kind', code)} ({code})" if code else repr(kind)


def year_named(loc: tuple[Any, ...], value: Any, listed: list[int]) -> list[Problem]:
    """A year a field names (a number, or a key such as `2024:`): one of the planning years
    `listed`, and named only in a scenario with years."""
    year = _as_year(value)
    if not isinstance(year, int) or isinstance(year, bool):
        return []
    if not listed:
        return [Problem(loc, say("input.year_without_years"))]
    if year not in listed:
        return [Problem(loc, say("input.year_unknown", value=year, listed=listed))]
    return []


def _as_year(key: Any) -> Any:
    """A year written as a key (`2024:` or `"2024":`) as the number it is."""
    return int(key) if isinstance(key, str) and key.isdigit() else key
