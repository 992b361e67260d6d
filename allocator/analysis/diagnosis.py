"""Why a scenario has no plan, and the cheapest ways to give it one, in planner terms.

`diagnose(scenario)` answers three questions, each tied to scenario entries (community,
option, source and unit, and the YAML line where the file is known):

- `conflicts`: a smallest set of rules that cannot hold together (irreducible: drop any one
  of them and a plan exists). Found on rule groups, not on matrix rows: each rule of the
  scenario (a must_meet site, a lock, a budget of one source in one unit, an exclusion, a
  route's largest area, a funding rule ...) is a set of rows and column bounds of the model
  that can be switched off as one. When the LP relaxation is infeasible, HiGHS's IIS of
  the relaxation (through highspy) names the rows and bounds, mapped back to rules; a
  deletion filter with MIP feasibility runs then makes the set irreducible for the MIP. When
  only the integer decisions make it infeasible (all-or-nothing areas, locks), the deletion
  filter runs over every rule.
- `repairs`: the least extra money, per source and unit, that gives a plan: every budget gets
  an elastic column (extra money at a price of 1 per 万元, a hair cheaper for county money
  so that ties go to one pot), and the MIP finds the cheapest set. Applying all of them
  together makes the scenario solvable; amounts are rounded up to 0.01 万元.
  `repairs_by_source` gives, per source, the least extra money when only that source moves.
- `short_m2`: communities whose routes cannot reach their target whatever the money: how
  many m2 they lack, and which rule to relax (max_options, an exclusion, a rejected route,
  the target or must_meet). Money cannot repair these; `money_can_repair` says whether money
  alone can repair the scenario.

The rules as groups of model rows and bounds that switch on and off: `allocator.analysis.relax`.
The records (`Diagnosis`, `Conflict`, `Repair`, `Shortfall`): `allocator.findings`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.analysis.relax import RelaxableModel, Rule, drop_rank
from allocator.findings import (
    Conflict,
    CutShort,
    Diagnosis,
    Repair,
    Shortfall,
    SourceRepair,
    UnitRepair,
)
from allocator.model.rules import may_combine
from allocator.scenario.schema import COUNTY_UNIT, Community, Option, Scenario

if TYPE_CHECKING:
    from allocator.plan import Plan
    from allocator.solving.worker import Deadline

__all__ = ["RelaxableModel", "Rule", "best_reachable_area_m2", "diagnose", "physical_shortfalls"]

DEFAULT_TIME_LIMIT_S = 60.0


def diagnose(scenario: Scenario, *, time_limit_s: float | None = DEFAULT_TIME_LIMIT_S) -> Diagnosis:
    """What conflicts, what would repair it, and who cannot reach the target at all."""
    began = time.monotonic()
    deadline = None if time_limit_s is None else began + time_limit_s
    # The repair first (one solve, the answer planners act on); the conflict search may then
    # use up to 70% of the time; the per-source menu what is left.
    search_deadline = None if time_limit_s is None else began + 0.7 * time_limit_s
    short = physical_shortfalls(scenario)
    relaxable = RelaxableModel(scenario)
    hopeless = {s.community for s in short}
    found, money_can_repair = relaxable.repairs(hopeless, deadline)
    repairs = tuple(_repair(r) for r in found)
    conflict, method, minimal = relaxable.conflict(search_deadline)
    by_source = relaxable.repairs_by_source(hopeless, deadline) if repairs else []
    diagnosis = Diagnosis(
        conflicts=_conflict_entries(scenario, _planner_order(conflict)),
        repairs=repairs,
        short_m2=short,
        money_can_repair=money_can_repair,
        repairs_total_wan=round(sum(r.extra_budget for r in repairs), 2),
        repairs_by_source=tuple(_source_repair(r) for r in by_source),
        conflict_method=method,
        conflict_minimal=minimal,
        runtime_s=round(time.monotonic() - began, 3),
        summary="",
    )
    return replace(diagnosis, summary=_summary(diagnosis))


def _repair(found: dict[str, Any]) -> Repair:
    return Repair(
        source=found["source"],
        source_name=found["source_name"],
        unit=found["unit"],
        budget=found["budget"],
        extra_budget=found["extra_budget"],
    )


def _source_repair(found: dict[str, Any]) -> SourceRepair:
    return SourceRepair(
        source=found["source"],
        source_name=found["source_name"],
        possible=found["possible"],
        units=tuple(UnitRepair(u["unit"], u["extra_budget"]) for u in found["units"]),
        total_extra=found["total_extra"],
    )


# --- communities that cannot reach their target whatever the money ------------------------
def physical_shortfalls(scenario: Scenario) -> tuple[Shortfall, ...]:
    """must_meet communities whose routes cannot reach the target, and what would let them."""
    short = []
    for community in scenario.communities:
        if not community.must_meet:
            continue
        best = best_reachable_area_m2(community)
        if best < community.target_area_m2 - 1e-6:
            short.append(
                Shortfall(
                    community=community.id,
                    name=community.name,
                    target_m2=community.target_area_m2,
                    reachable_m2=round(best, 6),
                    missing_m2=round(community.target_area_m2 - best, 6),
                    relax=tuple(_what_would_reach(community, best)),
                )
            )
    return tuple(short)


def best_reachable_area_m2(community: Community) -> float:
    """Largest area the community can reach, ignoring money: every allowed set of routes."""
    options = [o for o in community.options if o.locked != "rejected"]
    return _best_area(community, options, community.max_options, respect_excludes=True)


def _best_area(
    community: Community, options: list[Option], max_options: int, *, respect_excludes: bool
) -> float:
    locked = [o for o in options if o.locked == "chosen"]
    free = [o for o in options if o.locked != "chosen"]
    best = community.existing_area_m2 if not any(o.replaces_existing for o in locked) else 0.0
    room = max_options - len(locked)
    for size in range(0, max(room, 0) + 1):
        for extra in combinations(free, size):
            chosen = [*locked, *extra]
            if _allowed(community, chosen, respect_excludes):
                best = max(best, _area_m2(community, chosen))
    return best


def _what_would_reach(community: Community, best: float) -> list[str]:
    """Rules whose relaxation would let the community reach its target (or come closer)."""
    target = community.target_area_m2
    open_options = [o for o in community.options if o.locked != "rejected"]
    advice = []
    every = _best_area(community, open_options, len(community.options), respect_excludes=True)
    if every > best + 1e-6 and len(community.options) > community.max_options:
        advice.append(
            f"max_options: allow {len(community.options)} routes to be combined instead of "
            f"{community.max_options} (reaches {every:.1f} m2)"
        )
    loose = _best_area(community, open_options, community.max_options, respect_excludes=False)
    if loose > best + 1e-6:
        advice.append(f"excludes: allow the excluded routes together (reaches {loose:.1f} m2)")
    rejected = [o for o in community.options if o.locked == "rejected"]
    if rejected:
        unlocked = _best_area(
            community, list(community.options), community.max_options, respect_excludes=True
        )
        if unlocked > best + 1e-6:
            names = ", ".join(o.id for o in rejected)
            advice.append(
                f"locked: reconsider the rejected route {names} (reaches {unlocked:.1f} m2)"
            )
    advice.append(f"target_area_m2: lower the target to {best:.1f} m2, or drop must_meet")
    if not any(a.startswith(("max_options", "excludes", "locked")) for a in advice):
        advice.insert(0, f"options: add a route of at least {target - best:.1f} counted m2")
    return advice


def _allowed(community: Community, chosen: list[Option], respect_excludes: bool) -> bool:
    """By the choice rules of the model, except locks and the number combined (the caller
    sets those), and exclusions unless `respect_excludes`."""
    ignore = {"locked", "max_options"} | (set() if respect_excludes else {"excludes"})
    return may_combine(community, frozenset(o.id for o in chosen), frozenset(ignore))


def _area_m2(community: Community, chosen: list[Option]) -> float:
    existing = 0.0 if any(o.replaces_existing for o in chosen) else community.existing_area_m2
    return existing + sum(o.area_factor * o.max_area_m2 for o in chosen)


# --- words --------------------------------------------------------------------------------
def _planner_order(rules: list[Rule]) -> list[Rule]:
    """The rules a planner decides about first: must_meet, locks, budgets, then the rest."""
    return sorted(rules, key=lambda r: -drop_rank(r))


def _conflict_entries(scenario: Scenario, rules: list[Rule]) -> tuple[Conflict, ...]:
    """Each rule as a scenario entry: community, option, source, unit, and the YAML line."""
    from allocator.errors import Problem, locate

    origin, text = source_file(scenario)
    problems = locate([Problem(r.loc, r.text) for r in rules], scenario.source, text)
    problems = scenario.on_cells(problems)
    return tuple(
        Conflict(
            rule=rule.kind,
            community=rule.community,
            option=rule.option,
            source=rule.source,
            unit=rule.unit,
            file=origin,
            line=problem.line,
            place=problem.place,
            entry=problem.entry,
            field=".".join(str(k) for k in rule.loc[-1:] if isinstance(k, str)),
            text=rule.text,
            where=problem.describe(origin),
        )
        for rule, problem in zip(rules, problems, strict=True)
    )


def source_file(scenario: Scenario) -> tuple[str, str | None]:
    """The file whose lines hold the scenario's entries, and its text. A file that `extends`
    another holds only changes: the entries are in the file it extends (followed down)."""
    import yaml

    if not scenario.path:
        return "<scenario>", None
    path = Path(scenario.path)
    for _ in range(10):
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return str(path), None
        base = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(base, str) or "communities" in data:
            return str(path), text
        path = path.parent / base
    return str(path), None


def _conflict_words(conflicts: tuple[Conflict, ...]) -> str:
    """The conflicting rules in a sentence: each in full when few, grouped when many."""
    if len(conflicts) <= 5:
        return "; ".join(f"({n}) {c.text}" for n, c in enumerate(conflicts, 1))
    groups: dict[str, list[str]] = {}
    for c in conflicts:
        groups.setdefault(c.rule, []).append(_short_rule(c))
    labels = {
        "must_meet": "demonstration sites that must reach their targets",
        "budget": "budgets (万元)",
        "locked": "locked decisions",
        "max_area": "largest areas of routes",
        "min_area": "least areas of routes",
        "excludes": "exclusions",
        "max_options": "most routes combined",
    }
    return "; ".join(
        f"{labels.get(kind, kind)}: {', '.join(items)}" for kind, items in groups.items()
    )


def _short_rule(conflict: Conflict) -> str:
    kind, text = conflict.rule, conflict.text
    if kind == "must_meet":
        return str(conflict.community)
    if kind == "budget":
        unit = "" if conflict.unit == COUNTY_UNIT else f" {conflict.unit}"
        amount = text.split(" has ")[-1].split(" 万元")[0]
        return f"{conflict.source}{unit} {amount}"
    if kind in ("max_area", "min_area"):
        amount = text.split(" at most " if kind == "max_area" else " at least ")[-1].split(" m2")[0]
        return f"{conflict.option} {amount} m2"
    if kind == "locked":
        return f"{conflict.option} ({text.split('is locked ')[-1].split(':')[0]})"
    return text


def _summary(diagnosis: Diagnosis) -> str:
    if not diagnosis.conflicts and not diagnosis.short_m2:
        return "No conflict found: the scenario has a plan with every rule in force."
    parts = []
    short = diagnosis.short_m2
    if short:
        parts.append(
            "; ".join(
                f"{s.name} ({s.community}) lacks {s.missing_m2:.1f} m2 even with every "
                f"route open to it ({s.relax[0]})"
                for s in short
            )
            + "."
        )
    conflicts = diagnosis.conflicts
    if conflicts:
        parts.append(f"These rules cannot all hold together: {_conflict_words(conflicts)}.")
    repairs = diagnosis.repairs
    money = "; ".join(
        f"{r.extra_budget:.2f} 万元 more for {r.source}"
        + ("" if r.unit == COUNTY_UNIT else f" in {r.unit}")
        for r in repairs
    )
    if diagnosis.money_can_repair:
        parts.append(
            f"Cheapest repair: {money} (total {diagnosis.repairs_total_wan:.2f} "
            "万元); or drop one of the rules above."
        )
    elif repairs:
        parts.append(f"Once the sites above are dealt with, the money still lacks: {money}.")
    elif diagnosis.money_can_repair is None:
        parts.append("Whether more money would repair it was not settled in the time given.")
    elif not short:
        parts.append("No amount of extra budget repairs it: relax one of the rules above.")
    return " ".join(parts) or "No conflict found: the scenario has a plan."


def solve(scenario: Scenario, *, deadline: Deadline | None = None, **options: Any) -> Plan:
    """The plan of `allocator.solving.lexicographic.solve` (same options); for an infeasible
    scenario with a `diagnosis` of what cannot be met.

    With a time limit (`time_limit`, or a `deadline` shared with the rest of a command) the
    solve runs in a worker process ended at the deadline (`allocator.solving.worker`), and the
    diagnosis gets what is left of it; the plan's `cut_short` names what the limit cut short.
    Without one, in this process, the diagnosis with its own default limit."""
    from allocator.plan import Status
    from allocator.solving.cut_plans import cut_note
    from allocator.solving.worker import Deadline, solve_within, within

    limit = options.pop("time_limit", None)
    deadline = Deadline.of(limit) if deadline is None else deadline
    plan = solve_within(scenario, deadline, **options)
    cut = list(plan.cut_short)
    if plan.status == Status.TIME_LIMIT:
        cut.append(_at_the_limit(plan))
    elif plan.status == Status.NO_PLAN and deadline.limited and not cut:
        cut.append(_no_plan_found(plan))
    if plan.status == Status.INFEASIBLE and not deadline.limited:
        return replace(plan, diagnosis=diagnose(scenario))
    if plan.status == Status.INFEASIBLE:
        call = within(deadline, _diagnose_here, scenario, deadline)
        if not call.done:
            cut.append(cut_note(deadline, call.how, "diagnosis"))
        elif call.value.money_can_repair is None or not call.value.conflict_minimal:
            cut.append(CutShort("diagnosis", "time_limit", _PARTIAL_DIAGNOSIS))
        plan = replace(plan, diagnosis=call.value if call.done else None)
    return replace(plan, cut_short=tuple(cut))


_PARTIAL_DIAGNOSIS = (
    "the diagnosis ran out of time: the rules named may not be the fewest, or whether money "
    "repairs it is not settled"
)


def _diagnose_here(scenario: Scenario, deadline: Deadline) -> Diagnosis:
    from allocator.solving.worker import solver_seconds

    return diagnose(scenario, time_limit_s=solver_seconds(deadline))


def _no_plan_found(plan: Plan) -> CutShort:
    notes = [s.note for s in plan.solver.stages if s.note]
    said = "; ".join(notes) or "no plan was found in the time given"
    return CutShort("solve", "time_limit", said)


def _at_the_limit(plan: Plan) -> CutShort:
    gap = plan.solver.gap
    proven = "gap unknown" if gap is None else f"proven gap {gap:.2g}"
    return CutShort("solve", "time_limit", f"the best plan found in the time given ({proven})")
