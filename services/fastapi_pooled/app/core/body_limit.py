"""Answer 413 to request bodies over a limit, on every endpoint, as JSON like every other error.

FastAPI's own `max_body_size` answers text/plain when the endpoint never reads the body, and an
endpoint that ignores its body (POST /api/io-mix) would never see a streamed one at all. So this
pure-ASGI middleware reads the whole body before routing: a declared Content-Length over the
limit is refused at once, a streamed (chunked) body as soon as it passes the limit; a body within
the limit (at most 64 KiB in memory) is handed on to the endpoint unchanged.
"""

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
        too_large = JSONResponse({"detail": TOO_LARGE}, 413)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                return await too_large(scope, receive, send)

        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > self.max_bytes:
                return await too_large(scope, receive, send)
            if not message.get("more_body", False):
                break

        body_sent = False

        async def replay() -> Message:
            # The whole body once, then the server's own messages (a later disconnect).
            nonlocal body_sent
            if body_sent:
                return await receive()
            body_sent = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)
