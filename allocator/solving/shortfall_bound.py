"""A lower bound on the weighted shortfall W without a solver: the gap of a greedy plan.

Relaxed problem: all the money of every source in every unit is one pot (every route's whole
cost must be paid from the sources, so the plan's total cost is at most the sum of all budgets),
and every other funding rule is dropped. Each community then has, over the sets of routes it
may combine (`allocator.solving.greedy.route_sets`), a least cost for every shortfall: a set at
its least areas, then the cheapest m2 counted added first (linear costs, so this is the least
cost of each area), up to the target; a demonstration site only at its target. The linear
relaxation of that multiple-choice knapsack (each community on the lower convex hull of its
(cost, weighted shortfall) points, the steps taken by shortfall saved per 万元 until the pot is
spent) is a lower bound on its optimum, hence on W of every plan. A community with more sets
than are listed counts as meeting its target for nothing (still a bound, a looser one).
"""

from __future__ import annotations

from allocator.model.costs import cost_coefs
from allocator.model.sets import base_area_m2
from allocator.scenario.schema import Community, Scenario
from allocator.solving.greedy import route_sets

Point = tuple[float, float]  # cost 万元, weighted shortfall m2


def shortfall_bound(scenario: Scenario) -> float:
    """A lower bound on the weighted shortfall of every plan of `scenario` (m2)."""
    money = sum(sum(scenario.units(s).values()) for s in scenario.funding)
    cost, shortfall = 0.0, 0.0
    steps: list[tuple[float, float, float]] = []  # saved per 万元, 万元, m2 saved
    for community in scenario.communities:
        hull = _hull(_points(community, scenario.horizon_years))
        if not hull:  # no set can be taken: no plan at all, and any bound holds
            continue
        cost, shortfall = cost + hull[0][0], shortfall + hull[0][1]
        for (c0, w0), (c1, w1) in zip(hull, hull[1:], strict=False):
            steps.append(((w0 - w1) / (c1 - c0), c1 - c0, w0 - w1))
    left = money - cost
    for _, step_cost, saved in sorted(steps, reverse=True):
        if left <= 0:
            break
        shortfall -= saved * min(1.0, left / step_cost)
        left -= step_cost
    return max(shortfall, 0.0)


def _points(community: Community, years: int) -> list[Point]:
    """(cost, weighted shortfall) at every breakpoint of each set's least cost of area."""
    sets, every = route_sets(community, years)
    if not every:
        return [(0.0, 0.0)]
    options, weight = community.options, community.priority
    coefs = [cost_coefs(o, years) for o in options]
    points = []
    for chosen in sets:
        cost = sum(coefs[k][0] + coefs[k][1] * options[k].min_area_m2 for k in chosen)
        counted = base_area_m2(community, chosen) + sum(
            options[k].area_factor * options[k].min_area_m2 for k in chosen
        )
        lacking = max(0.0, community.target_area_m2 - counted)
        if not community.must_meet or lacking <= 0:
            points.append((cost, weight * lacking))
        for k in sorted(chosen, key=lambda k: coefs[k][1] / options[k].area_factor):
            if lacking <= 0:
                break
            add = min(
                options[k].max_area_m2 - options[k].min_area_m2, lacking / options[k].area_factor
            )
            cost += coefs[k][1] * add
            lacking = max(0.0, lacking - add * options[k].area_factor)
            if not community.must_meet or lacking <= 1e-9:
                points.append((cost, weight * lacking))
    return points


def _hull(points: list[Point]) -> list[Point]:
    """The lower convex hull from the cheapest point (least shortfall among the cheapest) to
    the least shortfall: costs rising, shortfalls falling, savings per 万元 falling."""
    if not points:
        return []
    hull: list[Point] = []
    for point in sorted(set(points), key=lambda p: (p[0], p[1])):
        if hull and point[1] >= hull[-1][1]:
            continue  # dearer and no less short: never on the way down
        while len(hull) >= 2 and _turns_up(hull[-2], hull[-1], point):
            hull.pop()
        hull.append(point)
    return hull


def _turns_up(a: Point, b: Point, c: Point) -> bool:
    """Is b on or above the line from a to c (so not on the lower hull)?"""
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) <= 0
