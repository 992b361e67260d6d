"""What the analysis finds about a plan, as frozen records: why there is no plan (`Diagnosis`)
and what more money or more target would do (`ShadowPrices`).

A plan carries them (`Plan.diagnosis`, `Plan.shadow_prices`), so they sit beside the plan at
the bottom of the package and import nothing from it; `allocator.analysis` computes them. Each
`to_dict()` is the JSON contract, key for key: keys may be added, none renamed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, NamedTuple


def _plain(value: Any) -> Any:
    """An `asdict` result as JSON would hold it: tuples as lists, enums as their values."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


@dataclass(frozen=True)
class CutShort:
    """A part of a command cut short by its time limit: `part` (solve, diagnosis,
    shadow_prices, explanation of a community, alternatives...), `how` ("time_limit": the best
    found in the time given; "stopped": ended at the limit; "skipped": no time was left) and
    what that means."""

    part: str
    how: str
    note: str


# --- why there is no plan -----------------------------------------------------------------
@dataclass(frozen=True)
class Conflict:
    """One rule of a smallest conflicting set, as a scenario entry and in words."""

    rule: str  # the rule family: must_meet, budget, locked, max_area, excludes ...
    community: str | None
    option: str | None
    source: str | None
    unit: str | None
    file: str
    line: int | None
    entry: str
    field: str
    text: str
    where: str  # file, line, entry and field, as an input problem names them
    place: str = ""  # in a workbook: the cell and its column header (`社区!E7 (示范点)`)


@dataclass(frozen=True)
class Repair:
    """Extra money for one source in one unit, 万元 (rounded up to 0.01)."""

    source: str
    source_name: str
    unit: str
    budget: float
    extra_budget: float


@dataclass(frozen=True)
class UnitRepair:
    unit: str
    extra_budget: float


@dataclass(frozen=True)
class SourceRepair:
    """The least extra money when only this source's budgets move; `possible` is None when
    not settled in the time given."""

    source: str
    source_name: str
    possible: bool | None
    units: tuple[UnitRepair, ...]
    total_extra: float


@dataclass(frozen=True)
class Shortfall:
    """A demonstration site whose routes cannot reach its target whatever the money."""

    community: str
    name: str
    target_m2: float
    reachable_m2: float
    missing_m2: float
    relax: tuple[str, ...]  # the rules whose relaxing would let it reach (or come closer)


@dataclass(frozen=True)
class Diagnosis:
    """Why a scenario has no plan, and the cheapest ways to give it one."""

    conflicts: tuple[Conflict, ...]
    repairs: tuple[Repair, ...]
    short_m2: tuple[Shortfall, ...]
    money_can_repair: bool | None  # None: not settled in the time given
    repairs_total_wan: float
    repairs_by_source: tuple[SourceRepair, ...]
    conflict_method: str
    conflict_minimal: bool
    runtime_s: float
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))

    def __str__(self) -> str:
        return self.summary


# --- what more money or more target would do ----------------------------------------------
class Trust(StrEnum):
    """Which price to quote: the LP price, the re-solve (finite difference), or both."""

    LP = "lp"
    FINITE_DIFFERENCE = "finite_difference"
    BOTH = "both"


class PriceKeys(NamedTuple):
    """The JSON names of a price's figures, which say the unit: per 万元 of a budget, per m2
    of a target, per post of a staff limit."""

    shortfall: str
    cost: str
    holds_for: str
    step: str
    posts: str = ""


BUDGET_KEYS = PriceKeys(
    "shortfall_reduction_m2_per_wan",
    "cost_saving_wan_per_wan",
    "holds_for_extra_wan",
    "step_wan",
    "posts_short_reduction_per_wan",
)
TARGET_KEYS = PriceKeys(
    "shortfall_m2_per_m2", "cost_wan_per_m2", "holds_for_extra_m2", "step_m2", "posts_short_per_m2"
)
LIMIT_KEYS = PriceKeys(
    "shortfall_reduction_m2_per_post",
    "cost_saving_wan_per_post",
    "holds_for_extra_posts",
    "step_posts",
    "posts_short_reduction_per_post",
)


