"""results.json -> charts/*.svg: static pictures that render wherever markdown does (a Git
forge, an editor's preview), written beside report.md by every run and by `loadtest report`.

Per scenario: successful requests/s (log axis) and p99 latency against users, services
overlaid, each point the geometric mean over rounds with its 95 % interval as an error bar, and
the cells the load generator bounded drawn hollow (their figure is a floor); then CPU per
successful request of each service over its plateau (analysis.Plateau). One more chart puts
every scenario's CPU per request side by side.

The output is deterministic (fixed SVG id salt, no date) so re-rendering an unchanged
results.json rewrites the same bytes and a committed run shows no spurious diff. Text stays
text (a third of the size of glyph paths, and searchable), laid out with matplotlib's bundled
DejaVu Sans and shown in any sans-serif font the viewer has; log axes are labelled 1, 2, 5,
10, ... 1k, 2k rather than in mathtext, whose exponents would need DejaVu itself. Figures are
drawn with matplotlib's object API and saved by its SVG canvas: pyplot, and with it any GUI
backend, is never loaded."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass

from matplotlib import colormaps, rc_context
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .. import analysis
from ..core import stats
from ..core.stats import Estimate
from ..records.document import RunDocument
from ..records.level import Level
from .markdown import index, render

CHART_DIR = "charts"
WIDE_RANGE = 20.0  # max / min above this: a log axis, or the small values would be invisible
RC = {
    "svg.hashsalt": "webstack-bench",  # ids from a fixed salt, not a random one
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.6,
}
SVG_METADATA = {"Date": None}  # no timestamp: same document, same bytes
KINDS = {"rps": "successful requests/s", "p99": "p99 latency", "cpu": "CPU per successful request"}
OVERVIEW = f"{CHART_DIR}/cpu-per-request.svg"
OVERVIEW_ALT = "Service CPU per successful request, over each service's plateau"
BOUND_NOTE = "hollow: the load generator bounded this level (the figure is a floor)"


@dataclass(frozen=True)
class Series:
    """One service's closed-loop cells of one scenario, in load order, for one figure."""

    service: str
    loads: list[int]
    estimates: list[Estimate]
    generator_bound: list[bool]


def series(by_service: dict[str, dict[int, analysis.Cell]], figure: str) -> list[Series]:
    """{service: {load: Cell}} (markdown.index's shape) -> one Series per service."""
    out = []
    for service, cells in by_service.items():
        loads = sorted(cells)
        out.append(Series(service, loads, [cells[u].estimate(figure) for u in loads],
                          [cells[u].generator_bound for u in loads]))
    return out


def service_colors(services: Iterable[str]) -> dict[str, str]:
    """One colour per service, the same in every chart of a run (SVG and HTML alike)."""
    palette = [to_hex(c) for c in colormaps["tab10"].colors]
    ordered = analysis.ordered_services(services)  # the same colours whatever the run's order
    return {s: palette[i % len(palette)] for i, s in enumerate(ordered)}


def wide(values: Iterable[float | None]) -> bool:
    """The positive values span more than WIDE_RANGE: a log axis shows them all."""
    present = [v for v in values if v is not None and v > 0]
    return bool(present) and max(present) / min(present) > WIDE_RANGE


def _points(s: Series, positive: bool) -> tuple[list, list, list, list]:
    """x, estimate, error below, error above of the cells that have an estimate (and, for a log
    axis, a positive one)."""
    xs, ys, below, above = [], [], [], []
    for x, e in zip(s.loads, s.estimates, strict=True):
        if e.value is None or (positive and e.value <= 0):
            continue
        low = e.low if e.low is not None else e.value
        high = e.high if e.high is not None else e.value
        if positive:
            low = max(low, e.value / 1e3)  # a zero lower bound has no place on a log axis
        xs.append(x)
        ys.append(e.value)
        below.append(e.value - low)
        above.append(high - e.value)
    return xs, ys, below, above


def human(value: float, _pos=None) -> str:
    """A tick or bar label, three significant digits at most: 0.5, 20, 223, 1k, 4.08k, 2.5M."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def log_axis(axis) -> None:
    """A log axis with ticks at 1, 2 and 5 of each decade, labelled plainly."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(human))
    axis.set_minor_formatter(NullFormatter())


