"""results.json -> report.html: a page that opens offline. Its one script, plotly.js, is one
file shared by every run beside it (`../plotly-<version>.min.js`, written with the page), not
inlined in each page: a folder of runs holds the 4.8 MB bundle once. The tables are report.md's, rendered to real HTML tables by
markdown-it-py; each scenario's section starts with interactive charts: successful requests/s
(log axis), CPU per request, p99, p50, CPU and memory against users, services overlaid, each
point the geometric mean over rounds with its 95 % interval as an error bar and the cells the load
generator bounded drawn hollow; then the open-loop levels against their target rate."""

from __future__ import annotations

import html
import math
import re

import plotly.graph_objects as go
from markdown_it import MarkdownIt
from plotly.offline import get_plotlyjs, get_plotlyjs_version
from plotly.subplots import make_subplots

from .. import analysis
from ..core.stats import Estimate
from ..records.document import RunDocument
from . import charts
from .markdown import index, render

PANELS = [  # (title, analysis.FIGURES key, log axis)
    ("successful requests/s", "ok_rps", True),
    ("CPU per successful request (µs)", "cpu_per_request_us", False),
    ("p99 latency (ms)", "p99_ms", False),
    ("p50 latency (ms)", "p50_ms", False),
    ("service CPU (% of 1 vCPU)", "cpu_percent", False),
    ("service memory peak (MiB)", "peak_mib", False),
]
OPEN_PANELS = [  # against the target rate: what came back, and how fast
    ("successful requests/s achieved", "ok_rps"),
    ("p99 latency (ms)", "p99_ms"),
]
# Raw HTML off: service errors and notes from results.json are text, never markup.
MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "toImageButtonOptions": {"format": "svg"}}
BOUND_HOVER = "generator-bound: a floor"


def error_bars(estimates: list[Estimate]) -> dict:
    """Plotly's asymmetric error bars from the intervals; hidden when no cell has one."""
    above = [None if e.value is None else (e.high or e.value) - e.value for e in estimates]
    below = [None if e.value is None else e.value - (e.low or e.value) for e in estimates]
    return {"type": "data", "symmetric": False, "array": above, "arrayminus": below,
            "visible": any(above) or any(below), "thickness": 1.2, "width": 3}


def traces(s: charts.Series, color: str, title: str, unit: str, show_legend: bool) -> list[go.Scatter]:
    """One service's line with filled markers, and white rings over the cells the generator
    bounded (a separate trace: plotly draws a legend entry with the first point's marker)."""
    es = s.estimates
    line = go.Scatter(
        x=s.loads, y=[e.value for e in es], mode="lines+markers", name=s.service,
        legendgroup=s.service, showlegend=show_legend, line={"color": color, "width": 2},
        marker={"color": color, "size": 7}, error_y={**error_bars(es), "color": color},
        customdata=[[e.low if e.has_interval else e.value, e.high if e.has_interval else e.value, e.n,
                     BOUND_HOVER if b else ""]
                    for e, b in zip(es, s.generator_bound, strict=True)],
        hovertemplate=(f"<b>{s.service}</b><br>%{{x}} {unit}<br>{title}: %{{y:,.1f}}"
                       " [%{customdata[0]:,.1f}–%{customdata[1]:,.1f}], %{customdata[2]} rounds"
                       "<br>%{customdata[3]}<extra></extra>"),
    )
    bound = [(x, e.value) for x, e, b in zip(s.loads, es, s.generator_bound, strict=True)
             if b and e.value is not None]
    if not bound:
        return [line]
    rings = go.Scatter(x=[x for x, _ in bound], y=[y for _, y in bound], mode="markers",
                       legendgroup=s.service, showlegend=False, hoverinfo="skip",
                       marker={"color": "white", "size": 10, "line": {"width": 2, "color": color}})
    return [line, rings]


def log_ticks(values: list[float | None]) -> dict:
    """Ticks at 1, 2 and 5 of each decade the values span, labelled 1k, 2k, 5k (plotly's own
    labels a decade and a half with every digit 2..9)."""
    present = [v for v in values if v is not None and v > 0]
    if not present:
        return {}
    low, high = math.floor(math.log10(min(present))), math.ceil(math.log10(max(present)))
    ticks = [m * 10.0**k for k in range(low, high + 1) for m in (1, 2, 5)]
    ticks = [t for t in ticks if min(present) / 2 <= t <= max(present) * 2]
    return {"tickvals": ticks, "ticktext": [charts.human(t) for t in ticks]}


def closed_figure(scenario: str, by_service: dict, colors: dict[str, str]) -> go.Figure:
    fig = make_subplots(rows=2, cols=3, subplot_titles=[t for t, _, _ in PANELS],
                        horizontal_spacing=0.07, vertical_spacing=0.14)
    for i, (title, figure, log) in enumerate(PANELS):
        row, col = i // 3 + 1, i % 3 + 1
        all_series = charts.series(by_service, figure)
        for s in all_series:
            fig.add_traces(traces(s, colors[s.service], title, "users", i == 0), rows=row, cols=col)
        if log:
            values = [e.value for s in all_series for e in s.estimates]
            fig.update_yaxes(type="log", **log_ticks(values), row=row, col=col)
    fig.update_xaxes(title_text="users")
    _layout(fig, f"{scenario}: closed loop (hollow marker: generator-bound, the figure is a floor)", 640)
    return fig


