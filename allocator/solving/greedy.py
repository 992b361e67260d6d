"""A first plan built without a solver: greedy, by weighted shortfall saved per 万元.

Every community takes one of the sets of routes it may combine (locks, excludes, max_options,
one replacing route: `allocator.model.rules.may_combine`), each route at its least area and the
cheapest m2 counted (per `area_factor`) added beyond it up to the target. The plan begins with
what cannot be left out: demonstration sites (`must_meet`) first, each with the cheapest of its
sets that reaches the target and can be paid for, then every other community at its cheapest
set (the routes locked chosen, at their least areas). Then moves, best first by weighted
shortfall saved per 万元 more: a community leaves its set for another (or its own with more
area); a move the money left cannot pay is tried once with as much area as it can pay, then
passed over.

Money is paid route by route from what is left of each source in the unit that pays (its
budget per county, group or community), under every funding rule: `pays_for`, `max_share`
(the rest from other money), `max_per_option`, `capital_only` (together at most the route's
capital cost), `max_options_funded` (one of them used per route paid). Sources are spent in
the order of `SPEND_ORDER`: capital-only money first (it can pay for least), then money tied
to a community, a street or town, the county (earmarked before general money, as
`payer_rank`).

So every plan it gives meets every rule by construction (tests/oracle.py checks them). It
proves nothing: it is a start, and the plan when the solver finds none in time. None means it
could build none: a demonstration site or a route locked chosen that the money left cannot pay,
or a scenario with `staffing` or `years`, which it does not plan: posts, their routes and the
pay rise committed for the cadres in post, start years and yearly budgets are the solver's alone
(a plan without them would break a rule).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field
from itertools import combinations
from math import comb

from allocator.model.costs import cost_coefs, largest_cost_wan, payer_rank
from allocator.model.rules import may_combine
from allocator.model.sets import base_area_m2, largest_area_m2
from allocator.scenario.schema import Community, FundingSource, Scenario

MOST_SETS = 64  # sets enumerated per community; above, its dearest routes are left out
PAID_REL = 1e-9  # money short of a route's cost by at most this share of it counts as paid
CHECK_EVERY = 256  # moves between looks at the clock
HALVINGS = 8  # of the area a move adds, looking for as much as the money left pays
Payment = tuple[str, str, float]  # source id, unit, 万元
Areas = tuple[tuple[float, ...], float, float]  # areas of a set's routes, shortfall m2, cost 万元


@dataclass(frozen=True)
class Taken:
    """One community's plan: its set of routes (positions among its options), their areas,
    the money paid for each, its shortfall (m2) and its cost (万元)."""

    chosen: tuple[int, ...]
    areas: tuple[float, ...]
    payments: tuple[tuple[Payment, ...], ...]
    shortfall_m2: float
    cost_wan: float


@dataclass
class GreedyPlan:
    """The plan: each community's `Taken`, by its position in the scenario."""

    scenario: Scenario
    taken: list[Taken]
    weighted_shortfall: float = field(init=False)
    total_cost: float = field(init=False)

    def __post_init__(self) -> None:
        weights = [c.priority for c in self.scenario.communities]
        self.weighted_shortfall = sum(
            w * t.shortfall_m2 for w, t in zip(weights, self.taken, strict=True)
        )
        self.total_cost = sum(t.cost_wan for t in self.taken)

    def decisions(self) -> tuple[list[float], list[float], dict[tuple[int, str], float]]:
        """Per option of the scenario, in its order (as `Matrix.options`): chosen (0 or 1), its
        area, and the money per (option position, source id)."""
        chosen: list[float] = []
        area: list[float] = []
        funding: dict[tuple[int, str], float] = {}
        for community, taken in zip(self.scenario.communities, self.taken, strict=True):
            first = len(chosen)
            chosen += [0.0] * len(community.options)
            area += [0.0] * len(community.options)
            for k, x, paid in zip(taken.chosen, taken.areas, taken.payments, strict=True):
                chosen[first + k], area[first + k] = 1.0, x
                for source_id, _, amount in paid:
                    key = (first + k, source_id)
                    funding[key] = funding.get(key, 0.0) + amount
        return chosen, area, funding


