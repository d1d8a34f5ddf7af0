"""results.json -> one flat row per sample (a level: one load of one scenario on one service in
one round), as CSV or JSON Lines, for a spreadsheet, pandas or another benchmark's tooling.
The columns are COLUMNS, in order, documented in docs/exports.md; a figure the level does not
have is an empty CSV field and a JSON null."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from ..records.document import RunDocument
from ..records.level import Level

COLUMNS: list[tuple[str, Callable[[Level], object]]] = [
    ("round", lambda lv: lv.round),
    ("service", lambda lv: lv.service),
    ("scenario", lambda lv: lv.scenario),
    ("mode", lambda lv: lv.mode),
    ("users", lambda lv: lv.users),
    ("target_rps", lambda lv: lv.target_rps),
    ("tool", lambda lv: lv.tool),
    ("duration_s", lambda lv: lv.duration_s),
    ("requests", lambda lv: lv.requests),
    ("ok", lambda lv: lv.ok),
    ("ok_rps", lambda lv: lv.ok_rps),
    ("rps", lambda lv: lv.rps),
    ("latency_p50_ms", lambda lv: lv.latency_ms.p50),
    ("latency_p90_ms", lambda lv: lv.latency_ms.p90),
    ("latency_p95_ms", lambda lv: lv.latency_ms.p95),
    ("latency_p99_ms", lambda lv: lv.latency_ms.p99),
    ("latency_max_ms", lambda lv: lv.latency_ms.max),
    ("latency_mean_ms", lambda lv: lv.latency_ms.mean),
    ("errors_total", lambda lv: lv.errors.total),
    ("error_rate", lambda lv: lv.error_rate),
    ("service_cpu_percent", lambda lv: lv.service_cpu.percent_of_quota),
    ("service_cpu_usage_s", lambda lv: lv.service_cpu.usage_s),
    ("service_cpu_user_s", lambda lv: lv.service_cpu.user_s),
    ("service_cpu_system_s", lambda lv: lv.service_cpu.system_s),
    ("cpu_per_request_us", lambda lv: lv.cpu_per_request_us),
    ("memory_peak_bytes", lambda lv: lv.service_memory.peak_bytes),
    ("bound", lambda lv: lv.bound),
    ("generator_bound", lambda lv: lv.generator.bound),
    ("started_at", lambda lv: lv.started_at),
]
FIELDNAMES = ["run_id", *(name for name, _ in COLUMNS)]
FORMATS = ("csv", "jsonl")


def rows(doc: RunDocument) -> list[dict]:
    """One dict per level, in the order the levels were measured, keys FIELDNAMES."""
    return [{"run_id": doc.run.id, **{name: value(lv) for name, value in COLUMNS}}
            for lv in doc.measured()]


def to_csv(doc: RunDocument) -> str:
    out = io.StringIO()
    # "\n" line ends: the file diffs cleanly in git (the csv module defaults to "\r\n").
    writer = csv.DictWriter(out, fieldnames=FIELDNAMES, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _csv_field(v) for k, v in row.items()} for row in rows(doc))
    return out.getvalue()


def _csv_field(value: object) -> object:
    """true/false as in the JSON Lines (csv would write Python's True); None stays None, which
    csv writes as an empty field."""
    return str(value).lower() if isinstance(value, bool) else value


def to_jsonl(doc: RunDocument) -> str:
    return "".join(json.dumps(row, allow_nan=False) + "\n" for row in rows(doc))


def render(doc: RunDocument, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: one of {', '.join(FORMATS)}")
    return to_csv(doc) if fmt == "csv" else to_jsonl(doc)
