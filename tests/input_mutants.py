"""Mutants of scenario files: the mistakes a planner makes in an editor and the text a hostile
file holds. Used by tests/test_fuzz_input.py (a bounded number) and benchmarks/fuzz_input.py.

`seeds()` are the scenario texts of scenarios/ and of the tests (the demonstration site of
conftest, a small JSON-shaped province as `allocator generate` writes it). `mutant(seed, rng)`
draws one mutation of one seed:

- lines deleted, swapped, repeated (duplicate keys), a top-level block appended again,
  indentation broken, the text cut short;
- a value made huge, negative, NaN, inf, or written in an odd form (0450, 7:30, 1_000, 0x1C2,
  yes, 1,200, ３６００, 450万元, 80%), or of another type (a list, a mapping, a tag, an alias);
- aliases (an anchor used elsewhere, an undefined one, one inside itself, a 537-byte bomb),
  deep nesting, tags (!!python/object, !!binary, !!set);
- control characters raw or as escapes, a NUL, a bidirectional override, full-width
  punctuation, random bytes;
- the whole file with a BOM, CRLF line ends, in GBK, UTF-16 (with and without BOM), UTF-32;
- `extends` to a missing file, a folder, itself, a loop of links, a named pipe, /dev/zero, a
  name with NUL or over 255 characters, or a base that is itself a mutant.

A `Mutant` is written into a folder by `write(mutant, folder)`, which returns the file to give
to `allocator validate`.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NUMBER_FORMS = (
    "1e15", "1e400", "-1e400", "-5", "-0.0", ".nan", ".NaN", ".inf", "-.inf", "NaN", "Infinity",
    "10000000000000000000000000000000000000000", "1" * 5000, "0450", "-0450", "7:30",
    "190:20:30", "1_000", "1__0", "0b101", "0x1C2", "0o17", "yes", "no", "on", "off", "y", "~",
    "null", "", '"1,200"', "1,200", "３６００", "450万元", "280平方米", "80%", "1e3", "+12", "0.",
    ".5", "2024-01-01", "true", "false", "'450'", "4.5e-324", "1e-400",
)  # fmt: skip
TYPE_FORMS = (
    "[a, b]", "{a: 1}", "[]", "{}", "[[[[1]]]]", "text", "南桥", "true", "null",
    "!!binary aGVsbG8=", "!!set {a, b}", "!!python/object/apply:os.system [echo hi]",
    "!!python/name:os.system", "!foo bar", "!!str 12", "!!int 0x1C2", "!!float abc",
    "!!bool maybe", "!!timestamp 2024-01-01", "!!omap [a: 1]", "*undefined", "&a 1",
    "|\n  text", '"\\e[2J\\e[31mred"', '"\\u202Eevil"', '"a\\0b"', '"\\r\\n"', "? [a]",
    "[" * 60 + "]" * 60, "{a: " * 60 + "1" + "}" * 60,
)  # fmt: skip
CONTROL_CHARACTERS = ("\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85")
WIDE_PUNCTUATION = ("：", "，", "；", "“", "”", "　")
BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{c}: &{c} [{','.join(['*' + p] * 9)}]"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)
MERGE_BOMB = "\n".join(
    ["m0: &m0 {x: 1, y: 2}"] + [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}]}}" for i in range(1, 25)]
)


@dataclass(frozen=True)
class Mutant:
    """One mutated scenario: its main file and any file it needs next to it."""

    kind: str
    seed: str
    content: bytes
    name: str = "scenario.yaml"
    others: dict[str, bytes] = field(default_factory=dict)
    special: str = ""  # "dir", "fifo", "loop": a thing, not a file, named in the main file

    def describe(self) -> str:
        return f"{self.seed} / {self.kind}"


def seeds() -> dict[str, str]:
    """Scenario texts to mutate, by name."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import DEMO_SITE_FILE

    from allocator.scenario.synthetic import generate_scenario, scenario_yaml

    found = {p.name: p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("scenarios/*.yaml"))}
    found["demo.yaml"] = DEMO_SITE_FILE
    found["province.json"] = scenario_yaml(generate_scenario(12, seed=3), header="# generated\n")
    return found