@dataclass(frozen=True)
class LpPrice:
    """The duals with the plan's routes fixed, per unit (万元 of a budget, m2 of a target,
    post of a staff limit).

    `shortfall_m2`: m2 of weighted shortfall cut (a budget, a limit) or added (a target);
    `posts_short`, when the plan counts staff (`posts_priced`) and the shortfall does not move:
    posts short cut (a budget, a limit) or added (a target); `cost_wan`, only where neither
    moves: 万元 of cost saved (a budget, a limit) or spent (a target); `holds_for`: how far the
    bound may rise with these prices (None: no limit known). The posts' key is in the JSON
    only when the plan counts staff.
    """

    shortfall_m2: float
    cost_wan: float | None
    holds_for: float | None
    posts_short: float | None = None
    posts_priced: bool = False

    def to_dict(self, keys: PriceKeys) -> dict[str, Any]:
        data: dict[str, Any] = {keys.shortfall: self.shortfall_m2}
        if self.posts_priced:
            data[keys.posts] = self.posts_short
        return {**data, keys.cost: self.cost_wan, keys.holds_for: self.holds_for}


@dataclass(frozen=True)
class Resolved:
    """The whole MIP re-solved with the bound moved by `step`: the same figures as `LpPrice`
    per unit, the routes that come in and leave and, with staff, the posts each staff route
    adds more or fewer over the county (`posts_changed`, "dispatch+1"); `feasible` False when
    no plan is left."""

    step: float
    feasible: bool = True
    shortfall_m2: float | None = None
    cost_wan: float | None = None
    routes_in: tuple[str, ...] = ()
    routes_out: tuple[str, ...] = ()
    posts_short: float | None = None
    posts_priced: bool = False
    posts_changed: tuple[str, ...] = ()

    def to_dict(self, keys: PriceKeys) -> dict[str, Any]:
        if not self.feasible:
            return {keys.step: self.step, "feasible": False}
        data: dict[str, Any] = {keys.step: self.step, keys.shortfall: self.shortfall_m2}
        if self.posts_priced:
            data[keys.posts] = self.posts_short
        data |= {
            keys.cost: self.cost_wan,
            "routes_in": list(self.routes_in),
            "routes_out": list(self.routes_out),
        }
        if self.posts_priced:
            data["posts_changed"] = list(self.posts_changed)
        return data


def _priced(
    lp: LpPrice, resolved: Resolved | None, keys: PriceKeys, verdict: dict[str, Any]
) -> dict[str, Any]:
    data: dict[str, Any] = {"lp": lp.to_dict(keys)}
    if resolved is not None:
        data["finite_difference"] = resolved.to_dict(keys)
    return {**data, **_plain(verdict)}


@dataclass(frozen=True)
class BudgetPrice:
    """What more money in one source's budget in one unit buys."""

    source: str
    source_name: str
    unit: str
    budget: float
    used: float
    binding: bool
    lp: LpPrice
    finite_difference: Resolved | None
    agree: bool | None  # None: no re-solve to compare with
    trust: Trust
    why: str
    buys: str  # in words, from the price to trust

    def to_dict(self) -> dict[str, Any]:
        head = {
            "source": self.source,
            "source_name": self.source_name,
            "unit": self.unit,
            "budget": self.budget,
            "used": self.used,
            "binding": self.binding,
        }
        verdict = {"agree": self.agree, "trust": self.trust, "why": self.why}
        priced = _priced(self.lp, self.finite_difference, BUDGET_KEYS, verdict)
        return {**head, **priced, "buys": self.buys}


@dataclass(frozen=True)
class TargetPrice:
    """What one more m2 of one community's target costs."""

    community: str
    name: str
    target_area_m2: float
    meets_target: bool
    must_meet: bool
    lp: LpPrice
    finite_difference: Resolved | None
    agree: bool | None
    trust: Trust
    why: str
    costs: str  # in words, from the price to trust

    def to_dict(self) -> dict[str, Any]:
        head = {
            "community": self.community,
            "name": self.name,
            "target_area_m2": self.target_area_m2,
            "meets_target": self.meets_target,
            "must_meet": self.must_meet,
        }
        verdict = {"agree": self.agree, "trust": self.trust, "why": self.why}
        priced = _priced(self.lp, self.finite_difference, TARGET_KEYS, verdict)
        return {**head, **priced, "costs": self.costs}


