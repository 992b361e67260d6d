"""Shadow prices of each year's budget and of the staff limits, beside those of
`allocator.analysis.shadow` (which prices them in the same pass, with the same two ways and the
same trust words).

- A year's budget (`budget_by_year`, rule family (30), rows `budget_in.<source>.<unit>.<year>`):
  what one more 万元 approved in that year buys, the source's campaign `budget` unchanged.
  Without `carry_over` the year's row caps what the unit spends in the year, and its dual is the
  price. With `carry_over` the rows are cumulative (what is spent by the end of year t <= what
  is approved by then): a 万元 approved in t counts in the row of t and of every later year, so
  its LP price is the sum of their duals, and the finite difference raises all of them. The
  dual of the year's row alone is reported too (`by_then`): one more 万元 that may be spent in
  that year or earlier, what may be spent by each later year unchanged, which is money brought
  forward from a later year's approval.
- A staff limit ((22)-(24): the county's quota of added posts, its pool of first secretaries,
  its limit of recruits, for the campaign or a year): what one more post in it buys. The posts
  are integer decisions, fixed in the LP: its price there is nearly always zero, and the finite
  difference (routes and posts free) is the one that says what one more post does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allocator.analysis.price_entries import (
    BUDGET,
    LIMIT,
    compare,
    gain_words,
    lp_price,
    resolved_price,
    trusted,
)
from allocator.analysis.price_model import STAFF_LIMITS, LpDuals, Move, MoveResult, PriceModel
from allocator.findings import StaffLimitPrice, YearBudgetPrice
from allocator.model.terms import name_of
from allocator.plan import Plan
from allocator.scenario.schema import COUNTY_UNIT

LIMIT_FAMILIES = {family: route for family, (route, _) in STAFF_LIMITS.items()}
_LIMIT_WORDS = {
    "post_quota": "the county's quota of added posts (增编)",
    "dispatch_pool": "the county's pool of first secretaries (下派)",
    "recruit_limit": "the county's limit of recruits (招聘)",
}


@dataclass(frozen=True)
class YearLever:
    """One year's budget of a source in a unit, and the rows one more 万元 of it raises."""

    source: str
    unit: str
    year: int
    rows: tuple[str, ...]  # the year's row first, then (carry_over) every later year's
    own_row: str | None  # the year's own row (None: nothing is spent by then)
    budget: float
    used: float
    carry_over: bool
    binding: bool  # the plan spends all the year's money (with carry_over: all approved by then)


@dataclass(frozen=True)
class LimitLever:
    """One staff limit's row: its family, the year (None: the campaign's) and its number."""

    family: str
    year: int | None
    row: str
    most: float


@dataclass(frozen=True)
class Levers:
    """The years' budgets and the staff limits of a scenario, and the moves that price them."""

    years: tuple[YearLever, ...] = ()
    limits: tuple[LimitLever, ...] = ()
    step_wan: float = 1.0
    moves: list[Move] = field(default_factory=list)

    @classmethod
    def of(cls, prices: PriceModel, plan: Plan, step_wan: float) -> Levers:
        years = tuple(_year_levers(prices, plan))
        limits = tuple(_limit_levers(prices))
        moves = [Move(y.rows[0], "upper", step_wan, y.rows[1:]) for y in years]
        moves += [Move(limit.row, "upper", 1.0) for limit in limits]
        return cls(years, limits, step_wan, moves)

    def entries(
        self, prices: PriceModel, duals: LpDuals, moved: dict[str, MoveResult]
    ) -> tuple[tuple[YearBudgetPrice, ...], tuple[StaffLimitPrice, ...]]:
        years = tuple(_year_entry(prices, y, duals, moved, self.step_wan) for y in self.years)
        limits = tuple(_limit_entry(prices, limit, duals, moved) for limit in self.limits)
        return years, limits


