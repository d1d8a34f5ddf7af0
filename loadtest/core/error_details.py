"""What a driver's or client library's error text looks like. CONTRACT.md: a 5xx `detail` is a
fixed phrase naming the dependency and carries none of it (no address, port, SQLSTATE, error
number, class name or stack). The contract suite checks every 5xx it provokes with this, and a
fault run checks every 5xx its load received."""

from __future__ import annotations

import re

DRIVER_TEXT = [
    re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"),  # an IPv4 address
    re.compile(r"\blocalhost\b|\[::1?\]", re.IGNORECASE),  # a host name or IPv6 loopback
    re.compile(r":\d{2,5}\b"),  # a port
    re.compile(r"\b\d{2}[0-9A-Z]\d{2}\b"),  # a SQLSTATE: 08006, 57P01, 42P01
    re.compile(r"\b[12]\d{3}\b"),  # a MySQL client or server error number: 2003, 2013, 1213
    re.compile(r"\b(?:[A-Z][a-z0-9]+)+(?:Error|Exception|Timeout|Refused)\b"),  # a class name
    re.compile(r"\w+::\w+|\w+\.\w+\.\w+"),  # a qualified name: tokio_postgres::Error, psycopg.errors.X
    re.compile(r"sqlstate|connection refused|timeout expired|connection reset|errno|os error"
               r"|traceback|exception|stack|deadline has elapsed|\berror:|\bfile \"|\bline \d", re.IGNORECASE),
]
MAX_LENGTH = 120


def driver_text(detail: object) -> str | None:
    """Why `detail` is not a fixed phrase (the pattern it matches, or its shape); None if it is."""
    if not isinstance(detail, str) or not 0 < len(detail) <= MAX_LENGTH:
        return f"not a short phrase: {detail!r:.80}"
    for pattern in DRIVER_TEXT:
        if pattern.search(detail):
            return pattern.pattern
    return None
