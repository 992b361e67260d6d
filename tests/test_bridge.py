"""A lease that bridges until a building is ready (租赁过渡, `bridges`): solved by hand in both
formulations, checked by the independent oracle (which is shown to catch each way a bridge
can be misstated), its checks, and random provinces with bridges on which the formulations
agree."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from conftest import community, option, scenario_dict, solve_checked
from oracle import check_plan

from allocator.errors import ScenarioError
from allocator.scenario.loading import scenario_from_dict
from allocator.scenario.synthetic import generate_scenario

FORMULATIONS = ("naive", "sets")


def site(bridge: bool = True, build_m2: float = 200, **fields: Any) -> dict[str, Any]:
    """S has 100 m2 and needs 300 by the end of 2024 (a demonstration site). Its new building
    (build_m2, all or nothing, 0.5 万元/m2) is ready a year after its start, so in 2025 at the
    soonest; the bridge lease (200 m2 at 0.01 万元/m2 a year: 2 万元 a year) is in use from its
    start. Years 2024-2025, rent otherwise counted over horizon_years 2."""
    routes = [option("s-build", "allocate_build", build_m2, min_area_m2=build_m2, cost_per_m2=0.5)]
    if bridge:
        routes.append(option("s-lease", "lease", 200, min_area_m2=200, annual_cost_per_m2=0.01,
                             bridges="s-build"))  # fmt: skip
    fields = {"existing_area_m2": 100, "target_area_m2": 300, "must_meet": True,
              "due_year": 2024, **fields}  # fmt: skip
    return scenario_dict([community("S", routes, **fields)], years=[2024, 2025], horizon_years=2)


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_site_due_before_its_building_is_ready_is_met_with_a_bridge(formulation: str) -> None:
    """Without the lease no route is ready by 2024: no plan. With it: the building (100 万元)
    and the lease for one year (2 万元, not 2 x horizon_years = 4), both started in 2024; the
    lease in use in 2024 only, the building's 200 m2 counting from 2025."""
    assert solve_checked(site(bridge=False), formulation=formulation).status == "infeasible"
    plan = solve_checked(site(), formulation=formulation)
    assert plan.status == "optimal" and plan.total_cost == pytest.approx(102)
    build, lease = plan.community_results[0].options
    assert (build.start_year, build.ready_year, lease.start_year) == (2024, 2025, 2024)
    assert (lease.bridges, lease.in_service_years) == ("s-build", (2024,))
    assert (lease.area_m2, lease.counted_area_m2, lease.running_cost) == (200, 0, 2)
    assert lease.paid_by_year == {2024: {"county": 2.0}}
    assert plan.community_results[0].final_area_m2 == 300
    assert [(y.cost, y.shortfall_m2) for y in plan.by_year] == [(102, 0), (0, 0)]
    data = plan.to_dict()["communities"][0]["options"][1]
    assert (data["bridges"], list(data["in_service_years"])) == ("s-build", [2024])


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_bridge_counts_only_until_its_building_is_ready(formulation: str) -> None:
    """A building of 100 m2: with the lease S has 300 m2 in 2024, but 200 at the end (the
    lease stops when the building is ready): met in its due year, 100 m2 short at the end,
    and not a demonstration site, so the plan says so rather than fail."""
    plan = solve_checked(site(build_m2=100, must_meet=False), formulation=formulation)
    assert plan.weighted_shortfall == pytest.approx(100) and plan.total_cost == pytest.approx(52)
    assert [(y.shortfall_m2, y.communities_meeting_target) for y in plan.by_year] == [
        (0, 1), (100, 0)]  # fmt: skip
    assert plan.community_results[0].final_area_m2 == 200
    with_site = solve_checked(site(build_m2=100), formulation=formulation)
    assert with_site.status == "infeasible"  # a demonstration site must meet it at the end


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_the_rent_is_paid_in_the_bridged_years_only(formulation: str) -> None:
    """A building ready two years after its start (2024 -> 2026), due 2025, horizon 5: the
    lease pays 2 万元 in 2024 and 2025 (4, not 5 x 2), and the yearly budgets of 102, 2 and 0
    万元 hold only because it pays nothing in 2026."""
    raw = site()
    raw["years"], raw["horizon_years"] = [2024, 2025, 2026], 5
    raw["communities"][0].update(due_year=2025)
    raw["communities"][0]["options"][0]["ready_after"] = 2
    raw["funding"][0]["budget_by_year"] = {2024: 102, 2025: 2, 2026: 0}
    plan = solve_checked(raw, formulation=formulation)
    assert plan.total_cost == pytest.approx(104)
    lease = plan.community_results[0].options[1]
    assert lease.in_service_years == (2024, 2025) and lease.running_cost == 4
    assert lease.paid_by_year == {2024: {"county": 2.0}, 2025: {"county": 2.0}}
    assert [y.cost for y in plan.by_year] == [102, 2, 0]


