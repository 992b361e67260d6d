"""The synthetic province with staff (`allocator generate --staff`): the same province plus
posts, the routes to a post, the pay rise and a staff budget line; the default file unchanged;
a staffed province solved in both formulations, each plan passing the independent checker."""

from __future__ import annotations

import copy
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import solve_checked
from oracle_staff import pays_for
from typer.testing import CliRunner

from allocator.cli import app
from allocator.scenario.loading import load_scenario, scenario_from_dict
from allocator.scenario.synthetic import generate_scenario, scenario_yaml

# sha256 of the files written before staff could be asked for: without --staff, not a byte moves.
UNSTAFFED_SHA256 = {
    (200, 7): "cdb61ceedae67648b76215f1ae44b72b712eaf51d3b04f741a63df0e258b4c4d",
    (1000, 1): "4f4c6c89107273fea2abec68818b996fdecd29d3b54e1c5c534c7317abe8f006",
}
# the file of `allocator generate -n 57 --seed 3`
COMMAND_FILE_SHA256 = "558449037b8f373ee6472dbcff72d938e0224e49402f102820d1738aa640acb1"


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


@pytest.mark.parametrize(("communities", "seed"), sorted(UNSTAFFED_SHA256))
def test_without_staff_the_file_is_what_it_was(communities: int, seed: int) -> None:
    text = scenario_yaml(generate_scenario(communities, seed))
    assert sha256(text) == UNSTAFFED_SHA256[(communities, seed)]
    assert "posts_now" not in text and "staffing" not in text


def test_the_command_without_staff_writes_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    result = CliRunner().invoke(app, ["generate", "-n", "57", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sha256(out.read_bytes()) == COMMAND_FILE_SHA256


def unstaffed_part(data: dict[str, Any]) -> dict[str, Any]:
    """The staffed province with its staff taken out: staffing, posts_now, the staff line."""
    data = copy.deepcopy(data)
    del data["staffing"]
    for community in data["communities"]:
        del community["posts_now"]
    data["funding"] = [s for s in data["funding"] if s["id"] != "staff_fund"]
    data["name"] = data["name"].removesuffix(", with staff")
    data["description"] = data["description"].split(" With staff:")[0]
    return data


def test_with_staff_it_is_the_same_province_plus_its_staff() -> None:
    for communities, seed in ((200, 7), (41, 2)):
        staffed = generate_scenario(communities, seed, staff=True)
        assert unstaffed_part(staffed) == generate_scenario(communities, seed)
        assert scenario_yaml(staffed) == scenario_yaml(
            generate_scenario(communities, seed, staff=True)
        )
    assert generate_scenario(200, 7, staff=True) != generate_scenario(200, 8, staff=True)


def test_posts_routes_pay_rise_and_money_in_the_domain_shapes() -> None:
    data = generate_scenario(500, seed=4, staff=True)
    kinds = {g["id"]: g["kind"] for g in data["groups"]}
    posts = {"street": set(), "town": set()}
    for community in data["communities"]:
        posts[kinds[community["group"]]].add(community["posts_now"])
        assert list(community)[-1] == "options"
    assert posts == {"street": {5}, "town": {3, 4, 5}}
    staffing = data["staffing"]
    assert staffing["posts_target"] == 7
    missing = sum(7 - c["posts_now"] for c in data["communities"])
    assert 0 < staffing["add_post"]["quota"] < missing
    assert 0 < staffing["dispatch"]["pool"] < len(data["communities"])
    assert 0 < staffing["recruit"]["most"] < missing
    assert 6 <= staffing["add_post"]["cost_per_post_year"] <= 9
    assert 4.5 <= staffing["recruit"]["cost_per_person_year"] <= 7
    rise = staffing["pay_rise"]
    assert 0 < rise["town_yuan_per_month"] <= rise["street_yuan_per_month"]
    payers = [s for s in data["funding"] if pays_for(s) & {"add_post", "recruit", "pay_rise"}]
    assert [s["id"] for s in payers] == ["staff_fund"]
    assert pays_for(payers[0]) == {"add_post", "recruit", "pay_rise"}
    committed = data["horizon_years"] * sum(
        12 * rise[f"{kinds[c['group']]}_yuan_per_month"] / 1e4 * c["posts_now"]
        for c in data["communities"]
    )
    assert committed < payers[0]["budget"] < committed + 0.7 * 3 * 15 * missing


def test_the_command_with_staff(tmp_path: Path) -> None:
    out = tmp_path / "s.yaml"
    args = ["generate", "--lang", "en", "-n", "30", "--seed", "5", "--staff", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "--communities 30 --seed 5 --staff" in text.splitlines()[0]
    scenario = load_scenario(out)
    assert scenario.staffing is not None and scenario.staffing.add_post is not None
    assert all(c.posts_now is not None for c in scenario.communities)
    assert (
        scenario.model_dump()
        == scenario_from_dict(generate_scenario(30, 5, staff=True)).model_dump()
    )
    again = tmp_path / "again.yaml"
    CliRunner().invoke(app, [*args[:-1], str(again)])
    assert again.read_bytes() == out.read_bytes()


def solved_in_both(data: dict[str, Any]) -> None:
    """Both formulations: plans that pass the checker, the same value of every measure the
    objective orders; the premises plan is the unstaffed province's (staff money is apart);
    posts stay short (the staff money binds)."""
    plans = {f: solve_checked(data, formulation=f) for f in ("naive", "sets")}
    for plan in plans.values():
        assert plan.status.value == "optimal"
        assert plan.objective["order"] == ["weighted_shortfall", "posts_short", "total_cost"]
        assert plan.posts_short > 0
    naive, sets = (plans[f].objective["values"] for f in ("naive", "sets"))
    for measure in plans["naive"].objective["order"]:
        assert sets[measure] == pytest.approx(naive[measure], rel=1e-6, abs=1e-3), measure
    premises = solve_checked(unstaffed_part(data), formulation="sets")
    assert naive["weighted_shortfall"] == pytest.approx(premises.weighted_shortfall, abs=1e-3)


def test_a_staffed_province_solves_in_both_formulations() -> None:
    solved_in_both(generate_scenario(60, seed=5, staff=True))


@pytest.mark.skipif(
    not os.environ.get("ALLOCATOR_LONG_TESTS"),
    reason="some 3 minutes on two cores: set ALLOCATOR_LONG_TESTS=1 to run it",
)
def test_a_staffed_province_of_200_solves_in_both_formulations() -> None:
    solved_in_both(generate_scenario(200, seed=3, staff=True))
