"""fastapi_tuned: the best FastAPI we can make under the contract's fairness rules."""

import gc
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .config import get_settings
from .errors import DependencyError, dependency_error_handler, internal_error_handler
from .resources import close_resources, open_resources
from .routes import devices, external, fib, health, iomix, users


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.resources = await open_resources(get_settings())
    # Everything alive now (the framework, the drivers, the routes) lives as long as the
    # process: move it out of the collector's view. A full collection otherwise walks it all,
    # about 40 ms on one core, and those pauses were the p99 (README ladder, step 8).
    gc.freeze()
    # A users page allocates some 300 tracked objects, almost all freed by reference counting;
    # the default young-generation threshold (700) still ran a collection every two or three
    # requests over everything in flight. 50,000: +9 % users at 100 connections, same RSS
    # (README ladder, step 9).
    gc.set_threshold(50_000, 10, 10)
    yield
    await close_resources(app.state.resources)


# FastAPI's native OpenTelemetry bridge asks on every request whether a tracer, meter or
# logger provider has been configured; this service exports Prometheus metrics, not OTel, so
# it is switched off: 26 -> 21 us per request in-process (README ladder, step 7).
app = FastAPI(title="fastapi_tuned", lifespan=lifespan, docs_url=None, redoc_url=None,
              telemetry={"tracing": False, "metrics": False, "logs": False})
app.add_exception_handler(DependencyError, dependency_error_handler)
app.add_exception_handler(Exception, internal_error_handler)
# The routes themselves, not include_router: FastAPI 0.165 keeps an included router as one
# lazy entry that re-resolves its candidates on each request; a flat list is matched
# directly (about 7 us less per request, README ladder, step 5).
for module in (devices, users, fib, external, iomix, health):
    app.router.routes.extend(module.router.routes)
