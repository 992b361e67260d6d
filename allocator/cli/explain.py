"""Commands that explain a plan: `allocator explain FILE COMMUNITY` and `allocator alternatives
FILE`; and the printing behind `solve --explain` (shadow prices) and behind a scenario with no
plan (conflicts and repairs). Exit codes as for solve: 0 a plan, 2 invalid input,
3 infeasible (the diagnosis is printed), 4 no plan from the solver."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from allocator.catalogue import say, word
from allocator.cli.common import (
    EXIT_INFEASIBLE,
    EXIT_NO_PLAN,
    Lang,
    LangOption,
    ScenarioPath,
    Solver,
    SolverOption,
    TimeLimitOption,
    app,
    console,
    exit_code,
    fail,
    load_or_exit,
    variant_or_exit,
)
from allocator.cli.doubts import StrictOption
from allocator.cli.printing import (
    _area,
    _money,
    _num,
    print_alternatives,
    print_no_plan,
    print_shadow_prices,
)

if TYPE_CHECKING:
    from allocator.analysis.explanation import Explanation
    from allocator.findings import CutShort, Diagnosis, ShadowPrices, TargetPrice
    from allocator.plan import Plan
    from allocator.scenario.schema import Scenario


class TextFormat(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[TextFormat, typer.Option("--format", "-f", help="table or json.")]
VariantOption = Annotated[
    str | None, typer.Option("--variant", help="Use this variant of the file.")
]


def _scenario(path: Path, variant: str | None) -> Scenario:
    scenario = load_or_exit(path)
    if variant is not None:
        scenario = variant_or_exit(scenario, variant)
    return scenario


def _no_plan(
    status: str, diagnosis: Diagnosis | None, fmt: TextFormat, data: dict[str, Any]
) -> None:
    """Print why there is no plan and exit 3 (infeasible) or 4."""
    if fmt == TextFormat.json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_no_plan(status, diagnosis, console())
    raise typer.Exit(EXIT_INFEASIBLE if status == "infeasible" else EXIT_NO_PLAN)


# --- allocator explain ------------------------------------------------------------------------
@app.command("explain")
def explain_command(
    path: ScenarioPath,
    community: Annotated[
        str | None,
        typer.Argument(
            help="Community id or name (新兴社区); without it, every community.",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = TextFormat.table,
    solver: SolverOption = Solver.highs,
    time_limit: TimeLimitOption = None,
    variant: VariantOption = None,
    strict: StrictOption = False,
    lang: LangOption = Lang.zh,
) -> None:
    """Why a community gets its routes: runner-up, binding rules, marginal cost."""
    from allocator.analysis.diagnosis import solve
    from allocator.analysis.explanation import explain
    from allocator.solving.worker import Deadline, process_began, warm

    deadline = warm(Deadline.of(time_limit, began=process_began()))
    scenario = _scenario(path, variant)
    known = [c.id for c in scenario.communities]
    if community is not None:
        community = community_id(scenario, community, path)
    plan = solve(scenario, solver=solver.value, deadline=deadline)
    if not plan.status.has_plan:
        diagnosis = plan.diagnosis.to_dict() if plan.diagnosis else None
        data = {"status": plan.status.value, "diagnosis": diagnosis}
        _no_plan(plan.status.value, plan.diagnosis, fmt, data)
    chosen = known if community is None else [community]
    results = [
        explain(scenario, cid, plan=plan, solver=solver.value, deadline=deadline, lang=lang.value)
        for cid in chosen
    ]
    if fmt == TextFormat.json:
        data = results[0].to_dict() if community else [r.to_dict() for r in results]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out = console()
    for result in results:
        print_explanation(result, out, scenario, plan)
    print_cut_short([*plan.cut_short, *(c for r in results for c in r.cut_short)], out)


def community_id(scenario: Scenario, written: str, path: Path) -> str:
    """The id of the community a planner names by its id or its Chinese name (新兴社区, or 新兴
    without 社区); else exit 2 naming the nearest ids and names."""
    from difflib import get_close_matches

    written = written.strip()
    communities = scenario.communities
    if any(c.id == written for c in communities):
        return written
    for wanted in (written, written.removesuffix("社区") + "社区"):
        named = [c for c in communities if c.name.strip() == wanted]
        if len(named) == 1:
            return named[0].id
        if len(named) > 1:
            ids = ", ".join(f"{c.name} ({c.id})" for c in named)
            fail(say("explain.same_name", path=path, count=len(named), name=wanted, ids=ids))
    shown = {c.id: f"{c.name} ({c.id})" for c in communities}
    shown.update({c.name: f"{c.name} ({c.id})" for c in communities})
    near = get_close_matches(written, list(shown), n=5, cutoff=0.5)
    near += [key for key in shown if written in key and key not in near][:5]
    hint = (
        say("explain.did_you_mean", names=", ".join(dict.fromkeys(shown[k] for k in near)))
        if near
        else say("explain.known", ids=", ".join(c.id for c in communities))
    )
    fail(say("explain.no_community", path=path, name=written) + hint)


def print_explanation(result: Explanation, out: Any, scenario: Scenario, plan: Plan) -> None:
    """The paragraph, then the routes not chosen as if forced (who would gain or lose the
    standard by each), the rules that bind here and the margin, in the run's language."""
    out.print(result.paragraph)
    if result.forced:
        out.print(_forced_table(result, plan))
    community = next(c for c in scenario.communities if c.id == result.community)
    if result.binding:
        from rich.table import Table

        from allocator.analysis.explanation_words import rule_words

        table = Table(title=say("explain.rules_title"), title_justify="left")
        table.add_column(say("explain.col_rule"))
        table.add_column(say("explain.col_what"))
        for b in result.binding:
            text = rule_words(scenario, plan, community, b, None)
            if text:
                table.add_row(word("family", b.rule), text)
        out.print(table)
    if result.marginal:
        out.print(_marginal_table(result.marginal))


