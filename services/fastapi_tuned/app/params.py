"""Integers in paths and query strings: plain decimal digits only (CONTRACT.md, general rules).

Checked by hand rather than declared as `Path/Query(ge=, le=)`: pydantic's lax int parsing
accepts "1_0", " 5" and "3.0", and FastAPI's per-parameter validation cost about 15 us per
request (README ladder, step 6).
"""

from fastapi.exceptions import RequestValidationError


def decimal_int(raw: str | None, loc: tuple[str, str], low: int, high: int, default: int | None = None) -> int:
    """`raw` as an integer in [low, high] if it is 1 to 10 ASCII digits, else 422."""
    if raw is None and default is not None:
        return default
    if raw is not None and raw.isascii() and raw.isdigit() and len(raw) <= 10 and low <= int(raw) <= high:
        return int(raw)
    raise RequestValidationError([{"type": "int_range", "loc": loc, "input": raw,
                                   "msg": f"Input should be plain decimal digits, from {low} to {high}"}])
