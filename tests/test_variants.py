"""Variants, `extends` files and the change language: every selector and form of change, the
per-household target rule, every error with its message (through the API and the real command
line), and the properties: the original is never touched, a variant without changes gives the
base plan, more budget never raises the weighted shortfall."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import COUNTY_FILE, community, option, scenario_dict, solve_checked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import check_plan
from typer.testing import CliRunner

from allocator import solve
from allocator.catalogue import use_lang
from allocator.cli import app
from allocator.errors import ScenarioError
from allocator.scenario.changes import format_value, parse_path
from allocator.scenario.differences import scenario_diff
from allocator.scenario.loading import load_scenario, scenario_from_dict
from allocator.scenario.schema import Scenario

SETTINGS = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the input problems in English, as `--lang en` and `use_lang("en")`
    give them (their Chinese forms: tests/test_problem_words.py)."""
    with use_lang("en"):
        yield


def oracle_view(scenario: Scenario) -> dict[str, Any]:
    """The validated scenario as a plain dict with every target a number, for the checker."""
    data = scenario.model_dump(mode="json")
    for key in ("defaults", "variants", "extends", "changes"):
        data.pop(key)
    return data


def checked(scenario: Scenario) -> Any:
    plan = solve(scenario)
    if plan.status.has_plan:
        assert check_plan(oracle_view(scenario), plan.to_dict()) == []
    return plan


def one_community(**top: Any) -> dict[str, Any]:
    """Community a: 300 m2 of its own, target 500; a lease of up to 300 m2 at 0.02 万元/m2/year;
    one county pot of 10 万元; one year."""
    lease = option("a_lease", "lease", 300, annual_cost_per_m2=0.02)
    return scenario_dict(
        [community("a", [lease], existing_area_m2=300, households=2000)],
        [{"id": "county", "name": "县财政", "budget": 10}],
        **top,
    )


def error_text(call: Any) -> str:
    with pytest.raises(ScenarioError) as caught:
        call()
    return caught.value.report()


# --------------------------------------------------------------------------------------------
# Hand-worked what-ifs on one community
# --------------------------------------------------------------------------------------------
def test_hand_worked_variants() -> None:
    """Base: a lacks 200 m2; the lease costs 200 * 0.02 = 4 万元 of the 10: met, cost 4.
    Rents doubled: 200 * 0.04 = 8 <= 10: met, cost 8.
    Budget 3: 3 / 0.02 = 150 m2 leased: final 450, shortfall 50, cost 3.
    Standard 0.3 m2 per household (2,000 households): target 600, lease 300 m2 for 6: met."""
    base = scenario_from_dict(one_community())
    cases = [
        ({}, (500.0, 0.0, 4.0)),
        ({"communities[a].options[a_lease].annual_cost_per_m2": {"scale": 2}}, (500.0, 0.0, 8.0)),
        ({"funding[county].budget": {"add": -7}}, (450.0, 50.0, 3.0)),
        ({"defaults.target_area_m2": {"per_household": 0.3}}, (600.0, 0.0, 6.0)),
    ]
    for changes, (final, shortfall, cost) in cases:
        plan = checked(base.with_changes(changes))
        result = plan.community_results[0]
        assert (result.final_area_m2, result.shortfall_m2, plan.total_cost) == pytest.approx(
            (final, shortfall, cost)
        ), changes


def test_with_changes_leaves_the_original_untouched() -> None:
    base = scenario_from_dict(one_community())
    before, sha = base.source, base.sha256()
    changed = base.with_changes({"funding[county].budget": 99, "communities[a].must_meet": True})
    assert base.source == before and base.sha256() == sha
    assert base.funding[0].budget == 10 and changed.funding[0].budget == 99
    assert changed.communities[0].must_meet and not base.communities[0].must_meet


def test_what_ifs_survive_copies_and_pickling_but_need_a_loaded_scenario() -> None:
    """The loader gives each scenario its source and the means to derive what-ifs from it: a
    copy (edits, chunks) and a pickled scenario (a sweep's worker) keep both; a scenario built
    by pydantic alone has no source to change, and says so rather than guessing."""
    import pickle

    base = scenario_from_dict(one_community(variants=[{"name": "cut", "changes": []}]))
    for copied in (base.model_copy(), pickle.loads(pickle.dumps(base))):
        assert copied.with_changes({"funding[county].budget": 3}).funding[0].budget == 3
        assert copied.variant("cut").label == "cut"
    bare = Scenario.model_validate(one_community())
    assert "load_scenario or scenario_from_dict" in error_text(lambda: bare.variant("cut"))


