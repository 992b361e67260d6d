"""Scenarios side by side: headline figures, what differs per community, and the inputs behind it.

from allocator import compare, load_scenario
base = load_scenario("scenarios/2024.yaml")
result = compare({"base": base, "budget cut": base.variant("budget_cut")})
result.summary       # one row per scenario
result.communities   # per community: what differs between the plans
result.inputs        # the inputs that differ (entry, field, value per scenario)

A community whose plans differ only in who pays (the same routes, areas and cost, the money
drawn from other sources) is left out of `communities` unless `compare(..., payers=True)`:
such reshuffles follow from any change of a budget and say nothing about the community.
`result.payers_only` names them either way.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import pandas as pd

from allocator.analysis.diagnosis import solve
from allocator.catalogue import entries, say, word, yes_no
from allocator.findings import CutShort
from allocator.plan import Plan, column_label, communities_table
from allocator.scenario.differences import side_by_side
from allocator.scenario.schema import Scenario
from allocator.solving.lexicographic import DEFAULT_GAP
from allocator.solving.worker import Deadline, ready

# What is compared per community, in the order shown; numbers are rounded as they are printed
# (areas to 0.1 m2, money to 0.01 万元), so that solver noise is not a difference.
ASPECTS = ("routes", "target_m2", "final_m2", "shortfall_m2", "meets_target", "cost_wan", "paid_by",
           "posts_final", "staff_cost_wan")  # fmt: skip
_DIGITS = {"target_m2": 1, "final_m2": 1, "shortfall_m2": 1, "cost_wan": 2, "staff_cost_wan": 2}
NO_PLAN = "no plan"
PAYERS = "paid_by"


@dataclass(frozen=True)
class Comparison:
    """Several scenarios solved and set side by side (all tables are pandas DataFrames)."""

    labels: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    plans: tuple[Plan, ...]
    summary: pd.DataFrame
    communities: pd.DataFrame
    inputs: pd.DataFrame
    payers_only: tuple[str, ...] = ()  # ids of communities that differ only in who pays
    payers_shown: bool = True  # False: their rows are left out of `communities`
    cut_short: tuple[CutShort, ...] = ()  # what the time limit cut short, part "label: part"

    @property
    def identical(self) -> bool:
        """No difference in any plan or input (who pays included, shown or not)."""
        return self.communities.empty and self.inputs.empty and not self.payers_only

    @property
    def payers_hidden(self) -> int:
        """How many communities are left out of `communities` because only who pays differs."""
        return 0 if self.payers_shown else len(self.payers_only)

    def payers_note(self, how: str = "payers=True", lang: str | None = None) -> str:
        """The line under the per-community table that says what was left out and how to list
        it ('' when nothing was); `how` is the switch to name (`--payers` on the command line)."""
        hidden = self.payers_hidden
        if not hidden:
            return ""
        return say("compare.payers_hidden", lang, count=hidden, how=how)

    def plan(self, label: str) -> Plan:
        return self.plans[self.labels.index(label)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenarios": _records(self.summary),
            "communities": _records(self.communities),
            "inputs": _records(self.inputs),
            "payers_only": list(self.payers_only),
            "payers_shown": self.payers_shown,
        } | ({"cut_short": [asdict(c) for c in self.cut_short]} if self.cut_short else {})

    def __repr__(self) -> str:
        hidden = f" ({self.payers_hidden} communities differing only in who pays not listed)"
        return (
            f"<Comparison of {', '.join(self.labels)}: {len(self.communities)} differences "
            f"in plans{hidden if self.payers_hidden else ''}, {len(self.inputs)} in inputs>"
        )

    def _repr_html_(self) -> str:
        parts = [
            (say("compare.title_scenarios"), self.summary),
            (say("compare.title_communities"), self.communities),
            (say("compare.title_inputs"), self.inputs),
        ]
        notes = {say("compare.title_communities"): self.payers_note()}
        return "".join(
            f"<h4>{html.escape(title)}</h4>"
            + (
                labelled(shown(frame)).to_html(index=False, na_rep="-")
                if not frame.empty
                else f"<p>{html.escape(say('none'))}</p>"
            )
            + (f"<p><i>{html.escape(notes[title])}</i></p>" if notes.get(title) else "")
            for title, frame in parts
        )


def compare(
    scenarios: Sequence[Scenario] | Mapping[str, Scenario],
    *,
    plans: Sequence[Plan] | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    gap: float = DEFAULT_GAP,
    payers: bool = False,
    deadline: Deadline | None = None,
    keep_close_to: Any = None,
) -> Comparison:
    """Solve each scenario (unless `plans` are given) and set them side by side.

    Labels are the mapping's keys, else each scenario's `label` (a variant's name). A community
    whose plans differ only in who pays is left out of `communities` unless `payers` is true;
    `payers_only` names those communities either way.

    `time_limit` (seconds, or a `deadline` begun earlier) is for the whole comparison: each
    scenario's solve gets an equal share of what is left when it starts (in a worker process
    ended at its share, `allocator.solving.worker`), and `cut_short` names what the limit cut
    short.

    `keep_close_to` (a plan, its JSON or a plan.json): each scenario's plan changes the fewest
    routes, then payers, from it among its plans equal on the objective
    (`allocator.model.closeness`).
    """
    if isinstance(scenarios, Mapping):
        labels, items = list(scenarios), list(scenarios.values())
    else:
        items = list(scenarios)
        labels = _unique([s.label for s in items])
    if not items:
        raise ValueError("compare needs at least one scenario")
    if plans is None:
        deadline = Deadline.of(time_limit) if deadline is None else deadline
        ready(deadline.limited)  # the worker's start-up is no one scenario's share
        plans = [
            solve(
                s,
                solver=solver,
                deadline=deadline.share(len(items) - i),
                gap=gap,
                keep_close_to=keep_close_to,
            )
            for i, s in enumerate(items)
        ]
    elif len(plans) != len(items):
        raise ValueError(f"{len(plans)} plans for {len(items)} scenarios")
    differences = community_differences(labels, list(plans))
    payers_only = payer_only_communities(differences)
    if not payers:
        differences = differences[~differences["community_id"].isin(payers_only)]
        differences = differences.reset_index(drop=True)
    return Comparison(
        labels=tuple(labels),
        scenarios=tuple(items),
        plans=tuple(plans),
        summary=summary_table(labels, list(plans)),
        communities=differences,
        inputs=side_by_side(dict(zip(labels, items, strict=True))),
        payers_only=payers_only,
        payers_shown=payers,
        cut_short=tuple(
            replace(c, part=f"{label}: {c.part}")
            for label, plan in zip(labels, plans, strict=True)
            for c in plan.cut_short
        ),
    )


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        result.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return result


def money_used(plan: Plan) -> dict[str, float]:
    """万元 used from each source, over all its units."""
    used: dict[str, float] = {}
    for row in plan.funding_results:
        used[row.source] = round(used.get(row.source, 0.0) + row.used, 6)
    return used


def headline(plan: Plan) -> dict[str, Any]:
    """The figures one row of a comparison or a sweep shows; None where there is no plan. The
    staff's (posts short, communities meeting both standards) only for a plan with staff."""
    has = plan.status.has_plan
    figures = {
        "status": plan.status.value,
        "communities_meeting_target": plan.communities_meeting_target if has else None,
        "total_shortfall_m2": plan.total_shortfall_m2 if has else None,
        "weighted_shortfall": plan.weighted_shortfall if has else None,
        "total_cost_wan": plan.total_cost if has else None,
    }
    if plan.posts_short is not None:  # a row without them (no plan) is left empty there
        figures["posts_short"] = plan.posts_short
        figures["communities_meeting_both"] = plan.communities_meeting_both
    return figures


