"""The entries of shadow prices, row by row: the LP price of moving one or more rows' bounds
together (the duals read stage by stage, with how far they hold), the re-solve's figures, the
verdict on the two (which to trust, and why) and what the trusted figures buy, in words. Read
by `allocator.analysis.shadow` (budgets, targets) and `allocator.analysis.shadow_years` (each
year's budget, the staff limits)."""

from __future__ import annotations

from dataclasses import dataclass

from allocator.analysis.price_model import POSTS, LpDuals, MoveResult, PriceModel
from allocator.findings import LpPrice, Resolved, Trust

_AGREE_ABS, _AGREE_REL = 2e-3, 1e-3


@dataclass(frozen=True)
class Priced:
    """How an entry reads its row's prices: the sign that turns the row's duals and
    differences into what one more unit gains, and the step's unit."""

    sign: float
    unit: str


BUDGET = Priced(-1.0, "万元")
TARGET = Priced(1.0, "m2")
LIMIT = Priced(-1.0, "post")


@dataclass(frozen=True)
class Verdict:
    agree: bool | None
    trust: Trust
    why: str


def lp_price(prices: PriceModel, priced: Priced, rows: tuple[str, ...], duals: LpDuals) -> LpPrice:
    """The LP price of moving the bounds of `rows` together by one unit: the sum of their
    duals, read at the first stage where it is not zero (the last stage where none is)."""
    per_stage = [_clean(priced.sign * sum(d[row] for row in rows)) for d in duals.duals]
    at = next((i for i, value in enumerate(per_stage) if value), len(per_stage) - 1)
    measures = zip(duals.measures, per_stage, strict=True)
    figures = {m: v if i <= at else None for i, (m, v) in enumerate(measures)}
    return LpPrice(
        shortfall_m2=per_stage[0],
        cost_wan=figures["total_cost"],
        holds_for=_holds(prices, priced, rows, duals.ranges[at]),
        posts_short=figures.get(POSTS),
        posts_priced=POSTS in duals.measures,
    )


def _holds(
    prices: PriceModel, priced: Priced, rows: tuple[str, ...], ranges: dict[str, float | None]
) -> float | None:
    """How far the bounds of `rows` may rise together with the same price. One row: HiGHS's
    ranging. Several: the 100% rule, rises of t on each row hold while the sum of t over each
    row's own range is at most 1 (rows whose price holds for any rise left out)."""
    lp = prices.lp
    extras = []
    for row in rows:
        i = lp.rows[row]
        now = float(lp.row_upper[i] if priced.sign < 0 else lp.row_lower[i])
        extras.append(_extra(ranges.get(row), now))
    known = [e for e in extras if e is not None]
    if not known:
        return None
    if len(rows) == 1 or min(known) <= 0:
        return min(known)
    return _clean(1.0 / sum(1.0 / e for e in known))


def resolved_price(priced: Priced, move: MoveResult | None) -> Resolved | None:
    if move is None:
        return None
    if not move.feasible:
        return Resolved(step=move.step, feasible=False)
    first = _clean(priced.sign * move.d_shortfall)
    posts = None if first or move.d_posts is None else _clean(priced.sign * move.d_posts)
    return Resolved(
        step=move.step,
        shortfall_m2=first,
        cost_wan=None if first or posts else _clean(priced.sign * move.d_cost),
        routes_in=move.routes_in,
        routes_out=move.routes_out,
        posts_short=posts,
        posts_priced=move.d_posts is not None,
        posts_changed=move.posts_changed,
    )


def compare(lp: LpPrice, fd: Resolved | None, step: float, unit: str) -> Verdict:
    """Do the two agree, and if not, why and which to trust."""
    if fd is None:
        return Verdict(None, Trust.LP, "no finite difference computed")
    if not fd.feasible:
        return Verdict(
            False,
            Trust.FINITE_DIFFERENCE,
            f"with {step:g} {unit} more there is no plan at all: the LP price holds "
            "only below that, if at all",
        )
    pairs = ((lp.shortfall_m2, fd.shortfall_m2), (lp.posts_short, fd.posts_short),
             (lp.cost_wan, fd.cost_wan))  # fmt: skip
    if all(_close(a, b) for a, b in pairs):
        return Verdict(True, Trust.BOTH, "the LP price and the re-solve agree")
    if fd.routes_in or fd.routes_out or fd.posts_changed:
        moves = ", ".join(
            [f"+{r}" for r in fd.routes_in]
            + [f"-{r}" for r in fd.routes_out]
            + [f"posts {p}" for p in fd.posts_changed]
        )
        why = (
            f"{step:g} {unit} more changes the routes ({moves}): a jump the LP with the "
            "plan's routes fixed cannot see. Trust the finite difference for a change of "
            "this size; the LP price is the rate only while the routes stay as they are"
        )
    elif lp.holds_for is not None and lp.holds_for < step - 1e-9:
        why = (
            f"the LP price holds for {lp.holds_for:g} {unit} only, less than the step "
            f"of {step:g}: trust the LP price below {lp.holds_for:g} {unit} and the "
            "finite difference for the full step"
        )
    else:
        why = (
            "the LP is degenerate here (more than one price fits this plan): trust the "
            "finite difference, which is what the step really does"
        )
    return Verdict(False, Trust.FINITE_DIFFERENCE, why)


def trusted(lp: LpPrice, fd: Resolved | None, trust: Trust) -> tuple[LpPrice | Resolved, float]:
    """The figures to quote (the re-solve where it is the one to trust) and their step."""
    if trust == Trust.FINITE_DIFFERENCE and fd is not None:
        return fd, fd.step
    return lp, 1.0


def gain_words(where: str, values: LpPrice | Resolved, step: float, unit: str = "万元") -> str:
    """What `step` more of a budget (or of a staff limit, `unit` "post") buys, in words."""
    if unit == "万元":
        more = "one more 万元" if step == 1 else f"{step:g} 万元 more"
    else:
        more = f"one more {unit}" if step == 1 else f"{step:g} {unit}s more"
    if isinstance(values, Resolved) and not values.feasible:
        return f"{more} of {where}: no plan"
    if values.shortfall_m2:
        cut = values.shortfall_m2 * step
        return f"{more} of {where} cuts the weighted shortfall by {cut:.3g} m2"
    if values.posts_short:
        return f"{more} of {where} cuts the posts short by {values.posts_short * step:.3g}"
    saving = values.cost_wan or 0.0
    if saving:
        return f"{more} of {where} saves {saving * step:.3g} 万元 of cost"
    return f"{more} of {where} buys nothing"


def _extra(bound: float | None, now: float) -> float | None:
    if bound is None or bound != bound:  # unknown or NaN
        return None
    if bound >= 1e29:
        return None  # never changes
    return _clean(bound - now)


def _close(a: float | None, b: float | None) -> bool:
    a, b = a or 0.0, b or 0.0
    return abs(a - b) <= _AGREE_ABS + _AGREE_REL * max(abs(a), abs(b))


def _clean(value: float) -> float:
    """Five decimals; below 1e-5 is zero (the cost stage keeps W to 1e-6 m2, and HiGHS works
    to 1e-7: differences of W and C carry noise of that size)."""
    rounded = round(value, 5)
    return 0.0 if abs(rounded) < 1e-5 else rounded