def _legend(ax, colors: dict[str, str], services: list[str], any_bound: bool) -> None:
    """Plain line handles: an errorbar's own legend entry repeats its bars and caps in the SVG."""
    handles = [Line2D([], [], color=colors[s], marker="o", markersize=4.5, linewidth=1.4) for s in services]
    labels = list(services)
    if any_bound:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=7,
                              markerfacecolor="white", markeredgecolor="#555"))
        labels.append("generator-bound (a floor)")
    ax.legend(handles, labels, fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5),
              frameon=False)


def _draw_series(ax, s: Series, color: str, log: bool) -> tuple[bool, bool]:
    """One service's line with its interval bars, filled markers where the service was the
    measured limit and hollow ones where the generator was. Returns (drawn with an interval,
    has a generator-bound point)."""
    xs, ys, below, above = _points(s, positive=log)
    # Below 3 rounds there is no interval: no bars of zero length to draw.
    yerr = [below, above] if any(below) or any(above) else None
    ax.errorbar(xs, ys, yerr=yerr, color=color, linewidth=1.4, elinewidth=0.9, capsize=2.5)
    bound_at = {x for x, b in zip(s.loads, s.generator_bound, strict=True) if b}
    filled = [(x, y) for x, y in zip(xs, ys, strict=True) if x not in bound_at]
    hollow = [(x, y) for x, y in zip(xs, ys, strict=True) if x in bound_at]
    for points, face in ((filled, color), (hollow, "white")):
        if points:
            ax.plot([x for x, _ in points], [y for _, y in points], linestyle="none", marker="o",
                    markersize=4.5 if face == color else 6, markerfacecolor=face,
                    markeredgecolor=color, markeredgewidth=1.2)
    return yerr is not None, bool(hollow)


def load_chart(title: str, ylabel: str, all_series: list[Series], colors: dict[str, str],
               log: bool) -> Figure:
    """A figure against users, services overlaid, bounded cells hollow."""
    fig = Figure(figsize=(7.2, 4.0), layout="constrained")
    ax = fig.add_subplot()
    drawn, any_bound, any_interval = [], False, False
    for s in all_series:
        if not _points(s, positive=log)[0]:
            continue
        drawn.append(s.service)
        interval, bound = _draw_series(ax, s, colors[s.service], log)
        any_interval, any_bound = any_interval or interval, any_bound or bound
    _value_axis(ax, log)
    ax.set_title(title, loc="left", fontsize=10.5)
    ax.set_xlabel("concurrent users (closed loop)")
    ax.set_ylabel(ylabel)
    _legend(ax, colors, drawn, any_bound)
    notes = ["geometric mean over rounds; bars: 95 % interval" if any_interval else stats.NO_INTERVAL]
    _note(fig, "; ".join(notes + ([BOUND_NOTE] if any_bound else [])))
    return fig


def _value_axis(ax, log: bool) -> None:
    if log:
        ax.set_yscale("log")
        log_axis(ax.yaxis)
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(human))


def _note(fig: Figure, text: str) -> None:
    """A small line under the chart; supxlabel, unlike fig.text, is given room by the layout."""
    fig.supxlabel(text, fontsize=7, color="#555", x=0.01, ha="left")


def bar_chart(title: str, ylabel: str, groups: list[str], bars: dict[str, list[Estimate]],
              colors: dict[str, str]) -> Figure:
    """Grouped bars: one group per entry of `groups`, one bar per service, error bars from the
    estimates; a log axis when the values span a wide range."""
    fig = Figure(figsize=(max(4.8, 1.1 * len(groups) + 2.6), 3.8), layout="constrained")
    ax = fig.add_subplot()
    log = wide(e.value for es in bars.values() for e in es)
    width = 0.8 / max(len(bars), 1)
    any_interval = False
    for i, (service, estimates) in enumerate(bars.items()):
        xs, ys, below, above = [], [], [], []
        for g, e in enumerate(estimates):
            if e.value is None or e.value <= 0:
                continue
            xs.append(g - 0.4 + width * (i + 0.5))
            ys.append(e.value)
            below.append(e.value - max(e.low or e.value, e.value / 1e3))
            above.append((e.high or e.value) - e.value)
        yerr = [below, above] if any(below) or any(above) else None  # below 3 rounds: no interval
        any_interval = any_interval or yerr is not None
        drawn = ax.bar(xs, ys, width=width * 0.92, color=colors[service], label=service,
                       yerr=yerr, error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333"})
        if len(groups) == 1:  # room to print each value over its bar
            ax.bar_label(drawn, labels=[human(y) for y in ys], fontsize=7, padding=2)
    _value_axis(ax, log)
    present = [e.value for es in bars.values() for e in es if e.value and e.value > 0]
    if log and present:  # bars rise from the decade below the smallest, not from an arbitrary cut
        ax.set_ylim(bottom=10 ** math.floor(math.log10(min(present))))
    ax.set_xticks(range(len(groups)), groups, fontsize=8.5)
    ax.grid(axis="x", visible=False)
    ax.set_title(title, loc="left", fontsize=10.5)
    ax.set_ylabel(ylabel + (" (log scale)" if log else ""))
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    _note(fig, f"over each service's plateau (levels from {analysis.PLATEAU_FROM_USERS} users on, not "
          "generator-bound); " + ("geometric mean over rounds, bars: 95 % interval" if any_interval
                                  else stats.NO_INTERVAL))
    return fig


def svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=SVG_METADATA)
    return buf.getvalue()