def _forced_table(result: Explanation, plan: Plan) -> Any:
    from rich.table import Table

    names = {c.id: c.name for c in plan.community_results}
    table = Table(title=say("explain.forced_title"), title_justify="left")
    for key in (
        "route",
        "kind",
        "total",
        "d_cost",
        "d_short",
        "short_here",
        "loses",
        "gains",
        "routes_here",
        "note",
    ):
        right = key in ("total", "d_cost", "d_short", "short_here")
        table.add_column(say(f"explain.col_{key}"), justify="right" if right else "left")
    for f in result.forced:
        mark = " ★" if f.option == result.runner_up else ""
        table.add_row(
            f.option + mark,
            word("kind", f.kind),
            _money(f.total_cost),
            _money(f.cost_difference, sign=True),
            _area(f.shortfall_difference, sign=True),
            _area(f.community_shortfall_m2),
            say("sep").join(names.get(c, c) for c in f.loses_standard) or "-",
            say("sep").join(names.get(c, c) for c in f.gains_standard) or "-",
            "; ".join(f.community_routes),
            f.note,
        )
    return table


def _marginal_table(entry: TargetPrice) -> Any:
    from rich.table import Table

    from allocator.analysis.explanation_words import marginal_words

    table = Table(title=say("explain.margin_title"), title_justify="left")
    for key in ("how", "shortfall_per_m2", "cost_per_m2"):
        table.add_column(say(f"explain.col_{key}"))
    lp = entry.lp
    table.add_row(say("price.lp"), _num(lp.shortfall_m2), _num(lp.cost_wan))
    fd = entry.finite_difference
    if fd is not None:
        table.add_row(
            say("price.resolved", step=f"{fd.step:g}", unit="m²"),
            _num(fd.shortfall_m2),
            _num(fd.cost_wan),
        )
    table.caption = (
        marginal_words(entry) + " " + say("price.trust", trust=word("trust", entry.trust.value))
    )
    return table


# --- allocator alternatives ---------------------------------------------------------------
def parse_share(text: str) -> float:
    """'5%' -> 0.05; '0.05' -> 0.05; '5' -> 0.05 (a number of 1 or more is read as percent)."""
    raw = text.strip()
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise typer.BadParameter(say("alt.not_share", text=text)) from None
    if raw.endswith("%") or value >= 1:
        value /= 100
    if not 0 <= value <= 10:
        raise typer.BadParameter(say("alt.share_range", text=text))
    return value


@app.command("alternatives")
def alternatives_command(
    path: ScenarioPath,
    within: Annotated[
        str, typer.Option("--within", help="Margin above the optimal cost: 5% or 0.05.")
    ] = "5%",
    count: Annotated[int, typer.Option("--count", help="How many alternatives.", min=1)] = 3,
    fmt: FormatOption = TextFormat.table,
    solver: SolverOption = Solver.highs,
    time_limit: TimeLimitOption = None,
    variant: VariantOption = None,
    strict: StrictOption = False,
    lang: LangOption = Lang.zh,
) -> None:
    """Plans nearly as cheap, at the same shortfall, that differ in as many routes as can be."""
    from allocator.analysis.alternatives import alternatives
    from allocator.solving.worker import Deadline, process_began, warm

    deadline = warm(Deadline.of(time_limit, began=process_began()))
    share = parse_share(within)
    scenario = _scenario(path, variant)
    result = alternatives(
        scenario, within=share, count=count, solver=solver.value, deadline=deadline
    )
    if not result.optimal.status.has_plan:
        optimal = result.optimal
        _no_plan(optimal.status.value, optimal.diagnosis, fmt, result.to_dict())
    if fmt == TextFormat.json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_alternatives(result, console())
        print_cut_short([*result.optimal.cut_short, *result.cut_short], console())
    raise typer.Exit(exit_code(result.optimal))


