"""The plan: what to do where, who pays, who still falls short. Frozen records, no solver."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class Status(StrEnum):
    """How the solve ended. Exit codes: optimal/time_limit 0, infeasible 3, no_plan 4."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    INFEASIBLE = "infeasible"
    NO_PLAN = "no_plan"

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.TIME_LIMIT)


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
    """One stage of the lexicographic solve: its objective, value, proven bound and gap."""

    objective: str
    status: str
    value: float | None
    bound: float | None
    gap: float | None


@dataclass(frozen=True)
class SolverInfo:
    name: str
    version: str
    gap: float | None
    requested_gap: float
    time_limit_s: float | None
    runtime_s: float
    stages: tuple[StageResult, ...] = ()


@dataclass(frozen=True)
class Plan:
    """A solved scenario. `communities`, `options` and `funding` are pandas tables."""

    scenario: str
    status: Status
    total_cost: float
    total_shortfall_m2: float
    weighted_shortfall: float
    communities_meeting_target: int
    community_results: tuple[CommunityResult, ...]
    funding_results: tuple[FundingResult, ...]
    solver: SolverInfo
    input_sha256: str
    diagnosis: dict[str, Any] | None = None
    audit: dict[str, Any] = field(default_factory=dict)
    shadow_prices: dict[str, Any] | None = None  # allocator.shadow, with `solve --explain`

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
            data["diagnosis"] = self.diagnosis
        if self.audit:
            data["audit"] = self.audit
        if self.shadow_prices is not None:
            data["shadow_prices"] = self.shadow_prices
        return data

    @property
    def communities(self) -> pd.DataFrame:
        from allocator.report import communities_table

        return communities_table(self)

    @property
    def options(self) -> pd.DataFrame:
        from allocator.report import options_table

        return options_table(self)

    @property
    def funding(self) -> pd.DataFrame:
        from allocator.report import funding_table

        return funding_table(self)

    def __repr__(self) -> str:
        return (
            f"<Plan {self.scenario!r}: {self.status.value}, cost {self.total_cost:.2f} 万元, "
            f"{self.communities_meeting_target}/{len(self.community_results)} meet target, "
            f"shortfall {self.total_shortfall_m2:.1f} m2>"
        )

    def _repr_html_(self) -> str:
        from allocator.report import plan_html

        return plan_html(self)
