"""fastapi_tuned: the best FastAPI we can make under the contract's fairness rules."""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from .config import get_settings
from .errors import DependencyError, dependency_error_handler
from .resources import close_resources, open_resources
from .routes import devices, external, fib, health, iomix, users


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.resources = await open_resources(get_settings())
    yield
    await close_resources(app.state.resources)


app = FastAPI(title="fastapi_tuned", lifespan=lifespan, docs_url=None, redoc_url=None)
app.add_exception_handler(DependencyError, dependency_error_handler)
for module in (devices, users, fib, external, iomix, health):
    app.include_router(module.router)
