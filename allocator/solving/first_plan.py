"""A first plan, fast, before the MIP: so that a solve with a time limit has a plan to give even
when the limit comes before the linear relaxation is solved.

Each community takes one of the sets of routes the sets formulation lists for it (`Matrix.sets`):
first its set in the greedy plan (`allocator.solving.greedy`, built without a solver, when the
caller gives the scenario), else its cheapest set (a demonstration site: its cheapest set of the
least shortfall). Then, in
passes, each community may move to the set that saves the most weighted shortfall per 万元 more
than the set it has; the moves are taken in that order, in batches that double while the money
allows them and halve when it does not (a move that cannot be paid for is passed over; after
GIVE_UP in a row the pass ends). A pass that moves nobody ends the search, as does its share of
the time. Each candidate plan is checked by the model itself: the sets fixed, HiGHS decides the
rest (areas, money, funded counts) under every row, for the stage's objective. So the plan meets
every rule by construction; it is handed to the stage as its start, which keeps it unless it
finds a better one.
"""

from __future__ import annotations

import time

import numpy as np

from allocator.model.arrays import Matrix
from allocator.model.costs import largest_cost_wan
from allocator.model.sets import largest_area_m2
from allocator.scenario.schema import Community, Scenario
from allocator.solving.greedy import GreedyPlan, greedy_plan
from allocator.solving.highs import HighsModel
from allocator.solving.shortfall_bound import shortfall_bound
from allocator.solving.status import StageRun, StageStatus, relative_gap

SHARE_OF_TIME = 0.25  # of the time left, and at most MOST_S: a fallback, not the answer
MOST_S = 5.0
# Built only for limits shorter than this (seconds, plus per community): with a longer one the
# solver finds its own plan in time (1,000 communities: its first in 2-5 s, 10,000: in 15-30 s),
# and the first plan would only cost time.
SHORT_LIMIT_S = 30.0
SHORT_LIMIT_PER_COMMUNITY_S = 0.003


def wanted(time_limit: float | None, communities: int) -> bool:
    """A first plan is built for a time limit short enough that it may be cut before the
    solver has a plan of its own."""
    short = SHORT_LIMIT_S + SHORT_LIMIT_PER_COMMUNITY_S * communities
    return time_limit is not None and time_limit < short


# The greedy plan: its moves stop at this share of the time left (a fallback, not the answer);
# at GREEDY_ALONE_SHARE when it is the only plan there is time for (its bound comes after).
GREEDY_SHARE = 0.5
GREEDY_ALONE_SHARE = 0.75
GREEDY_STANDS = (
    "the first plan (built before the MIP, greedy: allocator.solving.greedy) stands; its bound "
    "has all the money in one pot and no other funding rule (allocator.solving.shortfall_bound)"
)
GIVE_UP = 5  # moves refused one after another: the money is spent
_Set = tuple[float, float, tuple[int, ...], int]  # weighted shortfall, cost, positions, column


def first_plan(
    model: HighsModel, matrix: Matrix, years: int, greedy: GreedyPlan | None = None
) -> np.ndarray | None:
    """The values of a plan that meets every row, or None (none found in its share of time).
    The model's objective is the stage's; its columns are as built when this returns. Given
    a `greedy` plan (`greedy_first`), the search starts from its sets instead of each
    community's cheapest."""
    began, budget_s = time.monotonic(), min(model.time_left() * SHARE_OF_TIME, MOST_S)
    choices = _choices(matrix, years)
    if not choices:
        return None
    now = {c.community: c.base for c in choices}
    best = None
    if greedy is not None:
        start = {**now, **_greedy_sets(greedy, choices)}
        best = _fixed_and_solved(model, matrix, choices, start)
        now = start if best is not None else now
    if best is None:
        best = _fixed_and_solved(model, matrix, choices, now)
    while best is not None and time.monotonic() - began < budget_s:
        moves = sorted(
            ((ratio, c.community, to) for c in choices for ratio, to in [c.move(now)] if to),
            key=lambda move: -move[0],
        )
        found = _pass(model, matrix, choices, now, moves, best, began + budget_s)
        if found is best:
            break
        best = found
    return best


def greedy_first(
    scenario: Scenario, deadline: float, share: float = GREEDY_SHARE
) -> tuple[GreedyPlan, StageRun] | None:
    """The greedy plan, its moves stopped at `share` of the time left to `deadline`, and
    its stage: weighted shortfall, with the gap to the bound of
    `allocator.solving.shortfall_bound`; None when it builds none."""
    now = time.monotonic()
    plan = greedy_plan(scenario, deadline=now + share * max(deadline - now, 0.0))
    if plan is None:
        return None
    w = plan.weighted_shortfall
    bound = min(shortfall_bound(scenario), w)
    run = StageRun(StageStatus.TIME_LIMIT, w, bound, relative_gap(w, bound), 0.0)
    return plan, run.noted(GREEDY_STANDS)


