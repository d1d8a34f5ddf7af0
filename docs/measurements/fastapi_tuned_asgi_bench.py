"""In-process ASGI cost of GET /api/devices: min over repeats of N direct app calls (no I/O)."""
import asyncio
import os
import sys
import time

for k, v in {"DATABASE_URL": "postgresql://x:x@127.0.0.1:1/x", "MYSQL_URL": "mysql://x:x@127.0.0.1:1/x",
             "MEMCACHED_ADDR": "127.0.0.1:1", "EXTERNAL_URL": "http://127.0.0.1:1/"}.items():
    os.environ.setdefault(k, v)
sys.path.insert(0, sys.argv[1])
from app.main import app

path = sys.argv[2] if len(sys.argv) > 2 else "/api/devices"
scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
         "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
         "headers": [(b"host", b"x")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2), "state": {}}
async def receive(): return {"type": "http.request", "body": b"", "more_body": False}
async def send(m): pass
async def main():
    N = 5000; best = 1e9
    for _ in range(7):
        t = time.process_time()
        for _ in range(N): await app(scope, receive, send)
        best = min(best, (time.process_time() - t) / N)
    print(f"{sys.argv[1]} {path}: {best*1e6:.1f} us/request")
asyncio.run(main())
