"""gunicorn's gthread worker with a bound on the wait for a thread: a request that waited more
than MAX_QUEUE_WAIT_SECONDS gets a fast `503 {"detail": "overloaded"}` instead of being served,
and one that waited and whose client has gone is dropped unanswered.

gthread queues every readable connection for its threads without a bound, and gunicorn has no
setting that limits that queue or its wait: `--backlog` and `--worker-connections` bound
connections, and a keep-alive client past them waits unanswered. Serving a request that waited
long makes every request behind it wait longer, and after an overload the queue is full of
requests whose clients gave up: serving them kept django from answering anyone else for
seconds. A refusal never reaches Django and costs a small part of a request.
"""

import socket
import threading
import time

from gunicorn.workers.gthread import ThreadWorker

# Above the benchmark's slowest wait: 100 users of GET /api/fetch-external (a 500 ms upstream,
# 8 threads, so 16 requests/s) wait 100 / 16 - 0.5 = 5.75 s on average for a thread, some over
# 6 s. Under 1,000 connections of a 300-400 requests/s endpoint the wait is ~3 s.
MAX_QUEUE_WAIT_SECONDS = 8.0
# Past this wait, check that the client is still there before serving it (a check of every
# request would also drop a client that half-closes after sending, which HTTP allows).
CLIENT_CHECK_AFTER_SECONDS = 1.0

OVERLOADED = b'{"detail":"overloaded"}'


def overloaded(environ, start_response):
    start_response("503 Service Unavailable",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(OVERLOADED)))])
    return [OVERLOADED]


class QueueBoundThreadWorker(ThreadWorker):
    late = threading.local()  # .value: whether the request on this thread waited too long

    def load_wsgi(self):
        super().load_wsgi()
        application = self.wsgi

        def admitted(environ, start_response):
            if self.late.value:
                return overloaded(environ, start_response)
            return application(environ, start_response)

        self.wsgi = admitted

    def enqueue_req(self, conn):
        conn.queued_at = time.monotonic()
        super().enqueue_req(conn)

    def handle_request(self, req, conn):
        waited = time.monotonic() - conn.queued_at
        if waited > CLIENT_CHECK_AFTER_SECONDS and client_gone(conn.sock):
            return False  # close the connection: there is no one to answer
        self.late.value = waited > MAX_QUEUE_WAIT_SECONDS
        return super().handle_request(req, conn)


def client_gone(sock) -> bool:
    """Whether the client closed its side: the request is read, and what is left is the end of
    the stream (or a reset)."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False  # open, nothing more sent: waiting for the answer
    except OSError:
        return True