def test_a_bridge_counts_towards_max_options() -> None:
    """The lease is a route of its own: with max_options 1 the building goes alone (no plan,
    as without the lease); max_options 2 leaves room for both."""
    assert solve_checked(site(max_options=1)).status == "infeasible"
    assert solve_checked(site(max_options=2)).status == "optimal"


def test_a_bridge_is_taken_only_with_its_building() -> None:
    raw = site(must_meet=False)
    raw["communities"][0]["options"][0]["locked"] = "rejected"
    plan = solve_checked(raw)
    assert plan.status == "infeasible"  # due in 2024: only the bridge could do it, not alone
    assert "due_year" in {c.rule for c in plan.diagnosis.conflicts}


# --- the checks ---------------------------------------------------------------------------
def _no_years(raw: dict) -> None:
    del raw["years"]
    del raw["communities"][0]["due_year"]


def _not_a_lease(raw: dict) -> None:
    raw["communities"][0]["options"][1]["kind"] = "integrate"


def _unknown(raw: dict) -> None:
    raw["communities"][0]["options"][1]["bridges"] = "s-built"


def _of_a_lease(raw: dict) -> None:
    raw["communities"][0]["options"][0]["kind"] = "lease"


def _ready_at_once(raw: dict) -> None:
    raw["communities"][0]["options"][0]["ready_after"] = 0


def _late_lease(raw: dict) -> None:
    raw["communities"][0]["options"][1]["ready_after"] = 1


def _replacing(raw: dict) -> None:
    raw["communities"][0]["options"][1]["replaces_existing"] = True


MISTAKES = [
    (_no_years, "bridges", "请在文件开头写 years"),
    (_not_a_lease, "bridges", "只有租赁可以过渡；这条路径是资源整合 (integrate)"),
    (_unknown, "bridges", "'s-built' 不是社区 'S' 的新建或加层路径"),
    (_of_a_lease, "bridges", "是租赁 (lease)：租赁只能过渡新建"),
    (_ready_at_once, "bridges", "没有要过渡的年份"),
    (_late_lease, "ready_after", "请删去 ready_after"),
    (_replacing, "replaces_existing", "不能替换现有用房"),
]


@pytest.mark.parametrize(
    ("mistake", "field", "words"), MISTAKES, ids=[m.__name__ for m, *_ in MISTAKES]
)
def test_a_wrong_bridge_is_said_at_its_field(mistake: Any, field: str, words: str) -> None:
    raw = site()
    mistake(raw)
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(raw)
    found = [p for p in error.value.problems if p.loc[-1] == field and words in p.message]
    assert found, error.value.problems
    assert found[0].loc[:4] == ("communities", 0, "options", 1)


def test_the_schema_says_what_bridges_means() -> None:
    from allocator.scenario.schema import Option

    assert "租赁过渡" in Option.model_json_schema()["properties"]["bridges"]["description"]


# --- the oracle sees each misstated bridge -----------------------------------------------
def _planned() -> tuple[dict[str, Any], dict[str, Any]]:
    raw = site()
    return raw, json.loads(json.dumps(solve_checked(raw).to_dict()))  # as a plan file has it


def _lease(plan: dict) -> dict:
    return plan["communities"][0]["options"][1]


def _alone(raw: dict, plan: dict) -> None:
    plan["communities"][0]["options"].pop(0)


def _longer(raw: dict, plan: dict) -> None:
    _lease(plan)["in_service_years"] = [2024, 2025]