# --------------------------------------------------------------------------------------------
# Selectors
# --------------------------------------------------------------------------------------------
def two_streets() -> Scenario:
    """Three communities, two groups; leases and a build; two sources."""
    raw = scenario_dict(
        [
            community(
                "a",
                [
                    option("a_lease", "lease", 100, annual_cost_per_m2=0.02),
                    option("a_build", "allocate_build", 200, cost_per_m2=0.2),
                ],
            ),
            community(
                "b",
                [option("b_lease", "lease", 100, annual_cost_per_m2=0.03)],
                must_meet=True,
                group="h",
            ),
            community("c", [option("c_heighten", "heighten", 150, cost_per_m2=0.25)]),
        ],
        [
            {"id": "county", "name": "县财政", "budget": 500},
            {
                "id": "self",
                "name": "自筹",
                "scope": "group",
                "budget_by_kind": {"street": 5, "town": 3},
            },
        ],
        groups=[
            {"id": "g", "name": "城南街道", "kind": "street"},
            {"id": "h", "name": "大安镇", "kind": "town"},
        ],
    )
    return scenario_from_dict(raw)


def leases(s: Scenario) -> dict[str, float]:
    return {
        o.id: o.annual_cost_per_m2 for c in s.communities for o in c.options if o.kind == "lease"
    }


def test_selector_by_id() -> None:
    s = two_streets().with_changes({"communities[b].options[b_lease].annual_cost_per_m2": 0.05})
    assert leases(s) == {"a_lease": 0.02, "b_lease": 0.05}


def test_selector_star() -> None:
    s = two_streets().with_changes({"communities[*].priority": 3})
    assert [c.priority for c in s.communities] == [3, 3, 3]


def test_selector_field_match() -> None:
    """[kind=lease] under every community: both leases, not the build or the storey."""
    s = two_streets().with_changes(
        {"communities[*].options[kind=lease].annual_cost_per_m2": {"scale": 1.3}}
    )
    assert leases(s) == pytest.approx({"a_lease": 0.026, "b_lease": 0.039})
    assert s.communities[0].options[1].cost_per_m2 == 0.2


def test_selector_field_match_uses_defaults_and_several_conditions() -> None:
    """must_meet is left out for a and c (default false); group=g and must_meet=false: a, c."""
    s = two_streets().with_changes({"communities[must_meet=false].priority": 2})
    assert [c.priority for c in s.communities] == [2, 1, 2]
    s = two_streets().with_changes({"communities[group=h,must_meet=true].priority": 5})
    assert [c.priority for c in s.communities] == [1, 5, 1]


def test_paths_into_records_and_mappings() -> None:
    s = two_streets().with_changes(
        {
            "horizon_years": 3,
            "defaults.max_options_per_community": 1,
            "funding[self].budget_by_kind.town": 9,
            "funding[self].budgets.g": 7,
            "funding[county].pays_for": ["lease"],
        }
    )
    assert s.horizon_years == 3 and [c.max_options for c in s.communities] == [1, 1, 1]
    source = s.funding[1]
    assert source.budget_by_kind == {"street": 5, "town": 9} and source.budgets == {"g": 7}
    assert s.funding[0].pays_for == ("lease",)


# --------------------------------------------------------------------------------------------
# Forms of change
# --------------------------------------------------------------------------------------------
def test_set_scale_add_and_explicit_set() -> None:
    s = two_streets().with_changes(
        [
            {"funding[county].budget": {"scale": 0.8}},  # 500 * 0.8 = 400, exactly
            {"communities[c].existing_area_m2": {"add": 120}},  # absent: default 0 + 120
            {"communities[a].options[a_build].fixed_cost": {"add": 5}},
            {"communities[a].name": {"set": "新名字"}},
        ]
    )
    assert s.funding[0].budget == 400
    assert s.communities[2].existing_area_m2 == 120
    assert s.communities[0].options[1].fixed_cost == 5
    assert s.communities[0].name == "新名字"


