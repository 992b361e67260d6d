"""The plan: what to do where, who pays, who still falls short. Frozen records, no solver."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from allocator.catalogue import say, word

if TYPE_CHECKING:  # pandas (0.15 s) is imported by the functions that make tables
    import pandas as pd

    from allocator.findings import CutShort, Diagnosis, ShadowPrices


class Status(StrEnum):
    """How the solve ended. Exit codes: optimal/time_limit/not_proven 0, infeasible 3,
    no_plan 4. `time_limit`: the best plan found when the time limit given was reached;
    `not_proven`: a plan without the proof of optimality for another reason, which the stages
    say (`solver.stages[].note`)."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    NOT_PROVEN = "not_proven"
    INFEASIBLE = "infeasible"
    NO_PLAN = "no_plan"

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.TIME_LIMIT, Status.NOT_PROVEN)


@dataclass(frozen=True)
class OptionResult:
    """A chosen option: how much area it adds and who pays (万元 by source id)."""

    id: str
    kind: str
    area_m2: float
    counted_area_m2: float
    capital_cost: float
    running_cost: float
    cost: float
    funding: dict[str, float]
    # With years: the year it starts, the year its area counts from, and who pays what in
    # each year ({year: {source: 万元}}).
    start_year: int | None = None
    ready_year: int | None = None
    paid_by_year: dict[int, dict[str, float]] = field(default_factory=dict)
    # A bridge lease (租赁过渡): the building it bridges and the years it is in service (its
    # area counts and its rent is paid only then; its counted_area_m2 is 0, at the plan's end).
    bridges: str | None = None
    in_service_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class YearResult:
    """One planning year: what the plan spends in it (routes' cash and staff), and at its end
    the communities meeting their target, the m2 short and the posts short."""

    year: int
    cost: float
    communities_meeting_target: int
    shortfall_m2: float
    posts_short: int | None


@dataclass(frozen=True)
class YearFundingResult:
    """Money of one source in one unit and year (万元); budget and left None where the source
    has no budget for the year (its campaign budget caps it)."""

    source: str
    source_name: str
    unit: str
    year: int
    budget: float | None
    used: float
    left: float | None


