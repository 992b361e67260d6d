"""Years for a synthetic province (`allocator generate --years N`): the planning years from
2024, every county-wide budget approved in equal yearly parts with what a year leaves carried
over, and rent counted over at least those years. Routes start in any year they can be ready
by the last (a new building or a storey counts a year after its start, the defaults of
`allocator.scenario.years`); nothing else of the province changes."""

from __future__ import annotations

from typing import Any

FIRST_YEAR = 2024


def add_years(data: dict[str, Any], count: int) -> dict[str, Any]:
    """The province `data` over `count` planning years (a new dict; `count` 0: unchanged)."""
    if count <= 0:
        return data
    years = list(range(FIRST_YEAR, FIRST_YEAR + count))
    funding = []
    for source in data["funding"]:
        source = dict(source)
        if source.get("scope", "county") == "county" and source.get("budget"):
            part = round(source["budget"] / count, 6)
            source["budget_by_year"] = dict.fromkeys(years, part)
            source["carry_over"] = True
        funding.append(source)
    horizon = max(int(data.get("horizon_years", 1)), count)
    return {**data, "years": years, "horizon_years": horizon, "funding": funding}