@dataclass(frozen=True)
class YearBudgetPrice:
    """What one more 万元 in one year's budget (`budget_by_year`) of one source in one unit
    buys: approved in `year` (with `carry_over`, to spend then or in a later year), the
    source's campaign `budget` unchanged.

    `lp` is the price of that 万元: with carry_over the duals of the cumulative rows of the
    year and of every later year added up (the money counts in each), else the year's row's.
    `by_then`, with carry_over only, is the dual of the year's cumulative row alone: one more
    万元 that may be spent in the year or earlier, what may be spent by each later year
    unchanged (money brought forward from a later year); `means` says so in words.
    """

    source: str
    source_name: str
    unit: str
    year: int
    budget: float  # the year's approval
    used: float  # spent in the year
    carry_over: bool
    binding: bool  # the plan spends all the year's money (with carry_over: all approved by then)
    lp: LpPrice
    by_then: LpPrice | None
    finite_difference: Resolved | None
    agree: bool | None
    trust: Trust
    why: str
    buys: str
    means: str

    def to_dict(self) -> dict[str, Any]:
        head = {
            "source": self.source,
            "source_name": self.source_name,
            "unit": self.unit,
            "year": self.year,
            "budget": self.budget,
            "used": self.used,
            "carry_over": self.carry_over,
            "binding": self.binding,
        }
        verdict = {"agree": self.agree, "trust": self.trust, "why": self.why}
        priced = _priced(self.lp, self.finite_difference, BUDGET_KEYS, verdict)
        if self.by_then is not None:
            priced["by_then"] = self.by_then.to_dict(BUDGET_KEYS)
        return {**head, **priced, "buys": self.buys, "means": self.means}


@dataclass(frozen=True)
class StaffLimitPrice:
    """What one more post in a staff limit buys: the county's quota of added posts
    (post_quota, 增编), its pool of first secretaries (dispatch_pool, 下派) or its limit of
    recruits (recruit_limit, 招聘); `year` None for the campaign's limit, else that year's
    (`quota_by_year`, `pool_by_year`, `most_by_year`)."""

    limit: str  # the rule family
    route: str  # add_post, dispatch, recruit
    year: int | None
    most: float
    used: float
    binding: bool
    lp: LpPrice
    finite_difference: Resolved | None
    agree: bool | None
    trust: Trust
    why: str
    buys: str

    def to_dict(self) -> dict[str, Any]:
        head = {
            "limit": self.limit,
            "route": self.route,
            "year": self.year,
            "most": self.most,
            "used": self.used,
            "binding": self.binding,
        }
        verdict = {"agree": self.agree, "trust": self.trust, "why": self.why}
        priced = _priced(self.lp, self.finite_difference, LIMIT_KEYS, verdict)
        return {**head, **priced, "buys": self.buys}


PriceEntry = BudgetPrice | TargetPrice | YearBudgetPrice | StaffLimitPrice


@dataclass(frozen=True)
class PricingMethod:
    """How the two prices were found, and which to trust, in words."""

    lp: str
    finite_difference: str
    which_to_trust: str


@dataclass(frozen=True)
class ShadowPrices:
    """Prices of budget units and community targets, and with years and staff of each year's
    budget and of the staff limits (in the JSON only when there are some: `budgets_by_year`,
    `staff_limits`); without a plan, none (and no method)."""

    status: str  # the priced plan's status (a `Status` value)
    summary: str
    budgets: tuple[BudgetPrice, ...] = ()
    targets: tuple[TargetPrice, ...] = ()
    method: PricingMethod | None = None
    weighted_shortfall: float | None = None  # of the LP with the plan's routes fixed
    total_cost: float | None = None
    runtime_s: float | None = None
    cut_short: tuple[CutShort, ...] = ()  # what the time limit cut short
    year_budgets: tuple[YearBudgetPrice, ...] = ()
    staff_limits: tuple[StaffLimitPrice, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = self._dict()
        if self.year_budgets:
            data["budgets_by_year"] = [b.to_dict() for b in self.year_budgets]
        if self.staff_limits:
            data["staff_limits"] = [s.to_dict() for s in self.staff_limits]
        if self.cut_short:
            data["cut_short"] = [asdict(c) for c in self.cut_short]
        return data

    def _dict(self) -> dict[str, Any]:
        budgets = [b.to_dict() for b in self.budgets]
        targets = [t.to_dict() for t in self.targets]
        if self.method is None:
            return {
                "status": self.status,
                "summary": self.summary,
                "budgets": budgets,
                "targets": targets,
            }
        return {
            "status": self.status,
            "method": asdict(self.method),
            "weighted_shortfall": self.weighted_shortfall,
            "total_cost": self.total_cost,
            "budgets": budgets,
            "targets": targets,
            "runtime_s": self.runtime_s,
            "summary": self.summary,
        }

    def __str__(self) -> str:
        return self.summary
