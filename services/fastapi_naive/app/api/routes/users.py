from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from app.api.deps import SessionDep
from app.api.params import DecimalDigits
from app.metrics import observe
from app.models import UserOut
from app.orm.postgres import User

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserOut])
async def list_users(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100), DecimalDigits] = 100,
    after: Annotated[int, Query(ge=0, le=2147483647), DecimalDigits] = 0,
) -> Sequence[User]:
    query = select(User).where(User.user_id > after).order_by(User.user_id).limit(limit)
    with observe("select", "postgres"):
        return (await session.scalars(query)).all()