# --- solve --explain, and a scenario without a plan ---------------------------------------
def with_shadow_prices(
    plan: Plan, scenario: Scenario, solver: str, step_wan: float = 1.0, deadline: Any = None
) -> Plan:
    """The plan with its shadow prices attached (under `shadow_prices` in its JSON), within
    what is left of `deadline` (an `allocator.solving.worker.Deadline`; None: no limit): in
    the worker, ended at the deadline; what the limit cut short is added to `cut_short`."""
    from dataclasses import replace

    from allocator.findings import ShadowPrices
    from allocator.solving.cut_plans import cut_note
    from allocator.solving.worker import within

    if not plan.status.has_plan:
        return plan
    call = within(deadline, priced, plan, scenario, solver, step_wan)
    if call.done:
        prices = call.value
    else:
        cut = cut_note(deadline, call.how, "shadow_prices")
        prices = ShadowPrices(status=plan.status.value, summary=cut.note, cut_short=(cut,))
    cut_short = (*plan.cut_short, *prices.cut_short)
    return replace(plan, shadow_prices=prices, cut_short=cut_short)


def priced(plan: Plan, scenario: Scenario, solver: str, step_wan: float = 1.0) -> ShadowPrices:
    """The plan's shadow prices. When no budget buys anything at `step_wan`, the budgets are
    priced at the first larger step that buys something (`allocator.analysis.first_step`), and
    the summary leads with it; the years' budgets and the staff limits keep their prices at
    `step_wan` (and one post). Each pricing gets what is left of the deadline at hand."""
    from dataclasses import replace

    from allocator.analysis.first_step import first_buying_step
    from allocator.analysis.shadow import shadow_prices
    from allocator.cli.printing import buys_something, lead_words
    from allocator.findings import CutShort
    from allocator.solving.worker import left_s, out_of_time

    n = len(scenario.communities)
    prices = shadow_prices(
        scenario, plan, solver=solver, step_wan=step_wan, time_limit_s=left_s(None, n)
    )
    if prices.budgets and not buys_something(prices.budgets):
        found = first_buying_step(scenario, plan, above_wan=step_wan, time_limit_s=left_s(None, n))
        if found is None and out_of_time():
            said = "the larger steps of money were not all tried in the time given"
            cut = CutShort("shadow_prices", "time_limit", said)
            return replace(prices, cut_short=(*prices.cut_short, cut))
        if found is not None:
            at = shadow_prices(scenario, plan, solver=solver, step_wan=found[0], communities=[],
                               time_limit_s=left_s(None, n), limits=False)  # fmt: skip
            prices = replace(prices, budgets=at.budgets)
    return replace(prices, summary=lead_words(prices.budgets, step_wan))


def with_explanations_cut(plan: Plan, explanations: dict[str, Explanation]) -> Plan:
    """The plan with one `cut_short` entry for the explanations the time limit cut short."""
    from dataclasses import replace

    from allocator.findings import CutShort

    cut = [cid for cid, e in explanations.items() if e.cut_short]
    if not cut:
        return plan
    note = f"{len(cut)} of {len(explanations)} communities not fully explained: {', '.join(cut)}"
    return replace(plan, cut_short=(*plan.cut_short, CutShort("explanations", "time_limit", note)))


def print_cut_short(cut: list[CutShort] | tuple[CutShort, ...], out: Any) -> None:
    """One line naming what the time limit cut short (nothing when nothing was)."""
    if cut:
        parts = say("sep").join(cut_short_words(c) for c in cut)
        out.print(say("cut_short.line", parts=parts), markup=False)


def cut_short_words(cut: CutShort) -> str:
    """A part cut short in the run's words: the part and how it ended from the catalogue, and
    the solver's own note (its figures) after them."""
    community = cut.part.removeprefix("explanation of ")
    part = (
        say("cut_part.explanation_of", id=community)
        if community != cut.part
        else word("cut_part", cut.part.replace(" ", "_"))
    )
    return say("cut_short.item", part=part, how=word("cut_how", cut.how), note=cut.note)


def print_plan_extras(plan: Plan, out: Any) -> None:
    """What `emit_plan` prints after the plan's own tables: shadow prices, or why no plan."""
    print_cut_short(plan.cut_short, out)
    if plan.shadow_prices:
        print_shadow_prices(plan.shadow_prices, out)
    if plan.diagnosis and not plan.status.has_plan:
        print_no_plan(plan.status.value, plan.diagnosis, out, summary=False)
