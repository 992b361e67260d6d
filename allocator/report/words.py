"""Chinese sentences for the files planners open (plan.xlsx, report.docx), each built from the
figures of the plan, the scenario or an explanation: nothing here is written by hand about a
particular plan.

`plan_sentence` says what the plan does for one community; `why_sentences` says why, from the
structured fields of `allocator.analysis.explanation.Explanation` (the runner-up route, the
rules that bind, the marginal cost of the target), as `allocator explain` does in English.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allocator.findings import Trust
from allocator.labels import zh
from allocator.plan import CommunityResult, Plan, Status

if TYPE_CHECKING:
    from allocator.analysis.binding import BindingRule
    from allocator.analysis.explanation import Explanation, ForcedRoute
    from allocator.findings import TargetPrice
    from allocator.scenario.schema import Community, Scenario

STATUS_ZH = {
    Status.OPTIMAL: "最优（已证明）",
    Status.TIME_LIMIT: "达到时间上限时的最好方案（未证明最优）",
    Status.NOT_PROVEN: "可行方案（未证明最优）",
    Status.INFEASIBLE: "无解：规则无法同时满足",
    Status.NO_PLAN: "求解器未给出方案",
}
COUNTY_UNIT_ZH = "全县"


def kind_zh(kind: str) -> str:
    return zh("option_kind", kind)


def unit_zh(plan: Plan, unit: str) -> str:
    """A budget unit in words: 全县, a street or town, or a community."""
    if unit == "county":
        return COUNTY_UNIT_ZH
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
    paid = {f.source: 0.0 for f in plan.funding_results} | community.paid_wan()
    return {source: amount for source, amount in paid.items() if amount > 0.005}


def status_line(plan: Plan) -> str:
    """The solver's status in one sentence: optimal, or not proven with its gap and why."""
    words = STATUS_ZH[plan.status]
    gap = plan.solver.gap
    gap_words = "" if gap is None else f"，相对间隙 {gap:.2%}"
    limit = plan.solver.time_limit_s
    limit_words = "" if limit is None else f"，时间上限 {limit:g} 秒"
    solver = f"求解器 {plan.solver.version}，用时 {plan.solver.runtime_s:.1f} 秒"
    if plan.status == Status.OPTIMAL:
        return f"求解状态：{words}{gap_words}；{solver}{limit_words}。"
    notes = [s.note for s in plan.solver.stages if s.note and s.status != "optimal"]
    note_words = f"（原因：{'；'.join(notes)}）" if notes else ""
    return f"求解状态：{words}{gap_words}{note_words}；{solver}{limit_words}。"


def plan_sentence(plan: Plan, community: CommunityResult) -> str:
    """What the plan does here: routes, area reached against the target, cost and payers."""
    demo = "，为示范点" if community.must_meet else ""
    head = (
        f"{community.name}（{community.group_name}）现有面积 {community.existing_area_m2:,.1f} m²，"
        f"标准 {community.target_area_m2:,.1f} m²{demo}。"
    )
    reach = "达到标准" if community.meets_target else f"仍缺 {community.shortfall_m2:,.1f} m²"
    if not community.options:
        return head + f"方案在此不选路径，{reach}。"
    routes = "、".join(
        f"{kind_zh(o.kind)} {o.area_m2:,.1f} m²（{o.id}）" for o in community.options
    )
    names = source_names(plan)
    payers = "、".join(
        f"{names.get(s, s)} {v:,.2f} 万元" for s, v in paid_by(plan, community).items()
    )
    money = f"，费用 {community.cost:,.2f} 万元，由{payers}支付" if payers else "，不花钱"
    return (
        head + f"方案选用{routes}，建成后计入 {community.final_area_m2:,.1f} m²，{reach}{money}。"
    )


def why_sentences(plan: Plan, scenario: Scenario, explanation: Explanation) -> list[str]:
    """Why these routes, from the explanation's fields: runner-up, rules, marginal cost."""
    community = next(c for c in scenario.communities if c.id == explanation.community)
    sentences = [_runner_up(explanation.forced, explanation.runner_up, community)]
    rules = _binding_words(plan, scenario, community, explanation.binding)
    if rules:
        sentences.append("起约束作用的规则：" + "；".join(rules[:5]) + "。")
    if explanation.marginal is not None:
        sentences.append(_marginal(explanation.marginal))
    return [s for s in sentences if s]


def forced_rows(explanation: Explanation) -> list[tuple[str, str]]:
    """Per route not chosen: (the route with its kind, what forcing it would do), in words."""
    rows = []
    for forced in explanation.forced:
        star = "，次优" if forced.option == explanation.runner_up else ""
        rows.append((f"{forced.option}（{kind_zh(forced.kind)}{star}）", _forced_words(forced)))
    return rows


def _forced_words(forced: ForcedRoute) -> str:
    if not forced.feasible:
        if forced.note.startswith("cannot be forced"):
            return "与已锁定的决定冲突，不能强制选用"
        return "强制选用后无可行方案"
    parts = [f"全县费用 {forced.cost_difference or 0.0:+,.2f} 万元"]
    if abs(forced.shortfall_difference or 0.0) > 1e-4:
        parts.append(f"加权缺口 {forced.shortfall_difference or 0.0:+,.1f} m²")
    parts.append(f"本社区缺口 {forced.community_shortfall_m2 or 0.0:,.1f} m²")
    return "若强制选用：" + "，".join(parts)


