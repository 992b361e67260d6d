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

from allocator.model.sets import Matrix, build_matrix, no_gc
from allocator.scenario.schema import Scenario
from allocator.solving.direct import HighsRunner, Readout, readout, w_tolerance
from allocator.solving.solvers import StageRun, _gap

CHUNK_COMMUNITIES = 500
SAMPLE_COMMUNITIES = 1000
KELLEY_ROUNDS = 40
HELD_PER_GROUP = 10  # communities of a free one's group held to their routes, free in money
REST_SECONDS = 120.0  # for the MIP of the communities decided again
SLACK = 0.5  # of stage 1's gap in W kept back in stage 2's shares, room for rounding
LOCAL_ROUNDS = 2  # passes of chunk-by-chunk improvement
Key = tuple[str, str]  # ("budget", source) | ("funded", source) | ("shortfall", "")


@dataclass
class Chunk:
    """Some whole groups: their model in HiGHS and their part of each linking row."""

    scenario: Scenario
    matrix: Matrix
    runner: HighsRunner
    terms: dict[Key, tuple[np.ndarray, np.ndarray]]  # columns and coefficients per row
    rows: dict[Key, int]  # the chunk's own row for a linking row, if it has one
    plan: np.ndarray | None = None  # values of the chunk's columns in the current plan
    first_relaxed: np.ndarray | None = None  # its relaxation within its stage-1 shares
    shares: dict[Key, float] = field(default_factory=dict)

    def use(self, key: Key, values: np.ndarray) -> float:
        columns, coefs = self.terms.get(key, (np.empty(0, dtype=np.int64), np.empty(0)))
        return float(coefs @ values[columns]) if len(columns) else 0.0

    def share(self, key: Key, limit: float) -> None:
        """Let the chunk's row for `key` allow `limit` (a row is added when it has none)."""
        import highspy

        self.shares[key] = limit
        columns, coefs = self.terms.get(key, (np.empty(0, dtype=np.int64), np.empty(0)))
        if key not in self.rows:
            if not len(columns):
                return
            highs = self.runner.highs
            highs.addRow(-highspy.kHighsInf, limit, len(columns), columns.astype(np.int32), coefs)
            self.rows[key] = highs.getNumRow() - 1
            return
        self.runner.highs.changeRowBounds(self.rows[key], -highspy.kHighsInf, limit)

    def release(self) -> None:
        import highspy

        for row in self.rows.values():
            self.runner.highs.changeRowBounds(row, -highspy.kHighsInf, highspy.kHighsInf)


@dataclass
class Decomposed:
    scenario: Scenario
    chunks: list[Chunk]
    limits: dict[Key, float]
    gap: float
    deadline: float | None

    def time_left(self) -> float:
        return math.inf if self.deadline is None else self.deadline - time.monotonic()


@no_gc()
def solve_decomposed(
    scenario: Scenario, *, gap: float, time_limit: float | None, began: float
) -> tuple[Readout | None, list[StageRun]]:
    """Both stages by decomposition; the plan's decisions and each stage's run."""
    deadline = None if time_limit is None else began + time_limit
    _large_blocks_given_back()
    work = _split(scenario, gap, deadline)
    first = _stage(work, "weighted_shortfall", began)
    stages = [first]
    if first.status not in ("optimal", "time_limit"):
        return None, stages
    shortfall = sum(c.use(("shortfall", ""), c.plan) for c in work.chunks)
    work.limits[("shortfall", "")] = shortfall + w_tolerance(shortfall)
    second = _stage(work, "total_cost", time.monotonic())
    if second.status not in ("optimal", "time_limit"):
        second = StageRun(second.status, None, None, None, second.runtime_s)
    stages.append(second)
    for chunk in work.chunks:  # the models in HiGHS are done with: free them before the plan
        chunk.runner.highs.clear()
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


