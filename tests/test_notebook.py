"""The planners' notebook runs top to bottom through the public API, is stored without outputs,
and states no result that it did not compute.

Every finding the notebook prints is a line that starts with a key in brackets (`[base]`,
`[budget_cut]`, `[county=450]`, ...) and follows a fixed pattern; the test reads each line back
and checks its figures against plans it solves itself through the public API (from the plans'
JSON, not the tables the notebook reads). A printed line with a digit in it that no pattern
knows fails the test, so a new sentence cannot slip in unchecked. The markdown cells say what a
cell does and why, never what it found: they may hold only the numbers listed in INPUTS, each of
which is checked to be an input of the notebook (the scenario file or a code cell).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

from allocator import Plan, load_scenario, solve

NOTEBOOK = ROOT / "notebooks" / "what_if.ipynb"
COUNTY_FILE = ROOT / "scenarios" / "2024_premises.yaml"
STAFF_FILE = ROOT / "scenarios" / "2024_staff.yaml"
CAMPAIGN_FILE = ROOT / "scenarios" / "2024.yaml"
BUDGET = "funding[county].budget"

NUMBER = r"[+-]?[\d,]+(?:\.\d+)?"
NAMES = r"(?:无 none|[^|;]+?)"
FINDING = re.compile(
    rf"^\[(?P<key>[a-z_]+)\] 达标 meet (?P<n>\d+)/(?P<total>\d+)(?: \((?P<dn>{NUMBER})\))?"
    rf" \| 示范点 demo sites (?P<k>\d+)/(?P<sites>\d+)"
    rf" \| 缺口 shortfall (?P<m2>{NUMBER}) m2(?: \((?P<dm2>{NUMBER})\))?"
    rf" \| 费用 cost (?P<wan>{NUMBER}) 万元(?: \((?P<dwan>{NUMBER})\))?"
    rf"(?: \| 新达标 gain: (?P<gain>{NAMES}) \| 不再达标 lose: (?P<lose>{NAMES}))?$"
)
NO_PLAN = re.compile(
    rf"^\[strict\] 无方案 no plan: 示范点中 (?P<k>\d+)/(?P<sites>\d+) 个无论多少钱都达不到新标准 "
    rf"demonstration sites that cannot reach it whatever the money: (?P<names>{NAMES})$"
)
PAYERS = re.compile(
    rf"^\[payers\] (?P<n>\d+) 个社区只有资金来源不同 communities differ only in who pays: "
    rf"(?P<names>{NAMES})$"
)
SWEEP = re.compile(
    rf"^\[county=(?P<budget>{NUMBER})\] 县财政 county budget (?P=budget) 万元: "
    rf"达标 meet (?P<n>\d+)/(?P<total>\d+) \| 缺口 shortfall (?P<m2>{NUMBER}) m2"
    rf"(?: \| 比上一档 vs (?P<before>{NUMBER}): (?P<dn>{NUMBER}) 个社区 communities, "
    rf"少缺 closed (?P<closed>{NUMBER}) m2)?$"
)
SITES = re.compile(
    r"^\[sites\] 资金假设中的示范点 demonstration sites in the money what-ifs: (?P<pairs>.+)"
    r" \| 全部达标 all of them meet: (?P<held>\d+)/(?P<count>\d+)$"
)
GRANT = re.compile(
    rf"^\[grant vs cut\] 无项目 grant refused (?P<gn>{NUMBER}) 个达标 communities, "
    rf"(?P<gm2>{NUMBER}) m2 缺口 shortfall \| 削减 budget cut (?P<cn>{NUMBER}), "
    rf"(?P<cm2>{NUMBER}) m2 \| 以缺口计，失去项目比削减预算(?P<word>更重|更轻|一样) .+$"
)
FRONTIER = re.compile(
    rf"^\[frontier\] (?P<first>{NUMBER})-(?P<last>{NUMBER}) 万元: 每档平均 per step "
    rf"(?P<per_step>{NUMBER}) 个社区达标 communities, 少缺 closed (?P<closed>{NUMBER}) m2; "
    rf"达标数最多从 (?P<best>{NUMBER}) 万元起 the most communities from (?P=best) 万元 on$"
)
STAFF = re.compile(
    rf"^\[staff\] 编制 posts 现有 now (?P<now>\d+) → 方案后 final (?P<final>\d+) / 目标 target "
    rf"(?P<target>\d+) \| 增编 add_post (?P<add_post>\d+)(?:/(?P<quota>\d+))? \| "
    rf"下派 dispatch (?P<dispatch>\d+)(?:/(?P<pool>\d+))? \| "
    rf"招聘 recruit (?P<recruit>\d+)(?:/(?P<most>\d+))? \| "
    rf"仍缺 short (?P<short>\d+) 个编制 posts, 在 in (?P<short_in>\d+) 个社区 communities \| "
    rf"两项都达标 meeting both (?P<both>\d+)/(?P<total>\d+) \| "
    rf"人员和提标 staff and pay (?P<cost>{NUMBER}) 万元, "
    rf"其中提标承诺 committed pay rise (?P<committed>{NUMBER}) 万元$"
)
YEAR = re.compile(
    rf"^\[year (?P<year>\d{{4}})\] 当年支出 spent (?P<cost>{NUMBER}) 万元 \| 年末达标 meeting "
    rf"(?P<meeting>\d+)/(?P<total>\d+) \| 年末缺口 short (?P<short>{NUMBER}) m2 \| "
    rf"当年启动 routes starting (?P<starting>\d+)$"
)
PATTERNS = (FINDING, NO_PLAN, PAYERS, SWEEP, SITES, GRANT, FRONTIER, STAFF, YEAR)

# Numbers the markdown cells may hold: inputs, never results; each is checked below.
INPUTS = {
    "2024": "the year of the scenario file the notebook loads",
    "500": "the standard of the 2024 file (defaults.target_area_m2)",
    "0.3": "the standard per household that section 2 asks about",
    "30": "the same standard per hundred households (每百户30平方米)",
    "50": "the step of the sweep of county money, in 万元",
    "300": "the first county budget of the sweep",
    "650": "the last county budget of the sweep",
    "2026": "the last planning year of 2024.yaml",
}


def number(text: str) -> float:
    return float(text.replace(",", ""))


def name_set(text: str) -> set[str]:
    return set() if text == "无 none" else set(text.split("、"))


def near(printed: str, value: float, decimals: int) -> bool:
    """The printed figure is the value rounded to `decimals` places."""
    return abs(number(printed) - value) <= 0.5 * 10**-decimals + 1e-9


# --------------------------------------------------------------------------------------------
# The notebook as stored
# --------------------------------------------------------------------------------------------
def stored() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


def test_notebook_is_stored_without_outputs() -> None:
    notebook = stored()
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_notebook_uses_only_the_public_api() -> None:
    """`from allocator import ...` only: what the package exports, as the command line uses."""
    source = "\n".join(c.source for c in stored().cells if c.cell_type == "code")
    assert "from allocator import" in source
    assert not re.search(r"(from|import) allocator\.", source)


def markdown_numbers(text: str) -> list[str]:
    """The numbers a markdown cell writes, leaving out its section numbers (`## 3. ...`) and
    the digit of a unit (m2)."""
    text = re.sub(r"^#+ \d+\.", "#", text, flags=re.MULTILINE)
    return re.findall(r"(?<![A-Za-z\d.,])\d+(?:[.,]\d+)*", text)


def test_markdown_states_no_result() -> None:
    """The text between the cells holds no number but the inputs listed in INPUTS, and each of
    those is an input of this notebook: results are printed by code cells."""
    cells = stored().cells
    found = {n for c in cells if c.cell_type == "markdown" for n in markdown_numbers(c.source)}
    assert found <= set(INPUTS), sorted(found - set(INPUTS))
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    county = load_scenario(COUNTY_FILE)
    assert county.defaults.target_area_m2 == 500 and '"2024_premises.yaml"' in code
    assert '"per_household": 0.3' in code
    assert "range(300, 651, 50)" in code
    assert '"2024_staff.yaml"' in code
    assert '"2024.yaml"' in code
    assert load_scenario(CAMPAIGN_FILE).years[-1] == 2026


def test_markdown_check_catches_a_result() -> None:
    """The check above is not empty: a stated count, share or sum is caught."""
    for sentence in ("today 21 of 27 communities", "it costs 823.94 万元", "about 1,120 m2"):
        assert set(markdown_numbers(sentence)) - set(INPUTS), sentence
    assert markdown_numbers("## 4. How far (预算前沿), 500 m2") == ["500"]
    assert markdown_numbers("每百户30平方米, 0.3 m2") == ["30", "0.3"]


# --------------------------------------------------------------------------------------------
# The notebook run, once for all the tests below
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    notebook = stored()
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    return notebook


@pytest.fixture(scope="module")
def lines(executed: nbformat.NotebookNode) -> list[str]:
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    from allocator.report.plots import NO_CJK_FONT

    streams = [o.get("text", "") for o in outputs if o.output_type == "stream"]
    # Without a CJK font the plots warn how to install one (by design): not a printed finding.
    text = "".join(t for t in streams if NO_CJK_FONT not in t)
    return [line for line in text.splitlines() if line.strip()]


def test_notebook_runs_top_to_bottom(executed: nbformat.NotebookNode, lines: list[str]) -> None:
    """Every cell runs without error; the plots come out as pictures."""
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pictures) >= 4  # plan, money, comparison, frontier
    assert any(line.startswith("status: ") for line in lines)
    assert not [line for line in lines if "Glyph" in line]  # fonts draw every character


def test_every_printed_number_is_in_a_checked_line(lines: list[str]) -> None:
    """A printed line with a digit follows one of the patterns that the next test checks."""
    unchecked = [
        line
        for line in lines
        if re.search(r"\d", line)
        and not line.startswith("status: ")
        and not any(p.match(line) for p in PATTERNS)
    ]
    assert not unchecked, unchecked
    keys = {m["key"] for m in (FINDING.match(line) for line in lines) if m}
    county = load_scenario(COUNTY_FILE)
    assert keys >= {"base", *(v.name for v in county.variants)}, keys
    for pattern in (PAYERS, SITES, GRANT, FRONTIER, STAFF):
        assert sum(bool(pattern.match(line)) for line in lines) == 1, pattern.pattern
    assert sum(bool(SWEEP.match(line)) for line in lines) >= 2


# --------------------------------------------------------------------------------------------
# The findings against plans solved here
# --------------------------------------------------------------------------------------------
class Recomputed:
    """The base plan and each variant's, solved here, read from the plans' JSON."""

    def __init__(self) -> None:
        self.county = load_scenario(COUNTY_FILE)
        self.sites = {c.id for c in self.county.communities if c.must_meet}
        self.names = {c.id: c.name for c in self.county.communities}
        self.plans: dict[str, Plan] = {"base": solve(self.county)}
        for variant in self.county.variants:
            self.plans[variant.name] = solve(self.county.variant(variant.name))

    def meeting(self, key: str) -> set[str]:
        return {c["id"] for c in self.plans[key].to_dict()["communities"] if c["meets_target"]}

    def named(self, ids: set[str]) -> set[str]:
        return {self.names[i] for i in ids}

    def figure(self, key: str, field: str) -> float:
        return float(self.plans[key].to_dict()[field])


@pytest.fixture(scope="module")
def solved() -> Recomputed:
    return Recomputed()


def check_finding(found: re.Match[str], solved: Recomputed) -> None:
    key = found["key"]
    met, base = solved.meeting(key), solved.meeting("base")
    assert int(found["n"]) == len(met) and int(found["total"]) == len(solved.names), key
    assert int(found["k"]) == len(met & solved.sites), key
    assert int(found["sites"]) == len(solved.sites), key
    assert near(found["m2"], solved.figure(key, "total_shortfall_m2"), 1), key
    assert near(found["wan"], solved.figure(key, "total_cost"), 2), key
    if key == "base":
        return
    assert int(found["dn"]) == len(met) - len(base), key
    for text, field, decimals in (("dm2", "total_shortfall_m2", 1), ("dwan", "total_cost", 2)):
        change = solved.figure(key, field) - solved.figure("base", field)
        assert near(found[text], change, decimals), (key, field)
    assert name_set(found["gain"]) == solved.named(met - base), key
    assert name_set(found["lose"]) == solved.named(base - met), key


def check_strict(found: re.Match[str], solved: Recomputed) -> None:
    strict = solved.county.with_changes(
        {"defaults.target_area_m2": {"per_household": 0.3, "at_least": 500}}
    )
    plan = solve(strict)
    assert plan.diagnosis is not None
    short = {s.community for s in plan.diagnosis.short_m2}
    assert int(found["k"]) == len(short) and int(found["sites"]) == len(solved.sites)
    assert name_set(found["names"]) == solved.named(short)


def payer_only(solved: Recomputed) -> set[str]:
    """Communities whose plans (base and every variant) differ in who pays and nothing else,
    as `compare` rounds: areas to 0.1 m2, money to 0.01 万元."""

    def aspects(community: dict[str, Any]) -> tuple[Any, ...]:
        routes = tuple((o["kind"], round(o["area_m2"], 1)) for o in community["options"])
        areas = ("target_area_m2", "final_area_m2", "shortfall_m2")
        rounded = (round(community[a], 1) for a in areas)
        return (routes, *rounded, community["meets_target"], round(community["cost"], 2))

    def payers(community: dict[str, Any]) -> tuple[tuple[str, float], ...]:
        paid: dict[str, float] = {}
        for option in community["options"]:
            for source, amount in option["funding"].items():
                paid[source] = paid.get(source, 0.0) + amount
        return tuple(sorted((s, round(v, 2)) for s, v in paid.items()))

    tables = [{c["id"]: c for c in p.to_dict()["communities"]} for p in solved.plans.values()]
    return {
        cid
        for cid in solved.names
        if len({aspects(t[cid]) for t in tables}) == 1 and len({payers(t[cid]) for t in tables}) > 1
    }


def check_sweep(found: list[re.Match[str]], solved: Recomputed) -> None:
    """Steps agree with each other; the file's own budget gives the base plan; the first and
    the last points are solved again here."""
    for before, point in zip(found, found[1:], strict=False):
        assert number(point["before"]) == number(before["budget"])
        assert int(point["dn"]) == int(point["n"]) - int(before["n"])
        assert near(point["closed"], number(before["m2"]) - number(point["m2"]), 1)
    own = next(f for f in solved.county.funding if f.id == "county").budget
    for point in found:
        assert int(point["total"]) == len(solved.names)
        budget = number(point["budget"])
        if budget == own:
            plan = solved.plans["base"]
        elif point is found[0] or point is found[-1]:
            plan = solve(solved.county.with_changes({BUDGET: budget}))
        else:
            continue
        assert int(point["n"]) == plan.communities_meeting_target, budget
        assert near(point["m2"], plan.total_shortfall_m2, 1), budget


def check_summaries(lines: list[str], sweep: list[re.Match[str]], solved: Recomputed) -> None:
    """[sites], [grant vs cut] and [frontier] against the plans and the checked sweep lines."""
    sites = next(m for m in map(SITES.match, lines) if m)
    pairs = re.findall(r"([a-z_]+) (\d+)/(\d+)", sites["pairs"])
    for key, met, count in pairs:
        assert int(met) == len(solved.meeting(key) & solved.sites), key
        assert int(count) == len(solved.sites)
    assert int(sites["held"]) == sum(int(m) == int(c) for _, m, c in pairs)
    assert int(sites["count"]) == len(pairs)

    grant = next(m for m in map(GRANT.match, lines) if m)
    changes = {}
    for key, n, m2 in (("no_grant", "gn", "gm2"), ("budget_cut", "cn", "cm2")):
        assert int(number(grant[n])) == len(solved.meeting(key)) - len(solved.meeting("base"))
        changes[key] = solved.figure(key, "total_shortfall_m2") - solved.figure(
            "base", "total_shortfall_m2"
        )
        assert near(grant[m2], changes[key], 1), key
    gap = changes["no_grant"] - changes["budget_cut"]
    assert grant["word"] == ("更重" if gap > 0.05 else "更轻" if gap < -0.05 else "一样")

    frontier = next(m for m in map(FRONTIER.match, lines) if m)
    first, last, steps = sweep[0], sweep[-1], len(sweep) - 1
    assert (number(frontier["first"]), number(frontier["last"])) == (
        number(first["budget"]),
        number(last["budget"]),
    )
    assert near(frontier["per_step"], (int(last["n"]) - int(first["n"])) / steps, 1)
    closed = (number(first["m2"]) - number(last["m2"])) / steps
    assert abs(number(frontier["closed"]) - closed) <= 0.1  # from unrounded figures
    most = max(int(p["n"]) for p in sweep)
    assert number(frontier["best"]) == next(
        number(p["budget"]) for p in sweep if int(p["n"]) == most
    )


def test_printed_findings_match_plans_solved_here(lines: list[str], solved: Recomputed) -> None:
    checks: list[tuple[re.Pattern[str], Callable[[re.Match[str], Recomputed], None]]] = [
        (FINDING, check_finding),
        (NO_PLAN, check_strict),
    ]
    checked = 0
    for line in lines:
        for pattern, check in checks:
            found = pattern.match(line)
            if found:
                check(found, solved)
                checked += 1
    assert checked >= 1 + len(solved.county.variants)

    payers = next(m for m in map(PAYERS.match, lines) if m)
    expected = payer_only(solved)
    assert int(payers["n"]) == len(expected) and name_set(payers["names"]) == solved.named(expected)

    sweep = [m for m in map(SWEEP.match, lines) if m]
    check_sweep(sweep, solved)
    check_summaries(lines, sweep, solved)


def test_a_wrong_statement_is_caught(solved: Recomputed) -> None:
    """The checks fail on a line whose figures are not the plans': one community too many."""
    base = solved.plans["base"]
    line = (
        f"[base] 达标 meet {base.communities_meeting_target + 1}/{len(solved.names)} | "
        f"示范点 demo sites {len(solved.sites)}/{len(solved.sites)} | "
        f"缺口 shortfall {base.total_shortfall_m2:,.1f} m2 | 费用 cost {base.total_cost:,.2f} 万元"
    )
    found = FINDING.match(line)
    assert found is not None
    with pytest.raises(AssertionError):
        check_finding(found, solved)


