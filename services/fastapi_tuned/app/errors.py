"""Failures of a dependency become 502/503/504 with a JSON detail, in one place."""

from fastapi import Request
from fastapi.responses import JSONResponse


class DependencyError(Exception):
    def __init__(self, status_code: int, detail: str):
        self.status_code = status_code
        self.detail = detail


async def dependency_error_handler(_: Request, exc: DependencyError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
