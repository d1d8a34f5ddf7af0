"""What a run's results.json becomes for readers: one exporter per kind of output, registered in
EXPORTERS (a new one is a module with a function from the document to its files, added there),
and the tables printed on the terminal (terminal.py). Every exporter takes the run as one typed
value (records/document.py's RunDocument) and the figures from loadtest/analysis/, so all of
them agree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..records.document import RunDocument
from .terminal import print_plan, print_summary


@dataclass(frozen=True)
class Exporter:
    """One kind of output: files(doc) gives {path relative to the run directory: text}."""

    name: str
    files: Callable[[RunDocument], dict[str, str]]


def single(filename: str, render: Callable[[RunDocument], str]) -> Exporter:
    """An exporter of one file from a render(doc) -> str."""
    return Exporter(filename, lambda doc: {filename: render(doc)})


def _charts():  # plotly and matplotlib take a second to import: only when a report is written
    from . import charts

    return charts


def _html():
    from . import html

    return html


EXPORTERS = [
    single("report.md", lambda doc: _charts().markdown_with_charts(doc)),  # the tables, charts linked
    Exporter("report.html", lambda doc: _html().files(doc)),  # with plotly.js once, beside the runs
    Exporter("charts", lambda doc: _charts().render_charts(doc)),  # charts/*.svg
]


def write_all(directory: Path, doc: RunDocument) -> list[Path]:
    """Every exporter's files in the run's directory, rewritten from the document."""
    paths = []
    for exporter in EXPORTERS:
        for name, text in exporter.files(doc).items():
            path = (directory / name).resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            paths.append(path)
    return paths


__all__ = ["EXPORTERS", "Exporter", "print_plan", "print_summary", "single", "write_all"]
