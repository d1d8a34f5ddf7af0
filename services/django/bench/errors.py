"""The one place where errors become the contract's JSON answers.

Django answers 404, 405, 400 and 500 with HTML or empty bodies, reports an oversized body only
when request.body is first read, and turns database errors into 500. This middleware:
  - reads the body first, so a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 on every endpoint
    (after reading the rest of it: see discard_body);
  - maps the exceptions views raise: bad input -> 422, a write whose outcome is unknown -> 504
    (bench/outcome.py), any other database failure -> 503;
  - rewrites every remaining non-JSON error response (404 from the URL resolver, 405 from
    require_http_methods, 500) as {"detail": <reason phrase>}.
It also sets Content-Length, as Django's CommonMiddleware would: without it gunicorn sends every
response chunked.
"""

import logging

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, InternalError, OperationalError
from django.http import JsonResponse

from .outcome import OutcomeUnknown
from .validation import Invalid

logger = logging.getLogger(__name__)

# How much of an oversized body is read and thrown away before the 413 (about 16 ms on loopback).
DISCARD_LIMIT = 16 * 1024 * 1024


def error_response(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def discard_body(stream, limit: int = DISCARD_LIMIT) -> None:
    """Read and drop the rest of a request body, up to the end of `stream` or `limit` bytes.

    Answering while the client is still sending makes gunicorn close with unread bytes in its
    socket, which sends a TCP reset, and a reset makes the client's kernel drop the answer it
    has not read yet: the client would see no 413."""
    left = limit
    while left > 0 and (chunk := stream.read(min(65536, left))):
        left -= len(chunk)


class JsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.body  # noqa: B018 -- reading it is the size check
        except RequestDataTooBig:
            discard_body(request)  # request.read() stops at Content-Length
            return error_response(413, "Request body too large")

        response = self.get_response(request)
        if response.status_code >= 400 and response.get("Content-Type") != "application/json":
            json_response = error_response(response.status_code, response.reason_phrase)
            if response.has_header("Allow"):  # 405 says which methods the path has
                json_response["Allow"] = response["Allow"]
            response = json_response
        if not response.streaming:
            response["Content-Length"] = str(len(response.content))
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Invalid):
            return error_response(422, str(exception))
        if isinstance(exception, OutcomeUnknown):
            logger.warning("%s %s: %r", request.method, request.path, exception.__cause__)
            return error_response(504, f"{exception.database} timed out: outcome unknown")
        # Any other database failure (refused, no pooled connection in time, an error the server
        # answered, statement_timeout's and a read-only server's included: Django raises the
        # latter, SQLSTATE 25006, as InternalError): unavailable, and a write did not happen.
        # The detail names the database in a fixed phrase; the driver's text is for the log only
        # (CONTRACT.md, general rules).
        if isinstance(exception, (OperationalError, InterfaceError, InternalError)):
            logger.warning("%s %s: %r", request.method, request.path, exception)
            return error_response(503, f"{database_of(exception)} unavailable")
        return None


def database_of(exception: Exception) -> str:
    """Which database failed: Django wraps the driver's error, which it keeps as the cause."""
    driver = type(exception.__cause__).__module__
    return "postgres" if driver.startswith("psycopg") else "mysql"
