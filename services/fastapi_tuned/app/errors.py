"""Failures of a dependency become 502/503/504 with a JSON detail, in one place; anything
else unexpected a JSON 500."""

from fastapi import Request
from fastapi.responses import JSONResponse


class DependencyError(Exception):
    def __init__(self, status_code: int, detail: str):
        self.status_code = status_code
        self.detail = detail


async def dependency_error_handler(_: Request, exc: DependencyError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def internal_error_handler(_: Request, exc: Exception) -> JSONResponse:
    """The contract's JSON 500, never Starlette's plain text; the server still logs the
    traceback (Starlette raises the exception again after answering)."""
    return JSONResponse({"detail": "internal error"}, status_code=500)
