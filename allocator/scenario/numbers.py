"""Numbers as a person reads them, and the most a scenario can plausibly hold.

A number field takes a number: 450, 0.22, 1e3, or the same written in quotes ("450"). Anything
else is refused with what to write instead, never read as some other number:

- true/false (and yes/no, on/off, which the reader keeps as text) are answers, not amounts;
- forms some programs read as numbers in other bases or with separators are refused with the
  decimal amount they would give: 0x1C2 (write 450), 0o17, 0b101, 7:30 (base 60, 450),
  1_000 (write 1000), 1,200 (write 1200), ３６００ (full-width, write 3600);
- a unit after the number (450万元, 280平方米, 80%) is refused: units are fixed by the field.

Each amount has a plausible maximum in its unit (`MAXIMA`): far above any real county, far
below what breaks the solver (1e15 and up once did), and low enough to catch amounts written in
元 where the format wants 万元 (a cost of 2,500 per m2 is 2,500 元, i.e. 0.25 万元).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from allocator.catalogue import say

_DECIMAL = re.compile(r"\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*")
_UNDERSCORED = re.compile(r"[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?")
_THOUSANDS = re.compile(r"[-+]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_BASES = {"0x": 16, "0o": 8, "0b": 2}
_LEADING_NUMBER = re.compile(r"\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))\s*([^\s0-9][^0-9]*)")
_ANSWERS = {"yes", "no", "on", "off", "y", "n", "true", "false", "是", "否"}


@dataclass(frozen=True)
class Maximum:
    """The most a field may hold, in its unit, and a word on how to write it."""

    value: float
    unit: str
    advice: str = ""
    mistaken: str = ""  # the unit a value above the maximum was likely written in

    def check(self, amount: float) -> float:
        if amount > self.value:
            raise ValueError(
                f"must be at most {_plain(self.value)} {self.unit}{self.advice}{self._fix(amount)}"
            )
        return amount

    def _fix(self, amount: float) -> str:
        """'; 疑为以 元/m² 填写，若是请改为 0.25' for a value likely written in another unit."""
        if not self.mistaken:
            return ""
        monthly = self.mistaken == "元/m²/月" and amount <= 100
        written = self.mistaken if monthly or self.mistaken != "元/m²/月" else "元/m²/年"
        converted = amount * 12 / 1e4 if monthly else amount / 1e4
        return f"; 疑为以 {written} 填写，若是请改为 {converted:.6g}"


MAXIMA = {
    "money": Maximum(1e7, "万元", " (1,000 亿元): amounts are in 万元, 10,000 yuan", "元"),
    "cost_per_m2": Maximum(
        100, "万元 per m2", ": costs are in 万元, so 2,200 元/m2 is 0.22", "元/m²"
    ),
    "rent_per_m2": Maximum(
        10,
        "万元 per m2 per year",
        ": rents are in 万元 a year, so 15 元/m2 a month is 0.018",
        "元/m²/月",
    ),
    "area": Maximum(1e5, "m2", " (10 hectares of floor space)"),
    "per_household": Maximum(100, "m2 per household"),
    "households": Maximum(1e6, "households"),
    "priority": Maximum(1e3, "(a weight: 1 is usual, 2 counts a community's shortfall twice)"),
    "years": Maximum(100, "years"),
    "count": Maximum(1e3, "routes"),
    "funded": Maximum(1e6, "routes"),
    "posts": Maximum(1e4, "posts"),
    "pay_per_month": Maximum(1e5, "元 per person per month"),
}


def plain_number(value: Any) -> Any:
    """Let a number, or a number written in quotes, through; refuse anything else with what to
    write instead (pydantic would read True as 1 and '1_000' as 1000)."""
    if isinstance(value, bool):
        raise ValueError(say("input.bool_not_number", value=str(value).lower()))
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise ValueError(number_hint(value))
    return value


def number_hint(text: str) -> str:
    """What is wrong with `text` as a number, and what to write instead."""
    bare = text.strip()
    lowered = bare.lower()
    sign = -1 if bare.startswith("-") else 1
    digits = bare.lstrip("+-").lower()
    if lowered in _ANSWERS:
        return say("input.answer_not_number", text=bare)
    if digits[:2] in _BASES and len(digits) > 2:
        base = _BASES[digits[:2]]
        try:
            value = sign * int(digits[2:], base)
        except ValueError:
            pass
        else:
            return say("input.other_base", base=say(f"input.base_{base}"), value=value)
    if _SEXAGESIMAL.fullmatch(bare):
        return say("input.base_60", value=_plain(sign * _base60(digits)))
    if "_" in bare and _UNDERSCORED.fullmatch(bare):
        return say("input.underscores", value=bare.replace("_", ""))
    if _THOUSANDS.fullmatch(bare):
        return say("input.thousands", value=bare.replace(",", ""))
    folded = _fold_width(bare)
    if folded != bare and _DECIMAL.fullmatch(folded):
        return say("input.full_width", value=folded.strip())
    unit = _LEADING_NUMBER.fullmatch(folded)
    if unit:
        number, rest = unit.groups()
        if rest == "%":
            return say("input.percent", value=_plain(float(number) / 100), text=bare)
        return say("input.unit_after", value=number, unit=rest)
    return say("input.not_number")


def _base60(digits: str) -> float:
    value = 0.0
    for part in digits.replace("_", "").split(":"):
        value = value * 60 + float(part)
    return value


def _fold_width(text: str) -> str:
    """Full-width digits, signs and points (０-９, ＋, －, ．) as their ASCII forms."""
    return text.translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}).replace("。", ".")


def _plain(value: float) -> str:
    """450, 0.25, 10,000,000: a number as a person writes it."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.10g}"


