"""A planner's mistakes in a scenario file, each caught before it becomes a plan: one message per
mistake, naming the line, the field and what to write.

The cases follow the planner's review of `allocator validate` (amounts in 元 or per month, a
forgotten existing area, files saved as GBK or UTF-16, full-width punctuation, Chinese ids and
words), each on a copy of scenarios/2024_premises.yaml or a small file.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import COUNTY_FILE, chosen, solve_checked
from typer.testing import CliRunner

from allocator import load_scenario, scenario_from_dict, warnings_of
from allocator.catalogue import use_lang
from allocator.cli import app
from allocator.errors import ScenarioError
from allocator.labels import zh

COUNTY = COUNTY_FILE.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the input problems in English, as `--lang en` and `use_lang("en")`
    give them (their Chinese forms: tests/test_problem_words.py)."""
    with use_lang("en"):
        yield


def run(tmp_path: Path, text: str | bytes, *args: str, command: str = "validate") -> Any:
    path = tmp_path / "s.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    result = CliRunner().invoke(app, [command, str(path), "--lang", "en", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def line_of(text: str, piece: str) -> int:
    """The line (1-based) of the first occurrence of `piece` in `text`."""
    return text[: text.index(piece)].count("\n") + 1


def one_problem(result: Any) -> str:
    """The single problem line of an exit-2 output."""
    assert result.exit_code == 2, result.output
    problems = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1, result.output
    return problems[0]


# --------------------------------------------------------------------------------------------
# 1. Values implausible in their unit: warnings, errors with --strict
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "replaced", "field", "advice"),
    [
        ("cost_per_m2: 0.25", "cost_per_m2: 35", "cost_per_m2", "元/m² 填写；若是，请改为 0.0035"),
        ("budget: 450", "budget: 4500000", "budget", "元 填写；若是，请改为 450"),
        (
            "annual_cost_per_m2: 0.018",
            "annual_cost_per_m2: 1.5",
            "annual_cost_per_m2",
            "元/m²/月 填写；若是，请改为 0.0018",
        ),
        (
            "annual_cost_per_m2: 0.018",
            "annual_cost_per_m2: 0.0015",
            "annual_cost_per_m2",
            "疑为每月租金；若是，请改为 0.018",
        ),
        (
            "existing_area_m2: 280 ",
            "existing_area_m2: 28000 ",
            "existing_area_m2",
            "多写了一位；若是，请改为 2800",
        ),
        ("budget: 450", "budget: 0.045", "budget", "太低（不到 1,000 元）"),
        ("existing_area_m2: 280 ", "existing_area_m2: 2.8e-7 ", "existing_area_m2", "不到 1 m²"),
    ],
)
def test_implausible_values_warn_and_strict_refuses(
    tmp_path: Path, written: str, replaced: str, field: str, advice: str
) -> None:
    text = COUNTY.replace(written, replaced, 1)
    line = line_of(text, replaced)
    result = run(tmp_path, text, "--lang", "zh")
    assert result.exit_code == 0, result.output
    warning = next(w for w in result.stderr.splitlines() if "字段" in w)
    assert f"s.yaml 第 {line} 行" in warning and f"字段 {field}: 值 " in warning, warning
    assert advice in warning, warning
    assert "检查通过" in result.stdout
    out = tmp_path / "out"
    strict = run(tmp_path, text, "--strict", "--out", str(out), command="solve")
    assert strict.exit_code == 2 and "--strict" in strict.stderr and advice in strict.stderr
    assert not out.exists()


