"""The scenario format (version 1): a strict pydantic schema.

Money is in 万元 (10,000 yuan) everywhere, area in square metres. Unknown keys are errors.
Scenarios are made by `allocator.scenario.loading` (`load_scenario(path)`, a thin wrapper over
`scenario_from_dict(data)`), which also gives each one the means to derive its what-ifs: this
module imports nothing of the package but its errors and the number types (`numbers`: plain
numbers only, each within a plausible maximum in its unit).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from allocator.errors import Problem, ScenarioError
from allocator.scenario.numbers import (
    Area,
    AreaFactor,
    CostPerM2,
    FundedCount,
    Households,
    Money,
    PerHousehold,
    PositiveArea,
    PostCount,
    Priority,
    RentPerM2,
    RouteCount,
    Share,
    Years,
)
from allocator.scenario.pays_for import OPTION_KINDS, PaysFor
from allocator.scenario.staffing import Staffing
from allocator.scenario.words import ID_PATTERN, check_id, word, written_forms, yes_no
from allocator.scenario.years import Lag, PlanYear, unset_new_fields

# Codes, each also taken in the planners' words of allocator.labels (加高改造, 镇, 县, 选定, 是).
OptionKind = Annotated[
    Literal[
        "allocate_build", "heighten", "lease", "asset_swap", "integrate", "developer", "reclaim"
    ],
    BeforeValidator(word("option_kind")),
    Field(json_schema_extra={"enum": written_forms("option_kind")}),
]
GroupKind = Annotated[
    Literal["street", "town"],
    BeforeValidator(word("group_kind")),
    Field(json_schema_extra={"enum": written_forms("group_kind")}),
]
Scope = Annotated[
    Literal["county", "group", "community"],
    BeforeValidator(word("scope")),
    Field(json_schema_extra={"enum": written_forms("scope")}),
]
Locked = Annotated[
    Literal["chosen", "rejected"],
    BeforeValidator(word("locked")),
    Field(json_schema_extra={"enum": written_forms("locked")}),
]
YesNo = Annotated[bool, BeforeValidator(yes_no)]
COUNTY_UNIT = "county"

# Chinese characters, letters, digits, _ and - (see words.check_id for what is refused, and why).
Id = Annotated[str, Field(json_schema_extra={"pattern": ID_PATTERN}), AfterValidator(check_id)]
ObjectiveMeasure = Literal[
    "communities_meeting", "communities_meeting_both", "weighted_shortfall", "posts_short",
    "total_cost", "county_money",
]  # fmt: skip


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Entry):
    """One premises route open to one community."""

    id: Id
    kind: OptionKind
    note: str = ""
    max_area_m2: PositiveArea = Field(description="The most area this option can add.")
    min_area_m2: Area = Field(0.0, description="The least area if chosen (= max: all or nothing).")
    area_factor: AreaFactor = Field(
        1.0, description="Share of the added area that counts towards the target."
    )
    replaces_existing: YesNo = Field(
        False, description="Once chosen, existing premises no longer count."
    )
    fixed_cost: Money = Field(0.0, description="One-off cost if chosen, 万元.")
    cost_per_m2: CostPerM2 = Field(0.0, description="One-off cost per m2 added, 万元.")
    annual_cost: Money = Field(0.0, description="Running cost per year if chosen, 万元.")
    annual_cost_per_m2: RentPerM2 = Field(0.0, description="Running cost per m2 per year, 万元.")
    excludes: tuple[Id, ...] = Field(
        (), description="Options of the same community not allowed with this one."
    )
    locked: Locked | None = Field(None, description="A decision already taken.")
    # With `years` (allocator.scenario.years): when the route may start and when it is ready.
    earliest_start: PlanYear | None = Field(None, description="First year it may start.")
    latest_start: PlanYear | None = Field(None, description="Last year it may start.")
    capital_profile: tuple[Share, ...] | None = Field(
        None,
        description="With `years`: the one-off cost's shares by year from the start "
        "(e.g. [0.6, 0.4]; they add up to 1). Default: all in the start year.",
    )
    ready_after: Lag | None = Field(
        None,
        description="Years from its start until its area counts (default by kind: a "
        "new building or a storey 1, the other routes 0).",
    )
    bridges: Id | None = Field(
        None,
        description="租赁过渡 With `years`, a lease only: the id of this community's new "
        "building or added storey it bridges. Taken only with that route and started in "
        "the same year, it counts and pays rent from its start until the year before the "
        "building is ready, and not at the end of the plan.",
    )


class TargetRule(_Entry):
    """The target from the number of households: `per_household` m2 each, at least `at_least`.

    The national plan asks 0.3 m2 per household (30 m2 per 100 households).
    """

    per_household: PerHousehold = Field(description="m2 of premises per household.")
    at_least: Area = Field(0.0, description="The target is never below this, m2.")

    def target_m2(self, households: int) -> float:
        return round(max(self.at_least, self.per_household * households), 6)


def _target_kind(value: Any) -> str:
    return "rule" if isinstance(value, dict | TargetRule) else "number"


# A target in `defaults`: a number of m2, or a rule from households.
TargetSetting = Annotated[
    Annotated[PositiveArea, Tag("number")] | Annotated[TargetRule, Tag("rule")],
    Discriminator(_target_kind),
]
TARGET_TAGS = ("number", "rule")  # the union tags pydantic puts in the loc of a target


def _existing_area_required(schema: dict[str, Any]) -> None:
    schema.setdefault("required", []).append("existing_area_m2")


class Community(_Entry):
    """A street (urban) or town community and the routes open to it."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=_existing_area_required
    )

    id: Id
    name: str
    group: Id
    households: Households | None = None
    existing_area_m2: Area = Field(
        0.0,
        description="Premises the community has now, m2 (0 if none). Required in a file: the "
        "cross-entry checks refuse a community without it rather than take 0.",
    )
    target_area_m2: PositiveArea = Field(
        description="Standard to reach, m2, or a rule {per_household, at_least} resolved from "
        "`households` (default from defaults)."
    )
    must_meet: YesNo = Field(
        False, description="Demonstration site: the plan must reach the target."
    )
    priority: Priority = 1.0
    max_options: RouteCount = Field(description="Most routes combined here.")
    options: tuple[Option, ...] = ()
    posts_now: PostCount | None = Field(
        None, description="Staff posts the community has now (required with `staffing`)."
    )
    posts_target: PostCount | None = Field(
        None, description="Posts to reach (default: staffing.posts_target, 7)."
    )
    due_year: PlanYear | None = Field(
        None, description="With `years`: the target must be met by the end of this year."
    )

    @field_validator("target_area_m2", mode="before")
    @classmethod
    def _rule_needs_households(cls, value: Any) -> Any:
        """A rule left here could not be resolved by the scenario: say why."""
        if not isinstance(value, dict):
            return value
        try:
            TargetRule.model_validate(value)
        except ValidationError as error:
            wrong = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'rule'}: {e['msg']}" for e in error.errors()
            )
            raise ValueError(
                f"not a target rule ({wrong}); write a number of m2 or "
                "{per_household: m2 per household, at_least: m2}"
            ) from None
        raise ValueError(
            "a per_household rule needs this community's `households` (a whole number >= 0); "
            "give households, or a target in m2"
        )