def _capped(kind: str) -> AfterValidator:
    return AfterValidator(MAXIMA[kind].check)


def _bounds(kind: str, **limits: float) -> Any:
    return Field(allow_inf_nan=False, json_schema_extra={"maximum": MAXIMA[kind].value}, **limits)


def _counted(kind: str, **limits: int) -> Any:
    return Field(json_schema_extra={"maximum": int(MAXIMA[kind].value)}, **limits)


_NUMBER = BeforeValidator(plain_number)

# The number types of the format: each a plain number, finite, within its plausible maximum.
# (Constraints first: a validator wraps the metadata written before it.)
Money = Annotated[float, _bounds("money", ge=0), _NUMBER, _capped("money")]
CostPerM2 = Annotated[float, _bounds("cost_per_m2", ge=0), _NUMBER, _capped("cost_per_m2")]
RentPerM2 = Annotated[float, _bounds("rent_per_m2", ge=0), _NUMBER, _capped("rent_per_m2")]
Area = Annotated[float, _bounds("area", ge=0), _NUMBER, _capped("area")]
PositiveArea = Annotated[float, _bounds("area", gt=0), _NUMBER, _capped("area")]
PerHousehold = Annotated[float, _bounds("per_household", gt=0), _NUMBER, _capped("per_household")]
Priority = Annotated[float, _bounds("priority", gt=0), _NUMBER, _capped("priority")]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), _NUMBER]
AreaFactor = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False), _NUMBER]
Households = Annotated[int, _counted("households", ge=0), _NUMBER, _capped("households")]
Years = Annotated[int, _counted("years", ge=1), _NUMBER, _capped("years")]
RouteCount = Annotated[int, _counted("count", ge=1), _NUMBER, _capped("count")]
FundedCount = Annotated[int, _counted("funded", ge=0), _NUMBER, _capped("funded")]
PostCount = Annotated[int, _counted("posts", ge=0), _NUMBER, _capped("posts")]
YuanPerMonth = Annotated[
    float, _bounds("pay_per_month", ge=0), _NUMBER, _capped("pay_per_month")
]  # fmt: skip
