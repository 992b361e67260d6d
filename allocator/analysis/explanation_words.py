"""The words of an explanation (`allocator.analysis.explanation`), from the catalogue in the
language asked: the paragraph, the rules that bind in a planner's terms, and who would gain or
lose the standard if a route not chosen were forced."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from allocator.catalogue import say, word
from allocator.findings import Resolved, TargetPrice, Trust

if TYPE_CHECKING:
    from allocator.analysis.binding import BindingRule
    from allocator.plan import CommunityResult, Plan
    from allocator.scenario.schema import Community, Scenario


class ForcedRoute(Protocol):
    """What these words read of `allocator.analysis.explanation.ForcedRoute`."""

    option: str
    kind: str
    feasible: bool
    cost_difference: float | None
    shortfall_difference: float | None
    loses_standard: tuple[str, ...]
    gains_standard: tuple[str, ...]


RULE_ORDER = ("must_meet", "excludes", "max_options", "max_area", "budget", "locked")


def paragraph(
    scenario: Scenario,
    plan: Plan,
    community: Community,
    result: CommunityResult,
    explained: tuple[tuple[ForcedRoute, ...], str | None, tuple[BindingRule, ...]],
    marginal: TargetPrice | None,
    lang: str | None = None,
) -> str:
    """The plain-language paragraph: the community, its routes, the runner-up and who it would
    cost or give the standard, the rules that hold it, the margin."""
    sentences = [
        head_words(result, lang),
        body_words(result, plan, lang),
        *why_words(scenario, plan, community, explained, marginal, lang),
    ]
    return say("sentence_gap", lang).join(s for s in sentences if s)


def why_words(
    scenario: Scenario,
    plan: Plan,
    community: Community,
    explained: tuple[tuple[ForcedRoute, ...], str | None, tuple[BindingRule, ...]],
    marginal: TargetPrice | None,
    lang: str | None = None,
) -> list[str]:
    """Why these routes, sentence by sentence: the runner-up and who it would cost or give the
    standard, the rules that hold the community, the margin (the explanation's paragraph and
    the ledger of plan.xlsx both say it so)."""
    forced, runner_up, binding = explained
    sentences = [runner_up_words(plan, forced, runner_up, bool(community.options), lang)]
    holding = [w for w in binding_words(scenario, plan, community, binding, lang) if w]
    if holding:
        sentences.append(say("explain.holding", lang, rules=say("sep", lang).join(holding[:5])))
    if marginal:
        sentences.append(marginal_words(marginal, lang))
    return [s for s in sentences if s]


def head_words(result: CommunityResult, lang: str | None = None) -> str:
    """The community, its street or town, its area now and its target."""
    return say(
        "explain.head",
        lang,
        name=result.name,
        id=result.id,
        group=result.group_name,
        existing=f"{result.existing_area_m2:g}",
        target=f"{result.target_area_m2:g}",
        demo=say("explain.demo", lang) if result.must_meet else "",
    )


def body_words(result: CommunityResult, plan: Plan, lang: str | None = None) -> str:
    """What the plan does here: its routes, the area reached, the cost and who pays."""
    if not result.options:
        key = "explain.no_route_met" if result.meets_target else "explain.no_route_short"
        return say(key, lang, short=f"{result.shortfall_m2:.1f}")
    routes = say("and", lang).join(
        say(
            "explain.route", lang, id=o.id, kind=word("kind", o.kind, lang), area=f"{o.area_m2:.1f}"
        )
        for o in result.options
    )
    reach = (
        say("explain.meets", lang)
        if result.meets_target
        else say("explain.short", lang, short=f"{result.shortfall_m2:.1f}")
    )
    return say(
        "explain.body",
        lang,
        routes=routes,
        final=f"{result.final_area_m2:.1f}",
        reach=reach,
        cost=f"{result.cost:.2f}",
        payers=payers(result, plan, lang),
    )


def payers(result: CommunityResult, plan: Plan, lang: str | None = None) -> str:
    names = {f.source: f.source_name for f in plan.funding_results}
    paid = result.routes_paid_wan()
    shown = [f"{names.get(s, s)} {a:.2f}" for s, a in paid.items() if a > 0]
    return say("sep", lang).join(shown) or say("explain.nobody_pays", lang)


def runner_up_words(
    plan: Plan,
    forced: tuple[ForcedRoute, ...],
    runner_up: str | None,
    has_routes: bool,
    lang: str | None = None,
) -> str:
    if not forced:
        return say("explain.every_route" if has_routes else "explain.no_route_open", lang)
    if runner_up is None:
        return say("explain.none_forceable", lang)
    best = next(f for f in forced if f.option == runner_up)
    cost, short = best.cost_difference or 0.0, best.shortfall_difference or 0.0
    change = say("explain.cost_change", lang, cost=f"{cost:+.2f}")
    if abs(short) > 1e-4:
        change += say("explain.shortfall_change", lang, short=f"{short:+.1f}")
    text = say(
        "explain.runner_up",
        lang,
        option=best.option,
        kind=word("kind", best.kind, lang),
        change=change,
    )
    return " ".join([text, standing_words(plan, best, lang)]).strip()


def standing_words(plan: Plan, forced: ForcedRoute, lang: str | None = None) -> str:
    """Which communities would lose or gain the standard if this route were forced."""
    names = {c.id: c.name for c in plan.community_results}
    sep = say("sep", lang)
    parts = []
    if forced.loses_standard:
        lost = sep.join(names.get(c, c) for c in forced.loses_standard)
        parts.append(say("explain.loses", lang, names=lost, count=len(forced.loses_standard)))
    if forced.gains_standard:
        won = sep.join(names.get(c, c) for c in forced.gains_standard)
        parts.append(say("explain.gains", lang, names=won, count=len(forced.gains_standard)))
    if forced.feasible and not parts and abs(forced.shortfall_difference or 0.0) > 1e-4:
        parts.append(say("explain.same_standing", lang))
    return "".join(parts)


def binding_words(
    scenario: Scenario,
    plan: Plan,
    community: Community,
    binding: tuple[BindingRule, ...],
    lang: str | None = None,
) -> list[str]:
    """Each rule that binds here, in the planner's words, most telling first."""
    ranked = sorted(binding, key=lambda b: RULE_ORDER.index(b.rule) if b.rule in RULE_ORDER else 99)
    return [rule_words(scenario, plan, community, rule, lang) for rule in ranked]


