"""fastapi_naive: FastAPI as the tutorials write it. See README.md."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker
from tortoise.contrib.fastapi import RegisterTortoise

from app.api.main import api_router
from app.api.routes import health, metrics
from app.core.body_limit import BodySizeLimitMiddleware
from app.core.config import Settings
from app.core.errors import (
    DATABASE_ERRORS,
    OutcomeUnknown,
    database_unavailable,
    internal_error,
    outcome_unknown,
)
from app.db import create_postgres_engine, tortoise_config


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = Settings()
    engine = create_postgres_engine(settings)
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)

    async with RegisterTortoise(app, config=tortoise_config(settings)):
        try:
            yield
        finally:
            await engine.dispose()


app = FastAPI(title="fastapi_naive", lifespan=lifespan)
app.add_middleware(BodySizeLimitMiddleware, max_bytes=65536)
for error in DATABASE_ERRORS:
    app.add_exception_handler(error, database_unavailable)
app.add_exception_handler(OutcomeUnknown, outcome_unknown)
app.add_exception_handler(Exception, internal_error)

app.include_router(api_router, prefix="/api")
app.include_router(health.router)
app.include_router(metrics.router)
