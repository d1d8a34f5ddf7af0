"""Every relative link in the project's Markdown points at a file or folder that exists: the
docs name code by path, and a file that moved must not leave a dead link behind."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
# [text](target) and [text](target "title"); images too. Not inside code spans (stripped below).
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def _markdown_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / line for line in out.stdout.splitlines() if line]


def _relative_targets(text: str) -> list[str]:
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    targets = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith(("#", "/")):
            continue  # a URL, mailto:, an anchor in the same page, or an absolute path
        targets.append(unquote(target.split("#", 1)[0]))
    return [t for t in targets if t]


@pytest.mark.parametrize("page", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    dead = [t for t in _relative_targets(page.read_text(encoding="utf-8"))
            if not (page.parent / t).exists()]
    assert not dead, f"{page.relative_to(ROOT)} links to missing paths: {dead}"


def test_the_link_finder_sees_links_and_skips_code() -> None:
    text = "see [a](docs/x.md#part) and ![c](img.svg \"t\") `[b](no.md)`\n```\n[d](no2.md)\n```\n[u](https://x.org)"
    assert _relative_targets(text) == ["docs/x.md", "img.svg"]