def summary_table(labels: Sequence[str], plans: Sequence[Plan]) -> pd.DataFrame:
    """One row per scenario: status, totals, communities meeting, money used per source."""
    sources = list(dict.fromkeys(r.source for p in plans for r in p.funding_results))
    rows = []
    for label, plan in zip(labels, plans, strict=True):
        used = money_used(plan)
        rows.append(
            {
                "scenario": label,
                **headline(plan),
                **{f"used_{s}_wan": used.get(s) if plan.status.has_plan else None for s in sources},
            }
        )
    frame = pd.DataFrame(rows)
    return frame.astype(
        {c: "float64" for c in frame.columns if c.endswith(("_wan", "_m2", "fall"))}
    )


def community_differences(labels: Sequence[str], plans: Sequence[Plan]) -> pd.DataFrame:
    """Per community and aspect (routes, areas, cost, who pays) where the plans differ."""
    tables = [_by_community(p) for p in plans]
    names: dict[str, str] = {}
    for table in tables:
        for cid, row in table.items():
            names.setdefault(cid, row["community"])
    rows = []
    for cid, name in names.items():
        for aspect in ASPECTS:
            values = [
                _value(table, cid, aspect, plan) for table, plan in zip(tables, plans, strict=True)
            ]
            if any(v != values[0] for v in values[1:]):
                rows.append(
                    {
                        "community_id": cid,
                        "community": name,
                        "aspect": aspect,
                        **dict(zip(labels, values, strict=True)),
                    }
                )
    return pd.DataFrame(rows, columns=["community_id", "community", "aspect", *labels])


