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

from allocator.cli.common import (
    EXIT_INFEASIBLE,
    EXIT_NO_PLAN,
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

if TYPE_CHECKING:
    from allocator.analysis.alternatives import Alternatives
    from allocator.analysis.explanation import Explanation
    from allocator.findings import Diagnosis, ShadowPrices, TargetPrice
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
) -> None:
    """Why a community gets its routes: runner-up, binding rules, marginal cost."""
    from allocator.analysis.diagnosis import solve
    from allocator.analysis.explanation import explain

    scenario = _scenario(path, variant)
    known = [c.id for c in scenario.communities]
    if community is not None:
        community = community_id(scenario, community, path)
    plan = solve(scenario, solver=solver.value, time_limit=time_limit)
    if not plan.status.has_plan:
        diagnosis = plan.diagnosis.to_dict() if plan.diagnosis else None
        data = {"status": plan.status.value, "diagnosis": diagnosis}
        _no_plan(plan.status.value, plan.diagnosis, fmt, data)
    chosen = known if community is None else [community]
    results = [
        explain(scenario, cid, plan=plan, solver=solver.value, time_limit=time_limit)
        for cid in chosen
    ]
    if fmt == TextFormat.json:
        data = results[0].to_dict() if community else [r.to_dict() for r in results]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out = console()
    for result in results:
        print_explanation(result, out)


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
            fail(f"{path}: {len(named)} communities are named '{wanted}': give the id ({ids})")
    shown = {c.id: f"{c.name} ({c.id})" for c in communities}
    shown.update({c.name: f"{c.name} ({c.id})" for c in communities})
    near = get_close_matches(written, list(shown), n=5, cutoff=0.5)
    near += [key for key in shown if written in key and key not in near][:5]
    hint = (
        "; 您要找的是 did you mean: " + ", ".join(dict.fromkeys(shown[k] for k in near))
        if near
        else f" (communities: {', '.join(c.id for c in communities)})"
    )
    fail(f"{path}: 没有社区 no community '{written}' (by id or name){hint}")


def print_explanation(result: Explanation, out: Any) -> None:
    from rich.table import Table

    out.print(result.paragraph)
    if result.forced:
        table = Table(title="未选方案 Routes not chosen, if forced", title_justify="left")
        for label in (
            "方案 Route",
            "途径 Kind",
            "总费用 Total 万元",
            "费用差 Δ cost 万元",
            "加权缺口差 Δ weighted shortfall m2",
            "本社区缺口 Shortfall here m2",
            "本社区方案 Routes here",
            "说明 Note",
        ):
            table.add_column(label, justify="right" if "m2" in label or "万元" in label else "left")
        for f in result.forced:
            mark = " ★" if f.option == result.runner_up else ""
            table.add_row(
                f.option + mark,
                f.kind,
                _money(f.total_cost),
                _money(f.cost_difference, sign=True),
                _area(f.shortfall_difference, sign=True),
                _area(f.community_shortfall_m2),
                "; ".join(f.community_routes),
                f.note,
            )
        out.print(table)
    if result.binding:
        table = Table(title="约束 Rules that bind here", title_justify="left")
        table.add_column("规则 Rule")
        table.add_column("说明 What")
        for b in result.binding:
            table.add_row(b.rule, b.text)
        out.print(table)
    if result.marginal:
        out.print(_marginal_table(result.marginal))


def _marginal_table(entry: TargetPrice) -> Any:
    from rich.table import Table

    table = Table(title="边际 One more m2 of target", title_justify="left")
    for label in ("", "加权缺口 Weighted shortfall m2 per m2", "费用 万元 per m2"):
        table.add_column(label)
    table.add_row("LP price (routes fixed)", _num(entry.lp.shortfall_m2), _num(entry.lp.cost_wan))
    fd = entry.finite_difference
    if fd is not None:
        table.add_row(f"re-solved (+{fd.step:g} m2)", _num(fd.shortfall_m2), _num(fd.cost_wan))
    table.caption = f"{entry.costs}. Trust: {entry.trust.value} ({entry.why})."
    return table


# --- allocator alternatives ---------------------------------------------------------------
def parse_share(text: str) -> float:
    """'5%' -> 0.05; '0.05' -> 0.05; '5' -> 0.05 (a number of 1 or more is read as percent)."""
    raw = text.strip()
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a share: write 5% or 0.05") from None
    if raw.endswith("%") or value >= 1:
        value /= 100
    if not 0 <= value <= 10:
        raise typer.BadParameter(f"'{text}' is out of range: write a share such as 5%")
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
) -> None:
    """Plans nearly as cheap, at the same shortfall, that differ in as many routes as can be."""
    from allocator.analysis.alternatives import alternatives

    share = parse_share(within)
    scenario = _scenario(path, variant)
    result = alternatives(
        scenario, within=share, count=count, solver=solver.value, time_limit=time_limit
    )
    if not result.optimal.status.has_plan:
        optimal = result.optimal
        _no_plan(optimal.status.value, optimal.diagnosis, fmt, result.to_dict())
    if fmt == TextFormat.json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_alternatives(result, console())
    raise typer.Exit(exit_code(result.optimal))