def test_warnings_from_python_name_the_entry_and_the_file_of_extends(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(COUNTY.replace("budget: 450", "budget: 4500000", 1))
    (tmp_path / "next.yaml").write_text(
        "extends: base.yaml\nchanges:\n  - communities[nanqiao].options[kind=lease]"
        ".annual_cost_per_m2: 15\n"
    )
    try:
        load_scenario(tmp_path / "next.yaml")
    except ScenarioError as error:  # 15 is over the hard maximum: the error says what to write
        assert "疑为以 元/m²/月 填写，若是请改为 0.018" in error.report()
    else:
        raise AssertionError("a rent of 15 万元/m2 a year is refused")
    doubts = warnings_of(load_scenario(tmp_path / "base.yaml"))
    assert [(d.entry, d.field, d.value) for d in doubts] == [("资金来源 county", "budget", 4.5e6)]
    (tmp_path / "next.yaml").write_text("extends: base.yaml\nname: next\n")
    [doubt] = warnings_of(load_scenario(tmp_path / "next.yaml"))
    assert doubt.origin.endswith("base.yaml") and doubt.line == line_of(COUNTY, "budget: 450")


def test_the_county_and_generated_files_have_no_warnings(tmp_path: Path) -> None:
    assert warnings_of(load_scenario(COUNTY_FILE)) == []
    assert warnings_of(load_scenario(COUNTY_FILE.parent / "2024_tight.yaml")) == []
    out = tmp_path / "gen.yaml"
    result = CliRunner().invoke(
        app, ["generate", "--lang", "en", "--communities", "300", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    generated = load_scenario(out)
    assert warnings_of(generated) == []
    raw = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert all("existing_area_m2" in c for c in raw["communities"])


def test_a_budget_is_implausible_above_100_wan_a_community_in_a_province() -> None:
    def county(communities: int, budget: float) -> list[Any]:
        raw = {
            "name": "p",
            "groups": [{"id": "g", "name": "G", "kind": "town"}],
            "communities": [
                {"id": f"c{i}", "name": "C", "group": "g", "existing_area_m2": 0}
                for i in range(communities)
            ],
            "funding": [{"id": "county", "name": "县财政", "budget": budget}],
        }
        return warnings_of(scenario_from_dict(raw))

    assert county(200, 20_000) == [] and county(27, 10_000) == []
    [doubt] = county(200, 20_001)
    assert "超过 20,000 万元" in doubt.message and doubt.entry == "资金来源 county"
    assert "请改为 2.0001" in county(27, 20_001)[0].message


def test_a_variant_that_makes_a_value_implausible_warns_for_itself(tmp_path: Path) -> None:
    assert COUNTY.rstrip().endswith("communities[dongmen].must_meet: true")
    text = COUNTY.rstrip() + (
        "\n\n  - name: in_yuan\n    changes:\n      - funding[county].budget: 4500000\n"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    base = CliRunner().invoke(app, ["validate", "--lang", "en", str(path), "--strict"])
    assert base.exit_code == 0 and "提示" not in base.stderr, base.output
    result = CliRunner().invoke(
        app,
        [
            "solve",
            "--lang",
            "en",
            str(path),
            "--variant",
            "in_yuan",
            "--strict",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 2 and "请改为 450" in result.stderr, result.output
    assert result.stdout == ""


# --------------------------------------------------------------------------------------------
# 2. A community without existing_area_m2
# --------------------------------------------------------------------------------------------
def test_a_missing_existing_area_is_an_error_with_what_to_write(tmp_path: Path) -> None:
    gone = "    existing_area_m2: 280        # own office building (estimate)\n"
    text = COUNTY.replace(gone, "", 1)
    problem = one_problem(run(tmp_path, text))
    assert f"line {line_of(text, '- id: nanqiao')}" in problem
    assert "community 'nanqiao', field 'existing_area_m2'" in problem
    assert "`existing_area_m2: 0` if it has none" in problem
    typo = one_problem(
        run(tmp_path, COUNTY.replace("existing_area_m2: 280", "exsiting_area_m2: 280", 1))
    )
    assert "unknown field 'exsiting_area_m2'" in typo


# --------------------------------------------------------------------------------------------
# 3. Encodings, full-width punctuation, one message per mistake
# --------------------------------------------------------------------------------------------
def test_encodings_are_named_with_the_fix_in_chinese(tmp_path: Path) -> None:
    gbk = one_problem(run(tmp_path, COUNTY.encode("gb18030")))
    assert "GBK/GB18030" in gbk and "另存为" in gbk and "编码选 UTF-8" in gbk
    assert one_problem(run(tmp_path, COUNTY.encode("utf-16-le"))).count("不带 BOM 的 UTF-16") == 1
    read = run(tmp_path, COUNTY.encode("utf-16"))
    assert read.exit_code == 0 and "以 UTF-16 编码保存" in read.stderr, read.output


@pytest.mark.parametrize(
    ("written", "replaced", "pieces"),
    [
        (
            "households: 3600",
            "households：3600",
            ["全角冒号", "'：' (column 15)", "':' and a space"],
        ),
        (
            "{id: chengnan, name: 城南街道, kind: street}",
            "{id: chengnan，name: 城南街道，kind: street}",
            ["全角逗号", "(column 18, 29)", "type ','"],
        ),
        ('note: "One storey', "note: “One storey；", ["中文引号", "'“'", "全角分号", "type '\"'"]),
        ("    households: 3600", "\u3000\u3000households: 3600", ["全角空格", "type a space"]),
        ("households: 3600", "households 3600", ["缺少冒号", "write `households: 3600`"]),
    ],
)
def test_full_width_punctuation_is_named_on_its_own_line(
    tmp_path: Path, written: str, replaced: str, pieces: list[str]
) -> None:
    text = COUNTY.replace(written, replaced, 1)
    problem = one_problem(run(tmp_path, text))
    assert f"s.yaml, line {line_of(text, replaced)}:" in problem, problem
    assert all(piece in problem for piece in pieces), problem


def test_full_width_punctuation_in_a_key_or_an_id(tmp_path: Path) -> None:
    key = COUNTY.replace("    households: 3600", "    households　: 3600", 1)
    problem = one_problem(run(tmp_path, key))
    assert "field 'households\u3000'" in problem and "全角空格" in problem
    ids = COUNTY.replace("excludes: [nanqiao_heighten]", "excludes: [nanqiao_heighten，x]", 1)
    problem = one_problem(run(tmp_path, ids))
    assert "a full-width comma (，)" in problem and "write [a, b] with half-width commas" in problem


def test_one_message_for_one_mistake(tmp_path: Path) -> None:
    wrong_group = COUNTY.replace("group: chengnan", "group: chengnna")
    problem = one_problem(run(tmp_path, wrong_group))
    assert "unknown group 'chengnna' (did you mean 'chengnan'?" in problem
    assert f"line {line_of(wrong_group, 'group: chengnna')}" in problem
    assert "also named by 3 more: nanqiao, fuqian, wenchang" in problem
    by_name = one_problem(run(tmp_path, COUNTY.replace("group: chengnan", "group: 城南街道", 1)))
    assert "'城南街道' is the name of group 'chengnan': write its id" in by_name
    unit = COUNTY.replace("target_area_m2: 500 ", "target_area_m2: 500平方米 ", 1)
    assert "write the number alone, 500" in one_problem(run(tmp_path, unit))
    broken = COUNTY.replace("  - id: nanqiao\n", "  - id nanqiao\n", 1)
    assert run(tmp_path, broken).output.count("  - ") == 1


# --------------------------------------------------------------------------------------------
# 4. Chinese ids: read, refused where a path or a row name could not carry them, solved alike
# --------------------------------------------------------------------------------------------
def chinese_twin(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The scenario with every id Chinese: groups, communities, routes and sources by their
    names (新兴社区-租赁2), and the map from each pinyin id to its Chinese one."""
    data = copy.deepcopy(raw)
    data.pop("variants", None)
    ids = {g["id"]: g["name"] for g in data["groups"]}
    ids |= {f["id"]: re.sub("[（）]", "", f["name"]) for f in data["funding"]}
    for community in data["communities"]:
        ids[community["id"]] = community["name"]
        for number, option in enumerate(community["options"], start=1):
            ids[option["id"]] = f"{community['name']}-{zh('option_kind', option['kind'])}{number}"
    for entry in (*data["groups"], *data["funding"]):
        entry["id"] = ids[entry["id"]]
        if "budgets" in entry:
            entry["budgets"] = {ids[unit]: amount for unit, amount in entry["budgets"].items()}
    for community in data["communities"]:
        community["id"], community["group"] = ids[community["id"]], ids[community["group"]]
        for option in community["options"]:
            option["id"] = ids[option["id"]]
            option["excludes"] = [ids[x] for x in option.get("excludes", [])]
    return data, ids


@pytest.mark.parametrize(
    "options", [{}, {"solver": "cbc"}, {"formulation": "naive"}, {"formulation": "sets"}]
)
def test_chinese_ids_give_the_plan_of_their_pinyin_twin(
    county_raw: dict[str, Any], options: dict[str, str]
) -> None:
    raw = load_scenario(COUNTY_FILE).source
    twin, ids = chinese_twin(raw)
    plan = solve_checked(raw, **options)
    twin_plan = solve_checked(twin, **options)
    assert twin_plan.status == plan.status and plan.status.has_plan
    assert twin_plan.total_cost == pytest.approx(plan.total_cost, abs=1e-6)
    assert twin_plan.weighted_shortfall == pytest.approx(plan.weighted_shortfall, abs=1e-6)
    if options.get("formulation") == "naive" or options.get("solver") == "cbc":
        return  # PuLP orders columns by name: of two routes of equal cost, another may be taken
    twin_areas = chosen(twin_plan)
    assert set(twin_areas) == {ids[o] for o in chosen(plan)}
    for option, area in chosen(plan).items():
        assert twin_areas[ids[option]] == pytest.approx(area, abs=1e-3)


@pytest.mark.parametrize(
    ("written", "piece", "chinese"),
    [
        ("南桥 社区", "a space", "不能含空格"),
        ("nanqiao.1", "a dot (.)", "不能含点 (.)"),
        ("南桥[1]", "the character '['", "不能含字符 '['"),
        ("南桥（一）", "a full-width bracket (（)", "不能含全角括号 (（)"),
        ("ｎａｎｑｉａｏ", "a full-width character (ｎ)", "不能含全角字符（ｎ），请改用半角"),
    ],
)
def test_ids_refused_name_the_character(
    tmp_path: Path, written: str, piece: str, chinese: str
) -> None:
    text = COUNTY.replace("id: nanqiao\n", f"id: '{written}'\n", 1)
    problem = one_problem(run(tmp_path, text))
    assert "an id holds Chinese characters, letters, digits" in problem and piece in problem
    assert "pattern" not in problem
    problem = one_problem(run(tmp_path, text, "--lang", "zh"))
    assert "id 只能由汉字、字母、数字、_ 和 - 组成" in problem and chinese in problem, problem


def test_chinese_ids_on_the_command_line(tmp_path: Path) -> None:
    small = (
        "name: 两个社区\ngroups: [{id: 城南, name: 城南街道, kind: 街道}]\ncommunities:\n"
        "  - {id: 新兴, name: 新兴社区, group: 城南, existing_area_m2: 0, options: [\n"
        "      {id: 新兴-新建, kind: 无偿划拨新建, max_area_m2: 500, min_area_m2: 500,"
        " cost_per_m2: 0.2},\n"
        "      {id: 新兴-租赁, kind: 租赁, max_area_m2: 500, annual_cost_per_m2: 0.02}]}\n"
        "  - {id: 南桥, name: 南桥社区, group: 城南, existing_area_m2: 300, options: [\n"
        "      {id: 南桥-加层, kind: 加高改造, max_area_m2: 200, cost_per_m2: 0.25}]}\n"
        "funding: [{id: 县财政, name: 县财政, scope: 县, budget: 200}]\n"
        "variants:\n  - name: 削减\n    changes:\n      - funding[县财政].budget: {scale: 0.5}\n"
    )
    path = tmp_path / "cn.yaml"
    path.write_text(small, encoding="utf-8")
    runner = CliRunner()
    by_name = runner.invoke(app, ["explain", "--lang", "en", str(path), "南桥社区"])
    by_id = runner.invoke(app, ["explain", "--lang", "en", str(path), "南桥"])
    assert by_name.exit_code == 0 and by_name.stdout == by_id.stdout, by_name.output
    assert "南桥-加层" in by_id.stdout
    near = runner.invoke(app, ["explain", "--lang", "en", str(path), "南乔"])
    assert near.exit_code == 2 and "did you mean: 南桥社区 (南桥)" in near.output
    compared = runner.invoke(app, ["compare", "--lang", "en", str(path), "--format", "json"])
    assert compared.exit_code == 0 and '"削减": "100"' in compared.stdout, compared.output
    other = runner.invoke(app, ["alternatives", "--lang", "en", str(path), "--format", "json"])
    assert other.exit_code == 0 and "新兴-租赁" in other.stdout, other.output


# --------------------------------------------------------------------------------------------
# 5. The planners' words for kinds, scopes, locks and yes/no
# --------------------------------------------------------------------------------------------
def test_chinese_words_give_the_same_scenario(tmp_path: Path) -> None:
    head, variants = COUNTY.split("\nvariants:")
    words = (
        head.replace("kind: heighten", "kind: 加高改造")
        .replace("kind: lease", "kind: 租赁")
        .replace("kind: street}", "kind: 街道}")
        .replace("kind: town}", "kind: 镇}")
        .replace("scope: county", "scope: 县")
        .replace("must_meet: true", "must_meet: 是")
        .replace("locked: chosen", "locked: 选定")
        .replace(
            "pays_for: [allocate_build, heighten, asset_swap]",
            "pays_for: [新建, 加高改造, 资产置换]",
        )
        .replace("budget_by_kind: {street: 10, town: 5}", "budget_by_kind: {街道: 10, 镇: 5}")
    ) + ("\nvariants:" + variants)
    assert words.count("租赁") > 5 and "街道: 10" in words
    path = tmp_path / "words.yaml"
    path.write_text(words, encoding="utf-8")
    english, chinese = load_scenario(COUNTY_FILE), load_scenario(path)
    assert chinese.sha256() == english.sha256()
    assert chinese.variant("rents_up").sha256() == english.variant("rents_up").sha256()
    wrong = one_problem(run(tmp_path, COUNTY.replace("kind: heighten", "kind: 加高", 1)))
    assert "must be one of 无偿划拨新建 'allocate_build', 加高改造 'heighten'" in wrong
    assert "(got '加高')" in wrong


def test_the_schema_for_editors_takes_chinese_ids_and_words() -> None:
    from allocator.scenario.schema import Scenario

    schema = Scenario.model_json_schema()["$defs"]
    assert "加高改造" in schema["Option"]["properties"]["kind"]["enum"]
    assert re.fullmatch(schema["Community"]["properties"]["id"]["pattern"], "南桥-1")
    assert "existing_area_m2" in schema["Community"]["required"]


def test_chinese_words_in_a_dict_from_python() -> None:
    raw = yaml.safe_load(COUNTY)
    words = copy.deepcopy(raw)
    words["groups"][0]["kind"] = "街道"
    words["communities"][0]["must_meet"] = "是"
    words["communities"][0]["options"][0]["locked"] = "选定"
    words["funding"][0]["scope"] = "县"
    assert scenario_from_dict(words).sha256() == scenario_from_dict(raw).sha256()
