"""The MIP of the communities the chunks' relaxations split (`allocator.solving.decompose`):
decided together with what the other communities leave of every limit, the others of their
groups held to their routes as room to round them in."""

from __future__ import annotations

import time

import numpy as np

from allocator.model.arrays import Matrix
from allocator.model.sets import build_matrix
from allocator.model.sets_measures import measure_vector
from allocator.scenario.schema import FundingSource, Scenario
from allocator.solving.chunks import Chunk, Decomposed, Key, measure_key
from allocator.solving.direct import keep_at_most, polish_order, solve_stage
from allocator.solving.highs import from_matrix

HELD_PER_GROUP = 10  # communities of a free one's group held to their routes, free in money
REST_SECONDS = 120.0  # for the MIP of the communities decided again
REST_GAP_SHARE = 0.25  # the MIP of the free communities: this share of the gap of the plan...
REST_GAP_MOST = 0.01  # ...over their share of the communities, and at most this
Free = list[tuple[Chunk, set[str]]]  # per chunk, the communities decided again


def hold(matrix: Matrix, free: Free, held: list[set[str]]) -> None:
    """Fix the set weights of held communities in `matrix` to their set in the chunk plan."""
    for (chunk, _), held_ids in zip(free, held, strict=True):
        for cid in held_ids:
            for (_, mine), (_, theirs) in zip(
                chunk.matrix.sets[cid], matrix.sets[cid], strict=True
            ):
                value = float(round(chunk.plan[mine]))
                matrix.col_lower[theirs] = matrix.col_upper[theirs] = value


def decide_free(work: Decomposed, objective: str, kept: list[str], free: Free) -> bool:
    """The free communities, with up to HELD_PER_GROUP others of their groups held to their
    routes, decided in one MIP with what the others leave of every limit; written into the
    chunks' plans. False when that MIP finds no plan."""
    free, held = _with_their_groups(free)
    members = [(chunk, ids | held_ids) for (chunk, ids), held_ids in zip(free, held, strict=True)]
    rest = _rest_scenario(work, members)
    if rest is None:
        return True
    matrix = build_matrix(rest)
    hold(matrix, free, held)
    _leave_what_others_use(matrix, members)
    cap = time.monotonic() + REST_SECONDS
    deadline = cap if work.deadline is None else min(cap, work.deadline)
    # The fewer communities decided here, the looser their own MIP may stop (in proportion).
    share = len(rest.communities) / len(work.scenario.communities)
    gap = min(work.gap * REST_GAP_SHARE / share, REST_GAP_MOST)
    model = from_matrix(matrix, gap=gap, deadline=deadline)
    measures = [measure_vector(matrix, rest, m) for m in (*kept, objective)]
    kept_rows = []
    for m, vector in zip(kept, measures, strict=False):
        left = work.limits[measure_key(m)] - fixed_use(members, measure_key(m))
        kept_rows.append(keep_at_most(model, vector, left))
    outcome = solve_stage(model, matrix, measures[-1], gap=gap)
    if outcome.values is None:
        return False
    values = outcome.values
    if kept_rows:
        values = polish_order(model, values, measures, kept_rows)
    _scatter(members, matrix, values)
    return True


def _leave_what_others_use(matrix: Matrix, free: Free) -> None:
    """The rows of the linking families (staff quotas and pools, yearly budgets) in the MIP of
    the free communities allow what the fixed communities leave of them."""
    for name, (row, upper, _) in matrix.shared_rows.items():
        matrix.row_upper[row] = upper - fixed_use(free, ("row", name))


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


def fixed_use(free: Free, key: Key) -> float:
    total = 0.0
    for chunk, ids in free:
        total += chunk.use(key, without(chunk, chunk.plan, ids))
    return total


def without(chunk: Chunk, values: np.ndarray, ids: set[str]) -> np.ndarray:
    kept = values.copy()
    for cid in ids:
        kept[chunk.matrix.columns_of(cid)] = 0.0
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
        fixed = without(chunk, chunk.plan, ids)
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
        left = work.limits[("budget", source.id)] - fixed_use(free, ("budget", source.id))
        update["budget"] = max(left, 0.0)
    elif source.scope == "group":
        units = work.scenario.units(source)
        update["budgets"] = {
            g: max(units[g] - group_use.get((source.id, g), 0.0), 0.0) for g in groups_kept
        }
    if source.max_options_funded is not None:
        left = work.limits[("max_options_funded", source.id)] - fixed_use(
            free, ("max_options_funded", source.id)
        )
        update["max_options_funded"] = max(int(round(left)), 0)
    return source.model_copy(update=update)


def _scatter(free: Free, matrix: Matrix, values: np.ndarray) -> None:
    """Write the free communities' new values back into their chunks' plans."""
    for chunk, ids in free:
        for cid in ids:
            mine, theirs = chunk.matrix.columns_of(cid), matrix.columns_of(cid)
            assert len(mine) == len(theirs), "a community's columns differ between models"
            chunk.plan[mine] = values[theirs]