def _runner_up(forced: tuple[ForcedRoute, ...], runner_up: str | None, c: Community) -> str:
    if not forced:
        return "本社区可选的路径已全部选用。" if c.options else "本社区没有可选的路径。"
    if runner_up is None:
        return "本社区其他路径都无法纳入可行方案。"
    best = next(f for f in forced if f.option == runner_up)
    change = f"{best.cost_difference or 0.0:+,.2f} 万元"
    if abs(best.shortfall_difference or 0.0) > 1e-4:
        change += f"、加权缺口 {best.shortfall_difference or 0.0:+,.1f} m²"
    return (
        f"次优路径是 {best.option}（{kind_zh(best.kind)}）：若强制选用，全县方案费用变化 {change}。"
    )


_ORDER = ("must_meet", "excludes", "max_options", "max_area", "budget", "locked")


def _binding_words(
    plan: Plan, scenario: Scenario, community: Community, binding: tuple[BindingRule, ...]
) -> list[str]:
    ranked = sorted(binding, key=lambda b: _ORDER.index(b.rule) if b.rule in _ORDER else 99)
    words = [_rule_words(plan, scenario, community, rule) for rule in ranked]
    return [w for w in words if w]


def _rule_words(plan: Plan, scenario: Scenario, community: Community, rule: BindingRule) -> str:
    option = next((o for o in community.options if o.id == rule.option), None)
    route = f"{option.id}（{kind_zh(option.kind)}）" if option else (rule.option or "")
    source = next((s for s in scenario.funding if s.id == rule.source), None)
    name = source.name if source else (rule.source or "")
    if rule.rule == "must_meet":
        if not rule.value:
            return ""  # holds but does not bind
        return f"示范点必须达标，若不作此要求本社区将缺 {rule.value:,.1f} m²"
    if rule.rule == "budget":
        where = "" if rule.unit in (None, "county") else f"在{unit_zh(plan, rule.unit)}的额度"
        return f"{name}{where}已全部用完（{rule.value or 0.0:,.2f} 万元）"
    if rule.rule == "max_area" and option:
        return f"{route}已用到最大面积 {option.max_area_m2:,.1f} m²"
    if rule.rule == "min_area" and option:
        return f"{route}须整体建设，至少 {option.min_area_m2:,.1f} m²"
    if rule.rule == "locked" and option and option.locked:
        return f"{route}已锁定为{zh('locked', option.locked)}"
    if rule.rule == "excludes" and option:
        return f"{_excluder(plan, community, option.id)}与 {route}互斥，二者只能选一"
    if rule.rule == "max_options":
        return f"本社区最多组合 {community.max_options} 条路径，已用满"
    return _source_rule_words(rule.rule, name, source) or f"规则 {rule.rule} 处于上限"


def _excluder(plan: Plan, community: Community, option_id: str) -> str:
    """The chosen route that shuts `option_id` out (either side may name the other)."""
    chosen = {o.id for c in plan.community_results if c.id == community.id for o in c.options}
    other = next((o for o in community.options if o.id == option_id), None)
    for o in community.options:
        if o.id in chosen and (option_id in o.excludes or (other and o.id in other.excludes)):
            return f"已选的 {o.id}（{kind_zh(o.kind)}）"
    return "已选路径"


def _source_rule_words(rule: str, name: str, source: object) -> str:
    if rule == "max_share" and source is not None:
        return f"{name}对一条路径最多承担 {source.max_share:.0%}，已到上限"  # type: ignore[attr-defined]
    if rule == "max_per_option" and source is not None:
        cap = source.max_per_option or 0.0  # type: ignore[attr-defined]
        return f"{name}对一条路径最多资助 {cap:,.2f} 万元，已到上限"
    if rule == "max_options_funded" and source is not None:
        count = source.max_options_funded  # type: ignore[attr-defined]
        return f"{name}最多资助 {count} 条路径，已用满"
    if rule == "capital_only":
        return f"{name}只付一次性建设费用，已付满"
    return ""


def _marginal(marginal: TargetPrice) -> str:
    values = marginal.lp
    step = 1.0
    if marginal.trust == Trust.FINITE_DIFFERENCE and marginal.finite_difference is not None:
        values, step = marginal.finite_difference, marginal.finite_difference.step  # type: ignore[assignment]
    more = "提高 1 m²" if step == 1 else f"提高 {step:g} m²"
    if getattr(values, "feasible", True) is False:
        return f"边际：本社区标准再{more}，将无可行方案。"
    if values.shortfall_m2:
        return f"边际：本社区标准再{more}，加权缺口增加 {values.shortfall_m2 * step:.3g} m²。"
    cost = (values.cost_wan or 0.0) * step
    return f"边际：本社区标准再{more}，全县费用增加 {cost:.4g} 万元。"
