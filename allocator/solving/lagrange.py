"""The decomposition's bound and shares: Lagrangian prices on the linking rows, found by
Kelley's cutting planes, and each chunk's share of every linking row (Dantzig-Wolfe).

For prices u >= 0 on the linking rows a_r x <= b_r,
    L(u) = sum_chunks min { (c + sum_r u_r a_r) x : x in the chunk's relaxation } - u . b
is a lower bound on the stage's optimum; max_u L(u) is the bound of the full relaxation. Each
chunk's relaxed plan at prices u is a cut (its objective without the prices, and its use of
every linking row). The master LP over the cuts so far gives the next prices, in a box around
the best so far; with no box, its duals weigh each chunk's plans into a mix whose use of the
linking rows (the chunk's shares) meets every limit.
"""

from __future__ import annotations

import math

import numpy as np

from allocator.model.costs import kept_room
from allocator.model.rules import MEASURE
from allocator.solving.chunks import Chunk, Decomposed, Key
from allocator.solving.highs import ModelArrays, from_arrays
from allocator.solving.status import StageStatus

Cut = tuple[float, np.ndarray]  # a relaxed plan's objective without prices, its use of each row

KELLEY_ROUNDS = 40
CLOSE_SHARE = 0.25  # the rounds stop once L's ceiling is within this share of the gap asked
BOX_SHARE = 0.5  # the first box: prices within half of the starting ones either way...
BOX_FLOOR_SHARE = 0.05  # ...and at least this share of their mean (or of 1e-2)
WIDER_WHEN_HELD = 4.0  # the box grows this much when it holds the prices back at the end
PUSHES = (2.0, 4.0, 8.0)  # prices of rows no mix keeps within, times these, for more plans
PUSH_FLOOR = 1e-3  # added to a pushed price, so a row priced at 0 gets a price
_OVER = 1e-9  # a share over its limit by more than this (relative and absolute) is over it


def bound_and_shares(
    work: Decomposed, objective: str, keys: list[Key], start: np.ndarray, slack: np.ndarray
) -> tuple[float | None, list[np.ndarray] | None]:
    """The best Lagrangian bound found from prices `start` (None when no chunk relaxation
    could be had: time out or none solved), and each chunk's share of every linking row
    within its limit less `slack` (None when no mix of the relaxed plans found keeps within
    every limit)."""
    limits = np.array([work.limits[k] for k in keys])
    cuts = _first_stage_cuts(work, objective, keys)
    best, center = _kelley(work, objective, keys, limits, start, cuts)
    if best is None:
        return None, None
    return best, _shares(work, objective, keys, cuts, limits - slack, center)


def lagrangian(
    work: Decomposed, objective: str, keys: list[Key], prices: np.ndarray
) -> list[Cut] | None:
    """Per chunk, the cut of its relaxation at `prices`; None when a chunk has no relaxed plan
    (infeasible, or stopped)."""
    found = []
    for chunk in work.chunks:
        base = chunk.cost(objective)
        chunk.model.set_cost(_priced(chunk, base, keys, prices))
        solved = chunk.model.relaxation()
        relaxed = solved.values
        if relaxed is None:
            work.relaxation_failure = solved.status
            return None
        found.append((float(base @ relaxed), np.array([chunk.use(k, relaxed) for k in keys])))
    return found


def starting_prices(
    work: Decomposed, objective: str, keys: list[Key], sample: list[Chunk]
) -> np.ndarray:
    """Duals of the linking rows in the relaxations of the `sample` chunks, each with its share
    of the limits (stage 1: by its number of communities; stage 2: its stage-1 use)."""
    total = sum(len(c.scenario.communities) for c in work.chunks)
    duals = np.zeros(len(keys))
    for chunk in sample:
        fraction = len(chunk.scenario.communities) / total
        for key in keys:
            if chunk.plan is not None:  # stage 2: what its stage-1 plan used
                used = chunk.use(key, chunk.plan)
                kept = key[0] == "measure"  # a measure kept: its room, as the stage has it
                room = kept_room(MEASURE[key[1]].kept, used, arrays=True) if kept else 1e-9
                chunk.share(key, used + room)
            else:
                chunk.share(key, work.limits[key] * fraction)
        chunk.model.set_cost(chunk.cost(objective))
        if chunk.model.relaxation().values is not None:
            row_duals = chunk.model.row_duals()
            for k, key in enumerate(keys):
                if key in chunk.rows:
                    duals[k] += max(-row_duals[chunk.rows[key]], 0.0) / len(sample)
        chunk.release()
    return duals


def _priced(chunk: Chunk, cost: np.ndarray, keys: list[Key], prices: np.ndarray) -> np.ndarray:
    """The chunk's `cost` with its use of each linking row weighed at `prices`."""
    weighed = cost.copy()
    for price, key in zip(prices, keys, strict=True):
        columns, coefs = chunk.terms[key]
        if price and len(columns):
            weighed[columns] += price * coefs
    return weighed


def _first_stage_cuts(work: Decomposed, objective: str, keys: list[Key]) -> list[list[Cut]]:
    """Stage 1's relaxed plans within their shares are plans of stage 2's chunks too: as cuts
    they give the master a mix within every limit and stage 1's W bound (room in W). In
    stage 1, no cuts yet."""
    cuts: list[list[Cut]] = []
    for chunk in work.chunks:
        relaxed = chunk.first_relaxed
        if relaxed is None:
            cuts.append([])
            continue
        use = np.array([chunk.use(key, relaxed) for key in keys])
        cuts.append([(float(chunk.cost(objective) @ relaxed), use)])
    return cuts


