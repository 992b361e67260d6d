"""Pictures for planners (matplotlib, drawn with the Agg backend; nothing global is changed).

- `plot_plan(plan)`: per community, the area it ends with, stacked by route, against its target.
- `plot_funding(plan)`: per funding source, the budget and the money the plan uses.
- `plot_sweep(frame)`: one parameter: the frontier (communities meeting the target and the
  total shortfall against the parameter); two parameters: a heat map of communities meeting.
- `plot_comparison(comparison)`: communities meeting and total shortfall per scenario.

Each returns a `matplotlib.figure.Figure`; `figure.savefig("x.png")` writes it. Labels come from
the catalogue in the run's language. Chinese needs a CJK font: one installed where matplotlib
has not seen it yet is added to its font list (`cjk_font`); when there is none, the pictures
are labelled in English and a warning says how to install one (`apt install fonts-noto-cjk`).
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from allocator.catalogue import current, say, word
from allocator.plan import kind_label

if TYPE_CHECKING:
    import pandas as pd

    from allocator.plan import Plan
    from allocator.whatif.comparison import Comparison

_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
    "Droid Sans Fallback",
)
_KIND_COLOURS = {
    "existing": "#9e9e9e",
    "allocate_build": "#1f77b4",
    "heighten": "#ff7f0e",
    "lease": "#2ca02c",
    "asset_swap": "#d62728",
    "integrate": "#9467bd",
    "developer": "#8c564b",
    "reclaim": "#e377c2",
}


_CJK_FILES = (
    "notosanscjk",
    "notoserifcjk",
    "sourcehansans",
    "wqy",
    "simhei",
    "msyh",
    "droidsansfallback",
    "pingfang",
)
NO_CJK_FONT = (
    "未找到中文字体，图中文字改用英文。No CJK font found: the pictures are labelled in English. "
    "Install one (Debian/Ubuntu: apt install fonts-noto-cjk; Windows has Microsoft YaHei) and "
    "draw again."
)


@cache
def cjk_font() -> str | None:
    """The name of an installed font with Chinese characters, if any. A font file on the
    system that matplotlib's cached font list does not know yet (installed after the cache was
    built) is added to it; when there is none, a warning says how to install one, once."""
    from matplotlib import font_manager

    found = _known_cjk(font_manager.fontManager)
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(part in Path(path).name.lower().replace("-", "") for part in _CJK_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = _known_cjk(font_manager.fontManager)
    if found is None:
        warnings.warn(NO_CJK_FONT, UserWarning, stacklevel=3)
    return found


def _known_cjk(manager: Any) -> str | None:
    installed = {font.name for font in manager.ttflist}
    return next((name for name in _CJK_FAMILIES if name in installed), None)


def _lang() -> str:
    """The run's language, or English when Chinese has no font to be drawn in."""
    return "en" if current() == "zh" and cjk_font() is None else current()


def _say(key: str) -> str:
    return say(key, _lang())


def _plain(text: str, fallback: str) -> str:
    """Without a CJK font, a label keeps its other characters (or becomes `fallback`)."""
    if cjk_font():
        return text
    kept = " ".join("".join(ch for ch in text if ord(ch) < 0x2E80).split())
    return kept or fallback


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _finish(figure: Figure) -> Figure:
    """Chinese text in a CJK font where there is one; else titles and legends lose it."""
    from matplotlib.text import Text

    font = cjk_font()
    for text in figure.findobj(Text):
        if font:
            text.set_fontfamily([font, "DejaVu Sans"])
        else:
            text.set_text(_plain(text.get_text(), ""))
    return figure


