"""charts/*.svg: one set per closed-loop scenario, small, deterministic, and linked from report.md."""

import os
import re
import xml.etree.ElementTree as ET

from loadtest import report
from loadtest.report import charts

from .harness_samples import document, level

MAX_SVG_BYTES = 200_000


def _with_bound_level(tmp_path):
    """The sample document plus a devices-get level at 30 users that reached the generator's
    calibrated ceiling: a generator-bound cell."""
    rf = document(tmp_path, rounds=3)
    rf.add_level(level("go_stdlib", "devices-get", 30, "oha/ok", ceiling=1.0))
    return rf


def test_every_closed_loop_scenario_gets_its_charts(tmp_path):
    files = charts.render_charts(document(tmp_path, rounds=3).document())
    assert set(files) == {"charts/devices-get-rps.svg", "charts/devices-get-p99.svg",
                          "charts/devices-get-cpu.svg", "charts/devices-post-rps.svg",
                          "charts/devices-post-p99.svg", "charts/devices-post-cpu.svg",
                          "charts/cpu-per-request.svg"}  # fetch-external ran open-loop only
    for name, text in files.items():
        root = ET.fromstring(text.encode())
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name
        assert len(text.encode()) < MAX_SVG_BYTES, name
    rps = files["charts/devices-get-rps.svg"]
    assert "go_stdlib" in rps and "django" in rps
    assert "95 % interval" in rps  # three rounds: error bars
    assert "generator-bound" not in rps  # no cell was bound


def test_charts_are_deterministic(tmp_path):
    doc = document(tmp_path, rounds=3).document()
    first, second = charts.render_charts(doc), charts.render_charts(doc)
    assert first == second
    assert "<dc:date>" not in first["charts/devices-get-rps.svg"]


def test_generator_bound_cells_are_marked(tmp_path):
    files = charts.render_charts(_with_bound_level(tmp_path).document())
    assert "generator-bound (a floor)" in files["charts/devices-get-rps.svg"]
    assert charts.BOUND_NOTE in files["charts/devices-get-p99.svg"]


def test_below_three_rounds_no_interval_is_drawn(tmp_path):
    rps = charts.render_charts(document(tmp_path, rounds=2).document())["charts/devices-get-rps.svg"]
    assert "no interval below 3 rounds" in rps


def test_report_md_links_every_chart_it_writes(tmp_path):
    rf = document(tmp_path, rounds=3)
    paths = report.write_all(tmp_path, rf.document())
    written = {os.path.relpath(p, tmp_path) for p in paths}  # plotly.js lands beside the run
    md = (tmp_path / "report.md").read_text()
    linked = set(re.findall(r"\]\((charts/[^)]+\.svg)\)", md))
    assert linked == {n for n in written if n.startswith("charts/")}
    assert all((tmp_path / n).is_file() for n in linked)
    # the overview sits with the figures, each scenario's charts under its heading
    assert md.index("cpu-per-request.svg") < md.index("## devices-get") < md.index("devices-get-rps.svg")


def test_human_tick_labels():
    assert [charts.human(v) for v in (0.5, 20, 223.079, 1000, 4082.03, 2_500_000)] == [
        "0.5", "20", "223", "1k", "4.08k", "2.5M"]
    assert charts.wide([1, 100]) and not charts.wide([10, 100]) and not charts.wide([None, 0])
