"""The findings printed on a screen, in the run's language (`allocator.catalogue`): near-optimal
alternatives, shadow prices (led by what money buys at the first step that buys something) and
why there is no plan (conflicts, repairs, sites short whatever the money)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.catalogue import say, word
from allocator.report.screen import no_plan_summary

if TYPE_CHECKING:
    from allocator.analysis.alternatives import Alternatives
    from allocator.findings import (
        BudgetPrice,
        Diagnosis,
        LpPrice,
        Resolved,
        ShadowPrices,
        StaffLimitPrice,
        YearBudgetPrice,
    )
    from allocator.plan import Plan


def print_alternatives(result: Alternatives, out: Any) -> None:
    from rich.table import Table

    optimal = result.optimal
    out.print(
        say(
            "alt.optimal",
            cost=f"{optimal.total_cost:,.2f}",
            short=f"{optimal.weighted_shortfall:,.1f}",
            count=len(result.alternatives),
            within=f"{result.within:.1%}",
        )
    )
    mine = _routes_by_community(optimal)
    ordered = sorted(enumerate(result.alternatives, 1), key=lambda pair: pair[1].plan.total_cost)
    for n, alt in ordered:
        table = Table(
            title=say(
                "alt.title",
                n=n,
                cost=f"{alt.plan.total_cost:,.2f}",
                above=f"{alt.cost_above_optimum:+.1%}",
                changed=alt.routes_changed,
                short=f"{alt.plan.weighted_shortfall:,.1f}",
            ),
            title_justify="left",
        )
        for key in ("community", "optimal", "alternative", "d_cost", "d_short"):
            table.add_column(say(f"alt.col_{key}"), justify="right" if key[:2] == "d_" else "left")
        theirs = _routes_by_community(alt.plan)
        for d in alt.differences:
            table.add_row(
                f"{d.name} ({d.community})",
                mine.get(d.community) or "-",
                theirs.get(d.community) or "-",
                _money(d.cost_difference, True),
                _area(d.shortfall_difference_m2, True),
            )
        out.print(table)


def _routes_by_community(plan: Plan) -> dict[str, str]:
    return {
        c.id: "; ".join(f"{o.id}（{word('kind', o.kind)} {o.area_m2:,.1f} m²）" for o in c.options)
        for c in plan.community_results
    }


def print_shadow_prices(prices: ShadowPrices, out: Any) -> None:
    """The headline (what money buys, at the step shown), the budgets' and targets' tables."""
    from rich.table import Table

    out.print(f"[bold]{say('price.head')}[/] {prices.summary}")
    first = next((b.finite_difference for b in prices.budgets), None)
    step = first.step if first is not None else 1.0
    budgets = Table(title=say("price.budgets_title", step=f"{step:g}"), title_justify="left")
    for key in (
        "source",
        "unit",
        "budget",
        "used",
        "lp_short",
        "lp_cost",
        "holds",
        "fd_short",
        "fd_cost",
        "trust",
    ):
        left = key in ("source", "unit", "trust")
        budgets.add_column(say(f"price.col_{key}"), justify="left" if left else "right")
    for b in prices.budgets:
        fd = b.finite_difference
        budgets.add_row(
            b.source_name,
            b.unit,
            _money(b.budget),
            _money(b.used),
            _num(b.lp.shortfall_m2),
            _num(b.lp.cost_wan),
            _num(b.lp.holds_for),
            _num(fd.shortfall_m2 if fd else None),
            _num(fd.cost_wan if fd else None),
            word("trust", b.trust.value),
        )
    out.print(budgets)
    if prices.year_budgets:
        out.print(_year_table(prices.year_budgets))
    if prices.staff_limits:
        out.print(_limit_table(prices.staff_limits))
    targets = Table(title=say("price.targets_title"), title_justify="left")
    for key in (
        "community",
        "meets",
        "lp_t_short",
        "lp_t_cost",
        "fd_t_short",
        "fd_t_cost",
        "trust",
    ):
        targets.add_column(
            say(f"price.col_{key}"),
            justify="left" if key in ("community", "meets", "trust") else "right",
        )
    for t in prices.targets:
        fd = t.finite_difference
        targets.add_row(
            t.name,
            say("yes" if t.meets_target else "no"),
            _num(t.lp.shortfall_m2),
            _num(t.lp.cost_wan),
            _num(fd.shortfall_m2 if fd else None),
            _num(fd.cost_wan if fd else None),
            word("trust", t.trust.value),
        )
    out.print(targets)
    out.print(say("price.trust_note"))
    carried = sorted({b.source_name for b in prices.year_budgets if b.carry_over})
    if carried:
        out.print(say("price.carry_note", names=say("sep").join(carried)))


def _year_table(entries: tuple[YearBudgetPrice, ...]) -> Any:
    """Each year's budget: what one more 万元 approved in the year buys, one figure a price
    (the first measure it moves) so that the table fits a screen."""
    from rich.table import Table

    fd = next((e.finite_difference for e in entries if e.finite_difference), None)
    step = fd.step if fd is not None else 1.0
    table = Table(title=say("price.years_title", step=f"{step:g}"), title_justify="left")
    keys = ("source", "year", "year_budget", "year_used", "lp", "holds", "fd", "trust")
    for key in keys:
        left = key in ("source", "lp", "fd", "trust")
        table.add_column(say(f"price.col_{key}"), justify="left" if left else "right")
    for e in entries:
        where = e.source_name
        if e.unit != "county":
            where = say("price.in_unit", name=e.source_name, unit=e.unit)
        table.add_row(
            where,
            str(e.year),
            _money(e.budget),
            _money(e.used),
            price_cell(e.lp),
            _num(e.lp.holds_for),
            price_cell(e.finite_difference),
            word("trust", e.trust.value),
        )
    return table


def _limit_table(entries: tuple[StaffLimitPrice, ...]) -> Any:
    """The staff limits: what one more post in each buys."""
    from rich.table import Table

    table = Table(title=say("price.limits_title"), title_justify="left")
    for key in ("limit", "year", "most", "used", "lp", "fd", "trust"):
        left = key in ("limit", "lp", "fd", "trust")
        table.add_column(say(f"price.col_{key}"), justify="left" if left else "right")
    for e in entries:
        table.add_row(
            word("family", e.limit),
            say("price.campaign") if e.year is None else str(e.year),
            f"{e.most:g}",
            f"{e.used:g}",
            price_cell(e.lp),
            price_cell(e.finite_difference),
            word("trust", e.trust.value),
        )
    return table


def price_cell(values: LpPrice | Resolved | None) -> str:
    """A price in one cell: the weighted shortfall cut, else the posts short cut, else the
    money saved ("0" when it buys nothing, "-" when not computed)."""
    if values is None:
        return "-"
    if not getattr(values, "feasible", True):  # a re-solve that left no plan
        return say("price.v_no_plan")
    if values.shortfall_m2:
        return say("price.v_short", v=f"{values.shortfall_m2:,.4g}")
    if values.posts_short:
        return say("price.v_posts", v=f"{values.posts_short:,.4g}")
    if values.cost_wan:
        return say("price.v_cost", v=f"{values.cost_wan:,.4g}")
    return "0"


def buys_something(budgets: tuple[BudgetPrice, ...]) -> bool:
    """Whether some budget buys something at its step: the re-solve's figures where there is
    one (what the whole step does), else the LP price."""
    return any(v > 1e-6 for b in budgets for v in _bought(b))


def _bought(b: BudgetPrice) -> tuple[float, float, float]:
    """(weighted shortfall cut, posts short cut, 万元 saved) for the whole step of a budget's
    entry."""
    fd = b.finite_difference
    if fd is not None and fd.feasible:
        return tuple((v or 0.0) * fd.step for v in (fd.shortfall_m2, fd.posts_short, fd.cost_wan))
    if fd is not None:
        return 0.0, 0.0, 0.0
    return b.lp.shortfall_m2 or 0.0, b.lp.posts_short or 0.0, b.lp.cost_wan or 0.0


def lead_words(budgets: tuple[BudgetPrice, ...], asked_wan: float) -> str:
    """What money buys at the step the budgets were priced at, most first; when that step is
    larger than the one asked, say that the step asked buys nothing."""
    step = next((b.finite_difference.step for b in budgets if b.finite_difference), asked_wan)
    valuable = sorted(
        ((b, *_bought(b)) for b in budgets if any(v > 1e-6 for v in _bought(b))),
        key=lambda t: (-t[1], -t[2], -t[3]),
    )
    if not valuable:
        return say("price.nothing", asked=f"{asked_wan:g}")
    county = [t for t in valuable if t[0].unit == "county"]
    units = [t for t in valuable if t[0].unit != "county"]
    parts = [_bought_words(*t) for t in (county or units)[:3]]
    if county and units:
        parts.append(say("price.units_too", count=len(units)))
    lead = say("price.buys", step=f"{step:g}", what=say("sep").join(parts))
    if step > asked_wan + 1e-9:
        return say("price.asked_nothing", asked=f"{asked_wan:g}") + lead
    return lead


def _bought_words(b: BudgetPrice, cut: float, posts: float, saving: float) -> str:
    where = b.source_name
    if b.unit != "county":
        where = say("price.in_unit", name=b.source_name, unit=b.unit)
    if cut > 1e-6:
        return say("price.cuts", where=where, m2=f"{cut:,.3g}")
    if posts > 1e-6:
        return say("price.cuts_posts", where=where, posts=f"{posts:,.3g}")
    return say("price.saves", where=where, wan=f"{saving:,.3g}")


def print_no_plan(
    status: str, diagnosis: Diagnosis | None, out: Any, *, summary: bool = True
) -> None:
    """Conflicts, repairs and communities short whatever the money, as tables."""
    from rich.table import Table

    if summary:
        why = no_plan_summary(diagnosis) if diagnosis else say("plan.none_in_time")
        out.print(f"[bold]{say('plan.no_plan', status=word('status', status))}[/] {why}")
    if diagnosis is None:
        return
    if diagnosis.conflicts:
        table = Table(title=say("noplan.conflicts_title"), title_justify="left")
        for key in ("rule", "where", "entry", "what"):
            table.add_column(say(f"noplan.col_{key}"))
        for c in diagnosis.conflicts:
            where = f"{Path(c.file).name}:{c.line}" if c.line else c.place
            table.add_row(word("family", c.rule), where, c.entry, _conflict_words(c))
        out.print(table)
    if diagnosis.repairs:
        table = Table(title=say("noplan.repairs_title"), title_justify="left")
        for key in ("source", "unit", "budget", "extra"):
            table.add_column(
                say(f"noplan.col_{key}"), justify="right" if key in ("budget", "extra") else "left"
            )
        for r in diagnosis.repairs:
            table.add_row(r.source, r.unit, _money(r.budget), _money(r.extra_budget))
        out.print(table)
    for s in diagnosis.short_m2:
        out.print(
            "  "
            + say("noplan.short_site", name=s.name, id=s.community, missing=f"{s.missing_m2:.1f}")
        )


def _conflict_words(conflict: Any) -> str:
    who = conflict.community or conflict.option or conflict.source or ""
    field = f"{conflict.field}" if conflict.field else ""
    return say("noplan.conflict_row", rule=word("family", conflict.rule), who=who, field=field)


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
