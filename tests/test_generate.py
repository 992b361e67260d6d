"""The synthetic province: deterministic, in the county's shapes, every rule present, budgets
that bind, and a file that reads the same as YAML and through the fast JSON path."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from conftest import solve_checked
from typer.testing import CliRunner

from allocator.cli import app
from allocator.scenario.loading import load_scenario, scenario_from_dict
from allocator.scenario.schema import OPTION_KINDS
from allocator.scenario.synthetic import generate_scenario, scenario_yaml, write_scenario


def test_same_seed_same_file_other_seed_other_file() -> None:
    first = scenario_yaml(generate_scenario(200, seed=7))
    assert first == scenario_yaml(generate_scenario(200, seed=7))
    assert first != scenario_yaml(generate_scenario(200, seed=8))


def test_groups_of_5_to_40_adding_up() -> None:
    """Sizes are drawn in 5..40; a remainder below 5 is never left over."""
    for communities in (5, 27, 41, 44, 45, 1000):
        data = generate_scenario(communities, seed=communities)
        sizes = Counter(c["group"] for c in data["communities"])
        assert sum(sizes.values()) == communities
        assert set(sizes) == {g["id"] for g in data["groups"]}
        assert all(5 <= size <= 40 for size in sizes.values()), sizes


def test_every_route_and_funding_rule_is_there() -> None:
    data = generate_scenario(1000, seed=1)
    options = [o for c in data["communities"] for o in c["options"]]
    assert {o["kind"] for o in options} == set(OPTION_KINDS)
    assert any(o.get("locked") == "chosen" for o in options)
    assert any(o.get("locked") == "rejected" for o in options)
    assert any(o.get("excludes") for o in options)
    assert any(o.get("replaces_existing") for o in options)
    assert any(o.get("area_factor", 1) < 1 for o in options)
    assert any(o.get("min_area_m2", 0) == o["max_area_m2"] for o in options)
    assert any(0 < o.get("min_area_m2", 0) < o["max_area_m2"] for o in options)
    assert any(o.get("annual_cost") and o.get("cost_per_m2") for o in options)
    assert any(c.get("must_meet") for c in data["communities"])
    assert any(c.get("priority", 1) != 1 for c in data["communities"])
    assert any(c.get("max_options") == 3 for c in data["communities"])
    sources = data["funding"]
    assert {s["scope"] for s in sources} == {"county", "group", "community"}
    for rule in (
        "budget_by_kind",
        "budgets",
        "pays_for",
        "capital_only",
        "max_share",
        "max_per_option",
        "max_options_funded",
    ):
        assert any(rule in s for s in sources), rule
    assert {g["kind"] for g in data["groups"]} == {"street", "town"}


def test_file_reads_the_same_as_yaml_and_json(tmp_path: Path) -> None:
    """The writer's flow style is YAML: safe_load gives the data the fast path gives."""
    data = generate_scenario(300, seed=3)
    path = tmp_path / "province.yaml"
    write_scenario(data, path, header="a comment\nover two lines")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# a comment\n# over two lines\n")
    assert yaml.safe_load(text) == data
    assert load_scenario(path).model_dump() == scenario_from_dict(data).model_dump()


def test_budgets_bind() -> None:
    """Money covers about 70% of full compliance: the plan spends the whole province budget,
    and some communities still fall short; every demonstration site reaches its target."""
    data = generate_scenario(40, seed=2)
    plan = solve_checked(data)
    assert plan.status.value == "optimal"
    province = next(f for f in plan.funding_results if f.source == "province")
    assert province.left <= 1e-6 * province.budget
    assert 0 < plan.communities_meeting_target < 40
    assert all(c.meets_target for c in plan.community_results if c.must_meet)


def test_generate_command(tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    result = CliRunner().invoke(
        app, ["generate", "--lang", "en", "--communities", "60", "--seed", "5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "60 communities" in result.output
    scenario = load_scenario(out)
    assert len(scenario.communities) == 60
    assert "--communities 60 --seed 5" in out.read_text(encoding="utf-8").splitlines()[0]


def test_generate_command_cannot_write(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "p.yaml"
    result = CliRunner().invoke(app, ["generate", "--lang", "en", "-n", "10", "--out", str(out)])
    assert result.exit_code == 2
    assert "cannot write" in result.output
