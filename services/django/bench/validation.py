"""Input rules of CONTRACT.md as pure functions: each returns the clean value or raises Invalid,
which the error middleware answers with 422."""

import json
import re

MAC = re.compile(r"[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}")
# Plain ASCII digits only: int() would also take "+5", " 5", "1_0" and other scripts' digits.
# At most 10 digits, so int() never sees a huge number before the range check.
INTEGER = re.compile(r"[0-9]{1,10}")
FIRMWARE_MAX_LENGTH = 255
# Idempotency-Key: 1 to 255 visible ASCII characters, "!" to "~" (no space, no control character).
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")
FIB_MAX = 35
USERS_LIMIT = (1, 100, 100)  # min, max, default
USERS_AFTER = (0, 2147483647, 0)


class Invalid(ValueError):
    """Bad input: 422 with this message as the detail."""


def new_device(body: bytes) -> tuple[str, str]:
    """The (mac, firmware) of a POST /api/devices body; other fields are ignored."""
    try:
        # Strict UTF-8 first: json.loads(bytes) would also take UTF-16/32 and decode with
        # "surrogatepass", letting a raw surrogate (b"\xed\xa0\x80") through.
        data = json.loads(body.decode("utf-8"))
        # An escaped lone surrogate ("\ud800") decodes to a str that is not Unicode text:
        # re-encoding finds it (valid pairs were already joined by the parser).
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # UnicodeError is a ValueError too
        raise Invalid("body is not valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise Invalid("body must be a JSON object")
    mac, firmware = data.get("mac"), data.get("firmware")
    if not isinstance(mac, str) or not MAC.fullmatch(mac):
        raise Invalid("mac must be six hex pairs joined by one separator, '-' or ':'")
    if not isinstance(firmware, str) or not 1 <= len(firmware) <= FIRMWARE_MAX_LENGTH:
        raise Invalid(f"firmware must be a string of 1 to {FIRMWARE_MAX_LENGTH} characters")
    if "\0" in firmware:  # PostgreSQL text cannot hold NUL: bad input, not a database error
        raise Invalid("firmware must not contain NUL")
    return mac, firmware


def idempotency_key(value: str | None) -> str | None:
    """The Idempotency-Key header of POST /api/devices, or None when it was not sent.

    A header sent twice arrives joined by a space (project/gunicorn_conf.py), which no valid
    key contains."""
    if value is not None and not IDEMPOTENCY_KEY.fullmatch(value):
        raise Invalid("Idempotency-Key must be sent once, as 1 to 255 visible ASCII characters")
    return value


def bounded_int(
    name: str, text: str | None, low: int, high: int, default: int | None = None
) -> int:
    """A decimal integer in low..high; `default` when the parameter is absent."""
    if text is None and default is not None:
        return default
    if text is None or not INTEGER.fullmatch(text) or not low <= int(text) <= high:
        raise Invalid(f"{name} must be an integer from {low} to {high}")
    return int(text)


def users_query(params) -> tuple[int, int]:
    """(limit, after) of GET /api/users from its query parameters."""
    limit = bounded_int("limit", params.get("limit"), *USERS_LIMIT)
    after = bounded_int("after", params.get("after"), *USERS_AFTER)
    return limit, after


def fib_n(text: str) -> int:
    return bounded_int("n", text, 0, FIB_MAX)
