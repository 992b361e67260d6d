"""Sentences for the files planners open (plan.xlsx, report.docx), each built from the figures
of the plan, the scenario or an explanation, in the catalogue's words for the run's language
(Chinese unless `--lang en`): nothing here is written by hand about a particular plan.

`plan_sentence` says what the plan does for one community and `why_sentences` says why (the
runner-up route, the rules that bind, the marginal cost of the target): both are the sentences
of `allocator explain` (`allocator.analysis.explanation_words`), written once.
`STATUS_ZH`, `kind_zh` and `unit_zh` are the Chinese words of the sheets that stay Chinese.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allocator.analysis.explanation_words import body_words, head_words, why_words
from allocator.catalogue import say, word
from allocator.plan import CommunityResult, Plan, Status

if TYPE_CHECKING:
    from allocator.analysis.explanation import Explanation, ForcedRoute
    from allocator.scenario.schema import Scenario


def status_words(status: Status, lang: str | None = None) -> str:
    """How the solve ended, as the memo and the summary sheet say it."""
    return say(f"memo.status.{status.value}", lang)


STATUS_ZH = {status: status_words(status, "zh") for status in Status}


def kind_zh(kind: str) -> str:
    return word("kind", kind, "zh")


def kind_words(kind: str, lang: str | None = None) -> str:
    return word("kind", kind, lang)


def unit_zh(plan: Plan, unit: str, lang: str | None = "zh") -> str:
    """A budget unit in words: 全县 (county), a street or town, or a community."""
    if unit == "county":
        return say("screen.county_unit", lang)
    for c in plan.community_results:
        if c.id == unit:
            return c.name
        if c.group == unit:
            return c.group_name
    return unit


def source_names(plan: Plan) -> dict[str, str]:
    return {f.source: f.source_name for f in plan.funding_results}


def paid_by(plan: Plan, community: CommunityResult) -> dict[str, float]:
    """万元 each source pays for this community's routes, by source id, in the plan's order."""
    paid = {f.source: 0.0 for f in plan.funding_results} | community.routes_paid_wan()
    return {source: amount for source, amount in paid.items() if amount > 0.005}


def status_line(plan: Plan, lang: str | None = None) -> str:
    """The solver's status in one sentence: optimal, or not proven with its gap and why (the
    stages' own notes, as the solver wrote them)."""
    gap, limit = plan.solver.gap, plan.solver.time_limit_s
    notes = [s.note for s in plan.solver.stages if s.note and s.status != "optimal"]
    why = ""
    if notes and plan.status != Status.OPTIMAL:
        why = say("memo.why", lang, notes=say("memo.notes_sep", lang).join(notes))
    return say(
        "memo.status_line",
        lang,
        status=status_words(plan.status, lang),
        gap="" if gap is None else say("memo.gap", lang, gap=f"{gap:.2%}"),
        why=why,
        solver=say(
            "memo.solver",
            lang,
            version=plan.solver.version,
            runtime=f"{plan.solver.runtime_s:.1f}",
        ),
        limit="" if limit is None else say("memo.limit", lang, limit=f"{limit:g}"),
    )


def plan_sentence(plan: Plan, community: CommunityResult, lang: str | None = None) -> str:
    """What the plan does here: routes, area reached against the target, cost and payers."""
    return say("sentence_gap", lang).join(
        [head_words(community, lang), body_words(community, plan, lang)]
    )


def why_sentences(
    plan: Plan, scenario: Scenario, explanation: Explanation, lang: str | None = None
) -> list[str]:
    """Why these routes, from the explanation's fields: runner-up, rules, marginal cost (the
    sentences of `allocator explain`)."""
    community = next(c for c in scenario.communities if c.id == explanation.community)
    explained = (explanation.forced, explanation.runner_up, explanation.binding)
    return why_words(scenario, plan, community, explained, explanation.marginal, lang)


def forced_rows(explanation: Explanation, lang: str | None = None) -> list[tuple[str, str]]:
    """Per route not chosen: (the route with its kind, what forcing it would do), in words."""
    rows = []
    for forced in explanation.forced:
        mark = say("memo.runner_up_mark", lang) if forced.option == explanation.runner_up else ""
        kind = word("kind", forced.kind, lang)
        route = say("memo.forced_route", lang, id=forced.option, kind=kind, mark=mark)
        rows.append((route, _forced_words(forced, lang)))
    return rows


def _forced_words(forced: ForcedRoute, lang: str | None) -> str:
    if not forced.feasible:
        return forced.note or say("memo.forced_no_plan", lang)
    parts = [say("explain.cost_change", lang, cost=f"{forced.cost_difference or 0.0:+,.2f}")]
    if abs(forced.shortfall_difference or 0.0) > 1e-4:
        short = f"{forced.shortfall_difference or 0.0:+,.1f}"
        parts.append(say("memo.forced_shortfall", lang, short=short))
    here = f"{forced.community_shortfall_m2 or 0.0:,.1f}"
    parts.append(say("memo.forced_here", lang, short=here))
    return say("memo.if_forced", lang, parts=say("sep", lang).join(parts))