def plot_plan(plan: Plan, *, title: str | None = None) -> Figure:
    """Final area per community, stacked by route (existing premises first), and the target."""
    results = plan.community_results
    figure = _new_figure(max(8.0, 0.45 * len(results) + 2), 4.8)
    axes = figure.add_subplot()
    if not plan.status.has_plan:
        axes.text(
            0.5,
            0.5,
            say("plot.no_plan_status", _lang(), status=word("status", plan.status.value, _lang())),
            ha="center",
            va="center",
            transform=axes.transAxes,
        )
        axes.set_axis_off()
        return _finish(figure)
    positions = list(range(len(results)))
    bottoms = [0.0] * len(results)
    # Existing premises still counted: the final area less what the routes add (zero where a
    # swap or a new building replaced them).
    kept = [max(c.final_area_m2 - sum(o.counted_area_m2 for o in c.options), 0.0) for c in results]
    _stack(axes, positions, bottoms, kept, "existing", _say("plot.existing"))
    for kind in (k for k in _KIND_COLOURS if k != "existing"):
        label = kind_label(kind, _lang())
        heights = [sum(o.counted_area_m2 for o in c.options if o.kind == kind) for c in results]
        if any(heights):
            _stack(axes, positions, bottoms, heights, kind, label)
    for x, c in zip(positions, results, strict=True):
        axes.hlines(
            c.target_area_m2,
            x - 0.45,
            x + 0.45,
            colors="black",
            linewidth=1.6,
            label=_say("plot.target") if x == 0 else None,
        )
        if c.shortfall_m2 > 0:
            axes.text(
                x,
                c.final_area_m2,
                f"-{c.shortfall_m2:,.0f}",
                ha="center",
                va="bottom",
                fontsize=7,
                color="#b00020",
            )
    names = [c.name if cjk_font() else c.id for c in results]
    axes.set_xticks(positions, names, rotation=60, ha="right", fontsize=8)
    axes.set_ylabel(_say("plot.area"))
    axes.set_title(title or _say("plot.plan_title"))
    handles, labels = axes.get_legend_handles_labels()
    figure.legend(
        handles,
        labels,
        fontsize=7,
        ncols=min(len(labels), 9),
        loc="outside upper center",
        frameon=False,
    )
    axes.margins(y=0.05)
    return _finish(figure)


def _stack(
    axes: Any,
    positions: list[int],
    bottoms: list[float],
    heights: list[float],
    kind: str,
    label: str,
) -> None:
    axes.bar(positions, heights, bottom=bottoms, color=_KIND_COLOURS[kind], label=label, width=0.8)
    for i, height in enumerate(heights):
        bottoms[i] += height


