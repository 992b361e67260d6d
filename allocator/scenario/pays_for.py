"""What a funding source pays for (`pays_for`): the route kinds and the paid staff kinds, in
codes or the planners' words, and shorthand words for groups of them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from allocator.labels import zh
from allocator.scenario.staffing import PAID_STAFF_KINDS
from allocator.scenario.words import word, written_forms

OPTION_KINDS: tuple[str, ...] = (
    "allocate_build",
    "heighten",
    "lease",
    "asset_swap",
    "integrate",
    "developer",
    "reclaim",
)
PAYS_FOR_GROUPS: dict[str, tuple[str, ...]] = {
    "premises": OPTION_KINDS,
    "场地": OPTION_KINDS,
    "staff": ("add_post", "recruit"),
    "人员": ("add_post", "recruit"),
    "pay": ("pay_rise",),
    "待遇": ("pay_rise",),
    "all": (*OPTION_KINDS, *PAID_STAFF_KINDS),
    "全部": (*OPTION_KINDS, *PAID_STAFF_KINDS),
}
# What a source pays for: route kinds and paid staff kinds, each also in Chinese; and the
# shorthand words of `PAYS_FOR_GROUPS`.
_PaysKind = Annotated[
    Literal[
        "allocate_build", "heighten", "lease", "asset_swap", "integrate", "developer", "reclaim",
        "add_post", "recruit", "pay_rise",
    ],
    BeforeValidator(lambda value: _pays_word(value)),
    Field(json_schema_extra={"enum": [*written_forms("option_kind"), *PAID_STAFF_KINDS,
                                       *(zh("staff_kind", k) for k in PAID_STAFF_KINDS),
                                       *PAYS_FOR_GROUPS]}),
]  # fmt: skip


def _pays_word(value: Any) -> Any:
    """The code of a route kind or of a paid staff kind, in Chinese or English."""
    from allocator.labels import code_of

    if isinstance(value, str) and code_of("staff_kind", value) in PAID_STAFF_KINDS:
        return code_of("staff_kind", value)
    return word("option_kind")(value)


def _expand_pays_for(value: Any) -> Any:
    """`pays_for: [premises, pay]` as the kinds the words stand for (each kind once)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return value
    kinds: list[Any] = []
    for item in value:
        for kind in PAYS_FOR_GROUPS.get(item, (item,)) if isinstance(item, str) else (item,):
            if kind not in kinds:
                kinds.append(kind)
    return kinds


PaysFor = Annotated[tuple[_PaysKind, ...], BeforeValidator(_expand_pays_for)]
