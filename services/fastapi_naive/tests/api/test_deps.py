import asyncio

from app.api.deps import close_session


class HungSession:
    """A session whose rollback on close times out, as with PostgreSQL hung."""

    def __init__(self) -> None:
        self.invalidated = False

    async def close(self) -> None:
        raise TimeoutError

    async def invalidate(self) -> None:
        self.invalidated = True


def test_a_session_that_cannot_close_is_discarded_not_raised():
    session = HungSession()
    asyncio.run(close_session(session))
    assert session.invalidated