def greedy_plan(scenario: Scenario, deadline: float | None = None) -> GreedyPlan | None:
    """The greedy plan (the moves stop at `deadline`, time.monotonic()), or None when it could
    build none or the scenario has staffing or years (see the module's words)."""
    if scenario.staffing is not None or scenario.years:
        return None
    purse = _Purse(scenario)
    years = scenario.horizon_years
    menus = [_Menu(c, years) for c in scenario.communities]
    taken: list[Taken | None] = [None] * len(menus)
    order = sorted(range(len(menus)), key=lambda i: not menus[i].community.must_meet)
    for i in order:  # what cannot be left out: demonstration sites first
        taken[i] = _first_taken(menus[i], purse)
        if taken[i] is None:
            return None
    plans: list[Taken] = [t for t in taken if t is not None]
    _moves(menus, plans, purse, deadline)
    return GreedyPlan(scenario, plans)


def _first_taken(menu: _Menu, purse: _Purse) -> Taken | None:
    """A demonstration site's cheapest set reaching its target, else a community's cheapest set
    at its least areas, that the money left pays; None if none."""
    reach = menu.community.must_meet
    tried = sorted(menu.sets, key=lambda s: menu.plan(s, None if reach else 0.0)[2])
    for chosen in tried:
        taken = purse.pay(menu, chosen, None if reach else 0.0)
        if taken is not None and (not reach or taken.shortfall_m2 <= 1e-9):
            return taken
        if taken is not None:
            purse.release(taken)
    return None


def _moves(menus: list[_Menu], plans: list[Taken], purse: _Purse, deadline: float | None) -> None:
    """Moves, best first, until none is left or the deadline (see the module's words)."""
    refused: list[set[tuple[int, ...]]] = [set() for _ in menus]
    heap: list[tuple[float, int, int, tuple[int, ...]]] = []
    version = [0] * len(menus)
    for i in range(len(menus)):
        _push(heap, menus[i], plans[i], refused[i], i, version[i])
    popped = 0
    while heap:
        popped += 1
        if deadline is not None and popped % CHECK_EVERY == 0 and time.monotonic() > deadline:
            return
        _, i, seen, chosen = heapq.heappop(heap)
        if seen != version[i]:
            continue
        menu, now = menus[i], plans[i]
        purse.release(now)
        moved = purse.pay(menu, chosen, None) or _as_much_as_paid(menu, chosen, purse, now)
        if moved is not None and moved.shortfall_m2 < now.shortfall_m2 - 1e-9:
            plans[i], version[i] = moved, version[i] + 1
        else:
            if moved is not None:
                purse.release(moved)
            purse.take(now)
            refused[i].add(chosen)
        _push(heap, menu, plans[i], refused[i], i, version[i])


def _push(heap: list, menu: _Menu, now: Taken, refused: set, i: int, version: int) -> None:
    """The community's best move from `now`: the most weighted shortfall saved per 万元 more."""
    best: tuple[float, tuple[int, ...]] | None = None
    for chosen in menu.sets:
        if chosen in refused:
            continue
        short, cost = menu.full[chosen]
        if short >= now.shortfall_m2 - 1e-9:
            continue
        ratio = (
            menu.community.priority * (now.shortfall_m2 - short) / max(cost - now.cost_wan, 1e-6)
        )
        if best is None or ratio > best[0]:
            best = (ratio, chosen)
    if best is not None:
        heapq.heappush(heap, (-best[0], i, version, best[1]))