def _counted(raw: dict, plan: dict) -> None:
    _lease(plan)["counted_area_m2"] = 200.0


def _rent_after(raw: dict, plan: dict) -> None:
    _lease(plan)["paid_by_year"]["2025"] = {"county": 2.0}


def _later(raw: dict, plan: dict) -> None:
    raw["communities"][0]["options"][0]["ready_after"] = 0  # then the lease would bridge nothing


def _not_in_the_file(raw: dict, plan: dict) -> None:
    del raw["communities"][0]["options"][1]["bridges"]


ORACLE_MUTATIONS = [
    (_alone, "bridge"),
    (_longer, "bridge"),
    (_counted, "counted-area"),
    (_rent_after, "paid-by-year"),
    (_later, "running-cost"),
    (_not_in_the_file, "bridge"),
]


@pytest.mark.parametrize(
    ("mutate", "rule"), ORACLE_MUTATIONS, ids=[m.__name__ for m, _ in ORACLE_MUTATIONS]
)
def test_each_misstated_bridge_is_reported(mutate: Any, rule: str) -> None:
    raw, plan = _planned()
    assert check_plan(raw, plan) == []
    mutate(raw, plan)
    problems = check_plan(raw, plan)
    assert any(p.startswith(f"[{rule}]") for p in problems), problems


def test_every_bridge_rule_has_a_mutation() -> None:
    from oracle_bridge import BRIDGE_RULES

    assert set(BRIDGE_RULES) <= {rule for _, rule in ORACLE_MUTATIONS}


# --- random provinces with bridges -------------------------------------------------------
def with_bridges(seed: int) -> dict[str, Any]:
    """A generated province of 6 communities over 2024-2026 with money enough (its budgets
    tripled), where each lease of a community with a new building or added storey bridges it;
    most such communities are due in 2024 or 2025, their lease large enough to meet the
    target until the building is ready (drawn by `seed`)."""
    rng = random.Random(seed)
    raw = generate_scenario(6, seed=seed, years=3)
    for source in raw["funding"]:
        for key in ("budget", "budgets", "budget_by_kind", "budget_by_year"):
            if isinstance(source.get(key), dict):
                source[key] = {k: 3 * v for k, v in source[key].items()}
            elif key in source:
                source[key] *= 3
    for c in raw["communities"]:
        routes = {o["kind"]: o for o in c["options"]}
        building = routes.get("allocate_build") or routes.get("heighten")
        lease = routes.get("lease")
        if building is None or lease is None:
            continue
        lease["bridges"] = building["id"]
        lease.pop("replaces_existing", None)
        lease["excludes"] = [x for x in lease.get("excludes", []) if x != building["id"]]
        building["excludes"] = [x for x in building.get("excludes", []) if x != lease["id"]]
        c["max_options"] = max(c.get("max_options", 2), 3)
        if rng.random() < 0.7:  # due early: the lease, made large enough, bridges the gap
            gap = c.get("target_area_m2", 500) - c["existing_area_m2"]
            lease["max_area_m2"] = max(lease["max_area_m2"], gap)
            c["due_year"] = rng.choice([2024, 2025])
    return raw


def test_formulations_agree_with_bridges() -> None:
    """20 seeds: both formulations find plans of the same shortfall and cost, each passing the
    oracle, and bridges are taken in them (16 leases in 9 plans when this was written)."""
    taken = 0
    for seed in range(20):
        raw = with_bridges(seed)
        plans = [solve_checked(raw, formulation=form) for form in FORMULATIONS]
        assert plans[0].status == plans[1].status, seed
        if plans[0].status.has_plan:
            a, b = plans
            assert a.weighted_shortfall == pytest.approx(b.weighted_shortfall, abs=1e-3), seed
            assert a.total_cost == pytest.approx(b.total_cost, rel=1e-5, abs=1e-3), seed
            taken += sum(bool(o.bridges) for c in a.community_results for o in c.options)
    assert taken >= 10


def test_the_screen_says_the_years_a_lease_bridges() -> None:
    from rich.console import Console

    from allocator.report.render import print_plan

    console = Console(width=140, record=True)
    print_plan(solve_checked(site()), console)
    assert "租赁 200.0* (租赁过渡 2024)" in console.export_text()