# --------------------------------------------------------------------------------------------
# The staff view: the posts of scenarios/2024_staff.yaml
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def staff_solved() -> tuple[dict[str, Any], dict[str, Any]]:
    """The county with staff as loaded (its inputs, as a dict) and its plan's JSON."""
    scenario = load_scenario(STAFF_FILE)
    return scenario.model_dump(), solve(scenario).to_dict()


def check_staff(found: re.Match[str], staff_solved: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """The [staff] line against the plan's JSON and the file's limits and pay rates; the
    committed pay rise recomputed as the README states it (12 x 元 a month / 10,000 万元 a
    person-year, for the cadres in post now, over the horizon)."""
    inputs, plan = staff_solved
    rows = plan["communities"]
    posts = [c["posts"] for c in rows]
    for key in ("now", "final", "target"):
        assert int(found[key]) == sum(p[key] for p in posts), key
    staffing = inputs["staffing"]
    for route, limit, field in (("add_post", "quota", "quota"), ("dispatch", "pool", "pool"),
                                ("recruit", "most", "most")):  # fmt: skip
        assert int(found[route]) == sum(p["added"][route] for p in posts), route
        value = (staffing.get(route) or {}).get(field)
        assert (None if found[limit] is None else int(found[limit])) == value, route
    assert int(found["short"]) == plan["posts_short"] == sum(p["short"] for p in posts)
    assert int(found["short_in"]) == sum(p["short"] > 0 for p in posts)
    assert int(found["both"]) == plan["communities_meeting_both"]
    assert int(found["total"]) == len(rows)
    assert near(found["cost"], sum(c["staff_cost"] for c in rows), 2)
    kinds = {g["id"]: g["kind"] for g in inputs["groups"]}
    rates = staffing["pay_rise"]
    committed = inputs["horizon_years"] * sum(
        12 * rates[f"{kinds[c['group']]}_yuan_per_month"] / 1e4 * c["posts_now"]
        for c in inputs["communities"]
    )
    assert near(found["committed"], committed, 2)


def test_the_staff_line_matches_the_plan_solved_here(
    lines: list[str], staff_solved: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    found = [m for m in map(STAFF.match, lines) if m]
    assert len(found) == 1
    check_staff(found[0], staff_solved)


def test_a_wrong_staff_line_is_caught(staff_solved: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """One post short too many, or the pay rise counted on the posts at the end, fails."""
    inputs, plan = staff_solved
    posts = [c["posts"] for c in plan["communities"]]
    total = {key: sum(p[key] for p in posts) for key in ("now", "final", "target")}
    added = {r: sum(p["added"][r] for p in posts) for r in ("add_post", "dispatch", "recruit")}
    staffing = inputs["staffing"]
    kinds = {g["id"]: g["kind"] for g in inputs["groups"]}
    rise = {c["id"]: 12 * staffing["pay_rise"][f"{kinds[c['group']]}_yuan_per_month"] / 1e4
            for c in inputs["communities"]}  # fmt: skip
    committed = inputs["horizon_years"] * sum(
        rise[c["id"]] * c["posts_now"] for c in inputs["communities"]
    )

    def line(short: int, committed: float) -> str:
        return (
            f"[staff] 编制 posts 现有 now {total['now']} → 方案后 final {total['final']} / "
            f"目标 target {total['target']} | 增编 add_post {added['add_post']}/"
            f"{staffing['add_post']['quota']} | 下派 dispatch {added['dispatch']}/"
            f"{staffing['dispatch']['pool']} | 招聘 recruit {added['recruit']}/"
            f"{staffing['recruit']['most']} | 仍缺 short {short} 个编制 posts, 在 in "
            f"{sum(p['short'] > 0 for p in posts)} 个社区 communities | 两项都达标 meeting both "
            f"{plan['communities_meeting_both']}/{len(posts)} | 人员和提标 staff and pay "
            f"{sum(c['staff_cost'] for c in plan['communities']):,.2f} 万元, "
            f"其中提标承诺 committed pay rise {committed:,.2f} 万元"
        )

    right = STAFF.match(line(plan["posts_short"], committed))
    assert right is not None
    check_staff(right, staff_solved)
    at_the_end = inputs["horizon_years"] * sum(
        rise[c["id"]] * (c["posts"]["final"] - c["posts"]["added"]["dispatch"])
        for c in plan["communities"]
    )
    for wrong in (line(plan["posts_short"] + 1, committed), line(plan["posts_short"], at_the_end)):
        found = STAFF.match(wrong)
        assert found is not None
        with pytest.raises(AssertionError):
            check_staff(found, staff_solved)


# --------------------------------------------------------------------------------------------
# The year-by-year view: scenarios/2024.yaml
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def campaign_plan() -> dict[str, Any]:
    """The campaign's plan JSON, with the ids of the routes that replace existing premises."""
    scenario = load_scenario(CAMPAIGN_FILE)
    plan = solve(scenario).to_dict()
    replacing = {o.id for c in scenario.communities for o in c.options if o.replaces_existing}
    return {**plan, "replacing": replacing}


def year_figures(plan: dict[str, Any], year: int) -> dict[str, float]:
    """One year recomputed from the plan's routes: what is paid in it (each route's payments
    that year, and the staff money paid that year for the posts in post then), the communities
    whose area ready by its end reaches their target, the m2 short, the routes starting."""
    rows = plan["communities"]
    paid = sum(
        amount
        for c in rows
        for o in c["options"]
        for amount in (
            o["paid_by_year"].get(year) or o["paid_by_year"].get(str(year)) or {}
        ).values()
    )
    paid += staff_paid_in(plan, year)
    short = []
    for c in rows:
        ready = [o for o in c["options"] if o["ready_year"] is not None and o["ready_year"] <= year]
        replaced = any(o["id"] in plan["replacing"] for o in ready)
        area = (0.0 if replaced else c["existing_area_m2"]) + sum(
            o["counted_area_m2"] for o in ready
        )
        short.append(max(0.0, c["target_area_m2"] - area))
    return {
        "cost": paid,
        "meeting": sum(s <= 1e-4 for s in short),
        "short": sum(short),
        "starting": sum(o["start_year"] == year for c in rows for o in c["options"]),
    }


def staff_paid_in(plan: dict[str, Any], year: int) -> float:
    """The staff money the plan's sources pay in `year` (each community's staff_funding_by_year)."""
    return sum(
        amount
        for c in plan["communities"]
        for by_year in (c.get("staff_funding_by_year") or {}).values()
        for amount in (by_year.get(year) or by_year.get(str(year)) or {}).values()
    )


def check_year(found: re.Match[str], plan: dict[str, Any]) -> None:
    figures = year_figures(plan, int(found["year"]))
    assert near(found["cost"], figures["cost"], 2)
    assert int(found["meeting"]) == figures["meeting"]
    assert int(found["total"]) == len(plan["communities"])
    assert near(found["short"], figures["short"], 1)
    assert int(found["starting"]) == figures["starting"]


def test_the_year_lines_match_the_plan_solved_here(
    lines: list[str], campaign_plan: dict[str, Any]
) -> None:
    found = [m for m in map(YEAR.match, lines) if m]
    assert [int(m["year"]) for m in found] == [2024, 2025, 2026]
    for match in found:
        check_year(match, campaign_plan)


def test_a_wrong_year_line_is_caught(campaign_plan: dict[str, Any]) -> None:
    """A year whose meeting count is off by one, or whose spending leaves the staff out, fails."""
    figures = year_figures(campaign_plan, 2024)
    total = len(campaign_plan["communities"])

    def line(cost: float, meeting: int) -> str:
        return (
            f"[year 2024] 当年支出 spent {cost:,.2f} 万元 | 年末达标 meeting {meeting}/{total} | "
            f"年末缺口 short {figures['short']:,.1f} m2 | 当年启动 routes starting "
            f"{figures['starting']}"
        )

    check_year(YEAR.match(line(figures["cost"], figures["meeting"])), campaign_plan)
    staff = staff_paid_in(campaign_plan, 2024)
    assert staff > 1  # the pay rise of the cadres in post now, at least
    for wrong in (line(figures["cost"], figures["meeting"] + 1),
                  line(figures["cost"] - staff, figures["meeting"])):  # fmt: skip
        with pytest.raises(AssertionError):
            check_year(YEAR.match(wrong), campaign_plan)
