"""Load-generator adapters: each turns its tool's raw output into one ToolResult, and the
accounting below (requests/s, errors, availability) is done here, never trusted to the tool."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class ToolResult:
    tool: str
    duration_s: float  # the measured window
    status_codes: dict[str, int]  # completed responses by status
    transport_errors: dict[str, int]  # requests that got no response, by kind
    latency_ms: dict[str, float | None]  # p50 p90 p95 p99 max mean, over completed responses
    aborted_at_deadline: int = 0  # in flight when the window closed: neither success nor error
    dropped: int | None = None  # open loop: arrivals the tool could not send (no free VU)
    notes: list[str] = field(default_factory=list)


def summarize(r: ToolResult, expected_status: int) -> dict:
    """The numbers people compare: computed from counts, not from the tool's own rates.

    requests = completed responses (any status); errors = responses with another status than
    the scenario expects + transport errors; availability = expected responses / attempts.
    """
    responses = sum(r.status_codes.values())
    ok = r.status_codes.get(str(expected_status), 0)
    transport = sum(r.transport_errors.values())
    attempts = responses + transport
    errors = attempts - ok
    d = r.duration_s if r.duration_s > 0 else float("nan")
    return {
        "tool": r.tool,
        "duration_s": r.duration_s,
        "requests": responses,
        "ok": ok,
        "rps": responses / d,
        "ok_rps": ok / d,
        "latency_ms": r.latency_ms,
        "errors": {
            "total": errors,
            "status": {k: v for k, v in sorted(r.status_codes.items()) if k != str(expected_status)},
            "transport": dict(sorted(r.transport_errors.items())),
        },
        "error_rate": errors / attempts if attempts else None,
        "availability": ok / attempts if attempts else None,
        "status_codes": dict(sorted(r.status_codes.items())),
        "aborted_at_deadline": r.aborted_at_deadline,
        "dropped": r.dropped,
        "tool_notes": r.notes,
    }


def as_dict(r: ToolResult) -> dict:
    return asdict(r)
