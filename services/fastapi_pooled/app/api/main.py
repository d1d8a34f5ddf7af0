from fastapi import APIRouter

from app.api.routes import devices, external, fib, io_mix, users

api_router = APIRouter()
api_router.include_router(devices.router)
api_router.include_router(users.router)
api_router.include_router(fib.router)
api_router.include_router(external.router)
api_router.include_router(io_mix.router)
