"""The vocabulary of the rule table: variables as labels, rows and bounds over them, a rule
instance, and the scenario laid out for the families that build them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from allocator.model.costs import pays_for
from allocator.scenario.schema import Community, FundingSource, Option, Scenario

# ("y", option_id) · ("x", option_id) · ("f", option_id, source_id) · ("z", option_id,
# source_id) · ("short", community_id) · ("meets", community_id), only when the objective counts
# the communities meeting their target
Var = tuple[str, ...]
Loc = tuple[str | int, ...]  # a path into the scenario file: ("funding", 0, "budget")


class Sense(StrEnum):
    LE = "<="
    GE = ">="
    EQ = "=="


def name_of(*parts: str) -> str:
    """The name of a row or a column from its family (or variable) and ids: "budget.county.all".
    Ids may hold "-", which modelling layers rewrite; "~" stands for it, so that a name is
    read back as it was made."""
    return ".".join(part.replace("-", "~") for part in parts)


@dataclass(frozen=True)
class Row:
    """sum of coef * var (sense) rhs."""

    name: str
    terms: tuple[tuple[Var, float], ...]
    sense: Sense
    rhs: float


@dataclass(frozen=True)
class Bound:
    """A bound a rule puts on one variable."""

    var: Var
    lower: float
    upper: float


@dataclass(frozen=True)
class Instance:
    """One rule of a scenario, as a planner would name it, with its rows and bounds."""

    family: str
    key: tuple[str, ...]  # ids: ("county", "all"), ("xinxing-build", "xinxing-lease")
    loc: Loc  # where the scenario file says it
    text: str  # what it says, for planners
    rows: tuple[Row, ...] = ()
    bounds: tuple[Bound, ...] = ()
    community: str | None = None
    option: str | None = None
    source: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Route:
    """An option of a community, with where it sits in the file and who may pay for it."""

    community: Community
    option: Option
    loc: Loc  # ("communities", ci, "options", oi)
    payers: tuple[FundingSource, ...]

    @property
    def label(self) -> str:
        return f"route {self.option.id} ({self.option.kind}) of {self.community.id}"


@dataclass(frozen=True)
class Layout:
    """The scenario as the families read it: routes in file order and their payers."""

    scenario: Scenario
    routes: tuple[Route, ...]

    @classmethod
    def of(cls, scenario: Scenario) -> Layout:
        routes = tuple(
            Route(c, o, ("communities", ci, "options", oi), _payers(scenario, o))
            for ci, c in enumerate(scenario.communities)
            for oi, o in enumerate(c.options)
        )
        return cls(scenario, routes)

    @cached_property
    def raw_communities(self) -> list[Any]:
        """The communities as the file wrote them (to tell a value set there from a default)."""
        entries = self.scenario.source.get("communities")
        return entries if isinstance(entries, list) else []


def _payers(scenario: Scenario, option: Option) -> tuple[FundingSource, ...]:
    return tuple(s for s in scenario.funding if pays_for(s, option))


def y(option: Option) -> Var:
    return ("y", option.id)


def x(option: Option) -> Var:
    return ("x", option.id)


def f(option: Option, source: FundingSource) -> Var:
    return ("f", option.id, source.id)


def z(option: Option, source: FundingSource) -> Var:
    return ("z", option.id, source.id)


def short(community: Community) -> Var:
    return ("short", community.id)


def meets(community: Community) -> Var:
    return ("meets", community.id)