# --------------------------------------------------------------------------------------------
# Mutations: (text, rng) -> (kind, text or bytes, other files, special)
# --------------------------------------------------------------------------------------------
Result = tuple[str, str | bytes, dict[str, bytes], str]
_VALUE = re.compile(r"(?<=: )[^,{}\[\]\n#]+|(?<=\": )[^,{}\[\]\n]+")


def _lines(text: str) -> list[str]:
    return text.split("\n")


def delete_line(text: str, rng: random.Random) -> Result:
    lines = _lines(text)
    del lines[rng.randrange(len(lines))]
    return "delete a line", "\n".join(lines), {}, ""


def swap_lines(text: str, rng: random.Random) -> Result:
    lines = _lines(text)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "swap two lines", "\n".join(lines), {}, ""


def repeat_line(text: str, rng: random.Random) -> Result:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines.insert(i + rng.choice((1, 2)), lines[i])
    return "repeat a line", "\n".join(lines), {}, ""


def repeat_block(text: str, rng: random.Random) -> Result:
    tops = [m.group(1) for m in re.finditer(r"^([a-z_]+):", text, re.M)] or ["name"]
    key = rng.choice(tops)
    return f"second '{key}:' block", text + f"\n{key}:\n  - {{id: extra, name: x}}\n", {}, ""


def shift_line(text: str, rng: random.Random) -> Result:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines[i] = rng.choice(("  ", "\t", " ")) + lines[i] if rng.random() < 0.5 else lines[i][2:]
    return "indent a line", "\n".join(lines), {}, ""


def cut_short(text: str, rng: random.Random) -> Result:
    return "cut short", text[: rng.randrange(len(text) + 1)], {}, ""


def _replace_value(text: str, rng: random.Random, form: str) -> str:
    spots = list(_VALUE.finditer(text))
    if not spots:
        return text + f"\nextra: {form}\n"
    spot = rng.choice(spots)
    return text[: spot.start()] + form + text[spot.end() :]


def odd_number(text: str, rng: random.Random) -> Result:
    form = rng.choice(NUMBER_FORMS)
    return f"value {form[:20]!r}", _replace_value(text, rng, form), {}, ""


def other_type(text: str, rng: random.Random) -> Result:
    form = rng.choice(TYPE_FORMS)
    return f"value {form[:30]!r}", _replace_value(text, rng, form), {}, ""


def alias(text: str, rng: random.Random) -> Result:
    choice = rng.randrange(5)
    if choice == 0:  # an anchor used again somewhere else
        spots = list(_VALUE.finditer(text))
        if len(spots) >= 2:
            a, b = sorted(rng.sample(spots, 2), key=lambda m: m.start())
            body = text[: a.start()] + "&x " + text[a.start() : b.start()] + "*x" + text[b.end() :]
            return "anchor and alias", body, {}, ""
    if choice == 1:
        return "alias inside itself", _replace_value(text, rng, "&r [1, *r]"), {}, ""
    if choice == 2:
        return "alias bomb at the top", BOMB + "\n" + text, {}, ""
    if choice == 3:
        inline = "[" + ", ".join(line.split(": ", 1)[1] for line in BOMB.split("\n")) + "]"
        return "alias bomb in a value", _replace_value(text, rng, inline), {}, ""
    return "merge-key bomb", MERGE_BOMB + "\n" + text, {}, ""


def deep(text: str, rng: random.Random) -> Result:
    depth = rng.choice((35, 45, 200, 999, 1001, 5000))
    opener, closer = rng.choice((("[", "]"), ("{a: ", "}")))
    nested = opener * depth + closer * depth
    return f"nested {depth} deep", _replace_value(text, rng, nested), {}, ""


