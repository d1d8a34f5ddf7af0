"""In-process cost of serialising one users page (100 rows) in fastapi_tuned's app: the kept
orjson bytes Response against FastAPI's declared response model, which FastAPI 0.165 validates
and dumps in Rust (pydantic-core `serialize_json`, its fast path without a custom response
class). Same rows, same app, no I/O; CPU time, best of 7 x 3000 calls, alternated 3 times.

Usage: taskset -c 0 .venv/bin/python docs/measurements/fastapi_tuned_response_model.py
"""
import asyncio
import os
import sys
import time

for k, v in {"DATABASE_URL": "postgresql://x:x@127.0.0.1:1/x", "MYSQL_URL": "mysql://x:x@127.0.0.1:1/x",
             "MEMCACHED_ADDR": "127.0.0.1:1", "EXTERNAL_URL": "http://127.0.0.1:1/"}.items():
    os.environ.setdefault(k, v)
sys.path.insert(0, "services/fastapi_tuned")

import orjson
from app.main import app
from fastapi import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

# What asyncpg gives the handler with the text timestamp codec: tuples of int, str, str, str.
ROWS = [(i, f"user{i:04d}", f"user{i:04d}@example.com", "2024-01-01T00:01:00Z") for i in range(1, 101)]


class User(BaseModel):
    user_id: int
    username: str
    email: str
    created_at: str


async def kept() -> Response:
    return Response(orjson.dumps([{"user_id": u, "username": n, "email": e, "created_at": c}
                                  for u, n, e, c in ROWS]), media_type="application/json")


async def response_model():
    return [{"user_id": u, "username": n, "email": e, "created_at": c} for u, n, e, c in ROWS]


app.router.routes.append(APIRoute("/bench/orjson", kept))
app.router.routes.append(APIRoute("/bench/response-model", response_model, response_model=list[User]))


def scope(path: str) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": [(b"host", b"x")], "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 2), "state": {}}


async def receive():
    return {"type": "http.request", "body": b"", "more_body": False}


async def measure(path: str, n: int = 3000) -> float:
    bodies = []

    async def send(message):
        if message["type"] == "http.response.body":
            bodies.append(message["body"])

    s, best = scope(path), 1e9
    for _ in range(7):
        t = time.process_time()
        for _ in range(n):
            await app(s, receive, send)
        best = min(best, (time.process_time() - t) / n)
    assert orjson.loads(bodies[-1])[0]["username"] == "user0001"
    return best * 1e6


async def main() -> None:
    a, b = await measure("/bench/orjson"), await measure("/bench/response-model")
    print(f"orjson bytes {a:.1f} us, response_model {b:.1f} us")


for _ in range(3):
    asyncio.run(main())
