"""fastapi_naive: FastAPI as the tutorials write it. See README.md."""

from fastapi import FastAPI

from app.api.main import api_router
from app.api.routes import health, metrics
from app.core.body_limit import BodySizeLimitMiddleware
from app.core.errors import DATABASE_ERRORS, database_unavailable

app = FastAPI(title="fastapi_naive")
app.add_middleware(BodySizeLimitMiddleware, max_bytes=65536)
for error in DATABASE_ERRORS:
    app.add_exception_handler(error, database_unavailable)

app.include_router(api_router, prefix="/api")
app.include_router(health.router)
app.include_router(metrics.router)
