"""The staffing part of the format: posts per community and the three routes to a post.

The county report's second bottleneck is staff: each community should have 7 posts
(`posts_target`, from `staffing.posts_target` unless a community sets its own), urban ones
have about 5 and town ones 3 to 5 (`posts_now`, per community, required once `staffing` is
given). Three routes add posts, each with its own limit:

- 增编 `add_post`: added establishment posts under a county quota (`quota`, posts over the
  campaign), paid from the plan's money at `cost_per_post_year` 万元 per post and year;
- 下派 `dispatch`: first secretaries from a pool of people (`pool`), at most one a community,
  at no cost to the community (their own unit pays them);
- 招聘 `recruit`: community workers recruited at `cost_per_person_year` 万元, with an optional
  limit `most` over the campaign.

`pay_rise`: a rise of `street_yuan_per_month` or `town_yuan_per_month` 元 per person and month
for every cadre in post, existing and new (first secretaries are paid by their own unit, not
here): money committed before any route, over the scenario's `horizon_years`.

Costs per year count over `horizon_years`, as rents do. With `years` (`allocator.scenario.years`)
every post gets the year it is added (a post is in post from that year on) and each year pays
the posts in post then; the campaign's cost still counts a post over `horizon_years` whatever
its year, as a route's rent. Per-year limits: `add_post.quota_by_year` (posts added in the
year), `dispatch.pool_by_year` (first secretaries serving in the year), `recruit.most_by_year`
(recruits taken in the year), each besides or instead of the campaign's number; a year not
listed has no limit of its own. `dispatch.term_years`: a first secretary serves that many years
from the year sent (without it: to the end of the plan). `pay_rise.from_year`: no rise is paid
before that year. Money for staff comes from the sources
whose `pays_for` names `add_post`, `recruit` or `pay_rise` (or `staff`, `pay`, `all`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from allocator.catalogue import say
from allocator.errors import Problem
from allocator.scenario.entries import entries_of
from allocator.scenario.numbers import _NUMBER, FundedCount, Money, PostCount, Years, YuanPerMonth

STAFF_ROUTES: tuple[str, ...] = ("add_post", "dispatch", "recruit")
PAID_STAFF_KINDS: tuple[str, ...] = ("add_post", "recruit", "pay_rise")  # what sources pay for
DEFAULT_POSTS_TARGET = 7
# A planning year (as `allocator.scenario.years.PlanYear`, which imports this module).
StaffYear = Annotated[int, Field(ge=1900, le=2200), _NUMBER]
ByYear = dict[StaffYear, FundedCount]
# The per-year fields of each route, and the field they stand beside or instead of.
BY_YEAR_FIELDS: dict[str, tuple[str, str]] = {
    "add_post": ("quota_by_year", "quota"),
    "dispatch": ("pool_by_year", "pool"),
    "recruit": ("most_by_year", "most"),
}


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddPosts(_Entry):
    """增编: added establishment posts under a county quota."""

    quota: FundedCount | None = Field(
        None, description="Posts the county may add over the campaign (or quota_by_year)."
    )
    quota_by_year: ByYear | None = Field(
        None,
        description="With `years`: posts the county may add in each year, e.g. {2024: 5, "
        "2025: 3} (a year not listed: no limit of its own).",
    )
    cost_per_post_year: Money = Field(
        0.0, description="万元 per added post and year, paid from the plan's money."
    )


class Dispatch(_Entry):
    """下派: first secretaries sent from a pool, at most one a community, no cost to it."""

    pool: FundedCount | None = Field(
        None, description="People the county can send, over the campaign (or pool_by_year)."
    )
    pool_by_year: ByYear | None = Field(
        None,
        description="With `years`: first secretaries that may serve in each year (a year not "
        "listed: no limit of its own).",
    )
    term_years: Years | None = Field(
        None,
        description="With `years`: years a first secretary serves from the year sent (default: "
        "to the end of the plan); one serving a community at a time.",
    )


class Recruit(_Entry):
    """招聘: community workers recruited at a cost per person and year."""

    cost_per_person_year: Money = Field(
        description="万元 per recruit and year (pay and insurance)."
    )
    most: FundedCount | None = Field(None, description="Most recruits over the campaign.")
    most_by_year: ByYear | None = Field(
        None,
        description="With `years`: most recruits taken in each year (a year not listed: no "
        "limit of its own).",
    )


class PayRise(_Entry):
    """待遇提标: a rise for every cadre in post, existing and new, 元 per person and month."""

    street_yuan_per_month: YuanPerMonth = Field(0.0, description="元 per person a month, streets.")
    town_yuan_per_month: YuanPerMonth = Field(0.0, description="元 per person a month, towns.")
    from_year: StaffYear | None = Field(
        None,
        description="With `years`: the year the rise starts (no rise is paid before it; "
        "default: the first year).",
    )

    def per_person_year_wan(self, group_kind: str) -> float:
        """The rise per person and year in 万元 for a community of a street or a town."""
        monthly = self.street_yuan_per_month if group_kind == "street" else self.town_yuan_per_month
        return 12 * monthly / 1e4


class Staffing(_Entry):
    """Posts and the routes to them, county-wide (per community: `posts_now`, `posts_target`)."""

    posts_target: PostCount = Field(
        DEFAULT_POSTS_TARGET, description="Posts each community should have (default 7)."
    )
    add_post: AddPosts | None = None
    dispatch: Dispatch | None = None
    recruit: Recruit | None = None
    pay_rise: PayRise | None = None


def check_staffing(data: dict[str, Any]) -> list[Problem]:
    """With `staffing`, every community says how many posts it has now (a forgotten line is not
    read as 0 posts); money that pays one-off costs only pays no staff; the quota and the pool
    are given (for the campaign or by year) and every year named is a planning year."""
    problems = check_staff_years(data)
    if isinstance(data.get("staffing"), dict):
        for ci, community in enumerate(entries_of(data, "communities")):
            if "posts_now" not in community:
                problems.append(
                    Problem(
                        ("communities", ci, "posts_now"),
                        "缺少现有编制人数 is missing: with `staffing`, every community gives the "
                        "staff posts it has now; write `posts_now: 5` (the count)",
                    )
                )
    for si, source in enumerate(entries_of(data, "funding")):
        pays = source.get("pays_for")
        words = pays if isinstance(pays, list) else [pays]
        staff = [w for w in words if isinstance(w, str) and _pays_staff(w)]
        if staff and source.get("capital_only") in (True, "true", "是", "yes"):
            problems.append(
                Problem(
                    ("funding", si, "pays_for"),
                    f"pays one-off costs only (capital_only), so it cannot pay {staff[0]}: "
                    "staff and pay are paid every year; take them out of pays_for",
                )
            )
    return problems


def check_staff_years(data: dict[str, Any]) -> list[Problem]:
    """A quota (增编) and a pool (下派) for the campaign or by year; the years of
    quota_by_year, pool_by_year, most_by_year and pay_rise.from_year are planning years, and
    these and term_years are given only with `years`."""
    staffing = data.get("staffing")
    if not isinstance(staffing, dict):
        return []
    years = data.get("years")
    listed = [y for y in years if isinstance(y, int)] if isinstance(years, list) else []
    problems: list[Problem] = []

    from allocator.scenario.years import year_named  # years.py holds the checks of years

    def named(loc: tuple[Any, ...], value: Any) -> None:
        problems.extend(year_named(loc, value, listed))

    for route, (by_year, campaign) in BY_YEAR_FIELDS.items():
        entry = staffing.get(route)
        if not isinstance(entry, dict):
            continue
        if route != "recruit" and entry.get(campaign) is None and entry.get(by_year) is None:
            example = "quota: 10" if route == "add_post" else "pool: 8"
            problems.append(Problem(("staffing", route, campaign),
                                    f"{say('input.missing')} (`{example}` for the campaign, or, "
                                    f"with years, `{by_year}: {{2024: 3}}`)"))  # fmt: skip
        limits = entry.get(by_year)
        for year in limits if isinstance(limits, dict) else ():
            named(("staffing", route, by_year, year), year)
    dispatch, rise = staffing.get("dispatch"), staffing.get("pay_rise")
    if isinstance(dispatch, dict) and dispatch.get("term_years") is not None and not listed:
        loc = ("staffing", "dispatch", "term_years")
        problems.append(Problem(loc, say("input.term_without_years")))
    if isinstance(rise, dict):
        named(("staffing", "pay_rise", "from_year"), rise.get("from_year"))
    return problems


def _pays_staff(word: str) -> bool:
    from allocator.labels import code_of

    return code_of("staff_kind", word) in PAID_STAFF_KINDS or word in STAFF_WORDS


STAFF_WORDS = ("staff", "人员", "pay", "待遇", "all", "全部")
