"""Decomposition by group for large scenarios: a proven gap without one huge MIP.

Only a few rows tie groups together: the budget rows of county-wide sources (each year's too),
the row of each source with max_options_funded, the county's staff quotas and pools, and in
each later stage the rows keeping the measures before it (W <= W1 + tolerance, by default).
Everything else (the sets of routes, group and community budgets, funding rules, a
community's posts and start years) lives inside one group. The stages are the objective's
order (`allocator.model.rules.objective_of`): W then C, or W, posts short, then C with staff.
Groups are packed into chunks of about CHUNK_COMMUNITIES communities, one HiGHS model each
(`allocator.solving.chunks`). (One model of everything spends minutes in its first relaxation
from 3,000 communities on: the linking rows make the simplex slow; without them the chunks
solve in seconds.)

Bound: the Lagrangian bound on the linking rows, by Kelley's cutting planes started from the
duals of a sample of chunks (`allocator.solving.lagrange`; of the sets formulation, within a
few 1e-5 of the plans themselves).

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
from dataclasses import replace

import numpy as np

from allocator.model.arrays import no_gc
from allocator.model.costs import kept_room
from allocator.model.rules import MEASURE, objective_of
from allocator.scenario.schema import Scenario
from allocator.solving.chunks import Chunk, Decomposed, Key, measure_key, split
from allocator.solving.direct import (
    Readout,
    fix_and_solve,
    greedy_readout,
    polish_order,
    readout,
    whole_decisions,
)
from allocator.solving.first_plan import greedy_first, wanted
from allocator.solving.lagrange import bound_and_shares, starting_prices
from allocator.solving.memory import large_blocks_apart
from allocator.solving.progress import found
from allocator.solving.rest_mip import REST_SECONDS, Free, decide_free
from allocator.solving.status import StageRun, StageStatus, proven, relative_gap, unproven

CHUNK_COMMUNITIES = 500
SAMPLE_COMMUNITIES = 1000
# More communities split than this are decided chunk by chunk (one MIP of the 5,495 of 10,000
# communities over 3 years the relaxations split did not solve its relaxation in 120 s).
REST_MOST_COMMUNITIES = 2 * CHUNK_COMMUNITIES
SLACK = 0.5  # of stage 1's gap in W kept back in stage 2's shares, room for rounding
LOCAL_ROUNDS = 2  # passes of chunk-by-chunk improvement
LOCAL_GAIN_SHARE = 0.1  # another pass only after one that gained this share of the gap asked


@no_gc()
def solve_decomposed(
    scenario: Scenario, *, gap: float, time_limit: float | None, began: float
) -> tuple[Readout | None, list[StageRun]]:
    """Both stages by decomposition; the plan's decisions and each stage's run. With a short
    time limit the greedy plan is built first (`greedy_first`): the plan when the chunks find
    none in time."""
    deadline = None if time_limit is None else began + time_limit
    short = wanted(time_limit, len(scenario.communities))
    fallback = greedy_first(scenario, deadline) if short and deadline is not None else None
    if fallback is not None:
        found(lambda: greedy_readout(fallback[0]), [fallback[1]])
    with large_blocks_apart():
        work = split(scenario, gap=gap, deadline=deadline, chunk_communities=CHUNK_COMMUNITIES)
        stages = _stages(work, began)
        for chunk in work.chunks:  # the models in HiGHS are done with: free them before the plan
            chunk.model.free()
    if not stages[0].status.has_plan:
        if fallback is None or stages[0].status == StageStatus.INFEASIBLE:
            return None, stages
        plan, run = fallback
        # the chunks stop a little before the deadline: the limit cut it when 5% or less was left
        on_time = deadline - time.monotonic() <= 0.05 * (time_limit or 0.0)
        note = "; ".join(n for n in (run.note, stages[0].note) if n)
        run = replace(run, status=unproven(on_time), runtime_s=stages[0].runtime_s, note=note)
        return greedy_readout(plan), [run]
    return _readout(scenario, work), stages


def _stages(work: Decomposed, began: float) -> list[StageRun]:
    """The measures of the objective in order, each kept (a linking row) by the stages after."""
    order = objective_of(work.scenario)
    runs = [_stage(work, order[0], [], began)]
    for k in range(1, len(order)):
        if not runs[-1].status.has_plan:
            break
        before = order[k - 1]
        value = sum(c.use(measure_key(before), c.plan) for c in work.chunks)
        work.limits[measure_key(before)] = value + kept_room(
            MEASURE[before].kept, value, arrays=True
        )
        runs.append(_stage(work, order[k], list(order[:k]), time.monotonic()))
    return runs


# --- one stage --------------------------------------------------------------------------------
def _stage(work: Decomposed, objective: str, kept: list[str], began: float) -> StageRun:
    """The stage of measure `objective`, keeping the measures `kept` of the stages before."""
    keys = list(work.limits)
    prices = starting_prices(work, objective, keys, _sample(work))
    # A later stage's shares keep back SLACK of what the plan so far has over stage 1's
    # relaxed plans in each kept measure: room to round the free communities in without going
    # over it (the bound is for the full limit; stage 1's relaxed plans are among the cuts).
    room = {
        measure_key(m): SLACK * max(work.limits[measure_key(m)] - _first_relaxed(work, m), 0.0)
        for m in kept
    }
    slack = np.array([room.get(k, 0.0) for k in keys])
    bound, shares = bound_and_shares(work, objective, keys, prices, slack)
    on_time = work.deadline is not None and work.time_left() <= 0
    if bound is None and not kept:
        return _no_bound(work, on_time, time.monotonic() - began)
    value = _plan(work, objective, kept, keys, shares, bound)
    on_time = work.deadline is not None and work.time_left() <= 0
    if value is None:
        why = work.rounding_failure or _NO_ROUNDING
        note = "no plan: " + ("the time limit was reached" if on_time else why)
        return StageRun.without_plan(StageStatus.NO_PLAN, time.monotonic() - began, note)
    if bound is None:  # a later stage: the plan before, improved chunk by chunk, without a bound
        note = f"no Lagrangian bound: {_relaxation_failure(work, on_time)}"
        return StageRun(unproven(on_time), value, None, None, time.monotonic() - began, note)
    bound = min(bound, value)
    gap_now = relative_gap(value, bound)
    if proven(value, bound, work.gap):
        return StageRun(StageStatus.OPTIMAL, value, bound, gap_now, time.monotonic() - began)
    note = (
        "stopped at the time limit"
        if on_time
        else f"the plan is {gap_now:.2e} above the Lagrangian bound (of the relaxation), more "
        f"than the {work.gap:.1e} asked: rounding the relaxation's plans cost more"
    )
    return StageRun(unproven(on_time), value, bound, gap_now, time.monotonic() - began, note)


_NO_ROUNDING = "no plan came of the chunks' relaxations within their shares"


def _no_bound(work: Decomposed, on_time: bool, runtime: float) -> StageRun:
    """Stage 1 without a bound: INFEASIBLE only when a chunk's relaxation is infeasible."""
    failed = work.relaxation_failure
    if failed == StageStatus.INFEASIBLE:
        return StageRun.without_plan(StageStatus.INFEASIBLE, runtime)
    note = f"no plan: {_relaxation_failure(work, on_time)}"
    return StageRun.without_plan(StageStatus.NO_PLAN, runtime, note)