def open_figure(scenario: str, by_service: dict, colors: dict[str, str]) -> go.Figure:
    """Open-loop levels: each service's own target rates (fractions of its closed-loop figure), so log x."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=[t for t, _ in OPEN_PANELS],
                        horizontal_spacing=0.08)
    targets = [t for cells in by_service.values() for t in cells if t > 0]
    achieved = [e.value for s in charts.series(by_service, "ok_rps") for e in s.estimates]
    for i, (title, figure) in enumerate(OPEN_PANELS):
        for s in charts.series(by_service, figure):
            fig.add_traces(traces(s, colors[s.service], title, "req/s target", i == 0), rows=1, cols=i + 1)
    rates = [v for v in [*targets, *achieved] if v and v > 0]
    if rates:  # what a service that kept up would achieve
        line = [min(rates), max(rates)]
        fig.add_trace(go.Scatter(x=line, y=line, mode="lines", name="achieved = target",
                                 line={"color": "#999", "dash": "dot", "width": 1}, hoverinfo="skip"),
                      row=1, col=1)
    fig.update_xaxes(type="log", title_text="target requests/s", **log_ticks(rates))
    fig.update_yaxes(type="log", row=1, col=1, **log_ticks(rates))
    _layout(fig, f"{scenario}: open loop (constant arrival rate)", 400)
    return fig


def _layout(fig: go.Figure, title: str, height: int) -> None:
    fig.update_layout(title={"text": title, "font": {"size": 15}}, height=height,
                      template="plotly_white", hovermode="closest",
                      margin={"t": 80, "l": 55, "r": 20, "b": 50}, legend={"orientation": "v"})


def sections(md: str) -> list[tuple[str | None, str]]:
    """report.md cut at its `## ` headings: [(heading or None for the preamble, body)]."""
    out: list[tuple[str | None, str]] = []
    heading, body = None, []
    for line in md.splitlines():
        if line.startswith("## "):
            out.append((heading, "\n".join(body)))
            heading, body = line[3:].strip(), []
        else:
            body.append(line)
    out.append((heading, "\n".join(body)))
    return out


def anchor(heading: str) -> str:
    return "s-" + re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def tables_html(text: str) -> str:
    """Markdown to HTML, each table in a scrolling box so a wide one does not widen the page."""
    rendered = MARKDOWN.render(text)
    return rendered.replace("<table>", '<div class="scroll"><table>').replace("</table>", "</table></div>")


def bundle_name() -> str:
    """plotly.js's file, named by its version so runs of different versions never share one."""
    return f"plotly-{get_plotlyjs_version()}.min.js"


def files(doc: RunDocument) -> dict[str, str]:
    """report.html, and the plotly.js bundle it loads, in the folder above the run's."""
    return {"report.html": render_html(doc), f"../{bundle_name()}": get_plotlyjs()}


def figure_html(fig: go.Figure, div_id: str, include_plotlyjs: bool | str) -> str:
    # A fixed div id (plotly's default is a random uuid): the same document, the same page.
    return fig.to_html(full_html=False, include_plotlyjs=include_plotlyjs, div_id=div_id,
                       config=PLOTLY_CONFIG)


def scenario_charts(heading: str, closed: dict, opened: dict, colors: dict[str, str],
                    plotly_js) -> list[str]:
    """The charts heading a scenario's section; plotly_js yields the bundle's path once: the
    first chart of the page loads plotly.js, from a file beside the run, never the network."""
    out = []
    if heading in closed:
        out.append(figure_html(closed_figure(heading, closed[heading], colors),
                               anchor(heading) + "-closed", next(plotly_js, False)))
    if heading in opened:
        out.append(figure_html(open_figure(heading, opened[heading], colors),
                               anchor(heading) + "-open", next(plotly_js, False)))
    return [f'<div class="chart">{c}</div>' for c in out]


def render_html(doc: RunDocument) -> str:
    levels = doc.measured()
    closed, opened = index(levels, "closed"), index(levels, "open")
    colors = charts.service_colors([*doc.services, *analysis.services_of(levels)])
    plotly_js = iter([f"../{bundle_name()}"])
    preamble, *rest = sections(render(doc))
    nav = " · ".join(f'<a href="#{anchor(h)}">{html.escape(h)}</a>' for h, _ in rest)
    body = [tables_html(preamble[1]), f"<nav>{nav}</nav>"]
    for heading, text in rest:
        body += [f'<section id="{anchor(heading)}"><h2>{html.escape(heading)}</h2>',
                 *scenario_charts(heading, closed, opened, colors, plotly_js),
                 tables_html(text), "</section>"]
    if not closed and not opened:
        body.append("<p>No level measured yet.</p>")
    title = html.escape(f"Benchmark run {doc.run.id}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style></head>
<body>
{chr(10).join(body)}
</body></html>
"""


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;padding:1.5em 2em;
 max-width:1400px;color:#1f2328;line-height:1.45}
h1{font-size:1.7em;margin:.2em 0 .4em}
h2{font-size:1.35em;border-bottom:1px solid #d0d7de;padding-bottom:.25em;margin-top:2em}
nav{position:sticky;top:0;z-index:10;background:#fff;padding:.5em 0;border-bottom:1px solid #eee;
 font-size:.95em}
nav a{color:#0969da;text-decoration:none}
nav a:hover{text-decoration:underline}
ul{padding-left:1.3em}
code{background:#f6f8fa;padding:.1em .3em;border-radius:4px;font-size:.9em}
.scroll{overflow-x:auto;margin:.4em 0 1.2em}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:4px 9px;white-space:nowrap}
th{background:#f6f8fa;position:sticky;top:0}
tbody tr:nth-child(even){background:#fafbfc}
tbody tr:hover{background:#eef6ff}
td:first-child{font-weight:600}
.chart{border:1px solid #eee;border-radius:6px;margin:.6em 0 1em;padding:4px}
"""
