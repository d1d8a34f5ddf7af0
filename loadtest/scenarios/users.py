"""GET /api/users: SELECT 100 users from PostgreSQL (FastAPI vs Axum)."""

from .base import Scenario

USERS = Scenario("users", "GET", "/api/users", 200,
                 summary="SELECT 100 users from PostgreSQL (FastAPI vs Axum)", reads=("postgres",))
