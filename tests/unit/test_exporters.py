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


def test_busy_warning_counts_only_what_is_outside_the_benchmark():
    from loadtest.export_md import busy_warning

    quiet = {"host_loadavg_1m": 3.5, "host_cpu": {"busy_cores": 1.9, "benchmark_cores": 1.8, "other_cores": 0.1}}
    noisy = {"host_loadavg_1m": 3.5, "host_cpu": {"busy_cores": 2.0, "benchmark_cores": 1.2, "other_cores": 0.8}}
    assert busy_warning([quiet, quiet], cpu_count=2) == []  # a high load average of our own servers
    text = " ".join(busy_warning([quiet, noisy], cpu_count=2))
    assert "1 of 2 levels" in text and "0.80" in text


def test_busy_warning_of_older_runs_falls_back_to_the_load_average():
    from loadtest.export_md import busy_warning

    text = " ".join(busy_warning([{"host_loadavg_1m": 3.5}, {"host_loadavg_1m": 0.5}], cpu_count=2))
    assert "may have been busy" in text and "1 of 2 levels" in text


def test_host_cpu_split_is_in_cores_and_never_negative():
    import time

    import psutil

    from loadtest.probes import HostCpu

    host = HostCpu()
    me, start = psutil.Process(), time.monotonic()
    before = sum(me.cpu_times()[:2])
    # Some CPU of the harness itself, until the kernel's tick-grained counters show it.
    while sum(me.cpu_times()[:2]) == before and time.monotonic() - start < 5:
        sum(i * i for i in range(20_000))
    split = host.split(0.5, service_s=0.0, generator_s=0.0, databases={})
    assert split["busy_cores"] >= 0 and split["benchmark_cores"] > 0 and split["other_cores"] >= 0
