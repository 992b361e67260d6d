"""Decomposition by group for large scenarios: a proven gap without one huge MIP.

Only a few rows tie groups together: the budget rows of county-wide sources, the row of each
source with max_options_funded, and in stage 2 the row W <= W1 + tolerance. Everything else
(the sets of routes, group and community budgets, funding rules) lives inside one group.
Groups are packed into chunks of about CHUNK_COMMUNITIES communities, one HiGHS model each.
(One model of everything spends minutes in its first relaxation from 3,000 communities on:
the linking rows make the simplex slow; without them the chunks solve in seconds.)

Bound (Lagrangian): for prices u >= 0 on the linking rows a_r x <= b_r,
    L(u) = sum_chunks min { (c + sum_r u_r a_r) x : x in the chunk's relaxation } - u . b
is a lower bound on the stage's optimum; max_u L(u) is the bound of the full relaxation (of
the sets formulation: within a few 1e-5 of the plans themselves). The prices come from
Kelley's cutting planes (one cut per chunk and round) in a box around the best prices so far,
started from the duals of a sample of chunks.

Plan. Stage 1: the master's duals weigh each chunk's relaxed plans (Dantzig-Wolfe); their use
of every linking row is the chunk's share, and the shares meet every limit. Each chunk's
relaxation within its shares decides the communities it takes whole; those it splits, with up
to HELD_PER_GROUP others of their groups (held to their routes, free in areas and money), are
decided in one MIP with what is left of every limit. Stage 2 does the same, with the shares
keeping back SLACK of what stage 1's plan has over its relaxed plans in W, as room to round
the split communities in (stage 1's relaxed plans are among stage 2's cuts, so a mix with
that room exists; where none does, plans at higher prices of the rows over are added); where
that finds nothing, it starts from the stage-1 plan. Then, in both stages, passes chunk by
chunk improve the plan: each chunk may use what it uses of every linking row plus what the
whole plan leaves. Every plan meets every row; its gap is its objective against the bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allocator.model.arrays import Matrix, no_gc
from allocator.model.sets import build_matrix
from allocator.scenario.schema import Community, FundingSource, Scenario
from allocator.solving.direct import (
    Readout,
    fix_and_solve,
    keep_at_most,
    polish,
    readout,
    solve_stage,
    w_tolerance,
)
from allocator.solving.highs import (
    INF,
    HighsModel,
    ModelArrays,
    from_arrays,
    from_matrix,
    seconds_left,
)
from allocator.solving.status import StageRun, StageStatus, relative_gap, within_gap

Key = tuple[str, str]  # ("budget", source) | ("funded", source) | ("shortfall", "")
SHORTFALL: Key = ("shortfall", "")
_NO_TERMS = (np.empty(0, dtype=np.int64), np.empty(0))
Cut = tuple[float, np.ndarray]  # a relaxed plan's objective without prices, its use of each row

KELLEY_ROUNDS = 40
CLOSE_SHARE = 0.25  # the rounds stop once L's ceiling is within this share of the gap asked
BOX_SHARE = 0.5  # the first box: prices within half of the starting ones either way...
BOX_FLOOR_SHARE = 0.05  # ...and at least this share of their mean (or of 1e-2)
WIDER_WHEN_HELD = 4.0  # the box grows this much when it holds the prices back at the end
PUSHES = (2.0, 4.0, 8.0)  # prices of rows no mix keeps within, times these, for more plans
PUSH_FLOOR = 1e-3  # added to a pushed price, so a row priced at 0 gets a price
_OVER = 1e-9  # a share over its limit by more than this (relative and absolute) is over it
CHUNK_COMMUNITIES = 500
SAMPLE_COMMUNITIES = 1000
HELD_PER_GROUP = 10  # communities of a free one's group held to their routes, free in money
REST_SECONDS = 120.0  # for the MIP of the communities decided again
SLACK = 0.5  # of stage 1's gap in W kept back in stage 2's shares, room for rounding
LOCAL_ROUNDS = 2  # passes of chunk-by-chunk improvement
LOCAL_GAIN_SHARE = 0.1  # another pass only after one that gained this share of the gap asked
REST_GAP_SHARE = 0.25  # the MIP of the free communities: this share of the gap of the plan...
REST_GAP_MOST = 0.01  # ...over their share of the communities, and at most this


# --- the chunks ------------------------------------------------------------------------------
@dataclass(eq=False)
class Chunk:
    """Some whole groups: their model in HiGHS and their part of each linking row."""

    scenario: Scenario
    matrix: Matrix
    model: HighsModel
    terms: dict[Key, tuple[np.ndarray, np.ndarray]]  # columns and coefficients per row
    rows: dict[Key, int]  # the chunk's own row for a linking row, if it has one
    plan: np.ndarray | None = None  # values of the chunk's columns in the current plan
    first_relaxed: np.ndarray | None = None  # its relaxation within its stage-1 shares
    shares: dict[Key, float] = field(default_factory=dict)

    def use(self, key: Key, values: np.ndarray) -> float:
        """What `values` (the chunk's columns) use of linking row `key`."""
        columns, coefs = self.terms.get(key, _NO_TERMS)
        return float(coefs @ values[columns]) if len(columns) else 0.0

    def share(self, key: Key, limit: float) -> None:
        """Let the chunk's row for `key` allow `limit` (a row is added when it has none)."""
        self.shares[key] = limit
        if key in self.rows:
            self.model.set_row_bounds(self.rows[key], -INF, limit)
            return
        columns, coefs = self.terms.get(key, _NO_TERMS)
        if len(columns):
            self.rows[key] = self.model.add_row(None, -INF, limit, (columns, coefs))

    def release(self) -> None:
        """Every linking row of the chunk unbounded: the chunk on its own."""
        for row in self.rows.values():
            self.model.set_row_bounds(row, -INF, INF)

    def cost(self, objective: str) -> np.ndarray:
        return self.matrix.objective(objective)


@dataclass(eq=False)
class Decomposed:
    """The scenario in chunks, the limits of the linking rows, the gap asked for and the
    deadline (time.monotonic)."""

    scenario: Scenario
    chunks: list[Chunk]
    limits: dict[Key, float]
    gap: float
    deadline: float | None

    def time_left(self) -> float:
        return seconds_left(self.deadline)

    def total(self, objective: str) -> float:
        """The objective of the current plan (every chunk's)."""
        return sum(float(c.cost(objective) @ c.plan) for c in self.chunks)


Free = list[tuple[Chunk, set[str]]]  # per chunk, the communities decided again


def split(
    scenario: Scenario, *, gap: float, deadline: float | None, chunk_communities: int
) -> Decomposed:
    """Whole groups packed, in file order, into chunks of about `chunk_communities`
    communities; the limits of the linking rows from the county-wide sources."""
    by_group: dict[str, list[Community]] = {}
    for community in scenario.communities:
        by_group.setdefault(community.group, []).append(community)
    packs: list[list[str]] = [[]]
    size = 0
    for group in scenario.groups:
        if size >= chunk_communities:
            packs.append([])
            size = 0
        packs[-1].append(group.id)
        size += len(by_group.get(group.id, []))
    limits: dict[Key, float] = {}
    for source in scenario.funding:
        if source.scope == "county":
            limits[("budget", source.id)] = source.budget or 0.0
        if source.max_options_funded is not None:
            limits[("funded", source.id)] = float(source.max_options_funded)
    chunks = [_chunk(scenario, pack, by_group, limits, gap, deadline) for pack in packs if pack]
    return Decomposed(scenario, chunks, limits, gap, deadline)


def _chunk(
    scenario: Scenario,
    groups: list[str],
    by_group: dict[str, list[Community]],
    limits: dict[Key, float],
    gap: float,
    deadline: float | None,
) -> Chunk:
    keep = set(groups)
    part = scenario.model_copy(
        update={
            "communities": tuple(c for g in groups for c in by_group.get(g, [])),
            "groups": tuple(g for g in scenario.groups if g.id in keep),
        }
    )
    matrix = build_matrix(part)
    # A chunk's MIPs stop within a tenth of the gap asked: gaps of every chunk add up.
    model = from_matrix(matrix, gap=gap / 10, deadline=deadline)
    model.set_integrality(False, warm=True)  # relaxations until a chunk's plan is wanted
    terms, rows = _linking_terms(matrix, limits)
    matrix.slim()
    chunk = Chunk(part, matrix, model, terms, rows)
    chunk.release()
    return chunk


def _linking_terms(
    matrix: Matrix, limits: dict[Key, float]
) -> tuple[dict[Key, tuple[np.ndarray, np.ndarray]], dict[Key, int]]:
    """The chunk's columns and coefficients in each linking row, and its own rows for them."""
    terms: dict[Key, tuple[np.ndarray, np.ndarray]] = {}
    rows: dict[Key, int] = {}
    for kind, source_id in limits:
        if kind == "budget":
            columns = matrix.members.get((source_id, "county"), [])
            if (source_id, "county") in matrix.budget_rows:
                rows[(kind, source_id)] = matrix.budget_rows[(source_id, "county")]
        else:
            columns = [z for (_, s), z in matrix.funded.items() if s == source_id]
            if source_id in matrix.funded_rows:
                rows[(kind, source_id)] = matrix.funded_rows[source_id]
        terms[(kind, source_id)] = (np.array(columns, dtype=np.int64), np.ones(len(columns)))
    shortfall = matrix.objective("weighted_shortfall")
    columns = np.flatnonzero(shortfall)
    terms[SHORTFALL] = (columns, shortfall[columns])
    return terms, rows


# --- bound and shares ----------------------------------------------------------------------
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
        relaxed = chunk.model.relaxation().values
        if relaxed is None:
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
                chunk.share(key, used + (w_tolerance(used) if key[0] == "shortfall" else 1e-9))
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
        bound = sum(v + use @ prices for v, use in found) - limits @ prices
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


@no_gc()
def solve_decomposed(
    scenario: Scenario, *, gap: float, time_limit: float | None, began: float
) -> tuple[Readout | None, list[StageRun]]:
    """Both stages by decomposition; the plan's decisions and each stage's run."""
    deadline = None if time_limit is None else began + time_limit
    _large_blocks_given_back()
    work = split(scenario, gap=gap, deadline=deadline, chunk_communities=CHUNK_COMMUNITIES)
    stages = _stages(work, began)
    if not stages[0].status.has_plan:
        return None, stages
    for chunk in work.chunks:  # the models in HiGHS are done with: free them before the plan
        chunk.model.free()
    _give_back_freed_memory()
    return _readout(scenario, work), stages


def _glibc() -> Any:
    """The C library when it is glibc (mallopt, malloc_trim), else None."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except (OSError, TypeError):  # not glibc: nothing to do
        return None


def _large_blocks_given_back() -> None:
    """glibc raises its threshold for mapping large blocks apart each time one is freed;
    above it, the large vectors of the chunks' HiGHS models come from the heap, fragment it,
    and are never given back. A fixed threshold keeps them apart, returned when freed
    (measured at 10,000 communities: peak 797 -> 676 MB; 100,000: see docs/performance.md)."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD


def _give_back_freed_memory() -> None:
    """Return memory HiGHS freed to the system (glibc keeps it otherwise, and Python's own
    allocator cannot reuse it): the plan's tables are built after this."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def _stages(work: Decomposed, began: float) -> list[StageRun]:
    first = _stage(work, "weighted_shortfall", began)
    if not first.status.has_plan:
        return [first]
    shortfall = sum(c.use(SHORTFALL, c.plan) for c in work.chunks)
    work.limits[SHORTFALL] = shortfall + w_tolerance(shortfall)
    second = _stage(work, "total_cost", time.monotonic())
    return [first, second]


# --- one stage --------------------------------------------------------------------------------
def _stage(work: Decomposed, objective: str, began: float) -> StageRun:
    keys = list(work.limits)
    prices = starting_prices(work, objective, keys, _sample(work))
    # Stage 2's shares keep back SLACK of what stage 1's plan has over its relaxed plans in W:
    # room to round the free communities in without going over stage 1's W (the bound is
    # for the full limit; stage 1's relaxed plans keep within the shares, see lagrange).
    room = SLACK * max(work.limits.get(SHORTFALL, 0.0) - _first_relaxed_w(work), 0.0)
    slack = np.array([room if k == SHORTFALL else 0.0 for k in keys])
    bound, shares = bound_and_shares(work, objective, keys, prices, slack)
    if bound is None:
        status = StageStatus.NO_PLAN if work.time_left() <= 0 else StageStatus.INFEASIBLE
        return StageRun.without_plan(status, time.monotonic() - began)
    value = _plan(work, objective, keys, shares, bound)
    if value is None:
        return StageRun.without_plan(StageStatus.NO_PLAN, time.monotonic() - began)
    bound = min(bound, value)
    gap_now = relative_gap(value, bound)
    status = StageStatus.OPTIMAL if within_gap(gap_now, work.gap) else StageStatus.TIME_LIMIT
    return StageRun(status, value, bound, gap_now, time.monotonic() - began)


def _sample(work: Decomposed) -> list[Chunk]:
    """Chunks spread over the scenario, about SAMPLE_COMMUNITIES communities in all."""
    step = max(1, round(len(work.chunks) * CHUNK_COMMUNITIES / max(SAMPLE_COMMUNITIES, 1)))
    return work.chunks[::step][: max(1, SAMPLE_COMMUNITIES // CHUNK_COMMUNITIES)]


def _first_relaxed_w(work: Decomposed) -> float:
    """W of stage 1's relaxed plans within their shares."""
    relaxed = [c for c in work.chunks if c.first_relaxed is not None]
    return sum(c.use(SHORTFALL, c.first_relaxed) for c in relaxed)


# --- plans ------------------------------------------------------------------------------------
def _plan(
    work: Decomposed,
    objective: str,
    keys: list[Key],
    shares: list[np.ndarray] | None,
    bound: float,
) -> float | None:
    """A plan from the relaxations within the shares (see _plan_from); in stage 2, if there
    are none or that finds none, the stage-1 plan. Then passes chunk by chunk
    (_improve_locally) while they pay and the plan is not yet within the gap asked of `bound`."""
    found = None if shares is None else _plan_from(work, objective, keys, shares)
    if found is None and objective == "weighted_shortfall":
        return None
    value = found if found is not None else work.total(objective)
    for _ in range(LOCAL_ROUNDS):
        gap_now = relative_gap(value, bound)
        if (gap_now is not None and gap_now <= work.gap) or work.time_left() <= 0:
            break
        before, value = value, _improve_locally(work, keys, objective)
        if value >= before - work.gap * LOCAL_GAIN_SHARE * abs(value):
            break
    return value


def _improve_locally(work: Decomposed, keys: list[Key], objective: str) -> float:
    """Chunk by chunk: each may use what the plan uses of every linking row plus what the whole
    plan leaves of it, and improves the stage's objective within that (_improve_chunk). Every
    plan meets every row; money a chunk frees goes to the chunks after it. The plan's value."""
    totals = {key: sum(c.use(key, c.plan) for c in work.chunks) for key in keys}
    total = 0.0
    for chunk in work.chunks:
        used = {key: chunk.use(key, chunk.plan) for key in keys}
        for key in keys:
            allowed = used[key] + max(work.limits[key] - totals[key], 0.0)
            chunk.share(key, math.floor(allowed + 1e-6) if key[0] == "funded" else allowed)
        _improve_chunk(chunk, objective)
        for key in keys:
            totals[key] += chunk.use(key, chunk.plan) - used[key]
        total += float(chunk.cost(objective) @ chunk.plan)
    return total


def _improve_chunk(chunk: Chunk, objective: str) -> None:
    """The chunk's relaxation within its shares, fixed where it agrees with the plan and the
    rest decided by a MIP from the plan; kept when it is better. The chunk ends released, as
    an LP warm from that relaxation's basis, its MIP's memory freed."""
    model, cost = chunk.model, chunk.cost(objective)
    model.set_cost(cost)
    model.set_integrality(False, warm=True)
    relaxed = model.relaxation().values
    basis = None if relaxed is None else model.basis()
    model.set_integrality(True)
    if relaxed is not None:
        better = fix_and_solve(model, chunk.matrix, relaxed, chunk.plan)
        if better is not None and cost @ better < cost @ chunk.plan:
            if objective == "total_cost":
                shortfall = chunk.cost("weighted_shortfall")
                better = polish(model, better, shortfall, cost, chunk.rows[SHORTFALL])
            chunk.plan = better
    chunk.release()
    model.set_integrality(False, warm=True)
    model.clear_solver(basis)  # the next relaxation starts from the last one's basis


def _plan_from(
    work: Decomposed, objective: str, keys: list[Key], shares: list[np.ndarray]
) -> float | None:
    """Each chunk's relaxation within its shares: communities it takes whole keep that, the
    others are decided together in one MIP with what is left of every limit (in stage 2, of
    stage 1's W too). None, and the plan as it was, when a share leaves a chunk no relaxed
    plan or the MIP finds none."""
    before = [chunk.plan for chunk in work.chunks]
    free = _relaxed_within(work, objective, keys, shares)
    if free is None or not _decide_free(work, objective, free):
        for chunk, plan in zip(work.chunks, before, strict=True):
            chunk.plan = plan
        return None
    return work.total(objective)


def _relaxed_within(
    work: Decomposed, objective: str, keys: list[Key], shares: list[np.ndarray]
) -> Free | None:
    """Each chunk's plan set to its relaxation within its shares (stage 1's kept as
    `first_relaxed`); per chunk, the communities that relaxation splits. None when a chunk
    has no relaxed plan."""
    free: Free = []
    for chunk, share in zip(work.chunks, shares, strict=True):
        for key, amount in zip(keys, share, strict=True):
            chunk.share(key, float(amount) * (1 + 1e-9) + 1e-9)
        chunk.model.set_cost(chunk.cost(objective))
        relaxed = chunk.model.relaxation().values
        chunk.release()
        if relaxed is None:
            return None
        free.append((chunk, _free_communities(chunk.matrix, relaxed)))
        chunk.plan = relaxed
        if objective == "weighted_shortfall":
            chunk.first_relaxed = relaxed.copy()
    return free


def _decide_free(work: Decomposed, objective: str, free: Free) -> bool:
    """The free communities, with up to HELD_PER_GROUP others of their groups held to their
    routes, decided in one MIP with what the others leave of every limit; written into the
    chunks' plans. False when that MIP finds no plan."""
    free, held = _with_their_groups(free)
    members = [(chunk, ids | held_ids) for (chunk, ids), held_ids in zip(free, held, strict=True)]
    rest = _rest_scenario(work, members)
    if rest is None:
        return True
    matrix = build_matrix(rest)
    _hold(matrix, free, held)
    cap = time.monotonic() + REST_SECONDS
    deadline = cap if work.deadline is None else min(cap, work.deadline)
    # The fewer communities decided here, the looser their own MIP may stop (in proportion).
    share = len(rest.communities) / len(work.scenario.communities)
    gap = min(work.gap * REST_GAP_SHARE / share, REST_GAP_MOST)
    model = from_matrix(matrix, gap=gap, deadline=deadline)
    shortfall = matrix.objective("weighted_shortfall")
    kept_row = None
    if objective == "total_cost":
        left = work.limits[SHORTFALL] - _fixed_use(members, SHORTFALL)
        kept_row = keep_at_most(model, shortfall, left)
    outcome = solve_stage(model, matrix, matrix.objective(objective), gap=gap)
    if outcome.values is None:
        return False
    values = outcome.values
    if kept_row is not None:
        values = polish(model, values, shortfall, matrix.objective(objective), kept_row)
    _scatter(members, matrix, values)
    return True


def _with_their_groups(
    free: Free,
) -> tuple[list[tuple[Chunk, set[str]]], list[set[str]]]:
    """The other communities of every group with a free one, held to their current set of
    routes but free in their areas and money: room to round the free ones in."""
    held = []
    for chunk, ids in free:
        groups = {c.group for c in chunk.scenario.communities if c.id in ids}
        taken: dict[str, int] = {}
        mine = set()
        for c in chunk.scenario.communities:
            if c.group in groups and c.id not in ids and c.id in chunk.matrix.sets:
                if taken.get(c.group, 0) < HELD_PER_GROUP:
                    taken[c.group] = taken.get(c.group, 0) + 1
                    mine.add(c.id)
        held.append(mine)
    return free, held


def _hold(matrix: Matrix, free: Free, held: list[set[str]]) -> None:
    """Fix the set weights of held communities in `matrix` to their set in the chunk plan."""
    for (chunk, _), held_ids in zip(free, held, strict=True):
        for cid in held_ids:
            for (_, mine), (_, theirs) in zip(
                chunk.matrix.sets[cid], matrix.sets[cid], strict=True
            ):
                value = float(round(chunk.plan[mine]))
                matrix.col_lower[theirs] = matrix.col_upper[theirs] = value


def _free_communities(matrix: Matrix, relaxed: np.ndarray) -> set[str]:
    """Communities to decide again: those the relaxation splits between sets."""
    free = {cid for cid in matrix.community_columns if cid not in matrix.sets}
    for cid, sets in matrix.sets.items():
        weights = [relaxed[w] for _, w in sets]
        if max(weights) < 1 - 1e-6:
            free.add(cid)
    return free


def _fixed_use(free: Free, key: Key) -> float:
    total = 0.0
    for chunk, ids in free:
        total += chunk.use(key, _without(chunk, chunk.plan, ids))
    return total


def _without(chunk: Chunk, values: np.ndarray, ids: set[str]) -> np.ndarray:
    kept = values.copy()
    for cid in ids:
        start, end = chunk.matrix.community_columns[cid]
        kept[start:end] = 0.0
    return kept


def _rest_scenario(work: Decomposed, free: Free) -> Scenario | None:
    """The free communities, with what the fixed ones leave of every budget and count."""
    scenario = work.scenario
    chosen = {cid for _, ids in free for cid in ids}
    if not chosen:
        return None
    communities = tuple(c for c in scenario.communities if c.id in chosen)
    groups_kept = {c.group for c in communities}
    group_use: dict[tuple[str, str], float] = {}
    for chunk, ids in free:
        fixed = _without(chunk, chunk.plan, ids)
        for (source_id, unit), columns in chunk.matrix.members.items():
            if unit in groups_kept:
                used = float(fixed[columns].sum())
                group_use[(source_id, unit)] = group_use.get((source_id, unit), 0.0) + used
    sources = tuple(
        _rest_source(work, free, source, groups_kept, group_use) for source in scenario.funding
    )
    return scenario.model_copy(
        update={
            "communities": communities,
            "groups": tuple(g for g in scenario.groups if g.id in groups_kept),
            "funding": sources,
        }
    )


def _rest_source(
    work: Decomposed,
    free: Free,
    source: FundingSource,
    groups_kept: set[str],
    group_use: dict[tuple[str, str], float],
) -> FundingSource:
    """`source` with what the fixed communities leave of its budgets and its count."""
    update: dict[str, object] = {}
    if source.scope == "county":
        left = work.limits[("budget", source.id)] - _fixed_use(free, ("budget", source.id))
        update["budget"] = max(left, 0.0)
    elif source.scope == "group":
        units = work.scenario.units(source)
        update["budgets"] = {
            g: max(units[g] - group_use.get((source.id, g), 0.0), 0.0) for g in groups_kept
        }
    if source.max_options_funded is not None:
        left = work.limits[("funded", source.id)] - _fixed_use(free, ("funded", source.id))
        update["max_options_funded"] = max(int(round(left)), 0)
    return source.model_copy(update=update)


def _scatter(free: Free, matrix: Matrix, values: np.ndarray) -> None:
    """Write the free communities' new values back into their chunks' plans."""
    for chunk, ids in free:
        for cid in ids:
            start, end = chunk.matrix.community_columns[cid]
            to, stop = matrix.community_columns[cid]
            assert end - start == stop - to, "a community's columns differ between models"
            chunk.plan[start:end] = values[to:stop]


def _readout(scenario: Scenario, work: Decomposed) -> Readout:
    """One read-back for the whole scenario from the chunks' plans."""
    parts = [readout(c.scenario, c.matrix, c.plan) for c in work.chunks]
    options, chosen, area, funding = [], [], [], {}
    for part in parts:
        offset = len(options)
        options.extend(part.options)
        chosen.extend(part.chosen)
        area.extend(part.area)
        funding.update({(i + offset, s): v for (i, s), v in part.funding.items()})
    budgets = {s.id: scenario.units(s) for s in scenario.funding}
    return Readout(scenario, options, chosen, area, funding, budgets)
