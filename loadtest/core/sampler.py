"""The one periodic sampler behind every measurement taken during a level or a fault: database
connections held, memory peaks (process tree, cgroup working set, container), RSS under overload.

A sampler runs `tick` on a daemon thread every `interval` seconds between start() and stop();
the two aggregations the harness needs, counts and peaks, are built on it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Self


class Periodic:
    """Calls tick() now and then every `interval` s until stop(), or until tick returns False."""

    def __init__(self, tick: Callable[[], bool | None], interval: float, name: str):
        self._tick, self.interval = tick, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._tick() is False:
                return
            self._stop.wait(self.interval)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Counts:
    """Samples named counts (connections per server); finish() gives max and mean of each.
    A read that returns None (the process is gone) is skipped."""

    def __init__(self, read: Callable[[], dict[str, int] | None], names: Iterable[str],
                 interval: float = 0.5, name: str = "counts"):
        self.names = list(names)
        self.samples: list[dict[str, int]] = []
        self._read = read
        self._periodic = Periodic(self._tick, interval, name)

    def _tick(self) -> None:
        if (sample := self._read()) is not None:
            self.samples.append(sample)

    def start(self) -> Self:
        self._periodic.start()
        return self

    def finish(self) -> dict[str, dict]:
        self._periodic.stop()
        return summarize_counts(self.samples, self.names)


def summarize_counts(samples: list[dict[str, int]], names: Iterable[str]) -> dict[str, dict]:
    out = {}
    for name in names:
        values = [s.get(name, 0) for s in samples]
        out[name] = {"max": max(values, default=0),
                     "mean": sum(values) / len(values) if values else 0.0,
                     "samples": len(values)}
    return out


class Peaks:
    """Keeps the peak of each named value (None values are ignored) over its samples."""

    def __init__(self, read: Callable[[], dict[str, int | None]], interval: float = 0.2,
                 name: str = "peaks", on_sample: Callable[[dict[str, int | None]], bool] | None = None):
        self.peaks: dict[str, int | None] = {}
        self.samples = 0
        self._read, self._on_sample = read, on_sample
        self._periodic = Periodic(self.sample, interval, name)

    def sample(self) -> bool:
        """One sample now (also called by hand for the last moment of a level). False when
        on_sample asked to stop (a watchdog that killed its process)."""
        values = self._read()
        self.samples += 1
        for key, value in values.items():
            if value is not None:
                self.peaks[key] = max(self.peaks.get(key) or 0, value)
            else:
                self.peaks.setdefault(key, None)
        return self._on_sample(values) if self._on_sample else True

    def reset(self) -> None:
        self.peaks, self.samples = {}, 0

    def start(self) -> Self:
        self._periodic.start()
        return self

    def stop(self) -> None:
        self._periodic.stop()
