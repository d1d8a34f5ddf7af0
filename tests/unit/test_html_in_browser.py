"""report.html in a real browser: headless Chromium loads the page from a file:// URL (no
network) and must log nothing to its console, and plotly must have drawn every chart.

Skipped when Chromium is not installed (`apt-get install chromium`); scripts/setup.sh does not
install it, so CI skips this test too: a browser is a large download for one check."""

import re
import shutil
import subprocess

import pytest

from loadtest.report import html

from .harness_samples import document, level

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium prints each console message, console.error and uncaught exceptions alike, as
# `[...:INFO:CONSOLE(line)] "message", source: file://...`; nothing else on stderr is the page's.
CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\]")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def load_in_chromium(page, profile) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.timeout(240)
def test_report_html_draws_its_charts_without_console_messages(tmp_path):
    rf = document(tmp_path / "run", rounds=3)
    rf.add_level(level("go_stdlib", "devices-get", 30, "oha/ok", ceiling=1.0))  # a hollow point
    page = tmp_path / "run" / "report.html"
    for name, text in html.files(rf.document()).items():  # the page and the plotly.js beside the run
        (page.parent / name).write_text(text)
    r = load_in_chromium(page, tmp_path / "profile")
    assert r.returncode == 0, r.stderr[-2000:]
    console = [line for line in r.stderr.splitlines() if CONSOLE.search(line)]
    assert console == []
    dom = r.stdout
    for chart in ("s-devices-get-closed", "s-devices-post-closed", "s-fetch-external-open"):
        drawn = re.search(rf'<div id="{chart}"[^>]*class="[^"]*js-plotly-plot', dom)
        assert drawn, f"plotly did not draw {chart}"
    assert dom.count('class="main-svg"') >= 6  # two SVG layers per drawn chart
    assert "<table>" in dom and "<pre>" not in dom


def test_the_console_pattern_catches_a_script_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<!doctype html><p>x</p><script>undefinedThing.call()</script>")
    r = load_in_chromium(page, tmp_path / "profile")
    assert any(CONSOLE.search(line) and "Uncaught ReferenceError" in line for line in r.stderr.splitlines())