def _relaxation_failure(work: Decomposed, on_time: bool) -> str:
    if on_time:
        return "the time limit was reached"
    if work.relaxation_failure == StageStatus.INFEASIBLE:
        return "HiGHS called a chunk's relaxation infeasible"
    return f"a chunk's relaxation ended '{work.relaxation_failure or StageStatus.UNKNOWN}'"


def _sample(work: Decomposed) -> list[Chunk]:
    """Chunks spread over the scenario, about SAMPLE_COMMUNITIES communities in all."""
    step = max(1, round(len(work.chunks) * CHUNK_COMMUNITIES / max(SAMPLE_COMMUNITIES, 1)))
    return work.chunks[::step][: max(1, SAMPLE_COMMUNITIES // CHUNK_COMMUNITIES)]


def _first_relaxed(work: Decomposed, measure: str) -> float:
    """`measure` of stage 1's relaxed plans within their shares."""
    relaxed = [c for c in work.chunks if c.first_relaxed is not None]
    return sum(c.use(measure_key(measure), c.first_relaxed) for c in relaxed)


# --- plans ------------------------------------------------------------------------------------
def _plan(
    work: Decomposed,
    objective: str,
    kept: list[str],
    keys: list[Key],
    shares: list[np.ndarray] | None,
    bound: float | None,
) -> float | None:
    """A plan from the relaxations within the shares (see _plan_from); in a later stage, if
    there are none or that finds none, the plan before. Then passes chunk by chunk
    (_improve_locally) while they pay and the plan is not yet within the gap asked of `bound`."""
    found = None if shares is None else _plan_from(work, objective, kept, keys, shares)
    if found is None and not kept:
        return None
    value = found if found is not None else work.total(objective)
    for _ in range(LOCAL_ROUNDS):
        gap_now = None if bound is None else relative_gap(value, bound)
        if (gap_now is not None and gap_now <= work.gap) or work.time_left() <= 0:
            break
        before, value = value, _improve_locally(work, keys, objective, kept)
        if value >= before - work.gap * LOCAL_GAIN_SHARE * abs(value):
            break
    return value


def _improve_locally(work: Decomposed, keys: list[Key], objective: str, kept: list[str]) -> float:
    """Chunk by chunk: each may use what the plan uses of every linking row plus what the whole
    plan leaves of it, and improves the stage's objective within that (_improve_chunk). Every
    plan meets every row; money a chunk frees goes to the chunks after it. The plan's value."""
    totals = {key: sum(c.use(key, c.plan) for c in work.chunks) for key in keys}
    total = 0.0
    for chunk in work.chunks:
        used = {key: chunk.use(key, chunk.plan) for key in keys}
        for key in keys:
            allowed = used[key] + max(work.limits[key] - totals[key], 0.0)
            chunk.share(
                key, math.floor(allowed + 1e-6) if key[0] == "max_options_funded" else allowed
            )
        _improve_chunk(chunk, objective, kept)
        for key in keys:
            totals[key] += chunk.use(key, chunk.plan) - used[key]
        total += float(chunk.cost(objective) @ chunk.plan)
    return total


def _improve_chunk(chunk: Chunk, objective: str, kept: list[str]) -> None:
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
            if kept:
                measures = [chunk.cost(m) for m in kept] + [cost]
                rows = [chunk.rows[measure_key(m)] for m in kept]
                better = polish_order(model, better, measures, rows)
            chunk.plan = better
    chunk.release()
    model.set_integrality(False, warm=True)
    model.clear_solver(basis)  # the next relaxation starts from the last one's basis


def _plan_from(
    work: Decomposed, objective: str, kept: list[str], keys: list[Key], shares: list[np.ndarray]
) -> float | None:
    """Each chunk's relaxation within its shares: communities it takes whole keep that, the
    others are decided together in one MIP with what is left of every limit (in stage 2, of
    stage 1's W too), or chunk by chunk within the shares when more than
    REST_MOST_COMMUNITIES are split. None, and the plan as it was, when a share leaves a chunk
    no relaxed plan or the rounding finds none (`Decomposed.rounding_failure` says which)."""
    before = [chunk.plan for chunk in work.chunks]
    free = _relaxed_within(work, objective, kept, keys, shares)
    split_count = 0 if free is None else sum(len(ids) for _, ids in free)
    if free is None:
        why = "a chunk's relaxation had no plan within its shares"
    elif split_count > REST_MOST_COMMUNITIES:
        if _decide_by_chunk(work, objective, keys, shares, free):
            return work.total(objective)
        why = (
            f"the relaxations split {split_count} of {len(work.scenario.communities)} "
            "communities, and a chunk's MIP of those it split found no plan within its shares"
        )
    elif not decide_free(work, objective, kept, free):
        why = (
            f"the MIP of the {split_count} communities the relaxations split (of "
            f"{len(work.scenario.communities)}) found none (it may run {REST_SECONDS:.0f} s)"
        )
    else:
        return work.total(objective)
    work.rounding_failure = f"{_NO_ROUNDING}: {why}"
    for chunk, plan in zip(work.chunks, before, strict=True):
        chunk.plan = plan
    return None


def _decide_by_chunk(
    work: Decomposed, objective: str, keys: list[Key], shares: list[np.ndarray], free: Free
) -> bool:
    """The communities each chunk's relaxation split, decided chunk by chunk within the chunk's
    shares (which together keep every linking row), each a MIP of its chunk with what the
    relaxation leaves whole kept (`fix_and_solve`); written into the chunks' plans. False
    when one finds no plan (`_plan_from` then puts every chunk's plan back)."""
    for (chunk, ids), share in zip(free, shares, strict=True):
        if not ids:
            continue
        if work.time_left() <= 0:
            return False
        _share(chunk, keys, share)
        model = chunk.model
        model.set_cost(chunk.cost(objective))
        model.set_integrality(True)
        try:
            values = fix_and_solve(model, chunk.matrix, chunk.plan, None)
        finally:
            chunk.release()
            model.set_integrality(False, warm=True)
        if values is None:
            return False
        chunk.plan = values
    return True


def _share(chunk: Chunk, keys: list[Key], share: np.ndarray) -> None:
    """Let the chunk's linking rows allow its share of each (and a hair more: LP tolerances)."""
    for key, amount in zip(keys, share, strict=True):
        chunk.share(key, float(amount) * (1 + 1e-9) + 1e-9)


def _relaxed_within(
    work: Decomposed, objective: str, kept: list[str], keys: list[Key], shares: list[np.ndarray]
) -> Free | None:
    """Each chunk's plan set to its relaxation within its shares (stage 1's kept as
    `first_relaxed`); per chunk, the communities that relaxation splits. None when a chunk
    has no relaxed plan."""
    free: Free = []
    for chunk, share in zip(work.chunks, shares, strict=True):
        _share(chunk, keys, share)
        chunk.model.set_cost(chunk.cost(objective))
        relaxed = chunk.model.relaxation().values
        chunk.release()
        if relaxed is None:
            return None
        free.append((chunk, _free_communities(chunk, relaxed)))
        chunk.plan = relaxed
        if not kept:
            chunk.first_relaxed = relaxed.copy()
    return free


def _free_communities(chunk: Chunk, relaxed: np.ndarray) -> set[str]:
    """Communities to decide again: those the relaxation splits between sets, or leaves a
    whole decision of their own fractional (a start year, a post, whether a source with
    max_options_funded pays a route: a fraction of that counts as a whole option funded)."""
    matrix = chunk.matrix
    free = {cid for cid in matrix.community_columns if cid not in matrix.sets}
    for cid, sets in matrix.sets.items():
        weights = [relaxed[w] for _, w in sets]
        if max(weights) < 1 - 1e-6:
            free.add(cid)
    integer = chunk.model.integer
    for cid in matrix.community_columns:
        columns = matrix.columns_of(cid)
        if len(whole_decisions(integer, columns, relaxed)) < np.count_nonzero(integer[columns]):
            free.add(cid)
    return free


def _readout(scenario: Scenario, work: Decomposed) -> Readout:
    """One read-back for the whole scenario from the chunks' plans."""
    parts = [readout(c.scenario, c.matrix, c.plan) for c in work.chunks]
    options, chosen, area, funding, extra = [], [], [], {}, {}
    for part in parts:
        offset = len(options)
        options.extend(part.options)
        chosen.extend(part.chosen)
        area.extend(part.area)
        funding.update({(i + offset, s): v for (i, s), v in part.funding.items()})
        extra.update(part.extra)  # each a community's (`chunks._chunk` checks)
    budgets = {s.id: scenario.units(s) for s in scenario.funding}
    return Readout(scenario, options, chosen, area, funding, budgets, extra)
