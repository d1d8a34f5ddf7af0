"""report.md, report.html and compare from a generated results document."""

import re

from loadtest import compare, export_html, export_md, report

from .harness_samples import document


def test_markdown_tables(tmp_path):
    doc = document(tmp_path).doc
    md = export_md.render(doc)
    assert "## devices-get" in md and "## devices-post" in md
    assert "| users | go_stdlib | django |" in md
    assert re.search(r"\| 10 \| 51,319 \| 45,941 \|", md)  # requests/s row: ours, not oha's
    assert "gate-failed" in md  # a failed gate is reported, not hidden
    assert "503: 15444" in md  # errors by kind
    assert "**Open loop**" in md and "Data check" in md


def test_html_is_self_contained(tmp_path):
    page = export_html.render_html(document(tmp_path).doc)
    assert page.startswith("<!doctype html>")
    assert not re.search(r"<script[^>]+src=", page), "must open offline: no external scripts"
    assert "plotly" in page.lower() and len(page) > 1_000_000  # plotly.js inlined
    assert "p99 latency (ms)" in page and "go_stdlib" in page


def test_write_all_and_summary(tmp_path):
    rf = document(tmp_path)
    md, page = report.write_all(tmp_path, rf.doc)
    assert md.exists() and page.exists()
    rows = {(r["scenario"], r["service"]): r for r in report.summary_rows(rf.doc)}
    assert rows[("devices-get", "django")]["errors"] > 0
    assert rows[("devices-get", "go_stdlib")]["errors"] == 0


def test_compare_ratios(tmp_path):
    a = document(tmp_path / "a").doc
    b = document(tmp_path / "b", scale=2.0).doc
    text = compare.render(a, b)
    assert "2.00x" in text and "1.00x" in text
    assert "6 levels in both" in text
    line = next(l for l in text.splitlines() if l.startswith("| devices-get | go_stdlib | 10 |"))
    assert "| 2.00x |" in line