def test_scale_a_mapping_of_numbers() -> None:
    """budget_by_kind {street: 5, town: 3} scaled by 2: {street: 10, town: 6}."""
    s = two_streets().with_changes({"funding[self].budget_by_kind": {"scale": 2}})
    assert s.funding[1].budget_by_kind == {"street": 10, "town": 6}


def test_scale_a_target_left_to_defaults() -> None:
    """Community targets left out take the default 500 first: 500 * 1.2 = 600."""
    s = two_streets().with_changes({"communities[*].target_area_m2": {"scale": 1.2}})
    assert [c.target_area_m2 for c in s.communities] == [600, 600, 600]


def test_changes_apply_in_order() -> None:
    s = two_streets().with_changes(
        [
            ("funding[county].budget", 100),
            ("funding[county].budget", {"add": 1}),
        ]
    )
    assert s.funding[0].budget == 101


def test_set_a_whole_list() -> None:
    s = two_streets().with_changes({"communities[c].options": []})
    assert s.communities[2].options == ()


def test_parse_path_forms() -> None:
    steps = parse_path("communities[*].options[kind=lease,locked=chosen].cost_per_m2")
    assert [(s.name, s.selector) for s in steps] == [
        ("communities", "*"),
        ("options", "kind=lease,locked=chosen"),
        ("cost_per_m2", None),
    ]


# --------------------------------------------------------------------------------------------
# The per-household target rule
# --------------------------------------------------------------------------------------------
def test_rule_on_defaults_and_on_a_community() -> None:
    """0.3 m2 x households, at least 500: 2,000 households -> 600; 1,000 -> 500 (the floor).
    A community's own rule wins over defaults; its own number wins over both."""
    raw = scenario_dict(
        [
            community("big", [], households=2000),
            community("small", [], households=1000),
            community(
                "own", [], households=1000, target_area_m2={"per_household": 0.45, "at_least": 100}
            ),
            community("fixed", [], target_area_m2=420),
        ],
        defaults={"target_area_m2": {"per_household": 0.3, "at_least": 500}},
    )
    s = scenario_from_dict(raw)
    assert [c.target_area_m2 for c in s.communities] == [600, 500, 450, 420]


def test_rule_needs_households() -> None:
    raw = scenario_dict([community("a", [])], defaults={"target_area_m2": {"per_household": 0.3}})
    text = error_text(lambda: scenario_from_dict(raw))
    assert "community 'a'" in text and "target_area_m2" in text
    assert "per_household rule needs this community's `households`" in text


def test_bad_rule_is_reported_once_at_defaults() -> None:
    raw = scenario_dict(
        [community("a", [], households=10), community("b", [], households=5)],
        defaults={"target_area_m2": {"per_household": -1, "extra": 2}},
    )
    problems = pytest.raises(ScenarioError, scenario_from_dict, raw).value.problems
    fields = sorted(p.describe("f") for p in problems)
    assert len(problems) == 2, fields
    assert any(
        "defaults.target_area_m2.per_household" in f and "greater than 0" in f for f in fields
    )
    assert any("unknown field 'extra'" in f for f in fields)


def test_rule_in_the_county_file_makes_demonstration_sites_impossible() -> None:
    """新兴: 4,200 households x 0.3 = 1,260 m2, but its one route reaches 560: no plan, and the
    report says so (the variant in the file therefore lifts must_meet)."""
    base = load_scenario(COUNTY_FILE)
    strict = base.with_changes({"defaults.target_area_m2": {"per_household": 0.3, "at_least": 500}})
    assert strict.communities[0].target_area_m2 == 1260
    plan = solve(strict)
    assert plan.status.value == "infeasible"
    assert "新兴社区 (xinxing)" in str(plan.diagnosis)
    relaxed = checked(base.variant("standard_per_household"))
    assert relaxed.status.value == "optimal"
    assert not any(c.must_meet for c in relaxed.community_results)


