"""GET /api/users: one page of the 2000 seeded users from PostgreSQL."""

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response

from ..metrics import timed
from ..resources import resources_of

router = APIRouter(prefix="/api/users", tags=["users"])

SELECT = "SELECT user_id, username, email, created_at FROM users WHERE user_id > $1 ORDER BY user_id LIMIT $2"


@router.get("")
async def list_users(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    after: Annotated[int, Query(ge=0, le=2147483647)] = 0,
) -> Response:
    r = resources_of(request)
    async with timed("select", "postgres", timeout=r.settings.db_timeout_seconds):
        rows = await r.pg.fetch(SELECT, after, limit)
    # orjson writes the timestamptz values as RFC 3339 with "Z" straight from the rows.
    return Response(orjson.dumps([dict(row) for row in rows], option=orjson.OPT_UTC_Z),
                    media_type="application/json")
