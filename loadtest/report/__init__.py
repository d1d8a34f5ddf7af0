"""What a run's results.json becomes for readers: one exporter per file format, registered in
EXPORTERS (a new format is one module with a render(doc) -> str, added there), and the tables
printed on the terminal (terminal.py). Every exporter reads the levels as typed values and the
peaks from loadtest/analysis.py, so all of them agree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import html, markdown
from .terminal import print_plan, print_summary


@dataclass(frozen=True)
class Exporter:
    filename: str
    render: Callable[[dict], str]


EXPORTERS = [Exporter("report.md", markdown.render), Exporter("report.html", html.render_html)]


def write_all(directory: Path, doc: dict) -> list[Path]:
    """Every exporter's file in the run's directory, rewritten from the document."""
    paths = []
    for exporter in EXPORTERS:
        path = directory / exporter.filename
        path.write_text(exporter.render(doc))
        paths.append(path)
    return paths


__all__ = ["EXPORTERS", "Exporter", "print_plan", "print_summary", "write_all"]