# --------------------------------------------------------------------------------------------
# Errors: each names the variant and the change
# --------------------------------------------------------------------------------------------
BAD_CHANGES = [
    (
        {"communities[nosuch].must_meet": True},
        [
            "change 'communities[nosuch].must_meet: true'",
            "matches nothing",
            "no communities[nosuch]",
            "ids there: a, b, c",
        ],
    ),
    (
        {"communities[*].options[kind=developer].cost_per_m2": 1},
        ["matches nothing", "no entry with kind=developer"],
    ),
    (
        {"funding[county].budjet": 1},
        ["unknown field 'budjet' of a funding source", "fields: id, name, scope, budget"],
    ),
    (
        {"communities[*].options[kindd=lease].cost_per_m2": 1},
        ["unknown field 'kindd' of an option"],
    ),
    ({"nonsense": 1}, ["unknown field 'nonsense' of the scenario"]),
    ({"communities.must_meet": True}, ["'communities' is a list", "communities[*]"]),
    ({"communities[a]": 1}, ["is a whole entry"]),
    ({"horizon_years.x": 1}, ["'horizon_years' holds a single value (1)"]),
    ({"horizon_years[1]": 1}, ["'horizon_years' is not a list"]),
    ({"funding[county].name": {"scale": 2}}, ["cannot scale 'name'", "not a number"]),
    (
        {"funding[county].max_per_option": {"add": 2}},
        ["cannot add 'max_per_option'", "has no value; set it instead"],
    ),
    ({"funding[county].budget": {"scale": "much"}}, ["scale needs a number, got much"]),
    ({"funding[county].budget": {"scale": 2, "add": 1}}, ["alone"]),
    ({"funding..budget": 1}, ["cannot read the path at '.budget'"]),
    ({"funding[a b].budget": 1}, ["'[a b]'", "is not [id], [*] or [field=value]"]),
    ({"variants": []}, ["'variants' cannot be changed by a change"]),
    (
        {"funding[county].budget": -5},
        [
            "change 'funding[county].budget: -5'",
            "gives funding source 'county'",
            "field 'budget'",
            "greater than or equal to 0",
        ],
    ),
    (
        {"communities[a].options[a_build].min_area_m2": 300},
        ["gives community 'a', option 'a_build'", "min_area_m2 300 is above max_area_m2 200"],
    ),
    ({"communities[a].group": "nowhere"}, ["gives community 'a'", "unknown group 'nowhere'"]),
]


@pytest.mark.parametrize(("changes", "expected"), BAD_CHANGES)
def test_change_errors(changes: dict[str, Any], expected: list[str]) -> None:
    text = error_text(lambda: two_streets().with_changes(changes))
    for part in expected:
        assert part in text, (part, text)


@pytest.mark.parametrize(("changes", "expected"), BAD_CHANGES)
def test_change_errors_through_the_command_line(
    tmp_path: Path, changes: dict[str, Any], expected: list[str]
) -> None:
    """The same change as a variant in a file: validate and solve --variant exit 2 with it."""
    raw = two_streets().source
    raw["variants"] = [{"name": "bad", "changes": [changes]}]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    for args in (["validate", str(path)], ["solve", str(path), "--variant", "bad"]):
        result = CliRunner().invoke(app, [*args, "--lang", "en"])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert "variant 'bad', change" in result.output
        for part in expected:
            assert part in result.output, (part, result.output)


def test_every_bad_change_is_reported() -> None:
    text = error_text(
        lambda: two_streets().with_changes({"communities[x].priority": 2, "funding[y].budget": 1})
    )
    assert "2 problems" in text and "communities[x]" in text and "funding[y]" in text


