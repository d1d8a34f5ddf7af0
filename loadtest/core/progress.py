"""The sweep's progress bar: what runs now, and the time left against the plan's estimate."""

from __future__ import annotations

from typing import Self

from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress


class Progress:
    def __init__(self, console, expected_seconds: float):
        columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
        self._rich = RichProgress(*columns, console=console, transient=False)
        self._task = self._rich.add_task("sweep", total=expected_seconds)

    def step(self, description: str) -> None:
        """Name what runs now."""
        self._rich.update(self._task, description=description)

    def advance(self, seconds: float) -> None:
        """Count planned seconds as done."""
        self._rich.update(self._task, advance=seconds)

    def __enter__(self) -> Self:
        self._rich.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._rich.__exit__(*exc)
