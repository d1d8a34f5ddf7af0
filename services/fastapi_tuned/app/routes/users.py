"""GET /api/users: one page of the 2000 seeded users from PostgreSQL."""

import orjson
from fastapi import APIRouter, Request, Response

from ..metrics import timed
from ..params import decimal_int
from ..resources import postgres, resources_of

router = APIRouter(prefix="/api/users", tags=["users"])

SELECT = "SELECT user_id, username, email, created_at FROM users WHERE user_id > $1 ORDER BY user_id LIMIT $2"


@router.get("")
async def list_users(request: Request) -> Response:
    query = request.query_params
    limit = decimal_int(query.get("limit"), ("query", "limit"), 1, 100, default=100)
    after = decimal_int(query.get("after"), ("query", "after"), 0, 2147483647, default=0)
    r = resources_of(request)
    async with timed("select", "postgres"), postgres(r) as conn:
        rows = await conn.fetch(SELECT, after, limit)
    # created_at is already the contract's string (resources.rfc3339_utc); a dict literal
    # per row is about twice as fast as dict(record).
    return Response(orjson.dumps([{"user_id": u, "username": n, "email": e, "created_at": c} for u, n, e, c in rows]),
                    media_type="application/json")