def print_alternatives(result: Alternatives, out: Any) -> None:
    from rich.table import Table

    out.print(result.summary)
    for n, alt in enumerate(result.alternatives, 1):
        table = Table(
            title=(
                f"方案{n} Alternative {n}: {alt.plan.total_cost:,.2f} 万元 "
                f"({alt.cost_above_optimum:+.1%}), weighted shortfall "
                f"{alt.plan.weighted_shortfall:,.1f} m2"
            ),
            title_justify="left",
        )
        for label in (
            "社区 Community",
            "最优 Optimal routes",
            "备选 Alternative routes",
            "费用差 Δ cost 万元",
            "缺口差 Δ shortfall m2",
        ):
            table.add_column(label, justify="right" if "Δ" in label else "left")
        for d in alt.differences:
            table.add_row(
                f"{d.name} ({d.community})",
                "; ".join(d.optimal) or "-",
                "; ".join(d.alternative) or "-",
                _money(d.cost_difference, True),
                _area(d.shortfall_difference_m2, True),
            )
        out.print(table)


# --- solve --explain, and a scenario without a plan ---------------------------------------
def with_shadow_prices(plan: Plan, scenario: Scenario, solver: str, step_wan: float = 1.0) -> Plan:
    """The plan with its shadow prices attached (under `shadow_prices` in its JSON)."""
    from dataclasses import replace

    from allocator.analysis.shadow import shadow_prices

    if not plan.status.has_plan:
        return plan
    prices = shadow_prices(scenario, plan, solver=solver, step_wan=step_wan)
    return replace(plan, shadow_prices=prices)


def print_plan_extras(plan: Plan, out: Any) -> None:
    """What `emit_plan` prints after the plan's own tables: shadow prices, or why no plan."""
    if plan.shadow_prices:
        print_shadow_prices(plan.shadow_prices, out)
    if plan.diagnosis and not plan.status.has_plan:
        print_no_plan(plan.status.value, plan.diagnosis, out, summary=False)


def print_shadow_prices(prices: ShadowPrices, out: Any) -> None:
    from rich.table import Table

    out.print(f"[bold]影子价格 Shadow prices:[/] {prices.summary}")
    first = next((b.finite_difference for b in prices.budgets), None)
    step = first.step if first is not None else 1.0
    budgets = Table(
        title=f"每多{step:g}万元 {step:g} 万元 more in each budget, per 万元", title_justify="left"
    )
    for label in (
        "资金 Source",
        "单位 Unit",
        "预算 Budget",
        "已用 Used",
        "LP: 缺口减 m2/万元",
        "LP: 省 万元/万元",
        "LP holds for 万元",
        "重解: 缺口减 m2/万元",
        "重解: 省 万元/万元",
        "信 Trust",
    ):
        budgets.add_column(
            label, justify="left" if label in ("资金 Source", "单位 Unit", "信 Trust") else "right"
        )
    for b in prices.budgets:
        fd = b.finite_difference
        budgets.add_row(
            b.source,
            b.unit,
            _money(b.budget),
            _money(b.used),
            _num(b.lp.shortfall_m2),
            _num(b.lp.cost_wan),
            _num(b.lp.holds_for),
            _num(fd.shortfall_m2 if fd else None),
            _num(fd.cost_wan if fd else None),
            b.trust.value,
        )
    out.print(budgets)
    targets = Table(title="每多1 m2 目标 One more m2 of target", title_justify="left")
    for label in (
        "社区 Community",
        "达标 Meets",
        "LP: 缺口 m2/m2",
        "LP: 万元/m2",
        "重解: 缺口 m2/m2",
        "重解: 万元/m2",
        "信 Trust",
    ):
        targets.add_column(label, justify="right" if "/" in label else "left")
    for t in prices.targets:
        fd = t.finite_difference
        targets.add_row(
            t.community,
            "是 yes" if t.meets_target else "否 no",
            _num(t.lp.shortfall_m2),
            _num(t.lp.cost_wan),
            _num(fd.shortfall_m2 if fd else None),
            _num(fd.cost_wan if fd else None),
            t.trust.value,
        )
    out.print(targets)
    for b in prices.budgets:
        if b.agree is False:
            out.print(f"  {b.source} {b.unit}: {b.why}")
    for t in prices.targets:
        if t.agree is False:
            out.print(f"  {t.community}: {t.why}")


def print_no_plan(
    status: str, diagnosis: Diagnosis | None, out: Any, *, summary: bool = True
) -> None:
    """Conflicts, repairs and communities short whatever the money, as tables."""
    from rich.table import Table

    if summary:
        why = diagnosis.summary if diagnosis else "the solver found no plan in the time given"
        out.print(f"[bold]无解 No plan ({status}):[/] {why}")
    if diagnosis is None:
        return
    if diagnosis.conflicts:
        table = Table(title="冲突 Rules that cannot all hold", title_justify="left")
        for label in ("规则 Rule", "位置 Where", "条目 Entry", "说明 What"):
            table.add_column(label)
        for c in diagnosis.conflicts:
            where = f"{Path(c.file).name}:{c.line}" if c.line else c.place
            table.add_row(c.rule, where, c.entry, c.text)
        out.print(table)
    if diagnosis.repairs:
        table = Table(title="最省修复 Cheapest repair: add to these budgets", title_justify="left")
        for label in ("资金 Source", "单位 Unit", "预算 Budget 万元", "追加 Extra 万元"):
            table.add_column(label, justify="right" if "万元" in label else "left")
        for r in diagnosis.repairs:
            table.add_row(r.source, r.unit, _money(r.budget), _money(r.extra_budget))
        out.print(table)
    for s in diagnosis.short_m2:
        out.print(
            f"  {s.name} ({s.community}) lacks {s.missing_m2:.1f} m2 whatever the "
            f"money; relax: {'; '.join(s.relax)}"
        )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.4g}"


def _money(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+,.2f}" if sign else f"{value:,.2f}"


def _area(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+,.1f}" if sign else f"{value:,.1f}"
