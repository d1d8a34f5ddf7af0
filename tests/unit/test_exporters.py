"""report.md, report.html, compare and summary from a generated results document."""

import os
import re
import time

import psutil
import pytest

from loadtest import analysis, report
from loadtest.core.stats import Estimate
from loadtest.records import results
from loadtest.report import compare, html, markdown, significance, summary, terminal
from loadtest.report.markdown import busy_warning
from loadtest.runtime.probes import HostCpu

from .harness_samples import document


def test_markdown_tables(tmp_path):
    doc = document(tmp_path).document()
    md = markdown.render(doc)
    assert "## devices-get" in md and "## devices-post" in md
    assert "| users | django | go_stdlib |" in md  # the registry's order, not the run's
    # successful requests/s, from counts (not oha's rate): django's 503s (oha/mixed) do not count
    assert re.search(r"\| 10 \| 15,163 \| 51,319 \|", md)
    assert "gate-failed" in md  # a failed gate is reported, not hidden
    assert "503: 15444" in md  # errors by kind
    assert "**Open loop**" in md and "Data check" in md


def test_html_opens_offline_with_one_shared_plotly(tmp_path):
    files = html.files(document(tmp_path).document())
    page = files["report.html"]
    assert page.startswith("<!doctype html>")
    sources = re.findall(r"<script[^>]+src=\"([^\"]+)\"", page)
    assert sources == [f"../{html.bundle_name()}"], "one script, from a file beside the run"
    assert len(files[sources[0]]) > 1_000_000 and len(page) < 1_000_000  # not inlined
    assert "p99 latency (ms)" in page and "go_stdlib" in page


def test_html_has_real_tables_and_never_passes_markup_through(tmp_path):
    rf = document(tmp_path)
    rf.set_service("rust_axum", error="<script>alert(1)</script> failed")
    page = html.render_html(rf.document())
    assert "<table>" in page and "<pre>" not in page
    assert '<td style="text-align:right">51,319</td>' in page  # markdown's ---: columns
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("window.PlotlyConfig") == 1  # plotly.js loaded once
    assert 'id="s-fetch-external-open"' in page  # the open-loop levels are plotted
    assert html.render_html(rf.document()) == page  # no random ids: re-rendering gives the same page


def test_write_all_and_summary(tmp_path):
    rf = document(tmp_path)
    paths = report.write_all(tmp_path, rf.document())
    assert {"report.md", "report.html", "charts/devices-get-rps.svg", f"../{html.bundle_name()}"} <= {
        os.path.relpath(p, tmp_path) for p in paths}
    assert all(p.exists() for p in paths)
    rows = {(scenario, row[0]): row for scenario, block in terminal.figure_rows(rf.document()).items() for row in block}
    errors = terminal.FIGURE_HEADER.index("err")
    assert int(rows[("devices-get", "django")][errors].replace(",", "")) > 0
    assert rows[("devices-get", "go_stdlib")][errors] == "0"


def test_compare_ratios(tmp_path):
    a = document(tmp_path / "a").document()
    b = document(tmp_path / "b", scale=2.0).document()
    text = compare.render(a, b)
    assert "2.00x" in text and "1.00x" in text
    assert "6 comparisons" in text and "6 not tested" in text  # one round: no interval, no test
    assert text.index("| devices-get | go_stdlib | successful req/s |") < text.index("## Cells")  # figures first
    line = next(l for l in text.splitlines() if l.startswith("| devices-get | go_stdlib | 10 |"))
    assert "| 2.00x |" in line


def test_compare_puts_the_cost_of_a_request_beside(tmp_path):
    a = document(tmp_path / "a").document()
    b = document(tmp_path / "b", scale=2.0).document()
    text = compare.render(a, b)
    figures = text.split("## Figures over the plateau")[1].split("## Other costs")[0]
    costs = text.split("## Other costs")[1].split("## Cells")[0]
    def figures_of(block):
        return [r.split("|")[3].strip() for r in block.splitlines() if r.startswith("| devices-get | go_stdlib |")]
    assert figures_of(figures) == ["successful req/s", "service CPU µs/request"]
    assert figures_of(costs) == ["other host CPU µs/request", "service peak MiB"]


def test_other_host_cpu_per_request():
    lv = results.Level.model_construct(host_cpu={"other_cores": 0.5}, ok=10_000, duration_s=10.0)
    assert analysis.others_per_request_us(lv) == 500.0
    assert analysis.others_per_request_us(lv.model_copy(update={"host_cpu": None})) is None


def _with(tmp_path, **fields):
    lv = document(tmp_path).document().measured()[0]
    return lv.model_copy(update=fields)


def test_busy_warning_counts_only_what_is_outside_the_benchmark(tmp_path):
    quiet = _with(tmp_path, host_loadavg_1m=3.5,
                  host_cpu={"busy_cores": 1.9, "benchmark_cores": 1.8, "other_cores": 0.1})
    noisy = _with(tmp_path, host_loadavg_1m=3.5,
                  host_cpu={"busy_cores": 2.0, "benchmark_cores": 1.2, "other_cores": 0.8})
    assert busy_warning([quiet, quiet], cpu_count=2) == []  # a high load average of our own servers
    text = " ".join(busy_warning([quiet, noisy], cpu_count=2))
    assert "1 of 2 levels" in text and "0.80" in text


