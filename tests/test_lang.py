"""Every text a planner reads comes from one catalogue per language (`allocator.catalogue`):
both languages have the same keys with the same fields, every key is used, and with the default
`--lang zh` the screen output of solve, validate, explain and compare on the county has no
English word left (ids, file names, units and numbers allowed); `--lang en` speaks English."""

from __future__ import annotations

import ast
import re
import string
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allocator import load_scenario
from allocator.catalogue import CATALOGUES, say, use_lang, word
from allocator.cli import app

PACKAGE = Path(__file__).resolve().parent.parent / "allocator"
COUNTY = Path(__file__).resolve().parent.parent / "scenarios" / "2024_premises.yaml"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_fields() -> None:
    zh, en = CATALOGUES["zh"], CATALOGUES["en"]
    assert sorted(set(zh) - set(en)) == [], "keys missing in en"
    assert sorted(set(en) - set(zh)) == [], "keys missing in zh"
    differ = {
        key: (_fields(zh[key]), _fields(en[key]))
        for key in zh
        if _fields(zh[key]) != _fields(en[key])
    }
    assert differ == {}, "a key's {fields} differ between languages"
    assert all(text.strip() or key == "sentence_gap" for key, text in zh.items())


@cache
def _uses() -> tuple[frozenset[str], tuple[str, ...]]:
    """Every string constant of the package outside the catalogue, and the constant heads of
    the f-strings and tables passed to say/word (keys built from a code: f"col.{column}")."""
    constants: set[str] = set()
    prefixes: list[str] = []
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "catalogue" and path.stem != "__init__":
            continue  # the catalogues themselves (zh.py, en.py and their parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
                if node.value.endswith(".") and node.value[:-1].isidentifier():
                    prefixes.append(node.value)  # "entry." + the kind of entry
            if isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if (
                    isinstance(head, ast.Constant)
                    and isinstance(head.value, str)
                    and "." in head.value
                ):
                    prefixes.append(head.value)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                "word",
                "kind_label",
            ):
                table = node.args[0] if node.args else None
                name = "kind" if node.func.id == "kind_label" else getattr(table, "value", None)  # type: ignore[attr-defined]
                if isinstance(name, str):
                    prefixes.append(name + ".")
    return frozenset(constants), tuple(prefixes)


def test_every_key_is_used() -> None:
    constants, prefixes = _uses()
    unused = [
        key
        for key in CATALOGUES["zh"]
        if key not in constants
        and not any(key.startswith(p) for p in prefixes)
        and key not in ("yes", "no")  # yes_no()
    ]
    assert unused == []


def test_every_key_said_in_code_exists() -> None:
    """A key written whole in a say() call is in the catalogue (a typo fails here, not on a
    planner's screen)."""
    missing = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("say", "_say"):
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and first.value not in CATALOGUES["zh"]:
                    missing.append(f"{path.name}: {first.value}")
    assert missing == []


def test_words_for_codes_and_languages() -> None:
    assert word("kind", "heighten", "zh") == "加高改造"  # from allocator.labels
    assert word("kind", "heighten", "en") == "heightening"
    assert word("status", "optimal", "zh") == "最优"
    assert word("kind", "a_new_kind", "zh") == "a_new_kind"  # a code without a word reads as itself
    assert say(
        "validate.valid", "en", path="x", communities=1, groups=1, options=2, sources=1
    ).startswith("x: valid")
    with use_lang("en"):
        assert say("yes") == "yes"
    assert say("yes") == "是"
    with pytest.raises(ValueError, match="zh, en"):
        say("yes", "fr")


# --- the screens ----------------------------------------------------------------------------
@cache
def _ids() -> frozenset[str]:
    scenario = load_scenario(COUNTY)
    ids = {c.id for c in scenario.communities} | {g.id for g in scenario.groups}
    ids |= {o.id for c in scenario.communities for o in c.options}
    ids |= {f.id for f in scenario.funding} | {v.name for v in scenario.variants}
    ids |= {"county", "base"}  # the county-wide unit of a budget; compare's base column
    return frozenset(ids)


def _descriptions() -> list[str]:
    """Text the scenario file itself holds (variant descriptions), shown as written."""
    return [v.description.strip() for v in load_scenario(COUNTY).variants]


# Words that are not English sentences: units, the solver's name, file and option names, and
# the values of the scenario file as it writes them (must_meet: true -> false).
ALLOWED = {"m2", "HiGHS", "xlsx", "out", "wide", "payers", "true", "false"}


@cache
def _fields_of_the_file() -> frozenset[str]:
    """The scenario file's own field names (target_area_m2, must_meet ...), shown as written."""
    from allocator.scenario.schema import Scenario

    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(Scenario.model_json_schema())
    return frozenset(names)


def english_left(output: str) -> list[str]:
    """The Latin words of `output` that are not ids, field names, units, names or numbers."""
    for text in [str(COUNTY), *_descriptions()]:
        output = output.replace(text, " ")
    allowed = _ids() | _fields_of_the_file() | ALLOWED
    words = re.findall(r"[A-Za-z][A-Za-z0-9_-]*", output)
    return [w for w in words if w not in allowed and len(w) > 1]


COMMANDS = {
    "solve": ["solve", str(COUNTY)],
    "validate": ["validate", str(COUNTY)],
    "explain": ["explain", str(COUNTY), "东门社区"],
    "compare": ["compare", str(COUNTY), "--variants", "budget_cut,no_grant"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_chinese_screens_have_no_english(command: str) -> None:
    result = CliRunner().invoke(app, COMMANDS[command])
    assert result.exit_code == 0, result.output
    assert english_left(result.output) == []


def test_explain_says_who_loses_the_standard_in_both_languages() -> None:
    """Forcing 东门's new building costs the county 197.1 m2 of weighted shortfall: the
    explanation names the community that would lose its standard (江口社区)."""
    zh = CliRunner().invoke(app, ["explain", str(COUNTY), "dongmen"])
    assert "由此失去达标的社区（1 个）：江口社区" in zh.output
    en = CliRunner().invoke(app, ["explain", str(COUNTY), "dongmen", "--lang", "en"])
    assert "It would cost 1 communities their standard: 江口社区" in en.output
    assert "runner-up is dongmen_build" in en.output


def test_lang_en_speaks_english_and_ends_with_the_command() -> None:
    en = CliRunner().invoke(app, ["solve", str(COUNTY), "--lang", "en"])
    assert "Communities meeting target" in en.output and "optimal" in en.output
    assert "new build" in en.output
    zh = CliRunner().invoke(app, ["validate", str(COUNTY)])
    assert "检查通过" in zh.output
    assert say("yes") == "是"  # the run's language went back to Chinese
