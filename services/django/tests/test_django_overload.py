"""The queue-wait bound of project/worker.py: the worker's WSGI dispatch, without a server (the
chaos overload fault measures it under 1,000 connections)."""

import json
import socket
from types import SimpleNamespace

import pytest
from project.worker import QueueBoundThreadWorker, client_gone


def served(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"[]"]


@pytest.fixture
def worker():
    worker = object.__new__(QueueBoundThreadWorker)  # no sockets, no arbiter: only the dispatch
    worker.app = SimpleNamespace(wsgi=lambda: served)
    worker.load_wsgi()
    yield worker
    del worker.late.value


def call(worker):
    answer = {}
    body = b"".join(worker.wsgi({}, lambda status, headers: answer.update(status=status, headers=dict(headers))))
    return answer["status"], answer["headers"], body


def test_a_request_that_waited_too_long_is_503_overloaded(worker):
    worker.late.value = True
    status, headers, body = call(worker)
    assert status.startswith("503")
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(body))
    assert json.loads(body) == {"detail": "overloaded"}


def test_a_request_within_the_bound_is_served(worker):
    worker.late.value = False
    assert call(worker) == ("200 OK", {"Content-Type": "application/json"}, b"[]")


def test_a_client_that_closed_its_side_is_gone():
    server, client = socket.socketpair()
    with server, client:
        assert not client_gone(server)
        client.sendall(b"GET / HTTP/1.1\r\n\r\n")
        assert not client_gone(server)  # bytes still to read: a request (or a body) follows
        server.recv(1024)
        client.shutdown(socket.SHUT_WR)
        assert client_gone(server)