def payer_only_communities(differences: pd.DataFrame) -> tuple[str, ...]:
    """Ids of the communities whose only differing aspect is who pays, in table order."""
    aspects = differences.groupby("community_id", sort=False)["aspect"].agg(set)
    return tuple(cid for cid, found in aspects.items() if found == {PAYERS})


def _by_community(plan: Plan) -> dict[str, dict[str, Any]]:
    """Each community's row of the plan table, with its posts at the end and staff cost."""
    if not plan.status.has_plan:
        return {}
    rows = {row["community_id"]: row for row in communities_table(plan).to_dict("records")}
    for c in plan.community_results:
        rows[c.id]["posts_final"] = c.posts.final if c.posts else None
        rows[c.id]["staff_cost_wan"] = c.staff_cost
    return rows


def _value(table: dict[str, dict[str, Any]], cid: str, aspect: str, plan: Plan) -> Any:
    if not plan.status.has_plan:
        return NO_PLAN
    if cid not in table:
        return "absent"
    value = table[cid][aspect]
    if aspect in _DIGITS:
        return round(float(value), _DIGITS[aspect]) + 0.0  # + 0.0: no -0.0
    return bool(value) if aspect == "meets_target" else value


_OWN_LABELS = (
    "aspect",
    "scenario",
    "status",
    "communities_meeting_target",
    "total_shortfall_m2",
    "weighted_shortfall",
    "total_cost_wan",
    "posts_short",
    "communities_meeting_both",
    "entry",
    "field",
)


def labelled(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Column labels for people in the catalogue's language; aspects and statuses in words."""
    frame = frame.copy()
    if "aspect" in frame.columns:
        frame["aspect"] = frame["aspect"].map(lambda a: column_label(a, lang))
    if "status" in frame.columns:
        frame["status"] = frame["status"].map(lambda s: word("status", s, lang))
    if "entry" in frame.columns:
        frame["entry"] = frame["entry"].map(lambda e: entries(str(e), lang))
    return frame.rename(columns=lambda c: _label(c, lang))


def _label(column: str, lang: str | None) -> str:
    if column in _OWN_LABELS:
        return say(f"compare.col_{column}", lang)
    if column.startswith("used_") and column.endswith("_wan"):
        return say("compare.col_used", lang, source=column[5:-4])
    return column_label(column, lang)


def shown(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The per-community differences as text, numbers printed to their precision."""
    if "aspect" not in frame.columns:
        return frame
    frame = frame.astype(object).copy()
    values = [c for c in frame.columns if c not in ("community_id", "community", "aspect")]
    for index, aspect in frame["aspect"].items():
        for column in values:
            frame.at[index, column] = _text(frame.at[index, column], aspect, lang)
    return frame


def _text(value: Any, aspect: str, lang: str | None) -> str:
    if isinstance(value, bool):
        return yes_no(value, lang)
    if isinstance(value, float):
        return f"{value:,.{_DIGITS.get(aspect, 2)}f}"
    if value == NO_PLAN:
        return say("compare.no_plan", lang)
    if value == "absent":
        return say("compare.absent", lang)
    return str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): v for k, v in row.items()} for row in records]
