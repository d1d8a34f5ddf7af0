"""A real load tool run for a second against a tiny HTTP server on loopback: how the tool tests
check that an adapter's command line and script work, not only its parser."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from loadtest.runtime import generator
from loadtest.runtime.generator import GeneratorRun
from loadtest.tools import Load


def run_against(handler: type[BaseHTTPRequestHandler], tool: str, load: Load, workdir: Path) -> GeneratorRun:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return generator.run(tool, load, f"http://127.0.0.1:{server.server_address[1]}",
                             workdir / "raw.json", [0], workdir)
    finally:
        server.shutdown()
        server.server_close()
