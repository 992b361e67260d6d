"""The plan year by year (年度计划), for a plan of a scenario with years: what the plan spends
each year, the communities meeting their target and the m2 and posts short at each year's
end, and the money of each source by year; as tables for files (`by_year_table`,
`funding_by_year_table`) and for a screen (`years_screen_table`). Nothing without years."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allocator.catalogue import say
from allocator.plan import BY_YEAR_COLUMNS, Plan

if TYPE_CHECKING:
    import pandas as pd


def has_years(plan: Plan) -> bool:
    return plan.years is not None


def routes_starting(plan: Plan, year: int) -> int:
    """The routes the plan starts in `year`."""
    return sum(o.start_year == year for c in plan.community_results for o in c.options)


def by_year_table(plan: Plan) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {
            "year": y.year,
            "cost_wan": y.cost,
            "meeting": y.communities_meeting_target,
            "shortfall_m2": y.shortfall_m2,
            "posts_short": y.posts_short,
            "starting": routes_starting(plan, y.year),
        }
        for y in plan.by_year
    ]
    return pd.DataFrame(rows, columns=list(BY_YEAR_COLUMNS))


def funding_by_year_table(plan: Plan) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {"source_id": f.source, "source": f.source_name, "unit": f.unit, "year": f.year,
         "budget_wan": f.budget, "used_wan": f.used, "left_wan": f.left}
        for f in plan.funding_by_year
        if f.used > 0 or f.budget is not None
    ]  # fmt: skip
    columns = ["source_id", "source", "unit", "year", "budget_wan", "used_wan", "left_wan"]
    return pd.DataFrame(rows, columns=columns)


def years_screen_table(plan: Plan) -> Any:
    """年度计划: one row a year."""
    from rich import box
    from rich.table import Table

    table = Table(title=say("title.years"), title_justify="left", box=box.SIMPLE_HEAD)
    for key in BY_YEAR_COLUMNS:
        if key == "posts_short" and plan.posts_short is None:
            continue
        table.add_column(say(f"years.{key}"), justify="left" if key == "year" else "right")
    total = len(plan.community_results)
    for y in plan.by_year:
        cells = [str(y.year), f"{y.cost:,.2f}", f"{y.communities_meeting_target} / {total}",
                 f"{y.shortfall_m2:,.1f}"]  # fmt: skip
        if plan.posts_short is not None:
            cells.append(str(y.posts_short))
        cells.append(str(routes_starting(plan, y.year)))
        table.add_row(*cells)
    return table
