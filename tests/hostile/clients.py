"""Misbehaving HTTP clients on raw sockets: what httpx will not do for us.

- `post_huge`: a body far over the limit, sent while the answer is read (a server may answer
  413 and close before the body is through; reading only afterwards would lose the answer);
- `slow_loris`: a request whose headers never end, one byte per second;
- `slow_loris_crowd`: many of them at once.
"""

from __future__ import annotations

import http.client
import itertools
import select
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CHUNK = 64 * 1024


def address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname, parts.port


@dataclass
class Answer:
    status: int | None  # None: no answer at all
    body: bytes
    sent: int  # body bytes the server took before the answer (or the connection) ended
    error: str = ""


def post_huge(base_url: str, path: str, size: int, chunked: bool = False, timeout: float = 30) -> Answer:
    """POST a JSON object padded to `size` bytes, with Content-Length or chunked."""
    host, port = address(base_url)
    prefix = b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1", "padding": "'
    suffix = b'"}'
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"{framing}\r\n\r\n").encode()
    sock = socket.create_connection((host, port), timeout=timeout)
    sent = 0

    def pieces():
        yield prefix
        left = size - len(prefix) - len(suffix)
        while left > 0:
            yield b"x" * min(CHUNK, left)
            left -= CHUNK
        yield suffix

    def send():
        nonlocal sent
        try:
            sock.sendall(head)
            for piece in pieces():
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server stopped reading: expected once it has answered 413

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        return Answer(resp.status, resp.read(), sent)
    except (OSError, http.client.HTTPException) as e:
        return Answer(None, b"", sent, f"{type(e).__name__}: {e}")
    finally:
        sock.close()
        sender.join(timeout=5)


@dataclass
class SlowOutcome:
    """What the server did with a slow client: "closed", "reset", "answered" or "open"."""

    what: str
    after: float  # seconds since the connection was opened
    status_line: str = ""
    bytes_sent: int = 0


def _header_bytes(host: str, port: int):
    """An endless request head: the request line, Host, then one header that never ends."""
    yield from f"GET /api/devices HTTP/1.1\r\nHost: {host}:{port}\r\nX-Slow: ".encode()
    yield from itertools.repeat(ord("a"))


def _settle(sock: socket.socket) -> tuple[str, str]:
    """Read what the server sent on a readable socket: its answer, its close or its reset."""
    try:
        data = sock.recv(4096)
    except ConnectionResetError:
        return "reset", ""
    except OSError as e:
        return "reset", str(e)
    if not data:
        return "closed", ""
    return "answered", data.split(b"\r\n", 1)[0].decode(errors="replace")


def slow_loris(base_url: str, seconds: float, interval: float = 1.0) -> SlowOutcome:
    """Send one header byte per `interval` until the server gives up on us or `seconds` pass."""
    host, port = address(base_url)
    started = time.monotonic()
    sock = socket.create_connection((host, port), timeout=5)
    sent = 0
    try:
        for byte in _header_bytes(host, port):
            try:
                sock.send(bytes([byte]))
                sent += 1
            except OSError:
                return SlowOutcome("reset", time.monotonic() - started, bytes_sent=sent)
            wait = min(interval, started + seconds - time.monotonic())
            if wait <= 0:
                return SlowOutcome("open", time.monotonic() - started, bytes_sent=sent)
            readable, _, _ = select.select([sock], [], [], wait)
            if readable:
                what, line = _settle(sock)
                return SlowOutcome(what, time.monotonic() - started, line, sent)
    finally:
        sock.close()
    raise AssertionError("unreachable")


@dataclass
class CrowdOutcome:
    opened: int
    refused: int  # connections the server did not accept at all
    dropped: dict[str, int] = field(default_factory=dict)  # "closed"/"reset"/"answered" -> count
    still_open: int = 0
    first_drop: float | None = None
    last_drop: float | None = None


def slow_loris_crowd(base_url: str, clients: int, seconds: float, interval: float = 1.0) -> CrowdOutcome:
    """`clients` slow-loris connections at once, each sending one header byte per interval."""
    host, port = address(base_url)
    started = time.monotonic()
    socks: dict[socket.socket, object] = {}
    refused = 0
    for _ in range(clients):
        try:
            sock = socket.create_connection((host, port), timeout=2)
            sock.setblocking(False)
            socks[sock] = _header_bytes(host, port)
        except OSError:
            refused += 1
    outcome = CrowdOutcome(opened=len(socks), refused=refused)

    def drop(sock: socket.socket, what: str) -> None:
        now = time.monotonic() - started
        outcome.dropped[what] = outcome.dropped.get(what, 0) + 1
        outcome.first_drop = outcome.first_drop if outcome.first_drop is not None else now
        outcome.last_drop = now
        del socks[sock]
        sock.close()

    poller = selectors.DefaultSelector()  # epoll: no FD_SETSIZE limit, unlike select()
    for sock in socks:
        poller.register(sock, selectors.EVENT_READ)
    try:
        while socks and time.monotonic() - started < seconds:
            for sock in list(socks):
                try:
                    sock.send(bytes([next(socks[sock])]))
                except BlockingIOError:
                    pass  # the server's buffer is full: it is not reading us; fine
                except OSError:
                    poller.unregister(sock)
                    drop(sock, "reset")
            tick = min(time.monotonic() + interval, started + seconds)
            while socks and (wait := tick - time.monotonic()) > 0:
                for key, _ in poller.select(wait):
                    poller.unregister(key.fileobj)
                    drop(key.fileobj, _settle(key.fileobj)[0])
    finally:
        outcome.still_open = len(socks)
        for sock in socks:
            sock.close()
        poller.close()
    return outcome
