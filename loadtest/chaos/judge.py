"""Judging a fault run's requests, shared by every fault: the first 2xx after a moment, the
answers of a window against the statuses it should get, what the service counted as failed,
and "nothing lost" in words."""

from __future__ import annotations

import time
from collections.abc import Collection

from . import observe
from .context import Context
from .load import BackgroundLoad, Sample, max_latency, status_counts


def wait_for_ok(load: BackgroundLoad, since: float, deadline: float) -> float | None:
    """End time of the first 2xx among requests started at or after `since`, waiting for
    one until `deadline`."""
    while True:
        first = first_ok_end(list(load.samples), since)
        if first is not None or time.monotonic() > deadline:
            return first
        time.sleep(0.05)


def first_ok_end(samples: list[Sample], since: float) -> float | None:
    """End time of the first 2xx among requests started at or after `since`."""
    return min((s.end for s in samples if s.ok and s.start >= since), default=None)


def outage_answers(window: list[Sample], expected: int | Collection[int], back: float) -> dict:
    """Requests started during an outage: each must be (one of) `expected` with a JSON detail (or a
    2xx that completed once the dependency was back, having waited for it)."""
    wanted = {expected} if isinstance(expected, int) else set(expected)
    bad = [s for s in window
           if not ((s.status in wanted and s.json_detail) or (s.ok and s.end >= back))]
    return {"requests": len(window), "statuses": status_counts(window), "unexpected": len(bad),
            "max_latency_s": max_latency(window)}


def recovery(first_ok: float | None, back: float) -> float | None:
    return None if first_ok is None else max(0.0, first_ok - back)


def op_errors(ctx: Context) -> dict[str, float | None]:
    """app_op_errors_total per op/db: what the service itself counted as failed."""
    text = observe.metrics_text(ctx.base_url)
    return {f"{op}/{db}": observe.parse_metric(text, "app_op_errors_total", op=op, db=db)
            for op, db in observe.OPS}


def growth(before: dict, after: dict) -> dict:
    return {k: None if before[k] is None or after[k] is None else after[k] - before[k] for k in before}