@dataclass(frozen=True)
class PostsResult:
    """A community's staff posts: now, the target, posts added by each route (add_post 增编,
    dispatch 下派, recruit 招聘), final and still short; with years, the posts each route adds
    in each year ({route: {year: n}}: first secretaries by the year sent)."""

    now: int
    target: int
    final: int
    short: int
    added: dict[str, int]
    added_by_year: dict[str, dict[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class CommunityResult:
    id: str
    name: str
    group: str
    group_name: str
    existing_area_m2: float
    target_area_m2: float
    final_area_m2: float
    shortfall_m2: float
    meets_target: bool
    must_meet: bool
    cost: float
    options: tuple[OptionResult, ...]
    # With staffing: the posts, what staff and pay cost over the horizon (万元: added posts,
    # recruits, the pay rise of every cadre in post) and who pays it, by kind and source.
    posts: PostsResult | None = None
    staff_cost: float = 0.0
    staff_funding: dict[str, dict[str, float]] = field(default_factory=dict)
    # With years: who pays the staff money of each year, {kind: {year: {source: 万元}}}.
    staff_funding_by_year: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)

    def routes_paid_wan(self) -> dict[str, float]:
        """万元 each source pays for this community's routes (premises), by source id."""
        return _summed([o.funding for o in self.options])

    def staff_paid_wan(self) -> dict[str, float]:
        """万元 each source pays for this community's staff and pay rise, by source id."""
        return _summed(list(self.staff_funding.values()))

    def paid_wan(self) -> dict[str, float]:
        """万元 each source pays for this community's routes and staff, by source id (as they
        pay)."""
        return _summed([o.funding for o in self.options] + list(self.staff_funding.values()))


def _summed(payments: list[dict[str, float]]) -> dict[str, float]:
    """Amounts by source id, added up over `payments`, in the order the sources come."""
    paid: dict[str, float] = {}
    for funding in payments:
        for source, amount in funding.items():
            paid[source] = paid.get(source, 0.0) + amount
    return paid


@dataclass(frozen=True)
class FundingResult:
    """Money of one source in one unit of its scope (万元)."""

    source: str
    source_name: str
    unit: str
    budget: float
    used: float
    left: float


@dataclass(frozen=True)
class StageResult:
    """One stage of the lexicographic solve: its objective, value, proven bound and gap, and a
    note saying what happened when it is not simply proven (why not, or how it was re-solved)."""

    objective: str
    status: str
    value: float | None
    bound: float | None
    gap: float | None
    note: str | None = None


@dataclass(frozen=True)
class SolverInfo:
    name: str
    version: str
    gap: float | None
    requested_gap: float
    time_limit_s: float | None
    runtime_s: float
    stages: tuple[StageResult, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A solved scenario. `communities`, `options` and `funding` are pandas tables."""

    scenario: str
    status: Status
    # The headline figures; None when there is no plan (infeasible, no_plan), never 0.
    total_cost: float | None
    total_shortfall_m2: float | None
    weighted_shortfall: float | None
    communities_meeting_target: int | None
    community_results: tuple[CommunityResult, ...]
    funding_results: tuple[FundingResult, ...]
    solver: SolverInfo
    input_sha256: str
    diagnosis: Diagnosis | None = None  # why there is no plan (allocator.solve adds it)
    audit: dict[str, Any] = field(default_factory=dict)
    shadow_prices: ShadowPrices | None = None  # allocator.analysis.shadow, `solve --explain`
    # 万元 of the county's own money (general money of county scope) the plan spends; None
    # when there is no plan.
    county_money_used: float | None = None
    cut_short: tuple[CutShort, ...] = ()  # parts cut short by the time limit
    # With staffing (None without): posts still short, communities meeting both standards.
    posts_short: int | None = None
    communities_meeting_both: int | None = None
    # The order of the objective and each measure's value in this plan (empty: no plan).
    objective: dict[str, Any] = field(default_factory=dict)
    # With years (None without): the years, the plan year by year, the money by year.
    years: tuple[int, ...] | None = None
    by_year: tuple[YearResult, ...] = ()
    funding_by_year: tuple[YearFundingResult, ...] = ()

    @classmethod
    def without_plan(
        cls,
        scenario: str,
        status: Status,
        solver: SolverInfo,
        input_sha256: str,
        audit: dict[str, Any],
        cut_short: tuple[CutShort, ...] = (),
    ) -> Plan:
        """An answer without a plan (infeasible, no_plan): no figures, no communities."""
        return cls(
            scenario=scenario,
            status=status,
            total_cost=None,
            total_shortfall_m2=None,
            weighted_shortfall=None,
            communities_meeting_target=None,
            community_results=(),
            funding_results=(),
            solver=solver,
            input_sha256=input_sha256,
            audit=audit,
            cut_short=cut_short,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: keys may be added, none renamed."""
        data: dict[str, Any] = {
            "scenario": self.scenario,
            "status": self.status.value,
            "total_cost": self.total_cost,
            "total_shortfall_m2": self.total_shortfall_m2,
            "weighted_shortfall": self.weighted_shortfall,
            "communities_meeting_target": self.communities_meeting_target,
            "county_money_used": self.county_money_used,
            "posts_short": self.posts_short,
            "communities_meeting_both": self.communities_meeting_both,
            "objective": self.objective,
            "years": None if self.years is None else list(self.years),
            "by_year": [asdict(y) for y in self.by_year],
            "funding_by_year": [asdict(f) for f in self.funding_by_year],
            "communities": [asdict(c) for c in self.community_results],
            "funding": [asdict(f) for f in self.funding_results],
            "solver": asdict(self.solver),
            "input_sha256": self.input_sha256,
        }
        if self.diagnosis is not None:
            data["diagnosis"] = self.diagnosis.to_dict()
        if self.audit:
            data["audit"] = self.audit
        if self.shadow_prices is not None:
            data["shadow_prices"] = self.shadow_prices.to_dict()
        if self.cut_short:
            data["cut_short"] = [asdict(c) for c in self.cut_short]
        return data

    @property
    def communities(self) -> pd.DataFrame:
        return communities_table(self)

    @property
    def options(self) -> pd.DataFrame:
        return options_table(self)

    @property
    def funding(self) -> pd.DataFrame:
        return funding_table(self)

    def __repr__(self) -> str:
        return (
            f"<Plan {self.scenario!r}: {self.status.value}, cost {_shown(self.total_cost, '.2f')} "
            f"万元, {_shown(self.communities_meeting_target, 'd')}/{len(self.community_results)} "
            f"meet target, shortfall {_shown(self.total_shortfall_m2, '.1f')} m2>"
        )

    def _repr_html_(self) -> str:
        return plan_html(self)


# Plan -> pandas tables, labelled for people in the catalogue's language. Pure: nothing printed.

COMMUNITY_COLUMNS = (
    "community_id",
    "community",
    "group",
    "existing_m2",
    "routes",
    "final_m2",
    "target_m2",
    "shortfall_m2",
    "meets_target",
    "must_meet",
    "cost_wan",
    "paid_by",
)

_OPTION_COLUMNS = (
    "community_id",
    "community",
    "option_id",
    "kind",
    "area_m2",
    "counted_area_m2",
    "capital_cost_wan",
    "running_cost_wan",
    "cost_wan",
)  # then one money column per source, `paid_<source>_wan`

FUNDING_COLUMNS = ("source_id", "source", "unit", "budget_wan", "used_wan", "left_wan")

# The staff table's columns (allocator.report.staff) and the year-by-year table's
# (allocator.report.years).
STAFF_COLUMNS = (
    "community_id",
    "community",
    "group",
    "posts_now",
    "posts_target",
    "posts_add_post",
    "posts_dispatch",
    "posts_recruit",
    "posts_final",
    "posts_short",
    "staff_cost_wan",
    "staff_paid_by",
)
STAFF_YEAR_COLUMN = "posts_by_year"  # the staff table's last column, with years only
BY_YEAR_COLUMNS = ("year", "cost_wan", "meeting", "shortfall_m2", "posts_short", "starting")

# The columns that have a label in the catalogue (`col.<column>`), each once, in the order of
# the tables.
_TABLES = (*COMMUNITY_COLUMNS, *_OPTION_COLUMNS, *FUNDING_COLUMNS, *STAFF_COLUMNS)
LABELLED = tuple(dict.fromkeys((*_TABLES, STAFF_YEAR_COLUMN, *BY_YEAR_COLUMNS)))


def kind_label(kind: str, lang: str | None = None) -> str:
    """A route kind in the planners' words (无偿划拨新建 ...; new build ... in English)."""
    return word("kind", kind, lang)


def communities_table(plan: Plan, lang: str | None = None) -> pd.DataFrame:
    """One row per community: what to do there, what it reaches, what it costs, who pays
    (routes and payers in the words of `lang`)."""
    import pandas as pd

    return pd.DataFrame(community_rows(plan, lang), columns=list(COMMUNITY_COLUMNS))


def community_rows(plan: Plan, lang: str | None = None) -> list[dict[str, Any]]:
    """The rows of `communities_table`, without pandas (the screen's table is made of them)."""
    names = {f.source: f.source_name for f in plan.funding_results}
    rows = []
    for c in plan.community_results:
        paid = c.routes_paid_wan()
        rows.append(
            {
                "community_id": c.id,
                "community": c.name,
                "group": c.group_name,
                "existing_m2": c.existing_area_m2,
                "routes": "; ".join(
                    f"{kind_label(o.kind, lang)} {o.area_m2:,.1f} m2"
                    + ("" if o.start_year is None else f" ({o.start_year})")
                    for o in c.options
                )
                or "-",
                "final_m2": c.final_area_m2,
                "target_m2": c.target_area_m2,
                "shortfall_m2": c.shortfall_m2,
                "meets_target": c.meets_target,
                "must_meet": c.must_meet,
                "cost_wan": c.cost,
                "paid_by": ", ".join(f"{names.get(s, s)} {v:,.2f}" for s, v in paid.items()) or "-",
            }
        )
    return rows


def options_table(plan: Plan) -> pd.DataFrame:
    """One row per chosen option, with one money column per funding source."""
    import pandas as pd

    sources = list(dict.fromkeys(f.source for f in plan.funding_results))
    rows = []
    for c in plan.community_results:
        for o in c.options:
            row: dict[str, Any] = {
                "community_id": c.id,
                "community": c.name,
                "option_id": o.id,
                "kind": o.kind,
                "area_m2": o.area_m2,
                "counted_area_m2": o.counted_area_m2,
                "capital_cost_wan": o.capital_cost,
                "running_cost_wan": o.running_cost,
                "cost_wan": o.cost,
            }
            row.update({f"paid_{s}_wan": o.funding.get(s, 0.0) for s in sources})
            rows.append(row)
    columns = [*_OPTION_COLUMNS, *(f"paid_{s}_wan" for s in sources)]
    return pd.DataFrame(rows, columns=columns)


def funding_table(plan: Plan) -> pd.DataFrame:
    """One row per funding source and unit: budget, used, left (万元)."""
    import pandas as pd

    return pd.DataFrame(funding_rows(plan), columns=list(FUNDING_COLUMNS))


def funding_rows(plan: Plan) -> list[dict[str, Any]]:
    """The rows of `funding_table`, without pandas."""
    return [
        {
            "source_id": f.source,
            "source": f.source_name,
            "unit": f.unit,
            "budget_wan": f.budget,
            "used_wan": f.used,
            "left_wan": f.left,
        }
        for f in plan.funding_results
    ]


def _shown(value: float | None, spec: str) -> str:
    """A headline figure for people: "—" where there is no plan."""
    return "—" if value is None else format(value, spec)


def summary(plan: Plan, lang: str | None = None) -> dict[str, Any]:
    """The headline figures of a plan, labelled for people."""
    gap = plan.solver.gap
    gap_text = say("summary.gap_unknown", lang) if gap is None else f"{gap:.2e}"
    meeting = f"{_shown(plan.communities_meeting_target, 'd')} / {len(plan.community_results)}"
    staff = {}
    if plan.posts_short is not None:
        both = f"{plan.communities_meeting_both} / {len(plan.community_results)}"
        staff = {
            say("summary.posts_short", lang): str(plan.posts_short),
            say("summary.meeting_both", lang): both,
        }
    return {
        say("summary.status", lang): word("status", plan.status.value, lang),
        say("summary.cost", lang): _shown(plan.total_cost, ",.2f"),
        say("summary.meeting", lang): meeting,
        say("summary.shortfall", lang): _shown(plan.total_shortfall_m2, ",.1f"),
        say("summary.weighted", lang): _shown(plan.weighted_shortfall, ",.1f"),
        **staff,
        say("summary.solver", lang): say(
            "summary.solver_value", lang, version=plan.solver.version, gap=gap_text
        ),
        say("summary.time", lang): f"{plan.solver.runtime_s:.2f}",
    }


def labelled(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The same table with people's column labels (for printing and CSV files)."""
    return frame.rename(columns=lambda c: column_label(c, lang))


def column_label(column: str, lang: str | None = None) -> str:
    """A column's label: `col.<column>` of the catalogue; a source's money column by name."""
    if column in LABELLED:
        return say(f"col.{column}", lang)
    if column.startswith("paid_") and column.endswith("_wan"):
        return say("col.paid_source", lang, source=column[5:-4])
    return column


def plan_html(plan: Plan, lang: str | None = None) -> str:
    """Readable notebook view: the summary, then the community and funding tables."""
    facts = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in summary(plan, lang).items()
    )
    parts = [f"<h4>{html.escape(plan.scenario)}</h4><table>{facts}</table>"]
    if plan.status.has_plan:
        parts.append(
            labelled(communities_table(plan, lang), lang).to_html(
                index=False, float_format="{:,.2f}".format
            )
        )
        parts.append(
            labelled(funding_table(plan), lang).to_html(index=False, float_format="{:,.2f}".format)
        )
    elif plan.diagnosis:
        parts.append(f"<p>{html.escape(plan.diagnosis.summary)}</p>")
    return "".join(parts)
