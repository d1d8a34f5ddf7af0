import asyncio

import httpx
from starlette.responses import JSONResponse

from app.core.overload import AdmissionMiddleware


def test_a_request_past_the_wait_is_503_overloaded():
    release = asyncio.Event()

    async def slow(scope, receive, send):
        await release.wait()
        await JSONResponse([])(scope, receive, send)

    app = AdmissionMiddleware(slow, limit=1, wait_s=0.05)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = asyncio.create_task(client.get("/"))
            await asyncio.sleep(0.01)
            second = await client.get("/")
            release.set()
            return (await first), second

    first, second = asyncio.run(scenario())
    assert second.status_code == 503
    assert second.json() == {"detail": "overloaded"}
    assert first.status_code == 200
