"""The staff of a plan (人员配备): one row per community with its posts now, what each route
adds, the posts at the end against the target, what staff and the pay rise cost and who pays;
as a table for files (`staff_table`) and for a screen (`staff_screen_table`); with years, a
last column says the year each post is added (2024 增编1；2025 招聘2). Nothing for a plan
without staffing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allocator.catalogue import say
from allocator.plan import STAFF_COLUMNS, STAFF_YEAR_COLUMN, CommunityResult, Plan

if TYPE_CHECKING:  # pandas (0.15 s) is imported where the table is made
    import pandas as pd


def has_staff(plan: Plan) -> bool:
    return plan.posts_short is not None


def staff_table(plan: Plan) -> pd.DataFrame:
    """One row per community (empty without staffing), columns `STAFF_COLUMNS`."""
    import pandas as pd

    return pd.DataFrame(staff_rows(plan), columns=staff_columns(plan))


def staff_columns(plan: Plan) -> list[str]:
    """`STAFF_COLUMNS`, and with years the posts added by year."""
    return [*STAFF_COLUMNS, *([STAFF_YEAR_COLUMN] if plan.years else [])]


def posts_by_year_text(c: CommunityResult) -> str:
    """The posts each route adds in each year, year by year: "2024 增编1；2025 招聘2"."""
    added = c.posts.added_by_year if c.posts else {}
    years = sorted({year for by_year in added.values() for year in by_year})
    parts = []
    for year in years:
        routes = [f"{say(f'staff.{route}')}{added[route][year]}" for route in added
                  if year in added[route]]  # fmt: skip
        parts.append(f"{year} {' '.join(routes)}")
    return "; ".join(parts) or "-"


def staff_rows(plan: Plan) -> list[dict[str, Any]]:
    """The rows of `staff_table`, without pandas."""
    names = {f.source: f.source_name for f in plan.funding_results}
    rows = []
    for c in plan.community_results:
        if c.posts is None:
            continue
        paid = c.staff_paid_wan()
        rows.append(
            {
                "community_id": c.id,
                "community": c.name,
                "group": c.group_name,
                "posts_now": c.posts.now,
                "posts_target": c.posts.target,
                **{f"posts_{route}": n for route, n in c.posts.added.items()},
                "posts_final": c.posts.final,
                "posts_short": c.posts.short,
                "staff_cost_wan": c.staff_cost,
                "staff_paid_by": ", ".join(f"{names.get(s, s)} {v:,.2f}" for s, v in paid.items())
                or "-",
                **({STAFF_YEAR_COLUMN: posts_by_year_text(c)} if plan.years else {}),
            }
        )
    return rows


def staff_screen_table(plan: Plan, width: int) -> Any:
    """The staff per community for a screen: who pays only from 110 columns."""
    from rich import box
    from rich.table import Table

    names = {f.source: f.source_name for f in plan.funding_results}
    keys = ["name", "now", "add_post", "dispatch", "recruit", "final", "short", "cost"]
    if plan.years:
        keys.append("years")
    if width >= 110:
        keys.append("payers")
    table = Table(title=say("title.staff"), title_justify="left", box=box.SIMPLE_HEAD)
    for key in keys:
        right = key not in ("name", "payers", "years")
        table.add_column(say(f"staff.{key}"), justify="right" if right else "left", no_wrap=True)
    for c in plan.community_results:
        if c.posts is None:
            continue
        paid = c.staff_paid_wan()
        cells = {
            "name": c.name,
            "now": str(c.posts.now),
            **{route: str(n or "-") for route, n in c.posts.added.items()},
            "final": f"{c.posts.final}/{c.posts.target}",
            "short": str(c.posts.short or "-"),
            "cost": f"{c.staff_cost:,.2f}",
            "payers": "\n".join(f"{names.get(s, s)} {v:,.2f}" for s, v in paid.items() if v) or "-",
            "years": posts_by_year_text(c).replace("; ", "\n"),
        }
        table.add_row(*(cells[key] for key in keys))
    return table
