"""Admission control: at most `limit` requests run at once; a request that finds no free slot
waits for one at most `wait_s` (asyncio's semaphore queues the waiters in order), then gets a
fast `503 {"detail": "overloaded"}`.

Not uvicorn's `--limit-concurrency`: it counts open connections as well as requests, so 1,000
keep-alive clients over the limit get a 503 for every request, even while the service is idle;
and its 503 is text/plain and closes the connection. A wait rather than an immediate refusal: a
client refused at once sends its next request at once, and 900 such clients would take the one
CPU from the requests being served.
"""

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

OVERLOADED = JSONResponse({"detail": "overloaded"}, 503)


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, limit: int, wait_s: float) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit)
        self.wait_s = wait_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:
            async with asyncio.timeout(self.wait_s):
                await self.slots.acquire()
        except TimeoutError:
            return await OVERLOADED(scope, receive, send)
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.release()