# --- set-up ---------------------------------------------------------------------------------
def _split(scenario: Scenario, gap: float, deadline: float | None) -> Decomposed:
    by_group: dict[str, list] = {}
    for community in scenario.communities:
        by_group.setdefault(community.group, []).append(community)
    packs: list[list[str]] = [[]]
    size = 0
    for group in scenario.groups:
        if size >= CHUNK_COMMUNITIES:
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
    by_group: dict[str, list],
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
    runner = HighsRunner(matrix, gap=gap / 10, deadline=deadline)
    runner.set_integer(False)  # relaxations until a chunk's plan is wanted
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
    terms[("shortfall", "")] = (columns, shortfall[columns])
    matrix.slim()
    chunk = Chunk(part, matrix, runner, terms, rows)
    chunk.release()
    return chunk


# --- one stage --------------------------------------------------------------------------------
def _stage(work: Decomposed, objective: str, began: float) -> StageRun:
    keys = list(work.limits)
    prices = _starting_prices(work, objective, keys)
    # Stage 2's shares keep back SLACK of what stage 1's plan has over its relaxed plans in W:
    # room to round the free communities in without going over stage 1's W (the bound is
    # for the full limit; stage 1's relaxed plans keep within the shares, see _kelley).
    slack = np.array(
        [
            SLACK * max(work.limits[k] - _first_relaxed_w(work), 0.0)
            if k == ("shortfall", "")
            else 0.0
            for k in keys
        ]
    )
    bound, shares = _kelley(work, objective, keys, prices, slack)
    if bound is None:
        status = "no_plan" if work.time_left() <= 0 else "infeasible"
        return StageRun(status, None, None, None, time.monotonic() - began)
    value = _plan(work, objective, keys, shares, bound)
    if value is None:
        return StageRun("no_plan", None, None, None, time.monotonic() - began)
    bound = min(bound, value)
    gap_now = _gap(value, bound)
    proven = gap_now is not None and gap_now <= work.gap * 1.0001
    status = "optimal" if proven else "time_limit"
    return StageRun(status, value, bound, gap_now, time.monotonic() - began)


def _first_relaxed_w(work: Decomposed) -> float:
    """W of stage 1's relaxed plans within their shares."""
    key = ("shortfall", "")
    return sum(c.use(key, c.first_relaxed) for c in work.chunks if c.first_relaxed is not None)


def _lagrangian(
    work: Decomposed, objective: str, keys: list[Key], prices: np.ndarray
) -> list[tuple[float, np.ndarray]] | None:
    """Per chunk, the value and the use of each linking row of its relaxation at `prices`
    (value without the priced terms); None when a chunk has no relaxed plan."""
    found = []
    for chunk in work.chunks:
        base = chunk.matrix.objective(objective)
        chunk.runner._set_cost(_priced(chunk, base, keys, prices))  # noqa: SLF001 - same package
        relaxed = chunk.runner.relaxation()
        if not isinstance(relaxed, np.ndarray):
            return None
        found.append((float(base @ relaxed), np.array([chunk.use(k, relaxed) for k in keys])))
    return found


def _priced(chunk: Chunk, cost: np.ndarray, keys: list[Key], prices: np.ndarray) -> np.ndarray:
    """The chunk's `cost` with its use of each linking row weighed at `prices`."""
    weighed = cost.copy()
    for price, key in zip(prices, keys, strict=True):
        columns, coefs = chunk.terms[key]
        if price and len(columns):
            weighed[columns] += price * coefs
    return weighed