def test_busy_warning_of_older_runs_falls_back_to_the_load_average(tmp_path):
    old = [_with(tmp_path, host_loadavg_1m=x, host_cpu=None) for x in (3.5, 0.5)]
    text = " ".join(busy_warning(old, cpu_count=2))
    assert "may have been busy" in text and "1 of 2 levels" in text


def test_host_cpu_split_is_in_cores_and_never_negative():
    host = HostCpu()
    me, start = psutil.Process(), time.monotonic()
    before = sum(me.cpu_times()[:2])
    # Some CPU of the harness itself, until the kernel's tick-grained counters show it.
    while sum(me.cpu_times()[:2]) == before and time.monotonic() - start < 30:  # a busy machine: wait
        sum(i * i for i in range(20_000))
    split = host.split(0.5, service_s=0.0, generator_s=0.0, databases={})
    assert split["busy_cores"] >= 0 and split["benchmark_cores"] > 0 and split["other_cores"] >= 0, split


def test_markdown_opens_with_the_figures(tmp_path):
    md = markdown.render(document(tmp_path).document())
    figures = md.split("## Figures")[1].split("## devices-get")[0]
    # successful requests/s: django's 503s (oha/mixed) do not count toward its figure; levels of
    # 10 and 20 users, none from 50: the plateau is the highest
    assert re.search(r"\| devices-get \| 15,163 \(20, service\); \d+ µs \| 51,319 \(20, service\); \d+ µs \|", figures)
    # the same CPU split into user space and kernel (70 % and 30 % in the samples)
    assert "user space + kernel" in figures and re.search(r"\| devices-get \| [\d,]+ \+ [\d,]+ \(30%\) \|", figures)


def test_summary_gives_each_run_its_ratios_with_significance(tmp_path):
    a = document(tmp_path / "a", rounds=3).document()
    b = document(tmp_path / "b", scale=2.0, rounds=3).document()
    text = summary.render([a, b], [("go_stdlib", "django")])
    assert "Holm's correction across the 2 comparisons" in text
    ratios = text.split("## Between runs")[0]  # then the same ratio set against itself run by run
    rows = [line for line in ratios.splitlines() if line.startswith("| go_stdlib / django | devices-get |")]
    assert len(rows) == 2  # one per run
    first, second = ([c.strip() for c in row.strip("|").split("|")] for row in rows)
    assert first[2] == second[2]  # scale moves both services: the same ratio in both runs
    assert first[3] == "significant"
    assert summary.parse_ratio("a/b") == ("a", "b")


def test_a_significant_ratio_is_never_printed_as_touching_one():
    tiny = Estimate(value=1.0034, low=1.0012, high=1.0041, n=6, cv=0.001, p=0.001)
    assert markdown.fmt_ratio(tiny) == "1.003 [1.001–1.004]x"
    assert significance.words(tiny, tiny.p) == "significant"
    # Two decimals whenever they tell the interval from 1, or the ratio is not significant.
    assert markdown.fmt_ratio(Estimate(2.5, 2.31, 2.72, n=3, cv=0.08)) == "2.50 [2.31–2.72]x"
    assert markdown.fmt_ratio(Estimate(1.002, 0.998, 1.004, n=3, cv=0.003)) == "1.00 [1.00–1.00]x"
    assert markdown.fmt_ratio(Estimate(1.0003, 1.0002, 1.0004, n=3, cv=0.0001)) == "1.0003 [1.0002–1.0004]x"
    assert markdown.fmt_ratio(Estimate(1.3, None, None, n=2, cv=None)) == "1.30x"  # no interval below 3 rounds


def test_rounds_give_intervals_and_round_by_round_ratios(tmp_path):
    doc = document(tmp_path, rounds=3).document()
    plateaus = analysis.plateaus(doc.measured())
    go = plateaus[("devices-get", "go_stdlib")]
    assert go.ok_rps.n == 3 and go.ok_rps.low < go.ok_rps.value < go.ok_rps.high
    # both services drift together round by round, so their ratio does not move
    r = analysis.ratio(plateaus, "devices-get", "go_stdlib", "django")
    assert r.n == 3 and r.low == pytest.approx(r.high) and r.excludes(1.0)
    assert "[" in markdown.render(doc).split("## Figures")[1]  # intervals are shown


def test_compare_says_no_significant_change_between_the_same_figures(tmp_path):
    a = document(tmp_path / "a", rounds=3).document()
    b = document(tmp_path / "b", rounds=3).document()
    text = compare.render(a, b)
    assert "0 higher in B, 0 lower in B" in text and "no significant change" in text
    faster = compare.render(a, document(tmp_path / "c", rounds=3, scale=2.0).document())
    assert "higher in B" in faster.split("## Other costs")[0] and "Holm" in faster
