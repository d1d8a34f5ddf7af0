"""The reproductions page is rendered again from saved replays alone, the last --with winning."""

import shutil
from pathlib import Path

import pytest

from loadtest import cli
from loadtest.commands import reproduce as command
from loadtest.core.errors import UsageError

SAVED = Path(__file__).parents[2] / "docs" / "results" / "2026-12-01-reproduce"


def test_later_directory_wins_and_nothing_is_measured(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(SAVED / "all", first, ignore=shutil.ignore_patterns("raw", "*.txt"))
    shutil.copytree(SAVED / "go-vs-fastapi", second, ignore=shutil.ignore_patterns("raw", "*.txt"))
    replays = command.kept_replays([first, second], [])
    by_name = {r.protocol.name: r for r in replays}
    assert len(by_name) == 5
    assert "--seed 8" in by_name["go-vs-fastapi"].measured_by["command"]  # the second directory's
    out = tmp_path / "out"
    assert cli.run(["reproduce", "--with", str(first), "--with", str(second), "--out", str(out)]) == 0
    text = (out / "reproductions.md").read_text()  # in its folder: the committed page is left alone
    assert text.count("**holds") + text.count("**does not hold") >= 5


def test_a_directory_without_replays_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no saved write-up"):
        command.kept_replays([tmp_path], [])