VARIANT_FILE = """\
name: small
groups:
  - {id: g, name: 城南街道, kind: street}
communities:
  - id: a
    name: 新兴社区
    group: g
    households: 2000
    existing_area_m2: 300
    options:
      - {id: a_lease, kind: lease, max_area_m2: 300, annual_cost_per_m2: 0.02}
funding:
  - {id: county, name: 县财政, budget: 10}
variants:
  - name: cut
    description: budget cut
    changes:
      - funding[county].budget: {scale: 0.25}
  - name: noop
  - name: dearer
    changes:
      communities[*].options[kind=lease].annual_cost_per_m2: {add: 0.01}
      funding[county].budget: 12
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_variants_in_a_file(tmp_path: Path) -> None:
    """cut: 2.5 万元 -> 125 m2 of lease, 75 short; dearer (a mapping of changes): 0.03 x 200
    = 6 <= 12: met."""
    base = load_scenario(write(tmp_path, "s.yaml", VARIANT_FILE))
    cut = base.variant("cut")
    assert (cut.label, cut.name, cut.description) == ("cut", "small / cut", "budget cut")
    assert checked(cut).total_shortfall_m2 == pytest.approx(75)
    dearer = base.variant("dearer")
    assert checked(dearer).total_cost == pytest.approx(6)
    assert base.variant("cut").variant("dearer").funding[0].budget == 12  # variants stack


def test_variant_errors_name_the_variant_the_change_and_the_line(tmp_path: Path) -> None:
    text = VARIANT_FILE.replace("{scale: 0.25}", "{scale: -1}").replace(
        "funding[county].budget: 12", "funding[nope].budget: 12"
    )
    base = load_scenario(write(tmp_path, "s.yaml", text))
    report = error_text(lambda: base.variant("cut"))
    assert "s.yaml, line 18: variant 'cut', change 'funding[county].budget: {scale: -1}'" in report
    assert "gives funding source 'county', field 'budget'" in report
    report = error_text(lambda: base.variant("dearer"))
    assert "line 23: variant 'dearer', change 'funding[nope].budget: 12': matches nothing" in report
    report = error_text(lambda: base.variant("nosuch"))
    assert "no variant 'nosuch' (variants: cut, noop, dearer)" in report


def test_variant_schema_errors(tmp_path: Path) -> None:
    text = VARIANT_FILE.replace("  - name: noop\n", "  - name: no op\n    colour: red\n")
    report = error_text(lambda: load_scenario(write(tmp_path, "s.yaml", text)))
    assert "variant 'no op'" in report and "'colour'" in report and "'name'" in report


# --------------------------------------------------------------------------------------------
# extends
# --------------------------------------------------------------------------------------------
EXTENDING = """\
extends: base/s.yaml
name: tight
changes:
  - funding[county].budget: 4
variants:
  - name: cut
    changes:
      - funding[county].budget: {scale: 0.25}