def character(text: str, rng: random.Random) -> Result:
    where = rng.randrange(len(text) + 1)
    inserted = rng.choice(
        (*CONTROL_CHARACTERS, *WIDE_PUNCTUATION, "\u202e", "\u2028", "\ufeff", "\t", "\r")
    )
    return f"character {inserted!r}", text[:where] + inserted + text[where:], {}, ""


def random_bytes(text: str, rng: random.Random) -> Result:
    data = bytearray(text.encode("utf-8"))
    for _ in range(rng.randrange(1, 6)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return "random bytes", bytes(data), {}, ""


def encoding(text: str, rng: random.Random) -> Result:
    name = rng.choice(("bom", "crlf", "bom+crlf", "gbk", "utf-16", "utf-16-le", "utf-32", "cr"))
    if name in ("gbk", "utf-16", "utf-16-le", "utf-32"):
        return f"saved as {name}", text.encode(name, errors="replace"), {}, ""
    body = text.replace("\n", "\r" if name == "cr" else "\r\n") if "cr" in name else text
    return f"saved with {name}", (b"\xef\xbb\xbf" if "bom" in name else b"") + body.encode(), {}, ""


def extends(text: str, rng: random.Random) -> Result:
    target, others, special = rng.choice(
        (
            ("missing.yaml", {}, ""),
            ("folder", {}, "dir"),
            ("scenario.yaml", {}, ""),
            ("loop.yaml", {}, "loop"),
            ("pipe.yaml", {}, "fifo"),
            ("/dev/zero", {}, ""),
            ("a\\0b.yaml", {}, ""),
            ("x" * 300 + ".yaml", {}, ""),
            ("base.yaml", {"base.yaml": text.encode()}, ""),
            ("other.yaml", {"other.yaml": b"extends: scenario.yaml\n"}, ""),
        )
    )
    if target == "base.yaml" and rng.random() < 0.5:  # a base that is itself a mutant
        kind, body, _, _ = rng.choice(TEXT_MUTATIONS)(text, rng)
        others = {"base.yaml": body if isinstance(body, bytes) else body.encode()}
        target = f"base.yaml ({kind})"
    changes = rng.choice(("", "changes:\n  - funding[*].budget: {scale: 2}\n", "changes: 5\n"))
    named = target.split(" (")[0]
    body = f'extends: "{named}"\nname: extended\n{changes}'
    return f"extends {target[:40]}", body, others, special


TEXT_MUTATIONS: tuple[Callable[[str, random.Random], Result], ...] = (
    delete_line,
    swap_lines,
    repeat_line,
    repeat_block,
    shift_line,
    cut_short,
    odd_number,
    odd_number,
    other_type,
    other_type,
    alias,
    deep,
    character,
    random_bytes,
)
MUTATIONS = (*TEXT_MUTATIONS, encoding, extends)


def mutant(seed_name: str, text: str, rng: random.Random) -> Mutant:
    """One mutation, or two in a row, of the seed text."""
    kind, body, others, special = rng.choice(MUTATIONS)(text, rng)
    if rng.random() < 0.2 and isinstance(body, str) and not others:
        more, body, others, special = rng.choice(TEXT_MUTATIONS)(body, rng)
        kind = f"{kind}, then {more}"
    content = body if isinstance(body, bytes) else body.encode("utf-8", errors="surrogatepass")
    return Mutant(kind, seed_name, content, others=others, special=special)


def write(item: Mutant, folder: Path) -> Path:
    """Write the mutant (and what it names) into `folder`; the file to validate."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in item.others.items():
        (folder / name).write_bytes(content)
    if item.special == "dir":
        (folder / "folder").mkdir(exist_ok=True)
    elif item.special == "loop":
        for a, b in (("loop.yaml", "loop2.yaml"), ("loop2.yaml", "loop.yaml")):
            if not (folder / a).is_symlink():
                (folder / a).symlink_to(folder / b)
    elif item.special == "fifo" and not (folder / "pipe.yaml").exists():
        os.mkfifo(folder / "pipe.yaml")
    path = folder / item.name
    path.write_bytes(item.content)
    return path