def _kelley(
    work: Decomposed, objective: str, keys: list[Key], start: np.ndarray, slack: np.ndarray
) -> tuple[float | None, list[np.ndarray] | None]:
    """Cutting planes, one per chunk and round, on L(u), in a box around the best prices so
    far (widened when the step reaches its edge). Returns the best bound and each chunk's
    share of every linking row: the use of the convex combination of its relaxed plans that
    the master's duals give (Dantzig-Wolfe), which meets every limit."""
    limits = np.array([work.limits[k] for k in keys])
    # Stage 1's relaxed plans within their shares are plans of stage 2's chunks too: as cuts
    # they give the master a mix within every limit and stage 1's W bound (room in W).
    cuts: list[list[tuple[float, np.ndarray]]] = [
        []
        if chunk.first_relaxed is None
        else [
            (
                float(chunk.matrix.objective(objective) @ chunk.first_relaxed),
                np.array([chunk.use(key, chunk.first_relaxed) for key in keys]),
            )
        ]
        for chunk in work.chunks
    ]
    center, best = start.copy(), -math.inf
    radius = np.maximum(0.5 * start, 0.05 * max(float(start.mean()), 1e-2))
    prices = center
    for _ in range(KELLEY_ROUNDS):
        if work.time_left() <= 0:
            break
        found = _lagrangian(work, objective, keys, prices)
        if found is None:
            break
        bound = sum(v + use @ prices for v, use in found) - limits @ prices
        for chunk_cuts, cut in zip(cuts, found, strict=True):
            chunk_cuts.append(cut)
        if bound > best:
            edge = np.abs(prices - center) >= radius * (1 - 1e-6)
            radius[edge] *= 2  # a step to the edge of the box that paid: widen it there
            best, center = bound, prices.copy()
        low, high = np.maximum(center - radius, 0.0), center + radius
        solved = _master(cuts, limits, low, high)  # bounded: the box
        if solved is None:
            break
        prices, ceiling, _ = solved
        inside = np.all((prices > low + 1e-9 * (1 + high)) | (low == 0)) and np.all(
            prices < high * (1 - 1e-9)
        )
        if inside and ceiling - best <= work.gap * 0.25 * max(abs(best), 1.0):
            break
        if not inside and ceiling - best <= work.gap * 0.25 * max(abs(best), 1.0):
            radius *= 4  # the box holds the prices back: look further
    if best == -math.inf:
        return None, None
    target = limits - slack
    unbounded = np.full(len(keys), math.inf)  # the mix's duals, not held to a box
    shares = None
    for push in (2.0, 4.0, 8.0):
        solved = _master(cuts, target, np.zeros(len(keys)), unbounded)
        if solved is not None:
            shares = solved[2]
            over = np.sum(shares, axis=0) > target * (1 + 1e-9) + 1e-9
        else:  # no mix keeps within `target`: push the prices of the rows most used
            over = np.ones(len(keys), dtype=bool)
        if not over.any() or work.time_left() <= 0:
            break
        # No mix of the relaxed plans so far keeps within `target` (stage 2 keeps back room
        # in W): plans at higher prices of the rows over it, then the mix again.
        found = _lagrangian(work, objective, keys, np.where(over, center * push + 1e-3, center))
        if found is None:
            break
        for chunk_cuts, cut in zip(cuts, found, strict=True):
            chunk_cuts.append(cut)
    if shares is not None and np.any(np.sum(shares, axis=0) > target * (1 + 1e-9) + 1e-9):
        shares = None  # no shares within every limit: the plan starts elsewhere
    return best, shares