"""


def test_extends(tmp_path: Path) -> None:
    """Relative to the extending file; base variants are inherited, own ones win by name."""
    (tmp_path / "base").mkdir()
    write(tmp_path / "base", "s.yaml", VARIANT_FILE)
    tight = load_scenario(write(tmp_path, "tight.yaml", EXTENDING))
    assert (tight.name, tight.label, tight.funding[0].budget) == ("tight", "tight", 4)
    assert [v.name for v in tight.variants] == ["noop", "dearer", "cut"]
    assert tight.variant("cut").funding[0].budget == 1
    assert checked(tight).total_shortfall_m2 == pytest.approx(0)  # 4 / 0.02 = 200 m2
    assert tight.extends is None and tight.changes == ()


def test_extends_chain_and_default_name(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", VARIANT_FILE)
    write(tmp_path, "b.yaml", "extends: a.yaml\nchanges:\n  funding[county].budget: 8\n")
    c = load_scenario(write(tmp_path, "c.yaml", "extends: b.yaml\nchanges: [{horizon_years: 2}]\n"))
    assert (c.name, c.funding[0].budget, c.horizon_years) == ("small / b / c", 8, 2)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"x.yaml": "extends: missing.yaml\n"},
            ["x.yaml, line 1", "field 'extends'", "'missing.yaml': no such file"],
        ),
        (
            {"x.yaml": "extends: y.yaml\n", "y.yaml": "extends: x.yaml\n"},
            ["leads back to itself", "x.yaml -> y.yaml -> x.yaml"],
        ),
        ({"x.yaml": "extends: x.yaml\n"}, ["leads back to itself"]),
        (
            {"x.yaml": "extends: s.yaml\nhorizon_years: 2\n"},
            [
                "line 2",
                "field 'horizon_years'",
                "holds only extends, name, description, changes, "
                "variants; write 'horizon_years' as a change",
            ],
        ),
        (
            {"x.yaml": "name: x\nchanges: [{horizon_years: 2}]\n"},
            ["field 'changes'", "only a file that `extends` another lists changes"],
        ),
        ({"x.yaml": "extends: 5\n"}, ["must be the name of a scenario file"]),
        (
            {"x.yaml": "extends: s.yaml\nchanges:\n  - funding[county].budget: -1\n"},
            ["x.yaml, line 3: change 'funding[county].budget: -1': gives funding source 'county'"],
        ),
        (
            {"x.yaml": "extends: s.yaml\nchanges:\n  - communities[zz].priority: 2\n"},
            ["x.yaml, line 3: change 'communities[zz].priority: 2': matches nothing"],
        ),
        ({"x.yaml": "extends: s.yaml\nchanges: 7\n"}, ["must be a list of `path: value` entries"]),
        (
            {"x.yaml": "extends: bad.yaml\n", "bad.yaml": "name: [\n"},
            ["bad.yaml", "YAML syntax error"],
        ),
    ],
)
def test_extends_errors(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    write(tmp_path, "s.yaml", VARIANT_FILE)
    for name, text in files.items():
        write(tmp_path, name, text)
    report = error_text(lambda: load_scenario(tmp_path / "x.yaml"))
    for part in expected:
        assert part in report, (part, report)
    result = CliRunner().invoke(app, ["validate", "--lang", "en", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert expected[-1] in result.output


# --------------------------------------------------------------------------------------------
# What changed
# --------------------------------------------------------------------------------------------
def test_scenario_diff_lists_entry_field_old_new() -> None:
    """Rents x 1.3 on both leases and a rule target: every resolved input that moved."""
    base = two_streets()
    changed = base.with_changes(
        {
            "communities[*].options[kind=lease].annual_cost_per_m2": {"scale": 1.3},
            "funding[self].budget_by_kind.town": 4,
        }
    )
    rows = scenario_diff(base, changed).to_dict("records")
    assert rows == [
        {
            "entry": "community 'a', option 'a_lease'",
            "field": "annual_cost_per_m2",
            "old": "0.02",
            "new": "0.026",
        },
        {
            "entry": "community 'b', option 'b_lease'",
            "field": "annual_cost_per_m2",
            "old": "0.03",
            "new": "0.039",
        },
        {"entry": "funding source 'self'", "field": "budget_by_kind.town", "old": "3", "new": "4"},
    ]
    assert scenario_diff(base, base).empty


def test_format_value() -> None:
    assert [
        format_value(v) for v in (None, True, 360.0, 0.0234, 1e-7, [1, "a"], {"scale": 0.8})
    ] == ["unset", "true", "360", "0.0234", "1e-07", "[1, a]", "{scale: 0.8}"]


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------
def test_validate_prints_what_each_variant_changes(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["validate", "--lang", "en", str(write(tmp_path, "s.yaml", VARIANT_FILE))]
    )
    assert result.exit_code == 0, result.output
    assert "variant cut: budget cut\n  valid; 1 input changed" in result.output
    assert "    funding source 'county': budget: 10 -> 2.5\n" in result.output
    assert "variant noop: (no description)\n  valid; 0 inputs changed" in result.output
    assert "community 'a', option 'a_lease': annual_cost_per_m2: 0.02 -> 0.03" in result.output


def test_validate_reports_every_broken_variant(tmp_path: Path) -> None:
    text = VARIANT_FILE.replace("{scale: 0.25}", "{scale: -1}").replace(
        "funding[county].budget: 12", "funding[nope].budget: 12"
    )
    result = CliRunner().invoke(
        app, ["validate", "--lang", "en", str(write(tmp_path, "s.yaml", text))]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "2 problems found in variants" in result.output
    assert "variant 'cut', change" in result.output and "variant 'dearer', change" in result.output


def test_validate_the_county_file() -> None:
    result = CliRunner().invoke(app, ["validate", "--lang", "en", str(COUNTY_FILE)])
    assert result.exit_code == 0, result.output
    assert "funding source 'county': budget: 450 -> 360" in result.output
    assert "community 'xinxing': target_area_m2: 500 -> 1260" in result.output
    assert "community 'dongmen': must_meet: false -> true" in result.output


def test_solve_a_variant(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", VARIANT_FILE)
    result = CliRunner().invoke(
        app, ["solve", "--lang", "en", str(path), "--variant", "cut", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    plan = yaml.safe_load(result.stdout)
    assert plan["scenario"] == "small / cut" and plan["total_shortfall_m2"] == pytest.approx(75)
    raw = yaml.safe_load(VARIANT_FILE)
    raw["funding"][0]["budget"] = 2.5
    raw["name"] = "small / cut"
    assert check_plan(raw, plan) == []


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("nosuch", "no variant 'nosuch' (variants: cut, noop, dearer)"),
        ("cut", "variant 'cut', change 'funding[county].budget: {scale: -1}'"),
    ],
)
def test_solve_a_bad_variant(tmp_path: Path, variant: str, expected: str) -> None:
    path = write(tmp_path, "s.yaml", VARIANT_FILE.replace("{scale: 0.25}", "{scale: -1}"))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["solve", "--lang", "en", str(path), "--variant", variant, "--out", str(out)]
    )
    assert result.exit_code == 2 and expected in result.output
    assert "Traceback" not in result.output and not out.exists()


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------
@st.composite
def small_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """1-3 communities with 1-2 options each, 1-3 sources with `budget` and some rules."""
    communities = []
    for c in range(draw(st.integers(1, 3))):
        options = []
        for i in range(draw(st.integers(1, 2))):
            high = draw(st.sampled_from([100, 250, 400]))
            options.append(
                option(
                    f"c{c}o{i}",
                    draw(st.sampled_from(["lease", "heighten", "integrate"])),
                    high,
                    min_area_m2=draw(st.sampled_from([0, high])),
                    cost_per_m2=draw(st.sampled_from([0.01, 0.05, 0.2])),
                    fixed_cost=draw(st.sampled_from([0, 3])),
                )
            )
        communities.append(
            community(
                f"c{c}",
                options,
                existing_area_m2=draw(st.sampled_from([0, 150, 300])),
                priority=draw(st.sampled_from([1, 2])),
                must_meet=draw(st.integers(0, 5)) == 0,
            )
        )
    sources = []
    for s in range(draw(st.integers(1, 3))):
        source: dict[str, Any] = {
            "id": f"s{s}",
            "name": f"资金{s}",
            "scope": draw(st.sampled_from(["county", "group", "community"])),
            "budget": draw(st.sampled_from([0, 5, 20, 60])),
        }
        if draw(st.booleans()):
            source["max_share"] = 0.8
        if draw(st.booleans()):
            source["pays_for"] = [draw(st.sampled_from(["lease", "heighten", "integrate"]))]
        sources.append(source)
    return scenario_dict(communities, sources)


@SETTINGS
@given(raw=small_scenarios(), which=st.integers(0, 2), more=st.sampled_from([1, 10, 50]))
def test_more_budget_never_raises_the_weighted_shortfall(
    raw: dict[str, Any], which: int, more: float
) -> None:
    """A larger budget only widens the choice: W* cannot grow (up to the proven gap)."""
    base = scenario_from_dict(copy.deepcopy(raw))
    source = raw["funding"][which % len(raw["funding"])]["id"]
    richer = base.with_changes({f"funding[{source}].budget": {"add": more}})
    before, after = checked(base), checked(richer)
    if before.status.has_plan:
        assert after.status.has_plan
        assert (
            after.weighted_shortfall
            <= before.weighted_shortfall + 1e-6 * max(1.0, before.weighted_shortfall) + 1e-6
        )


def without_timing(data: Any) -> Any:
    """A plan's dict without what may differ: times, and the name, hash and provenance (audit)
    of the scenario it came from."""
    if isinstance(data, dict):
        return {
            k: without_timing(v)
            for k, v in data.items()
            if k not in ("runtime_s", "scenario", "input_sha256", "audit")
        }
    if isinstance(data, list):
        return [without_timing(v) for v in data]
    return data


@settings(max_examples=10, deadline=None, derandomize=True)
@given(raw=small_scenarios())
def test_a_variant_without_changes_gives_the_base_plan(raw: dict[str, Any]) -> None:
    raw = {**raw, "variants": [{"name": "same", "changes": []}]}
    base = scenario_from_dict(copy.deepcopy(raw))
    plan = without_timing(solve_checked(raw).to_dict())
    for scenario in (base.variant("same"), base.with_changes({}), base.with_changes([])):
        assert without_timing(solve(scenario).to_dict()) == plan
    assert base.with_changes({}).sha256() == base.sha256()
