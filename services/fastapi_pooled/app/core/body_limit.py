"""Answer 413 to request bodies over a limit, as JSON like every other error.

FastAPI's own `max_body_size` answers text/plain when the endpoint never reads the body, so
this pure-ASGI middleware does it: a declared Content-Length over the limit is refused before
routing, and a streamed (chunked) body is counted as the endpoint reads it.
"""

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = "Request body too large"


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                return await JSONResponse({"detail": TOO_LARGE}, 413)(scope, receive, send)

        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # FastAPI re-raises an HTTPException from the body read, and its handler
                # turns it into {"detail": ...}.
                raise HTTPException(413, TOO_LARGE)
            return message

        await self.app(scope, receive_limited, send)
