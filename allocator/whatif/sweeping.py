"""Sweeps: solve a scenario over a grid of one or two (or more) parameters, in parallel.

    from allocator import load_scenario, sweep
    frame = sweep(load_scenario("scenarios/2024_premises.yaml"),
                  {"funding[county].budget": range(300, 801, 50)}, jobs=2)

Each parameter is a change path (see `allocator.scenario.changes`) and the values it
takes; a value may
be a number to set or a change such as `{scale: 1.3}`. The result has one row per point of the
grid: the parameters, then status, communities meeting target, total and weighted shortfall,
total cost and the money used from each source. Points without a plan (infeasible: a
demonstration site cannot be paid for) are rows too, with status and empty figures.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from allocator.analysis.diagnosis import solve
from allocator.catalogue import say
from allocator.errors import Problem, ScenarioError
from allocator.plan import Plan
from allocator.scenario.changes import OPERATIONS, split_operation
from allocator.scenario.schema import Scenario
from allocator.solving.lexicographic import DEFAULT_GAP
from allocator.whatif.comparison import headline, money_used

_MAX_POINTS = 10_000


@dataclass(frozen=True)
class Parameter:
    """One swept parameter: a change path and the values (numbers) it takes."""

    path: str
    values: tuple[float, ...]
    operation: str = "set"  # or scale, add

    @property
    def column(self) -> str:
        return self.path if self.operation == "set" else f"{self.path} ({self.operation})"

    def change(self, value: Any) -> Any:
        return value if self.operation == "set" else {self.operation: value}


def parse_vary(spec: str) -> Parameter:
    """`PATH=START:STOP:STEP` (STOP included), `PATH=a,b,c`, `PATH*=...` scales, `PATH+=...` adds.

    Raises ValueError with a message for people.
    """
    path, mark, text = _split_spec(spec)
    if not path or not text:
        raise ValueError(
            f"'{spec}': write PATH=START:STOP:STEP or PATH=a,b,c "
            "(PATH*=... to scale, PATH+=... to add), e.g. funding[county].budget=300:800:50"
        )
    operation = {"": "set", "*": "scale", "+": "add"}[mark]
    try:
        if ":" in text:
            start, stop, step = (float(part) for part in text.split(":"))
            values = number_range(start, stop, step)
        else:
            values = tuple(_number(part) for part in text.split(","))
    except ValueError as error:
        raise ValueError(f"'{spec}': {error}") from None
    return Parameter(path, values, operation)


def _split_spec(spec: str) -> tuple[str, str, str]:
    """'a[*].b*=1:2:1' -> ('a[*].b', '*', '1:2:1'): the first '=' outside brackets."""
    depth = 0
    for index, char in enumerate(spec):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "=" and depth == 0:
            path, mark = spec[:index].rstrip(), ""
            if path.endswith(("*", "+")) and not path.endswith("]*"):
                path, mark = path[:-1].rstrip(), path[-1]
            return path, mark, spec[index + 1 :].strip()
    return "", "", ""


def number_range(start: float, stop: float, step: float) -> tuple[float, ...]:
    """start, start + step, ... up to and including stop (within rounding)."""
    if not all(math.isfinite(v) for v in (start, stop, step)) or step <= 0 or stop < start:
        raise ValueError("START:STOP:STEP needs START <= STOP and a STEP above 0")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > _MAX_POINTS:
        raise ValueError(f"{count} points: at most {_MAX_POINTS}")
    return tuple(_tidy(start + i * step) for i in range(count))


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"'{text.strip()}' is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"'{text.strip()}' is not a finite number")
    return _tidy(value)


def _tidy(value: float) -> float:
    value = round(value, 9)
    return int(value) if value.is_integer() else value


def as_parameters(
    vary: Mapping[str, Iterable[Any]] | Sequence[Parameter | tuple[str, Iterable[Any]]],
) -> list[Parameter]:
    """{path: values} (values may be changes like {scale: 1.1}) or Parameters -> Parameters."""
    items = vary.items() if isinstance(vary, Mapping) else vary
    parameters = []
    for item in items:
        if isinstance(item, Parameter):
            parameters.append(item)
            continue
        path, values = item
        operations = [split_operation(v) for v in values]
        kinds = {op for op, _ in operations}
        if len(kinds) > 1:
            raise ValueError(f"{path}: mix of {', '.join(sorted(kinds))}; use one kind of change")
        operation = kinds.pop() if kinds else "set"
        assert operation in OPERATIONS
        parameters.append(Parameter(path, tuple(v for _, v in operations), operation))
    if not parameters or any(not p.values for p in parameters):
        raise ValueError("a sweep needs at least one parameter with at least one value")
    return parameters


def grid(parameters: Sequence[Parameter]) -> list[dict[str, Any]]:
    """Every combination of the parameters' values, the first parameter varying slowest."""
    return [
        dict(zip([p.column for p in parameters], combo, strict=True))
        for combo in itertools.product(*(p.values for p in parameters))
    ]