def _greedy_sets(plan: GreedyPlan, choices: list[_Choice]) -> dict[str, _Set]:
    """Each community's set in the greedy plan, where the matrix lists that set."""
    communities = plan.scenario.communities
    taken = {c.id: t.chosen for c, t in zip(communities, plan.taken, strict=True)}
    return {
        choice.community: found
        for choice in choices
        for found in choice.sets
        if found[2] == taken.get(choice.community)
    }


def _pass(
    model: HighsModel,
    matrix: Matrix,
    choices: list[_Choice],
    now: dict[str, _Set],
    moves: list[tuple[float, str, _Set]],
    best: np.ndarray,
    until: float,
) -> np.ndarray:
    """One pass of moves into `now`: the best plan after it (`best` when no move was taken).
    A batch is taken when its plan is better for the stage's objective: money a move takes
    may have bought more elsewhere."""
    position, step, refused = 0, max(1, len(moves) // 8), 0
    while position < len(moves) and refused < GIVE_UP and time.monotonic() < until:
        batch = moves[position : position + step]
        trial = {**now, **{community: to for _, community, to in batch}}
        plan = _fixed_and_solved(model, matrix, choices, trial)
        if plan is not None and model.cost @ plan < model.cost @ best - 1e-9:
            now.update(trial)
            best = plan
            position, step, refused = position + step, step * 2, 0
        elif step > 1:
            step //= 2
        else:
            position, refused = position + 1, refused + 1
    return best


class _Choice:
    """A community's sets, each with its weighted shortfall at its largest areas and its cost at
    them (a ranking, not the plan's figures: HiGHS decides those)."""

    def __init__(self, community: Community, first: int, sets: list, years: int) -> None:
        self.community = community.id
        self.first = first  # the position of its first option in the matrix
        self.options = len(community.options)
        target, weight = community.target_area_m2, community.priority
        self.sets: list[_Set] = [
            (
                weight * max(0.0, target - largest_area_m2(community, chosen)),
                sum(largest_cost_wan(community.options[k], years) for k in chosen),
                chosen,
                column,
            )
            for chosen, column in sets
        ]
        by = (lambda s: (s[0], s[1])) if community.must_meet else (lambda s: (s[1], s[0]))
        self.base = min(self.sets, key=by)

    def move(self, now: dict[str, _Set]) -> tuple[float, _Set | None]:
        """The set saving the most weighted shortfall per 万元 over the one it has, and that
        saving (None when no set saves any)."""
        short, cost = now[self.community][:2]
        gains = [
            ((short - s[0]) / max(s[1] - cost, 1e-6), s) for s in self.sets if s[0] < short - 1e-9
        ]
        return max(gains, key=lambda gain: gain[0]) if gains else (0.0, None)


def _choices(matrix: Matrix, years: int) -> list[_Choice]:
    """Each community's choice, with the position of its first option in the matrix."""
    firsts: dict[str, tuple[Community, int]] = {}
    for i, (community, _) in enumerate(matrix.options):
        firsts.setdefault(community.id, (community, i))
    return [
        _Choice(firsts[cid][0], firsts[cid][1], sets, years)
        for cid, sets in matrix.sets.items()
        if sets and cid in firsts
    ]


def _fixed_and_solved(
    model: HighsModel, matrix: Matrix, choices: list[_Choice], now: dict[str, _Set]
) -> np.ndarray | None:
    """The plan with each community's set in `now` fixed, and its routes with it, the rest
    decided by HiGHS under every row; None when it cannot be paid for (or no plan came in the
    time left)."""
    columns: list[int] = []
    values: list[float] = []
    for choice in choices:
        chosen, weight = now[choice.community][2:]
        for _, other in matrix.sets[choice.community]:
            columns.append(other)
            values.append(1.0 if other == weight else 0.0)
        for k in range(choice.options):
            columns.append(matrix.chosen[choice.first + k])
            values.append(1.0 if k in chosen else 0.0)
    index = np.array(columns, dtype=np.int32)
    model.fix_columns(index, np.array(values))
    try:
        solved = model.run_mip(None, heuristics=True)
    finally:
        model.unfix_columns(index)
    return solved.values