def plateau_cpu(levels: list[Level], scenarios: list[str], services: list[str]) -> dict[str, list[Estimate]]:
    """{service: [CPU per successful request over its plateau, per scenario]}."""
    plateaus = analysis.plateaus(levels)
    out: dict[str, list[Estimate]] = {}
    for service in services:
        row = []
        for scenario in scenarios:
            p = plateaus.get((scenario, service))
            row.append(p.estimate("cpu_per_request_us") if p else stats.NONE)
        out[service] = row
    return out


def chart_names(doc: RunDocument) -> dict[str, list[str]]:
    """{scenario: its chart files} plus "" for the charts over all scenarios, relative to the
    run directory: what render_charts writes, for documents that link to them."""
    closed = index(doc.measured(), "closed")
    out = {scenario: [f"{CHART_DIR}/{scenario}-{kind}.svg" for kind in KINDS] for scenario in closed}
    if closed:
        out[""] = [OVERVIEW]
    return out


def render_charts(doc: RunDocument) -> dict[str, str]:
    """{path relative to the run directory: SVG text}, for every closed-loop scenario."""
    levels = doc.measured()
    closed = index(levels, "closed")
    services = analysis.services_of(levels)
    colors = service_colors([*doc.services, *services])
    out = {}
    with rc_context(RC):
        for scenario, by_service in closed.items():
            rps = series(by_service, "ok_rps")
            p99 = series(by_service, "p99_ms")
            out[f"{CHART_DIR}/{scenario}-rps.svg"] = svg(load_chart(
                f"{scenario}: successful requests/s", "successful requests/s (log scale)", rps, colors, log=True))
            p99_log = wide(e.value for s in p99 for e in s.estimates)
            out[f"{CHART_DIR}/{scenario}-p99.svg"] = svg(load_chart(
                f"{scenario}: p99 latency", "p99 latency (ms)" + (" (log scale)" if p99_log else ""),
                p99, colors, log=p99_log))
            cpu = plateau_cpu(levels, [scenario], list(by_service))
            out[f"{CHART_DIR}/{scenario}-cpu.svg"] = svg(bar_chart(
                f"{scenario}: service CPU per successful request", "µs of CPU per request", [scenario],
                cpu, colors))
        if closed:
            scenarios = list(closed)
            out[OVERVIEW] = svg(bar_chart(
                OVERVIEW_ALT, "µs of CPU per request",
                scenarios, plateau_cpu(levels, scenarios, services), colors))
    return out


def markdown_with_charts(doc: RunDocument) -> str:
    """report.md: markdown.render's text with the charts linked relative to the run directory,
    so they show on a Git forge beside the tables: the overview after the figures, each
    scenario's charts under its heading."""
    names = chart_names(doc)
    lines: list[str] = []
    for line in render(doc).splitlines():
        scenario = line[3:] if line.startswith("## ") else None
        if scenario in names and names.get(""):
            lines += [f"![{OVERVIEW_ALT}]({n})" for n in names.pop("")] + [""]
        lines.append(line)
        if scenario in names:
            lines += ["", " ".join(f"![{scenario}: {KINDS[_kind(n)]}]({n})" for n in names[scenario])]
    return "\n".join(lines) + "\n"


def _kind(path: str) -> str:
    """charts/<scenario>-<kind>.svg -> kind."""
    return path.rsplit("-", 1)[1].removesuffix(".svg")