class Group(_Entry):
    """A street office (街道) or a town (镇)."""

    id: Id
    name: str
    kind: GroupKind


class Defaults(_Entry):
    target_area_m2: TargetSetting = Field(
        500.0, description="m2, or a rule {per_household: 0.3, at_least: 500} from households."
    )
    max_options_per_community: RouteCount = 2


class FundingSource(_Entry):
    """A pot of money with its rules; `budget` is per unit of its scope."""

    id: Id
    name: str
    scope: Scope = "county"
    budget: Money | None = None
    budget_by_kind: dict[GroupKind, Money] | None = None
    budgets: dict[str, Money] | None = None
    pays_for: PaysFor = Field(
        OPTION_KINDS,
        description="Route kinds it pays for (default every route kind, no staff); also staff "
        "kinds add_post, recruit, pay_rise, and the words premises, staff, pay, all.",
    )
    capital_only: YesNo = False
    max_share: Share = 1.0
    max_per_option: Money | None = None
    max_options_funded: FundedCount | None = None
    budget_by_year: dict[PlanYear, Money] | None = Field(
        None, description="With `years`: the most each unit may spend in each year, 万元."
    )
    carry_over: YesNo = Field(
        False, description="With budget_by_year: money left in a year may be spent later."
    )


class Variant(_Entry):
    """A what-if: a name, what it asks, and the changes it makes to the scenario.

    `changes` is a list of `path: value` pairs (or one mapping of them), applied in order;
    see `allocator.scenario.changes` for the paths and the `{scale: x}` / `{add: x}` forms.
    """

    name: Id
    description: str = ""
    changes: tuple[dict[str, Any], ...] = Field(
        (), description="`path: value` pairs, e.g. `funding[county].budget: {scale: 0.8}`."
    )

    @field_validator("changes", mode="before")
    @classmethod
    def _mapping_to_list(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return [{path: change} for path, change in value.items()]
        return value


class Deriving(Protocol):
    """How a scenario makes new ones from changes, given to it by the loader.

    Applying a change needs the change language and validation, which are built on this schema;
    so `allocator.scenario.loading` hands each scenario it makes (with the source it read) an
    object with these two methods, and the schema imports nothing above it.
    """

    def with_changes(
        self, scenario: Scenario, changes: Any, *, name: str | None, description: str | None
    ) -> Scenario: ...

    def variant(self, scenario: Scenario, name: str) -> Scenario: ...


class Scenario(_Entry):
    """A county (or province) as the planner describes it."""

    name: str
    description: str = ""
    horizon_years: Years = 1
    years: tuple[PlanYear, ...] | None = Field(
        None,
        description="年度 The planning years, e.g. [2024, 2025, 2026]: routes get a start "
        "year, money a budget per year. Without it, one period.",
    )
    defaults: Defaults = Defaults()
    groups: tuple[Group, ...] = ()
    communities: tuple[Community, ...]
    funding: tuple[FundingSource, ...] = ()
    variants: tuple[Variant, ...] = Field((), description="What-ifs: named lists of changes.")
    extends: str | None = Field(
        None,
        description="A scenario file this one starts from (path relative to this file); "
        "`changes` then say what differs. Resolved on loading.",
    )
    changes: tuple[dict[str, Any], ...] = Field(
        (), description="With `extends`: the changes to the base scenario, as in a variant."
    )
    staffing: Staffing | None = Field(
        None, description="人员 Posts and the routes to them (增编, 下派, 招聘) and the pay rise."
    )
    objective: tuple[ObjectiveMeasure, ...] | None = Field(
        None,
        exclude_if=lambda order: order is None,
        description="目标顺序 The order of the plan's objectives, each kept while the next is "
        "optimised: communities_meeting (most communities reaching their target, 达标社区数), "
        "weighted_shortfall (least priority-weighted m2 short), total_cost (least 万元), "
        "county_money (least money of county-scope sources). Left out: [weighted_shortfall, "
        "total_cost]. `solve --objective` overrides it.",
    )

    @field_validator("objective")
    @classmethod
    def _objective_once_each(cls, order: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if order is not None and (not order or len(set(order)) != len(order)):
            raise ValueError("name each measure once, at least one: e.g. [communities_meeting, "
                             "weighted_shortfall, total_cost]")  # fmt: skip
        return order

    _source: dict[str, Any] = PrivateAttr(default_factory=dict)
    _path: str | None = PrivateAttr(default=None)
    _label: str | None = PrivateAttr(default=None)
    _sha256: tuple[int, str] = PrivateAttr(default=(0, ""))
    _deriving: Deriving | None = PrivateAttr(default=None)
    # A workbook's cells: `placed(problem)` puts a problem of an entry on its cell (see
    # `allocator.scenario.workbook_cells.Book`); None for a text file, whose lines say it.
    _cells: Any = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _fill_community_defaults(cls, data: Any) -> Any:
        """Communities without a target or an option limit take them from `defaults`; a
        target rule (per_household) becomes a number of m2 from the community's households."""
        if not isinstance(data, dict) or not isinstance(data.get("communities"), list):
            return data
        defaults = data.get("defaults") if isinstance(data.get("defaults"), dict) else {}
        target = defaults.get("target_area_m2", 500.0)
        # A wrong default is reported once, at defaults, not again at every community.
        if isinstance(target, dict) and _valid_rule(target) is None:
            target = 500.0
        elif not isinstance(target, dict) and not _valid(PositiveArea, target):
            target = 500.0
        max_options = defaults.get("max_options_per_community", 2)
        if not _valid(RouteCount, max_options):
            max_options = 2
        filled = []
        for entry in data["communities"]:
            if isinstance(entry, dict):
                entry = {"target_area_m2": target, "max_options": max_options, **entry}
                entry["target_area_m2"] = _resolve_target(entry["target_area_m2"], entry)
            filled.append(entry)
        return {**data, "communities": filled}

    # --- what-ifs (made by allocator.scenario.loading, see Deriving) ---------------------
    def with_changes(
        self, changes: Any, *, name: str | None = None, description: str | None = None
    ) -> Scenario:
        """A new scenario with `changes` applied ({path: value, ...}); this one is untouched."""
        return self._derivations().with_changes(self, changes, name=name, description=description)

    def variant(self, name: str) -> Scenario:
        """The scenario of the variant `name`: a new scenario; this one is untouched."""
        return self._derivations().variant(self, name)

    def _derivations(self) -> Deriving:
        if self._deriving is None:
            raise ScenarioError(
                self._path or "<scenario>",
                [
                    Problem(
                        (),
                        "what-ifs start from the source a scenario was read from; this one was "
                        "built without it: make it with load_scenario or scenario_from_dict",
                    )
                ],
            )
        return self._deriving

    @property
    def label(self) -> str:
        """A short name: the variant's name for a variant, else the scenario's name."""
        return self._label or self.name

    # --- look-ups used by the model and the reports -------------------------------------
    @property
    def source(self) -> dict[str, Any]:
        """The dict this scenario was validated from (a copy; changing it changes nothing)."""
        import copy

        return copy.deepcopy(self._source)

    @property
    def path(self) -> str | None:
        return self._path

    def on_cells(self, problems: list[Any]) -> list[Any]:
        """Problems (`allocator.errors.Problem`) of entries put on their workbook cells, for
        a scenario read from a workbook; the problems as they are otherwise."""
        if self._cells is None:
            return problems
        placed = [(self._cells.placed(problem), problem) for problem in problems]
        return [found[1] if found else problem for found, problem in placed]

    def group_of(self, community: Community) -> Group:
        return self._groups_by_id()[community.group]

    def _groups_by_id(self) -> dict[str, Group]:
        return {g.id: g for g in self.groups}

    def units(self, source: FundingSource) -> dict[str, float]:
        """Budget of `source` in each unit of its scope (the county, each group, each community)."""
        if source.scope == "county":
            return {COUNTY_UNIT: source.budget or 0.0}
        groups = self._groups_by_id()
        if source.scope == "group":
            keyed = [(g.id, g.kind) for g in self.groups]
        else:
            keyed = [(c.id, groups[c.group].kind) for c in self.communities]
        return {unit: _unit_budget(source, unit, kind) for unit, kind in keyed}

    def unit_of(self, source: FundingSource, community: Community) -> str:
        """The unit of `source` that pays for options of `community`."""
        if source.scope == "county":
            return COUNTY_UNIT
        return community.group if source.scope == "group" else community.id

    def posts_target(self, community: Community) -> int:
        """The posts `community` should have: its own target, else the staffing default."""
        if community.posts_target is not None:
            return community.posts_target
        return self.staffing.posts_target if self.staffing is not None else 0

    def sha256(self) -> str:
        """Hash of the validated content: the same scenario gives the same hash."""
        owner, digest = self._sha256
        if owner != id(self):  # computed once per object; a model_copy computes its own
            text = self.model_dump_json(exclude=unset_new_fields(self))
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            self._sha256 = (id(self), digest)
        return digest


def _valid(kind: Any, value: Any) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return False
    return True


def _valid_rule(value: Any) -> TargetRule | None:
    try:
        return TargetRule.model_validate(value)
    except ValidationError:
        return None


def _resolve_target(target: Any, community: dict[str, Any]) -> Any:
    """m2 from a per_household rule when the community's households allow; else unchanged."""
    households = community.get("households")
    rule = _valid_rule(target) if isinstance(target, dict) else None
    if rule is None or not isinstance(households, int) or isinstance(households, bool):
        return target
    return rule.target_m2(households) if households >= 0 else target


def _unit_budget(source: FundingSource, unit: str, kind: str) -> float:
    if source.budgets and unit in source.budgets:
        return source.budgets[unit]
    if source.budget_by_kind and kind in source.budget_by_kind:
        return source.budget_by_kind[kind]
    return source.budget or 0.0