def plot_funding(plan: Plan, *, title: str | None = None) -> Figure:
    """Budget and money used per source (summed over its units), 万元."""
    figure = _new_figure(7.0, 3.8)
    axes = figure.add_subplot()
    totals: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    for row in plan.funding_results:
        budget_used = totals.setdefault(row.source, [0.0, 0.0])
        budget_used[0] += row.budget
        budget_used[1] += row.used
        names[row.source] = row.source_name
    sources = list(totals)
    positions = range(len(sources))
    axes.barh(
        [p + 0.2 for p in positions],
        [totals[s][0] for s in sources],
        height=0.4,
        color="#c7d7e8",
        label=_say("plot.budget"),
    )
    axes.barh(
        [p - 0.2 for p in positions],
        [totals[s][1] for s in sources],
        height=0.4,
        color="#1f77b4",
        label=_say("plot.used"),
    )
    for p, s in zip(positions, sources, strict=True):
        budget, used = totals[s]
        axes.text(max(budget, used), p, f" {used:,.1f} / {budget:,.1f}", va="center", fontsize=8)
    labels = [f"{names[s]}\n{s}" if cjk_font() else s for s in sources]
    axes.set_yticks(list(positions), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(_say("plot.wan"))
    axes.set_title(title or _say("plot.funding_title"))
    axes.legend(fontsize=8, loc="lower right")
    axes.margins(x=0.25)
    return _finish(figure)


def plot_sweep(
    frame: pd.DataFrame, *, x: str | None = None, y: str | None = None, title: str | None = None
) -> Figure:
    """The frontier of a one-parameter sweep, or a heat map of a two-parameter one."""
    parameters = list(frame.attrs.get("parameters") or [frame.columns[0]])
    if x is not None:
        parameters = [x, *(p for p in parameters if p != x)]
    if y is not None:
        parameters = [parameters[0], y]
    if len(parameters) >= 2:
        return _heat_map(frame, parameters[0], parameters[1], title)
    return _frontier(frame, parameters[0], title)


def _frontier(frame: pd.DataFrame, x: str, title: str | None) -> Figure:
    figure = _new_figure(7.5, 4.2)
    left = figure.add_subplot()
    data = frame.sort_values(x)
    solved = data[data["status"].isin(["optimal", "time_limit", "not_proven"])]
    left.step(
        solved[x],
        solved["communities_meeting_target"],
        where="post",
        color="#1f77b4",
        marker="o",
        markersize=3,
        label=_say("plot.meeting"),
    )
    left.set_xlabel(_wrapped(x))
    left.set_ylabel(_say("plot.meeting_count"), color="#1f77b4")
    right = left.twinx()
    right.plot(
        solved[x],
        solved["total_shortfall_m2"],
        color="#d62728",
        marker=".",
        label=_say("plot.shortfall"),
    )
    right.set_ylabel(_say("plot.shortfall"), color="#d62728")
    failed = data[~data["status"].isin(["optimal", "time_limit", "not_proven"])]
    if not failed.empty:
        left.scatter(
            failed[x],
            [0] * len(failed),
            marker="x",
            color="black",
            zorder=3,
            label=_say("plot.no_plan_long"),
        )
    handles = [h for axes in (left, right) for h in axes.get_legend_handles_labels()[0]]
    left.legend(handles=handles, fontsize=8, loc="center right")
    left.grid(alpha=0.3)
    left.set_title(title or _say("plot.frontier_title"))
    return _finish(figure)


def _heat_map(frame: pd.DataFrame, x: str, y: str, title: str | None) -> Figure:
    table = frame.pivot_table(
        index=y, columns=x, values="communities_meeting_target", aggfunc="first", dropna=False
    )
    figure = _new_figure(max(6.0, 0.6 * len(table.columns) + 2), max(3.5, 0.45 * len(table) + 1.5))
    axes = figure.add_subplot()
    image = axes.imshow(table.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
    for row in range(table.shape[0]):
        for column in range(table.shape[1]):
            value = table.iat[row, column]
            if value != value:  # NaN: no plan at this point
                text, colour = "x", "black"
            else:
                red, green, blue, _ = image.cmap(image.norm(value))
                text = f"{value:.0f}"
                colour = "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"
            axes.text(column, row, text, ha="center", va="center", fontsize=7, color=colour)
    axes.set_xticks(range(len(table.columns)), [f"{v:g}" for v in table.columns], fontsize=8)
    axes.set_yticks(range(len(table.index)), [f"{v:g}" for v in table.index], fontsize=8)
    axes.set_xlabel(_wrapped(x))
    axes.set_ylabel(_wrapped(y))
    figure.colorbar(image, ax=axes, label=_say("plot.meeting"))
    axes.set_title(title or _say("plot.meeting_count"))
    return _finish(figure)


def _wrapped(path: str, width: int = 32) -> str:
    """A long change path broken at its dots, so that an axis label fits."""
    lines = [""]
    for part in path.split("."):
        joined = f"{lines[-1]}.{part}" if lines[-1] else part
        if len(joined) > width and lines[-1]:
            lines[-1] += "."
            lines.append(part)
        else:
            lines[-1] = joined
    return "\n".join(lines)


def plot_comparison(comparison: Comparison, *, title: str | None = None) -> Figure:
    """Communities meeting the target and total shortfall, one bar pair per scenario."""
    summary = comparison.summary
    figure = _new_figure(max(6.5, 1.1 * len(summary) + 2), 3.8)
    left = figure.add_subplot()
    positions = range(len(summary))
    meeting = summary["communities_meeting_target"].astype(float).fillna(0)
    shortfall = summary["total_shortfall_m2"].fillna(0)
    left.bar(
        [p - 0.2 for p in positions],
        meeting,
        width=0.4,
        color="#1f77b4",
        label=_say("plot.meeting"),
    )
    right = left.twinx()
    right.bar(
        [p + 0.2 for p in positions],
        shortfall,
        width=0.4,
        color="#d62728",
        label=_say("plot.shortfall"),
    )
    for p, status in zip(positions, summary["status"], strict=True):
        if status not in ("optimal", "time_limit", "not_proven"):
            left.text(p, 0.5, _say("plot.no_plan"), ha="center", rotation=90, fontsize=8)
    labels = [_plain(str(s), f"#{i + 1}") for i, s in enumerate(summary["scenario"])]
    left.set_xticks(list(positions), labels, rotation=20, ha="right")
    left.set_ylabel(_say("plot.meeting"), color="#1f77b4")
    right.set_ylabel(_say("plot.shortfall"), color="#d62728")
    left.set_title(title or _say("plot.compare_title"))
    return _finish(figure)


def save(figure: Figure, path: Any) -> None:
    """Write a figure whole or not at all (PNG, SVG or PDF by the file's suffix)."""
    import os
    import tempfile
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent
    )
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temp, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's 0600
        figure.savefig(temp, dpi=150)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
