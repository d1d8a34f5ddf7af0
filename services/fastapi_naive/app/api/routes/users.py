import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import SettingsDep
from app.api.params import DecimalDigits
from app.db import connect_postgres
from app.metrics import observe
from app.models import UserOut

router = APIRouter(prefix="/users", tags=["users"])

SELECT_USERS = """
    SELECT user_id, username, email, created_at FROM users
    WHERE user_id > %s ORDER BY user_id LIMIT %s
"""


@router.get("", response_model=list[UserOut])
async def list_users(
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100), DecimalDigits] = 100,
    after: Annotated[int, Query(ge=0, le=2147483647), DecimalDigits] = 0,
) -> list[UserOut]:
    with observe("select", "postgres"):
        async with asyncio.timeout(settings.db_timeout_seconds):
            async with await connect_postgres(settings) as conn:
                cursor = await conn.execute(SELECT_USERS, (after, limit))
                rows = await cursor.fetchall()
    return [
        UserOut(user_id=user_id, username=username, email=email, created_at=created_at)
        for user_id, username, email, created_at in rows
    ]