def _add_cuts(cuts: list[list[Cut]], found: list[Cut]) -> None:
    for chunk_cuts, cut in zip(cuts, found, strict=True):
        chunk_cuts.append(cut)


def _kelley(
    work: Decomposed,
    objective: str,
    keys: list[Key],
    limits: np.ndarray,
    start: np.ndarray,
    cuts: list[list[Cut]],
) -> tuple[float | None, np.ndarray]:
    """Cutting planes, one per chunk and round (added to `cuts`), on L(u), in a box around the
    best prices so far (widened where a step that paid reached its edge). The best bound
    (None if none) and its prices."""
    center, best = start.copy(), -math.inf
    radius = np.maximum(BOX_SHARE * start, BOX_FLOOR_SHARE * max(float(start.mean()), 1e-2))
    prices = center
    for _ in range(KELLEY_ROUNDS):
        if work.time_left() <= 0:
            break
        found = lagrangian(work, objective, keys, prices)
        if found is None:
            break
        _add_cuts(cuts, found)
        bound = float(sum(v + use @ prices for v, use in found) - limits @ prices)
        if bound > best:
            edge = np.abs(prices - center) >= radius * (1 - 1e-6)
            radius[edge] *= 2
            best, center = bound, prices.copy()
        low, high = np.maximum(center - radius, 0.0), center + radius
        solved = _master(cuts, limits, low, high)  # bounded: the box
        if solved is None:
            break
        prices, ceiling, _ = solved
        if ceiling - best <= work.gap * CLOSE_SHARE * max(abs(best), 1.0):
            inside = np.all((prices > low + 1e-9 * (1 + high)) | (low == 0)) and np.all(
                prices < high * (1 - 1e-9)
            )
            if inside:
                break
            radius *= WIDER_WHEN_HELD  # the box holds the prices back: look further
    return (None if best == -math.inf else best), center


def _shares(
    work: Decomposed,
    objective: str,
    keys: list[Key],
    cuts: list[list[Cut]],
    target: np.ndarray,
    center: np.ndarray,
) -> list[np.ndarray] | None:
    """Each chunk's share of every row from the mix of its plans that the master's duals give,
    with no box on the prices; while no mix keeps within `target` (stage 2 keeps back room in
    W), plans at higher prices of the rows over it are added (the prices of the rows most used
    when there is no mix at all), then the mix again. None when no mix keeps within it."""
    unbounded = np.full(len(keys), math.inf)
    shares = None
    for push in PUSHES:
        solved = _master(cuts, target, np.zeros(len(keys)), unbounded)
        if solved is not None:
            shares = solved[2]
            over = _over(shares, target)
        else:
            over = np.ones(len(keys), dtype=bool)
        if not over.any() or work.time_left() <= 0:
            break
        pushed = np.where(over, center * push + PUSH_FLOOR, center)
        found = lagrangian(work, objective, keys, pushed)
        if found is None:
            break
        _add_cuts(cuts, found)
    if shares is not None and _over(shares, target).any():
        return None  # no shares within every limit: the plan starts elsewhere
    return shares


def _over(shares: list[np.ndarray], target: np.ndarray) -> np.ndarray:
    """The rows whose shares add up to more than `target`."""
    return np.sum(shares, axis=0) > target * (1 + _OVER) + _OVER


def _master(
    cuts: list[list[Cut]],
    limits: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> tuple[np.ndarray, float, list[np.ndarray]] | None:
    """max sum_k t_k - limits . u  s.t.  t_k <= value_kj + use_kj . u,  lower <= u <= upper:
    the prices, the ceiling on L(u), and each chunk's share of every row (the use of the mix
    of its plans that the duals weigh); None when unbounded."""
    n, chunks = len(limits), len(cuts)
    owners = [(k, value, use) for k, chunk_cuts in enumerate(cuts) for value, use in chunk_cuts]
    rows = len(owners)
    master = from_arrays(
        ModelArrays(
            col_lower=np.r_[lower, np.full(chunks, -math.inf)],
            col_upper=np.r_[upper, np.full(chunks, math.inf)],
            cost=np.r_[limits, -np.ones(chunks)],
            integer=np.zeros(n + chunks, dtype=bool),
            row_lower=np.full(rows, -math.inf),
            row_upper=np.array([value for _, value, _ in owners], dtype=np.float64),
            starts=np.arange(rows + 1, dtype=np.int32) * (n + 1),
            index=np.array([[*range(n), n + k] for k, _, _ in owners], dtype=np.int32).ravel(),
            value=np.array([np.r_[-use, 1.0] for _, _, use in owners]).ravel(),
        )
    )
    if master.run() != StageStatus.OPTIMAL:
        return None  # unbounded prices: no mix of the plans so far keeps within `limits`
    prices = np.array(master.highs.getSolution().col_value)[:n]
    weights = -master.row_duals()  # <= rows of a minimisation: duals <= 0
    shares = [np.zeros(n) for _ in cuts]
    for weight, (k, _, use) in zip(weights, owners, strict=True):
        shares[k] += max(weight, 0.0) * use
    return np.clip(prices, 0, None), -master.objective(), shares
