"""The decomposition by group with the campaign's rules: staff (the county's quota, pool and
limit of recruits shared out between chunks, posts short a stage of its own) and years (the
yearly budgets of county-wide money shared out, start years decided per community). Forced on
a small generated province in chunks of a dozen communities: every plan passes the
independent checker, each stage is optimal only within the gap asked, and the first stage's
bound is no higher than the optimum of the whole model (whose own bound the plan cannot beat).
"""

from __future__ import annotations

import copy

import pytest
from conftest import solve_checked

from allocator.scenario.loading import scenario_from_dict
from allocator.scenario.synthetic import generate_scenario

GAP = 1e-3


@pytest.mark.parametrize(
    ("communities", "staff", "years", "exact"),
    [(40, True, 0, True), (40, False, 3, True), (24, True, 3, False)],
)
def test_decomposition_with_staff_and_years(
    monkeypatch: pytest.MonkeyPatch, communities: int, staff: bool, years: int, exact: bool
) -> None:
    import allocator.solving.decompose as decompose
    import allocator.solving.lexicographic as solving

    raw = generate_scenario(communities, seed=3, staff=staff, years=years)
    whole = None
    if exact:  # the whole model, to 1e-4 (staffed over three years: too long for the suite)
        whole = solving.solve(scenario_from_dict(copy.deepcopy(raw)), gap=1e-4)
        assert whole.status == "optimal"
    monkeypatch.setattr(decompose, "CHUNK_COMMUNITIES", communities // 3)
    monkeypatch.setattr(decompose, "SAMPLE_COMMUNITIES", 2 * communities // 3)
    monkeypatch.setattr(solving, "DECOMPOSE_FROM", 2)
    plan = solve_checked(raw, formulation="sets", gap=GAP)
    assert plan.status.has_plan
    order = ["weighted_shortfall", "posts_short", "total_cost"] if staff else None
    order = order or ["weighted_shortfall", "total_cost"]
    assert plan.objective["order"] == order
    stages = plan.solver.stages
    assert [s.objective for s in stages] == order
    for stage in stages:
        assert stage.gap is not None and stage.bound <= stage.value + 1e-6
        assert (stage.status == "optimal") == (stage.gap <= GAP * 1.0001)
    if whole is not None:
        first = whole.solver.stages[0]
        assert stages[0].bound <= first.value + 1e-6
        assert plan.weighted_shortfall >= first.bound - 1e-6


def test_a_fraction_of_a_funded_option_frees_its_community() -> None:
    """A community whose relaxation takes one set whole but funds a route from a source with
    max_options_funded by a fraction (z between 0 and 1, money paid) is decided again: kept
    as relaxed, its money counts as a whole option funded while the count left for the others
    counted a fraction (a generated province funded 3 routes from a source allowed 2)."""
    from types import SimpleNamespace

    import numpy as np

    from allocator.model.sets import build_matrix
    from allocator.solving.decompose import _free_communities

    raw = generate_scenario(12, seed=3)
    scenario = scenario_from_dict(copy.deepcopy(raw))
    matrix = build_matrix(scenario)
    assert matrix.funded, "the province has a source with max_options_funded"
    (option, _), z = next(iter(matrix.funded.items()))
    community = matrix.options[option][0].id
    relaxed = np.zeros(matrix.columns)
    for sets in matrix.sets.values():  # every community takes its first set whole
        relaxed[sets[0][1]] = 1.0
    chunk = SimpleNamespace(matrix=matrix, model=SimpleNamespace(integer=np.zeros(0, bool)))
    chunk.model.integer = np.array(matrix.col_integer, dtype=bool)
    whole = _free_communities(chunk, relaxed)  # type: ignore[arg-type]
    relaxed[z] = 0.4
    assert _free_communities(chunk, relaxed) == whole | {community}  # type: ignore[arg-type]


def test_no_plan_from_the_rounding_says_which_step_found_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the MIP of the communities the chunks' relaxations split finds no plan, the stage's
    note says so, with how many of all the communities it held (before: only that no plan came
    of the relaxations)."""
    import allocator.solving.decompose as decompose
    import allocator.solving.lexicographic as solving

    raw = generate_scenario(24, seed=3, years=3)
    monkeypatch.setattr(decompose, "CHUNK_COMMUNITIES", 8)
    monkeypatch.setattr(decompose, "SAMPLE_COMMUNITIES", 16)
    monkeypatch.setattr(solving, "DECOMPOSE_FROM", 2)
    split: list[int] = []

    def none_found(work: object, objective: str, kept: list[str], free: list) -> bool:
        split.append(sum(len(ids) for _, ids in free))
        return False

    monkeypatch.setattr(decompose, "decide_free", none_found)
    plan = solving.solve(scenario_from_dict(copy.deepcopy(raw)), formulation="sets", gap=GAP)
    assert plan.status == "no_plan"
    note = plan.solver.stages[0].note
    assert split[-1] > 0
    assert f"the MIP of the {split[-1]} communities the relaxations split (of 24)" in note


@pytest.mark.parametrize(("staff", "years"), [(True, 0), (False, 3)])
def test_split_communities_decided_chunk_by_chunk(
    monkeypatch: pytest.MonkeyPatch, staff: bool, years: int
) -> None:
    """Past REST_MOST_COMMUNITIES split communities (10,000 over 3 years: 5,495), each chunk
    decides those its relaxation split within its own shares: the plan meets every rule (the
    shares together keep every linking row), each stage with a bound and a gap."""
    import allocator.solving.decompose as decompose
    import allocator.solving.lexicographic as solving

    raw = generate_scenario(30, seed=5, staff=staff, years=years)
    monkeypatch.setattr(decompose, "CHUNK_COMMUNITIES", 10)
    monkeypatch.setattr(decompose, "SAMPLE_COMMUNITIES", 20)
    monkeypatch.setattr(decompose, "REST_MOST_COMMUNITIES", 0)
    monkeypatch.setattr(solving, "DECOMPOSE_FROM", 2)
    calls: list[int] = []
    real = decompose._decide_by_chunk

    def counted(*args: object) -> bool:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(decompose, "_decide_by_chunk", counted)
    plan = solve_checked(raw, formulation="sets", gap=GAP)
    assert calls and plan.status.has_plan
    first = plan.solver.stages[0]
    assert first.bound is not None and first.bound <= first.value + 1e-6