def _year_levers(prices: PriceModel, plan: Plan) -> list[YearLever]:
    scenario = prices.scenario
    rows = set(prices.lp.rows)
    spent = {(f.source, f.unit, f.year): f.used for f in plan.funding_by_year}
    levers = []
    for rule in prices.model.rules:
        if rule.family != "budget_by_year":
            continue
        source_id, unit = rule.key
        source = next(s for s in scenario.funding if s.id == source_id)
        named = {t: name_of("budget_in", source_id, unit, str(t)) for t in scenario.years}
        for t in scenario.years:
            later = [t2 for t2 in scenario.years if t2 >= t] if source.carry_over else [t]
            moved = tuple(named[t2] for t2 in later if named[t2] in rows)
            if not moved:
                continue  # nothing of the unit can be spent in the year: no price
            own = named[t] if named[t] in rows else None
            budget = (source.budget_by_year or {}).get(t, 0.0)
            used = spent.get((source_id, unit, t), 0.0)
            by_then = [t2 for t2 in scenario.years if t2 <= t] if source.carry_over else [t]
            approved = sum((source.budget_by_year or {}).get(t2, 0.0) for t2 in by_then)
            paid = sum(spent.get((source_id, unit, t2), 0.0) for t2 in by_then)
            levers.append(YearLever(source_id, unit, t, moved, own, budget, used,
                                    source.carry_over, approved - paid <= 1e-6))  # fmt: skip
    return levers


def _limit_levers(prices: PriceModel) -> list[LimitLever]:
    lp, levers = prices.lp, []
    for rule in prices.model.rules:
        if rule.family not in LIMIT_FAMILIES or not rule.rows:
            continue
        row = rule.rows[0].name
        if row not in lp.rows:
            continue
        year = None if rule.key[0] == "county" else int(rule.key[0])
        levers.append(LimitLever(rule.family, year, row, float(lp.row_upper[lp.rows[row]])))
    return levers


def _year_entry(
    prices: PriceModel,
    lever: YearLever,
    duals: LpDuals,
    moved: dict[str, MoveResult],
    step_wan: float,
) -> YearBudgetPrice:
    lp = lp_price(prices, BUDGET, lever.rows, duals)
    by_then = None
    if lever.carry_over and lever.own_row is not None:
        by_then = lp_price(prices, BUDGET, (lever.own_row,), duals)
    resolved = resolved_price(BUDGET, moved.get(lever.rows[0]))
    verdict = compare(lp, resolved, step_wan, BUDGET.unit)
    where = lever.source + ("" if lever.unit == COUNTY_UNIT else f" in {lever.unit}")
    where += f" in {lever.year}"
    return YearBudgetPrice(
        source=lever.source,
        source_name=next(s.name for s in prices.scenario.funding if s.id == lever.source),
        unit=lever.unit,
        year=lever.year,
        budget=lever.budget,
        used=lever.used,
        carry_over=lever.carry_over,
        binding=lever.binding,
        lp=lp,
        by_then=by_then,
        finite_difference=resolved,
        agree=verdict.agree,
        trust=verdict.trust,
        why=verdict.why,
        buys=gain_words(where, *trusted(lp, resolved, verdict.trust)),
        means=_means(prices, lever),
    )


def _means(prices: PriceModel, lever: YearLever) -> str:
    """What the year's price is, in words: which rows it reads, and what `by_then` is."""
    campaign = prices.budgets.get((lever.source, lever.unit))
    kept = "" if campaign is None else f"; the campaign's budget stays {campaign:g} 万元"
    if not lever.carry_over:
        return (
            f"money of {lever.year} is spent in {lever.year} only: the price is the dual of "
            f"the year's row {lever.rows[0]}{kept}"
        )
    last = lever.rows[-1]
    return (
        f"money left is carried over: one more 万元 approved in {lever.year} may be spent in "
        f"{lever.year} or later, so the price adds up the duals of the cumulative rows "
        f"{lever.rows[0]} to {last} and the re-solve raises them all{kept}. by_then is the "
        f"dual of the {lever.year} row alone: one more 万元 that may be spent in {lever.year} "
        "or earlier, what may be spent by each later year unchanged (money brought forward "
        "from a later year)"
    )


def _limit_entry(
    prices: PriceModel, lever: LimitLever, duals: LpDuals, moved: dict[str, MoveResult]
) -> StaffLimitPrice:
    lp = lp_price(prices, LIMIT, (lever.row,), duals)
    resolved = resolved_price(LIMIT, moved.get(lever.row))
    verdict = compare(lp, resolved, 1.0, "post")
    where = _LIMIT_WORDS[lever.family] + ("" if lever.year is None else f" in {lever.year}")
    used = duals.activity[lever.row]
    return StaffLimitPrice(
        limit=lever.family,
        route=LIMIT_FAMILIES[lever.family],
        year=lever.year,
        most=lever.most,
        used=round(used, 6),
        binding=lever.most - used <= 1e-6,
        lp=lp,
        finite_difference=resolved,
        agree=verdict.agree,
        trust=verdict.trust,
        why=verdict.why,
        buys=gain_words(where, *trusted(lp, resolved, verdict.trust), unit="post"),
    )