def _master(
    cuts: list[list[tuple[float, np.ndarray]]],
    limits: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> tuple[np.ndarray, float, list[np.ndarray]] | None:
    """max sum_k t_k - limits . u  s.t.  t_k <= value_kj + use_kj . u,  lower <= u <= upper:
    the prices, the ceiling on L(u), and each chunk's share of every row (the use of the mix
    of its plans that the duals weigh); None when unbounded."""
    import highspy

    n, chunks = len(limits), len(cuts)
    inf = highspy.kHighsInf
    master = highspy.Highs()
    master.setOptionValue("output_flag", False)
    master.addVars(
        n + chunks, np.r_[lower, np.full(chunks, -inf)], np.r_[upper, np.full(chunks, inf)]
    )
    master.changeColsCost(
        n + chunks, np.arange(n + chunks, dtype=np.int32), np.r_[limits, -np.ones(chunks)]
    )
    owners = []
    for k, chunk_cuts in enumerate(cuts):
        for value, use in chunk_cuts:
            index = np.r_[np.arange(n), n + k].astype(np.int32)
            master.addRow(-inf, value, n + 1, index, np.r_[-use, 1.0])
            owners.append((k, use))
    master.run()
    if master.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None  # unbounded prices: no mix of the plans so far keeps within `limits`
    solution = master.getSolution()
    columns = np.array(solution.col_value)
    weights = -np.array(solution.row_dual)  # <= rows of a minimisation: duals <= 0
    shares = [np.zeros(n) for _ in cuts]
    for weight, (k, use) in zip(weights, owners, strict=True):
        shares[k] += max(weight, 0.0) * use
    return np.clip(columns[:n], 0, None), -float(master.getInfo().objective_function_value), shares


def _starting_prices(work: Decomposed, objective: str, keys: list[Key]) -> np.ndarray:
    """Duals of the linking rows in the relaxations of a sample of chunks, each with its share
    of the limits (stage 1: by its number of communities; stage 2: its stage-1 use)."""
    total = sum(len(c.scenario.communities) for c in work.chunks)
    step = max(1, round(len(work.chunks) * CHUNK_COMMUNITIES / max(SAMPLE_COMMUNITIES, 1)))
    sample = work.chunks[::step][: max(1, SAMPLE_COMMUNITIES // CHUNK_COMMUNITIES)]
    duals = np.zeros(len(keys))
    for chunk in sample:
        fraction = len(chunk.scenario.communities) / total
        for key in keys:
            if chunk.plan is not None:  # stage 2: what its stage-1 plan used
                used = chunk.use(key, chunk.plan)
                chunk.share(key, used + (w_tolerance(used) if key[0] == "shortfall" else 1e-9))
            else:
                chunk.share(key, work.limits[key] * fraction)
        chunk.runner._set_cost(chunk.matrix.objective(objective))  # noqa: SLF001
        relaxed = chunk.runner.relaxation()
        if isinstance(relaxed, np.ndarray):
            row_duals = np.array(chunk.runner.highs.getSolution().row_dual)
            for k, key in enumerate(keys):
                if key in chunk.rows:
                    duals[k] += max(-row_duals[chunk.rows[key]], 0.0) / len(sample)
        chunk.release()
    return duals


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
    value = found if found is not None else _value(work, objective)
    for _ in range(LOCAL_ROUNDS):
        if _gap(value, bound) <= work.gap or work.time_left() <= 0:
            break
        before, value = value, _improve_locally(work, keys, objective)
        if value >= before - work.gap * 0.1 * abs(value):
            break
    return value


def _value(work: Decomposed, objective: str) -> float:
    return sum(float(c.matrix.objective(objective) @ c.plan) for c in work.chunks)


def _improve_locally(work: Decomposed, keys: list[Key], objective: str) -> float:
    """Chunk by chunk: each may use what the plan uses of every linking row plus what the whole
    plan leaves of it, and improves the stage's objective within that (its relaxation, fixed
    where it agrees with the plan, the rest decided from the plan). Every plan meets every
    row; money a chunk frees goes to the chunks after it."""
    totals = {key: sum(c.use(key, c.plan) for c in work.chunks) for key in keys}
    total = 0.0
    for chunk in work.chunks:
        cost = chunk.matrix.objective(objective)
        shortfall = chunk.matrix.objective("weighted_shortfall")
        plan = chunk.plan
        used = {key: chunk.use(key, plan) for key in keys}
        for key in keys:
            allowed = used[key] + max(work.limits[key] - totals[key], 0.0)
            chunk.share(key, math.floor(allowed + 1e-6) if key[0] == "funded" else allowed)
        runner = chunk.runner
        runner._set_cost(cost)  # noqa: SLF001
        runner.set_integer(False)
        relaxed = runner.relaxation() if work.time_left() > 0 else None
        basis = runner.highs.getBasis() if isinstance(relaxed, np.ndarray) else None
        runner.set_integer(True)
        if isinstance(relaxed, np.ndarray):
            better = runner._fix_and_solve(relaxed, plan)  # noqa: SLF001
            if better is not None and cost @ better < cost @ plan:
                if objective == "total_cost":
                    runner.kept_row = chunk.rows[("shortfall", "")]
                    better = runner.polish(better, shortfall, cost)
                chunk.plan = better
        chunk.release()
        runner.set_integer(False)
        runner.highs.clearSolver()  # the MIP's memory, not needed until the next pass
        if basis is not None:  # the next relaxation starts from the last one's basis
            runner.highs.setBasis(basis)
        for key in keys:
            totals[key] += chunk.use(key, chunk.plan) - used[key]
        total += float(cost @ chunk.plan)
    return total


def _plan_from(
    work: Decomposed, objective: str, keys: list[Key], shares: list[np.ndarray]
) -> float | None:
    """Each chunk's relaxation within its shares: communities it takes whole keep that, the
    others are decided together in one MIP with what is left of every limit (in stage 2, of
    stage 1's W too). None when a share leaves a chunk no relaxed plan or the MIP finds none."""
    before = [chunk.plan for chunk in work.chunks]
    free: list[tuple[Chunk, set[str]]] = []
    for chunk, share in zip(work.chunks, shares, strict=True):
        for key, amount in zip(keys, share, strict=True):
            chunk.share(key, float(amount) * (1 + 1e-9) + 1e-9)
        chunk.runner._set_cost(chunk.matrix.objective(objective))  # noqa: SLF001
        relaxed = chunk.runner.relaxation()
        chunk.release()
        if not isinstance(relaxed, np.ndarray):
            for earlier, plan in zip(work.chunks, before, strict=True):
                earlier.plan = plan
            return None
        free.append((chunk, _free_communities(chunk.matrix, relaxed)))
        chunk.plan = relaxed
        if objective == "weighted_shortfall":
            chunk.first_relaxed = relaxed.copy()
    free, held = _with_their_groups(free)
    members = [(chunk, ids | held_ids) for (chunk, ids), held_ids in zip(free, held, strict=True)]
    rest = _rest_scenario(work, members)
    if rest is not None:
        matrix = build_matrix(rest)
        _hold(matrix, free, held)
        cap = time.monotonic() + REST_SECONDS
        deadline = cap if work.deadline is None else min(cap, work.deadline)
        # A quarter of the gap asked, of the whole plan: the fewer communities decided here,
        # the looser their own MIP may stop (in proportion to their number).
        share = len(rest.communities) / len(work.scenario.communities)
        runner = HighsRunner(matrix, gap=min(work.gap / 4 / share, 0.01), deadline=deadline)
        shortfall = matrix.objective("weighted_shortfall")
        if objective == "total_cost":
            runner.keep_at_most(
                shortfall, work.limits[("shortfall", "")] - _fixed_use(members, ("shortfall", ""))
            )
        outcome = runner.stage(matrix.objective(objective))
        if outcome.values is None:
            for chunk, plan in zip(work.chunks, before, strict=True):
                chunk.plan = plan
            return None
        values = outcome.values
        if objective == "total_cost":
            values = runner.polish(values, shortfall, matrix.objective(objective))
        _scatter(members, matrix, values)
    return _value(work, objective)


def _with_their_groups(
    free: list[tuple[Chunk, set[str]]],
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


def _hold(matrix: Matrix, free: list[tuple[Chunk, set[str]]], held: list[set[str]]) -> None:
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


def _fixed_use(free: list[tuple[Chunk, set[str]]], key: Key) -> float:
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


def _rest_scenario(work: Decomposed, free: list[tuple[Chunk, set[str]]]) -> Scenario | None:
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
    sources = []
    for source in scenario.funding:
        update: dict[str, object] = {}
        if source.scope == "county":
            left = work.limits[("budget", source.id)] - _fixed_use(free, ("budget", source.id))
            update["budget"] = max(left, 0.0)
        elif source.scope == "group":
            units = scenario.units(source)
            update["budgets"] = {
                g: max(units[g] - group_use.get((source.id, g), 0.0), 0.0) for g in groups_kept
            }
        if source.max_options_funded is not None:
            left = work.limits[("funded", source.id)] - _fixed_use(free, ("funded", source.id))
            update["max_options_funded"] = max(int(round(left)), 0)
        sources.append(source.model_copy(update=update))
    return scenario.model_copy(
        update={
            "communities": communities,
            "groups": tuple(g for g in scenario.groups if g.id in groups_kept),
            "funding": tuple(sources),
        }
    )


def _scatter(free: list[tuple[Chunk, set[str]]], matrix: Matrix, values: np.ndarray) -> None:
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
