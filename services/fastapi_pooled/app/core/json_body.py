"""Request bodies parsed by pydantic's own JSON parser, so that bad JSON is always a 422.

FastAPI parses with `json.loads`, which answers 400 ("There was an error parsing the body") to
invalid UTF-8, a 5000-digit number or nesting deeper than Python's recursion limit, and lets a
lone surrogate ("\\ud800", escaped or as raw bytes) through to fail later as a 500.
`pydantic_core.from_json` (the parser behind `model_validate_json`) refuses all of these, and
any JSON nested over 200 levels, with a ValueError. Raised as a `json.JSONDecodeError`, FastAPI
turns it into its usual 422 `json_invalid` error. The pattern is FastAPI's "Custom Request and
APIRoute class" (https://fastapi.tiangolo.com/how-to/custom-request-and-route/).
"""

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic_core import from_json


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                # NaN and Infinity are not JSON (RFC 8259).
                self._json = from_json(body, allow_inf_nan=False)
            except ValueError as exc:
                # The message carries the line and column; the position is not exposed.
                doc = body.decode("utf-8", errors="replace")
                raise json.JSONDecodeError(str(exc), doc, 0) from None
        return self._json


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_strict_json(request: Request) -> Response:
            return await handle(StrictJSONRequest(request.scope, request.receive))

        return handle_strict_json