def rule_words(
    scenario: Scenario, plan: Plan, community: Community, rule: BindingRule, lang: str | None
) -> str:
    """One binding rule in words ('' for must_meet that holds without binding)."""
    option = next((o for o in community.options if o.id == rule.option), None)
    route = (
        say("explain.route_named", lang, id=option.id, kind=word("kind", option.kind, lang))
        if option
        else (rule.option or "")
    )
    source = next((s for s in scenario.funding if s.id == rule.source), None)
    fields = {"route": route, "source": source.name if source else (rule.source or "")}
    if rule.rule == "must_meet":
        return say("rule.must_meet", lang, short=f"{rule.value:,.1f}") if rule.value else ""
    if rule.rule == "budget":
        where = "" if rule.unit in (None, "county") else say("rule.in_unit", lang, unit=rule.unit)
        used = sum(
            f.used for f in plan.funding_results if (f.source, f.unit) == (rule.source, rule.unit)
        )
        return say(
            "rule.budget",
            lang,
            where=where,
            used=f"{used:,.2f}",
            budget=f"{rule.value or 0.0:,.2f}",
            **fields,
        )
    if rule.rule == "max_area" and option:
        return say("rule.max_area", lang, area=f"{option.max_area_m2:,.1f}", **fields)
    if rule.rule == "locked" and option and option.locked:
        return say("rule.locked", lang, lock=word("locked", option.locked, lang), **fields)
    if rule.rule == "max_options":
        return say("rule.max_options", lang, count=community.max_options)
    if rule.rule == "excludes" and option:
        return say(
            "rule.excludes", lang, taken=_excluder(plan, community, option.id, lang), **fields
        )
    if rule.rule in (
        "excludes",
        "min_area",
        "max_share",
        "max_per_option",
        "max_options_funded",
        "capital_only",
    ):
        return say(f"rule.{rule.rule}", lang, **fields)
    return say("rule.other", lang, rule=rule.rule, **fields)


def _excluder(plan: Plan, community: Community, option_id: str, lang: str | None) -> str:
    """The chosen route that shuts `option_id` out (either side may name the other)."""
    chosen = {o.id for c in plan.community_results if c.id == community.id for o in c.options}
    other = next((o for o in community.options if o.id == option_id), None)
    for o in community.options:
        if o.id in chosen and (option_id in o.excludes or (other and o.id in other.excludes)):
            return say("explain.route_named", lang, id=o.id, kind=word("kind", o.kind, lang))
    return say("explain.route_taken", lang)


def marginal_words(marginal: TargetPrice, lang: str | None = None) -> str:
    """What one more m2 of this community's target does, from the price to trust."""
    values: object = marginal.lp
    step = 1.0
    fd = marginal.finite_difference
    if marginal.trust == Trust.FINITE_DIFFERENCE and fd is not None:
        values, step = fd, fd.step
    more = f"{step:g}"
    if isinstance(values, Resolved) and not values.feasible:
        return say("explain.margin_no_plan", lang, step=more)
    short = getattr(values, "shortfall_m2", None)
    if short:
        return say("explain.margin_shortfall", lang, step=more, short=f"{short * step:.3g}")
    cost = (getattr(values, "cost_wan", None) or 0.0) * step
    return say("explain.margin_cost", lang, step=more, cost=f"{cost:.4g}")


def forced_note(code: str, lang: str | None = None, **fields: object) -> str:
    """A note on a forced route (`note_code` of `ForcedRoute`) in words."""
    return say(f"forced.{code}", lang, **fields) if code else ""