def sweep(
    scenario: Scenario,
    vary: Mapping[str, Iterable[Any]] | Sequence[Parameter | tuple[str, Iterable[Any]]],
    *,
    jobs: int = 1,
    progress: bool = False,
    solver: str = "highs",
    time_limit: float | None = None,
    gap: float = DEFAULT_GAP,
    keep_close_to: Any = None,
) -> pd.DataFrame:
    """Solve `scenario` at every point of the grid; one row per point, in grid order. With
    `keep_close_to` (a plan, its JSON or a plan.json) each point's plan changes the fewest
    routes, then payers, from it among its plans equal on the objective.

    Every point is built and validated before any is solved, so a bad path or value stops the
    sweep at once (ScenarioError naming the point). `jobs` > 1 solves in that many processes.

    `time_limit` (seconds) is for each point: its solve runs in a worker process ended at the
    limit (`allocator.solving.worker`), so the sweep in all takes at most the limit (plus its
    grace) times the points each process solves, ceil(points / jobs). What the limit cut short
    is listed in `frame.attrs["cut_short"]` (point, part, how, note).
    """
    parameters = as_parameters(vary)
    points = grid(parameters)
    if len(points) > _MAX_POINTS:
        raise ValueError(f"{len(points)} points: at most {_MAX_POINTS}")
    scenarios = [_point_scenario(scenario, parameters, point) for point in points]
    options = {"solver": solver, "time_limit": time_limit, "gap": gap}
    if keep_close_to is not None:
        options["keep_close_to"] = keep_close_to
    rows = _run(scenarios, options, jobs=max(1, int(jobs)), progress=progress)
    cut = [
        {"point": point, **note}
        for point, row in zip(points, rows, strict=True)
        for note in row.pop(_CUT, [])
    ]
    frame = pd.DataFrame([{**point, **row} for point, row in zip(points, rows, strict=True)])
    frame = frame.astype(
        {c: "float64" for c in frame.columns if c.endswith(("_wan", "_m2", "fall"))}
    )
    if cut:  # a column only when the time limit cut some point short
        frame["cut_short"] = ["; ".join(f"{c['part']}: {c['note']}" for c in row_cut)
                              for row_cut in _by_point(cut, points)]  # fmt: skip
    frame.attrs["parameters"] = [p.column for p in parameters]
    frame.attrs["cut_short"] = cut
    return frame


def _point_scenario(
    scenario: Scenario, parameters: Sequence[Parameter], point: dict[str, Any]
) -> Scenario:
    changes = [(p.path, p.change(point[p.column])) for p in parameters]
    try:
        return scenario.with_changes(changes)
    except ScenarioError as error:
        where = ", ".join(f"{k} = {v}" for k, v in point.items())
        raise ScenarioError(
            error.origin,
            [
                Problem(p.loc, p.message, line=p.line, entry=f"sweep point {where}: {p.entry}")
                for p in error.problems
            ],
        ) from None


def point_row(plan: Plan) -> dict[str, Any]:
    """The figures of one point: headline figures, money used per source, solve time."""
    used = money_used(plan)
    return {
        **headline(plan),
        **{f"used_{s}_wan": (v if plan.status.has_plan else None) for s, v in used.items()},
        "runtime_s": plan.solver.runtime_s,
    }


_CUT = "_cut_short"


def _by_point(cut: list[dict[str, Any]], points: list[dict[str, Any]]) -> list[list[dict]]:
    return [[c for c in cut if c["point"] is point] for point in points]


def _solve_point(index: int, scenario: Scenario, options: dict[str, Any]) -> tuple[int, dict]:
    from allocator.solving.worker import ready

    ready(options.get("time_limit") is not None)  # the point's limit is for its own solve
    plan = solve(scenario, **options)
    return index, {**point_row(plan), _CUT: [asdict(c) for c in plan.cut_short]}


def _run(
    scenarios: list[Scenario], options: dict[str, Any], *, jobs: int, progress: bool
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any] | None] = [None] * len(scenarios)
    with _Progress(len(scenarios), progress) as bar:
        if jobs == 1 or len(scenarios) == 1:
            for index, scenario in enumerate(scenarios):
                rows[index] = _solve_point(index, scenario, options)[1]
                bar.advance()
        else:
            with ProcessPoolExecutor(
                max_workers=min(jobs, len(scenarios)), mp_context=_context()
            ) as pool:
                futures = [
                    pool.submit(_solve_point, i, s, options) for i, s in enumerate(scenarios)
                ]
                for future in as_completed(futures):
                    index, row = future.result()
                    rows[index] = row
                    bar.advance()
    return [row for row in rows if row is not None]


def _context() -> Any:
    """Fresh worker processes: forking a process that has run HiGHS's threads is not safe."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["allocator.whatif.sweeping"])
        return context
    return multiprocessing.get_context("spawn")


class _Progress:
    """A progress bar on stderr (rich), or nothing."""

    def __init__(self, total: int, shown: bool) -> None:
        self.total, self.shown, self._bar, self._task = total, shown, None, None

    def __enter__(self) -> _Progress:
        if self.shown:
            import sys

            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self._bar = Progress(
                say("sweep.progress"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=sys.stderr),
            )
            self._bar.start()
            self._task = self._bar.add_task("sweep", total=self.total)
        return self

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
