"""The plan: what to do where, who pays, who still falls short. Frozen records, no solver."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from allocator.findings import Diagnosis, ShadowPrices


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

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: keys may be added, none renamed."""
        data: dict[str, Any] = {
            "scenario": self.scenario,
            "status": self.status.value,
            "total_cost": self.total_cost,
            "total_shortfall_m2": self.total_shortfall_m2,
            "weighted_shortfall": self.weighted_shortfall,
            "communities_meeting_target": self.communities_meeting_target,
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


# Plan -> pandas tables, with bilingual labels for people. Pure: nothing is printed here.

KIND_LABELS = {
    "allocate_build": "无偿划拨新建 new build",
    "heighten": "加高改造 heighten",
    "lease": "租赁 lease",
    "asset_swap": "资产置换 asset swap",
    "integrate": "资源整合 integrate",
    "developer": "开发商提供 developer",
    "reclaim": "收回出租 reclaim",
}

# Column -> label shown in printed tables and CSV files (Chinese first, then English).
LABELS = {
    "community_id": "编号 ID",
    "community": "社区 Community",
    "group": "街道/镇 Street/town",
    "existing_m2": "现有 Existing m2",
    "routes": "方案 Routes",
    "final_m2": "建成 Final m2",
    "target_m2": "标准 Target m2",
    "shortfall_m2": "缺口 Shortfall m2",
    "meets_target": "达标 Meets",
    "must_meet": "示范点 Demo site",
    "cost_wan": "费用 Cost 万元",
    "paid_by": "资金来源 Paid by (万元)",
    "option_id": "方案编号 Option",
    "kind": "途径 Route",
    "area_m2": "面积 Area m2",
    "counted_area_m2": "计入 Counted m2",
    "capital_cost_wan": "一次性 One-off 万元",
    "running_cost_wan": "运行 Running 万元",
    "source_id": "资金编号 Source",
    "source": "资金来源 Funding source",
    "unit": "单位 Unit",
    "budget_wan": "预算 Budget 万元",
    "used_wan": "已用 Used 万元",
    "left_wan": "结余 Left 万元",
}


def communities_table(plan: Plan) -> pd.DataFrame:
    """One row per community: what to do there, what it reaches, what it costs, who pays."""
    rows = []
    for c in plan.community_results:
        paid: dict[str, float] = {}
        for option in c.options:
            for source, amount in option.funding.items():
                paid[source] = paid.get(source, 0.0) + amount
        rows.append(
            {
                "community_id": c.id,
                "community": c.name,
                "group": c.group_name,
                "existing_m2": c.existing_area_m2,
                "routes": "; ".join(f"{KIND_LABELS[o.kind]} {o.area_m2:,.1f} m2" for o in c.options)
                or "-",
                "final_m2": c.final_area_m2,
                "target_m2": c.target_area_m2,
                "shortfall_m2": c.shortfall_m2,
                "meets_target": c.meets_target,
                "must_meet": c.must_meet,
                "cost_wan": c.cost,
                "paid_by": ", ".join(f"{s} {v:,.2f}" for s, v in paid.items()) or "-",
            }
        )
    return pd.DataFrame(rows, columns=list(_COMMUNITY_COLUMNS))


_COMMUNITY_COLUMNS = (
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


def options_table(plan: Plan) -> pd.DataFrame:
    """One row per chosen option, with one money column per funding source."""
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
    columns = [
        "community_id",
        "community",
        "option_id",
        "kind",
        "area_m2",
        "counted_area_m2",
        "capital_cost_wan",
        "running_cost_wan",
        "cost_wan",
        *(f"paid_{s}_wan" for s in sources),
    ]
    return pd.DataFrame(rows, columns=columns)


def funding_table(plan: Plan) -> pd.DataFrame:
    """One row per funding source and unit: budget, used, left (万元)."""
    rows = [
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
    return pd.DataFrame(
        rows, columns=["source_id", "source", "unit", "budget_wan", "used_wan", "left_wan"]
    )


def _shown(value: float | None, spec: str) -> str:
    """A headline figure for people: "—" where there is no plan."""
    return "—" if value is None else format(value, spec)


def summary(plan: Plan) -> dict[str, Any]:
    """The headline figures of a plan, labelled for people."""
    gap = plan.solver.gap
    return {
        "状态 Status": plan.status.value,
        "总费用 Total cost 万元": _shown(plan.total_cost, ",.2f"),
        "达标社区 Communities meeting target": (
            f"{_shown(plan.communities_meeting_target, 'd')} / {len(plan.community_results)}"
        ),
        "总缺口 Total shortfall m2": _shown(plan.total_shortfall_m2, ",.1f"),
        "加权缺口 Weighted shortfall": _shown(plan.weighted_shortfall, ",.1f"),
        "求解器 Solver": f"{plan.solver.version}, gap {'unknown' if gap is None else f'{gap:.2e}'}",
        "用时 Time s": f"{plan.solver.runtime_s:.2f}",
    }


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The same table with people's column labels (for printing and CSV files)."""
    return frame.rename(columns=lambda c: LABELS.get(c, _paid_label(c)))


def _paid_label(column: str) -> str:
    if column.startswith("paid_") and column.endswith("_wan"):
        return f"{column[5:-4]} 万元"
    return column


def plan_html(plan: Plan) -> str:
    """Readable notebook view: the summary, then the community and funding tables."""
    facts = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in summary(plan).items()
    )
    parts = [f"<h4>{html.escape(plan.scenario)}</h4><table>{facts}</table>"]
    if plan.status.has_plan:
        parts.append(
            labelled(communities_table(plan)).to_html(index=False, float_format="{:,.2f}".format)
        )
        parts.append(
            labelled(funding_table(plan)).to_html(index=False, float_format="{:,.2f}".format)
        )
    elif plan.diagnosis:
        parts.append(f"<p>{html.escape(plan.diagnosis.summary)}</p>")
    return "".join(parts)
