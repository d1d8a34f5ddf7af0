"""Integers in paths and query strings: plain decimal digits only (CONTRACT.md, general rules).

Pydantic's lax int parsing, which FastAPI applies to path and query parameters, also accepts
" 5", "5 ", "1_0", "3.0" and "+5". `DecimalDigits` runs before it, so only ^[0-9]{1,10}$
reaches the int conversion and the ge/le range check:

    n: Annotated[int, Path(ge=0, le=35), DecimalDigits]

Put it after Path()/Query(): before them, FastAPI writes "ge"/"le" into the OpenAPI schema
instead of "minimum"/"maximum".
"""

import re

from pydantic import BeforeValidator

DECIMAL_DIGITS = re.compile(r"[0-9]{1,10}")  # [0-9], not \d: no non-ASCII digits


def require_decimal_digits(value: object) -> object:
    if isinstance(value, str) and not DECIMAL_DIGITS.fullmatch(value):
        raise ValueError("Input should be 1 to 10 decimal digits")
    return value


DecimalDigits = BeforeValidator(require_decimal_digits)
