"""results.json -> report.html: one self-contained page (plotly inlined, opens offline) with,
per scenario, requests/s, p50, p99, errors, CPU and memory against users, services overlaid."""

from __future__ import annotations

import html

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from ..results import levels as typed_levels
from .markdown import index, render

PANELS = [  # (title, analysis.FIGURES key): the median over rounds of each cell
    ("successful requests/s", "ok_rps"),
    ("CPU per request (µs)", "cpu_per_request_us"),
    ("p99 latency (ms)", "p99_ms"),
    ("p50 latency (ms)", "p50_ms"),
    ("service CPU (% of 1 vCPU)", "cpu_percent"),
    ("service memory peak (MiB)", "peak_mib"),
]


def scenario_figure(scenario: str, by_service: dict, colors: dict) -> go.Figure:
    fig = make_subplots(rows=2, cols=3, subplot_titles=[t for t, _ in PANELS],
                        horizontal_spacing=0.07, vertical_spacing=0.14)
    for service, cells in by_service.items():
        users = sorted(cells)
        for i, (title, figure) in enumerate(PANELS):
            fig.add_trace(go.Scatter(
                x=users, y=[cells[u].estimate(figure).median for u in users], mode="lines+markers",
                name=service,
                legendgroup=service, showlegend=i == 0, line={"color": colors[service]},
                hovertemplate=f"{service}<br>%{{x}} users<br>{title}: %{{y:,.1f}}<extra></extra>",
            ), row=i // 3 + 1, col=i % 3 + 1)
    fig.update_xaxes(title_text="users")
    fig.update_layout(title=f"{scenario} (closed loop)", height=620, template="plotly_white",
                      margin={"t": 80, "l": 50, "r": 20, "b": 50})
    return fig


def render_html(doc: dict) -> str:
    closed = index(typed_levels(doc), "closed")
    palette = qualitative.Plotly
    services = list(doc["services"])
    colors = {s: palette[i % len(palette)] for i, s in enumerate(services)}
    parts = []
    first = True
    for scenario, by_service in closed.items():
        for s in by_service:
            colors.setdefault(s, palette[len(colors) % len(palette)])
        fig = scenario_figure(scenario, by_service, colors)
        # The first chart carries plotly.js inline: the page needs no network.
        parts.append(fig.to_html(full_html=False, include_plotlyjs=first))
        first = False
    tables = html.escape(render(doc))
    title = html.escape(f"Benchmark run {doc['run']['id']}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}}
pre{{background:#f6f8fa;padding:1em;overflow-x:auto;font-size:12px}}</style></head>
<body><h1>{title}</h1>
{''.join(parts) or '<p>No closed-loop level measured.</p>'}
<h2>Tables</h2><pre>{tables}</pre>
</body></html>
"""
