"""Input rules of CONTRACT.md as pure functions: each returns the clean value or raises Invalid,
which the error middleware answers with 422."""

import json
import re

MAC = re.compile(r"[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}")
# re.ASCII: "\d" must not accept other scripts' digits, which int() would.
INTEGER = re.compile(r"[+-]?\d{1,20}", re.ASCII)  # longer is out of range anyway
FIRMWARE_MAX_LENGTH = 255
FIB_MAX = 35
USERS_LIMIT = (1, 100, 100)  # min, max, default
USERS_AFTER = (0, 2147483647, 0)


class Invalid(ValueError):
    """Bad input: 422 with this message as the detail."""


def new_device(body: bytes) -> tuple[str, str]:
    """The (mac, firmware) of a POST /api/devices body; other fields are ignored."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
        raise Invalid("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Invalid("body must be a JSON object")
    mac, firmware = data.get("mac"), data.get("firmware")
    if not isinstance(mac, str) or not MAC.fullmatch(mac):
        raise Invalid("mac must be six hex pairs joined by one separator, '-' or ':'")
    if not isinstance(firmware, str) or not 1 <= len(firmware) <= FIRMWARE_MAX_LENGTH:
        raise Invalid(f"firmware must be a string of 1 to {FIRMWARE_MAX_LENGTH} characters")
    return mac, firmware


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