def _as_much_as_paid(
    menu: _Menu, chosen: tuple[int, ...], purse: _Purse, now: Taken
) -> Taken | None:
    """The set with as much area added beyond its least areas as the money left pays (halving
    the step HALVINGS times), if that saves shortfall over `now`; else None."""
    least = purse.pay(menu, chosen, 0.0)
    if least is None:
        return None
    purse.release(least)
    low, high = 0.0, menu.need(chosen)
    best = least
    for _ in range(HALVINGS):
        middle = (low + high) / 2
        trial = purse.pay(menu, chosen, middle)
        if trial is None:
            high = middle
            continue
        purse.release(trial)
        low, best = middle, trial
    if best.shortfall_m2 >= now.shortfall_m2 - 1e-9:
        return None
    return purse.pay(menu, chosen, low)


class _Menu:
    """A community's sets of routes and, for each, its plan at full fill (shortfall, cost)."""

    def __init__(self, community: Community, years: int) -> None:
        self.community, self.years = community, years
        self.coefs = [cost_coefs(o, years) for o in community.options]
        self.sets, _ = route_sets(community, years)
        self._needs: dict[tuple[int, ...], float] = {}
        self._plans: dict[tuple[tuple[int, ...], float | None], Areas] = {}
        self.full = {s: self.plan(s, None)[1:] for s in self.sets}

    def need(self, chosen: tuple[int, ...]) -> float:
        """m2 counted that the set lacks at its least areas."""
        if chosen not in self._needs:
            options, c = self.community.options, self.community
            least = base_area_m2(c, chosen) + sum(
                options[k].area_factor * options[k].min_area_m2 for k in chosen
            )
            self._needs[chosen] = max(0.0, c.target_area_m2 - least)
        return self._needs[chosen]

    def plan(self, chosen: tuple[int, ...], fill: float | None) -> Areas:
        """Areas of the set's routes with at most `fill` m2 counted added beyond their least
        areas (None: up to the target), cheapest per counted m2 first; its shortfall and cost.
        Those at no fill and at full fill are kept, being asked again and again."""
        if fill is not None and fill > 0:
            return self._plan(chosen, fill)
        if (chosen, fill) not in self._plans:
            self._plans[(chosen, fill)] = self._plan(chosen, fill)
        return self._plans[(chosen, fill)]

    def _plan(self, chosen: tuple[int, ...], fill: float | None) -> Areas:
        options, c = self.community.options, self.community
        areas = {k: options[k].min_area_m2 for k in chosen}
        want = self.need(chosen) if fill is None else min(fill, self.need(chosen))
        for k in sorted(chosen, key=lambda k: self.coefs[k][1] / options[k].area_factor):
            if want <= 0:
                break
            add = min(options[k].max_area_m2 - areas[k], want / options[k].area_factor)
            areas[k] += add
            want -= add * options[k].area_factor
        counted = base_area_m2(c, chosen) + sum(options[k].area_factor * areas[k] for k in chosen)
        cost = sum(self.coefs[k][0] + self.coefs[k][1] * areas[k] for k in chosen)
        return tuple(areas[k] for k in chosen), max(0.0, c.target_area_m2 - counted), cost


def route_sets(community: Community, years: int) -> tuple[list[tuple[int, ...]], bool]:
    """Every set of option positions the community may combine (for a demonstration site, only
    those that can reach its target); with more than MOST_SETS, its dearest free routes per
    m2 counted are left out until the rest fit. And whether they are all (none left out)."""
    options = community.options
    locked = [k for k, o in enumerate(options) if o.locked == "chosen"]
    free = [k for k, o in enumerate(options) if o.locked is None]
    room = community.max_options - len(locked)
    if room < 0:
        return [], True

    def per_m2(k: int) -> float:
        o = options[k]
        return largest_cost_wan(o, years) / max(o.area_factor * o.max_area_m2, 1e-9)

    free.sort(key=per_m2)
    every = len(free)
    while sum(comb(len(free), n) for n in range(min(room, len(free)) + 1)) > MOST_SETS:
        free.pop()
    sets = []
    for size in range(min(room, len(free)) + 1):
        for extra in combinations(free, size):
            chosen = tuple(sorted((*locked, *extra)))
            if not may_combine(community, frozenset(options[k].id for k in chosen)):
                continue
            if (
                community.must_meet
                and largest_area_m2(community, chosen) < community.target_area_m2
            ):
                continue
            sets.append(chosen)
    return sets, len(free) == every


