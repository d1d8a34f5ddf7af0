"""README's charts are committed SVGs: a forge shows an image link only if its file exists."""

import re
from pathlib import Path

from loadtest.core.config import ROOT

MAX_SVG_BYTES = 200_000


def test_readme_images_are_committed_small_svgs():
    readme = (ROOT / "README.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert len(images) >= 2
    for image in images:
        path = ROOT / image
        assert path.suffix == ".svg" and path.is_file(), image
        assert path.stat().st_size < MAX_SVG_BYTES, image


def test_headline_report_links_only_existing_charts():
    run = ROOT / "docs/results/2026-11-21-10s"
    links = re.findall(r"\]\((charts/[^)]+)\)", (run / "report.md").read_text())
    assert links and all((run / Path(link)).is_file() for link in links)
