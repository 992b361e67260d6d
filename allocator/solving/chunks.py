"""The decomposition's pieces: chunks of whole groups, each its own HiGHS model, and the few
rows that link them (county-wide budgets, counts of funded options, the rows of the families
that limit the whole county: staff quotas and pools, yearly budgets; and the measures each
stage keeps of the stages before it).

`allocator.solving.decompose` finds the plans; `allocator.solving.lagrange` the bound and the
shares of the linking rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from allocator.model.arrays import Matrix
from allocator.model.rules import linking_limits, objective_of
from allocator.model.sets import build_matrix
from allocator.model.sets_measures import measure_vector
from allocator.scenario.schema import COUNTY_UNIT, Community, Scenario
from allocator.solving.highs import INF, HighsModel, from_matrix, seconds_left
from allocator.solving.status import StageStatus

# (family, id) of `allocator.model.rules.linking_limits`; ("row", name) of a family's row that
# limits the county (`Matrix.shared_rows`); ("measure", name) of a measure a stage keeps.
Key = tuple[str, str]


def measure_key(name: str) -> Key:
    return ("measure", name)


_NO_TERMS = (np.empty(0, dtype=np.int64), np.empty(0))


@dataclass(eq=False)
class Chunk:
    """Some whole groups: their model in HiGHS and their part of each linking row."""

    scenario: Scenario
    matrix: Matrix
    model: HighsModel
    terms: dict[Key, tuple[np.ndarray, np.ndarray]]  # columns and coefficients per row
    rows: dict[Key, int]  # the chunk's own row for a linking row, if it has one
    costs: dict[str, np.ndarray]  # each measure of the objective over the chunk's columns
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
        return self.costs[objective]


@dataclass(eq=False)
class Decomposed:
    """The scenario in chunks, the limits of the linking rows, the gap asked for and the
    deadline (time.monotonic)."""

    scenario: Scenario
    chunks: list[Chunk]
    limits: dict[Key, float]
    gap: float
    deadline: float | None
    relaxation_failure: StageStatus | None = None  # how the last chunk relaxation that failed ended
    rounding_failure: str | None = None  # why the last rounding of the relaxations gave no plan

    def time_left(self) -> float:
        return seconds_left(self.deadline)

    def total(self, objective: str) -> float:
        """The objective of the current plan (every chunk's)."""
        return sum(float(c.cost(objective) @ c.plan) for c in self.chunks)


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
    limits = linking_limits(scenario)  # the budgets and counts the sets formulation writes
    chunks = [_chunk(scenario, pack, by_group, limits, gap, deadline) for pack in packs if pack]
    for chunk in chunks:  # the families' rows that limit the whole county, as each chunk has them
        for name, (_, upper, county) in chunk.matrix.shared_rows.items():
            if county:
                limits[("row", name)] = upper
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
    own = {j for columns in matrix.community_extra.values() for j in columns}
    if any(j not in own for j in matrix.extra.values()):
        raise ValueError("a rule family has a county-wide column: no chunk could hold it")
    # A chunk's MIPs stop within a tenth of the gap asked: gaps of every chunk add up.
    model = from_matrix(matrix, gap=gap / 10, deadline=deadline)
    model.set_integrality(False, warm=True)  # relaxations until a chunk's plan is wanted
    costs = {name: measure_vector(matrix, part, name) for name in objective_of(part)}
    terms, rows = _linking_terms(matrix, limits, costs)
    matrix.slim()
    chunk = Chunk(part, matrix, model, terms, rows, costs)
    chunk.release()
    return chunk


def _linking_terms(
    matrix: Matrix, limits: dict[Key, float], costs: dict[str, np.ndarray]
) -> tuple[dict[Key, tuple[np.ndarray, np.ndarray]], dict[Key, int]]:
    """The chunk's columns and coefficients in each linking row (and in every row of a linking
    family, county-wide or not: the communities decided again need what the others use), and
    its own rows for them; each measure as a row a later stage keeps."""
    terms: dict[Key, tuple[np.ndarray, np.ndarray]] = {}
    rows: dict[Key, int] = {}
    for family, source_id in limits:
        if family == "budget":
            columns = matrix.members.get((source_id, COUNTY_UNIT), [])
            row = matrix.budget_rows.get((source_id, COUNTY_UNIT))
        elif family == "max_options_funded":
            columns = [z for (_, s), z in matrix.funded.items() if s == source_id]
            row = matrix.funded_rows.get(source_id)
        else:
            raise ValueError(f"the sets formulation has no columns for linking rule {family!r}")
        if row is not None:
            rows[(family, source_id)] = row
        terms[(family, source_id)] = (np.array(columns, dtype=np.int64), np.ones(len(columns)))
    for name, (row, _, county) in matrix.shared_rows.items():
        start, end = matrix.starts[row], matrix.starts[row + 1]
        columns = np.array(matrix.index[start:end], dtype=np.int64)
        terms[("row", name)] = (columns, np.array(matrix.value[start:end], dtype=np.float64))
        if county:  # shared out (a group's or a community's limit stays the chunk's own)
            rows[("row", name)] = row
    for name, cost in costs.items():
        columns = np.flatnonzero(cost)
        terms[measure_key(name)] = (columns, cost[columns])
    return terms, rows
