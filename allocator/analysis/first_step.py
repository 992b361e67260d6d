"""The first step of money that buys something: what `solve --explain` leads with.

One more 万元 of a budget often buys nothing: the routes that could use it are at their largest,
or the next one comes whole at a larger price. A planner asking "what would more money do"
then needs the smallest step that does buy something. `first_buying_step` re-solves the whole
plan (routes free to change) with each county-wide budget raised by 1, 2, 5, 10, 20, 50, 100,
200, 500 and 1,000 万元 in turn, and stops at the first step at which one of them cuts the
weighted shortfall, the posts short (with staff) or the cost. Only county-wide budgets are
probed (a handful of re-solves per step); the prices of every budget unit at that step then
come from `shadow_prices`.
"""

from __future__ import annotations

from dataclasses import dataclass

from allocator.analysis.price_model import Move, PriceModel, finite_difference_solves
from allocator.plan import Plan
from allocator.scenario.schema import Scenario

LADDER_WAN = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
_EPS = 1e-6


@dataclass(frozen=True)
class Bought:
    """What `step_wan` more of one budget buys, routes free to change."""

    source: str
    unit: str
    step_wan: float
    shortfall_cut_m2: float  # fall in weighted shortfall for the whole step
    saving_wan: float  # fall in cost for the whole step, where nothing above it falls
    posts_cut: float = 0.0  # fall in posts short, where the shortfall does not fall


def first_buying_step(
    scenario: Scenario, plan: Plan, *, above_wan: float = 0.0, time_limit_s: float | None = None
) -> tuple[float, list[Bought]] | None:
    """The smallest step of the ladder above `above_wan` at which some county-wide budget buys
    something, with what each such budget buys at it; None when no step does (or no plan)."""
    import time

    if not plan.status.has_plan:
        return None
    prices = PriceModel.build(scenario)
    deadline = None if time_limit_s is None else time.monotonic() + time_limit_s
    base = prices.lexicographic(deadline=deadline)
    if base is None:
        return None
    units = [k for k in prices.budgets if k[1] == "county"]
    for step in (s for s in LADDER_WAN if s > above_wan + _EPS):
        moves = [Move(prices.model.budget_rows[k], "upper", step) for k in units]
        moved = finite_difference_solves(prices, base, moves, deadline)
        bought = []
        for key, move in zip(units, moves, strict=True):
            result = moved.get(move.row)
            if result is None or not result.feasible:
                continue
            cut = -result.d_shortfall * step
            posts = 0.0 if cut > _EPS else -(result.d_posts or 0.0) * step
            saving = 0.0 if max(cut, posts) > _EPS else -result.d_cost * step
            if max(cut, posts, saving) > _EPS:
                bought.append(Bought(key[0], key[1], step, round(cut, 6), round(saving, 6),
                                     round(posts, 6)))  # fmt: skip
        if bought:
            return step, sorted(bought, key=_most_first)
        if deadline is not None and time.monotonic() > deadline:
            return None
    return None


def _most_first(bought: Bought) -> tuple[float, float, float]:
    return (-bought.shortfall_cut_m2, -bought.posts_cut, -bought.saving_wan)