class _Purse:
    """What is left of every source in every unit, and of every count of routes funded."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.left = {
            (s.id, unit): budget
            for s in scenario.funding
            for unit, budget in scenario.units(s).items()
        }
        self.funds_left = {s.id: s.max_options_funded for s in scenario.funding}
        self.order = sorted(
            enumerate(scenario.funding),
            key=lambda p: (not p[1].capital_only, payer_rank(p[1], p[0])),
        )

    def pay(self, menu: _Menu, chosen: tuple[int, ...], fill: float | None) -> Taken | None:
        """The set's plan (see `_Menu.plan`) paid for, route by route, and taken from what is
        left; None (and nothing taken) when the money left cannot pay it."""
        areas, short, cost = menu.plan(chosen, fill)
        payments: list[tuple[Payment, ...]] = []
        for k, area in zip(chosen, areas, strict=True):
            paid = self._route(menu, k, area)
            if paid is None:
                for done in payments:
                    self._give_back(done)
                return None
            payments.append(paid)
        return Taken(chosen, areas, tuple(payments), short, cost)

    def _route(self, menu: _Menu, k: int, area: float) -> tuple[Payment, ...] | None:
        """Money for one route at `area`, taken from what is left; None if it cannot be paid."""
        community, option = menu.community, menu.community.options[k]
        fixed, per_m2 = menu.coefs[k]
        cost = fixed + per_m2 * area
        capital = option.fixed_cost + option.cost_per_m2 * area
        owed, capital_room, paid = cost, capital, []
        for _, source in self.order:
            if owed <= PAID_REL * cost:
                break
            amount = self._most(source, community, option.kind, cost, owed, capital_room)
            if amount <= 0:
                continue
            unit = self.scenario.unit_of(source, community)
            paid.append((source.id, unit, amount))
            self.left[(source.id, unit)] -= amount
            if self.funds_left[source.id] is not None:
                self.funds_left[source.id] -= 1
            owed -= amount
            if source.capital_only:
                capital_room -= amount
        if owed > PAID_REL * cost:
            self._give_back(tuple(paid))
            return None
        return tuple(paid)

    def _most(
        self,
        source: FundingSource,
        community: Community,
        kind: str,
        cost: float,
        owed: float,
        capital_room: float,
    ) -> float:
        """The most `source` may pay towards a route of `kind` costing `cost` (万元)."""
        if kind not in source.pays_for or self.funds_left[source.id] == 0:
            return 0.0
        most = min(
            owed,
            source.max_share * cost,
            self.left[(source.id, self.scenario.unit_of(source, community))],
        )
        if source.max_per_option is not None:
            most = min(most, source.max_per_option)
        if source.capital_only:
            most = min(most, capital_room)
        return most if most > 1e-9 else 0.0

    def _give_back(self, paid: tuple[Payment, ...]) -> None:
        for source_id, unit, amount in paid:
            self.left[(source_id, unit)] += amount
            if self.funds_left[source_id] is not None:
                self.funds_left[source_id] += 1

    def release(self, taken: Taken) -> None:
        """Give back all the money of a community's plan."""
        for paid in taken.payments:
            self._give_back(paid)

    def take(self, taken: Taken) -> None:
        """Take again the money of a plan released."""
        for paid in taken.payments:
            for source_id, unit, amount in paid:
                self.left[(source_id, unit)] -= amount
                if self.funds_left[source_id] is not None:
                    self.funds_left[source_id] -= 1
