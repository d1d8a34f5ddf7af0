import asyncio

import pytest

from app.core.cache import MemcacheClient


async def serve_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readline()  # read the command, answer nothing, close
    writer.close()


def test_a_closed_connection_raises_instead_of_spinning():
    async def scenario() -> None:
        server = await asyncio.start_server(serve_then_close, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = MemcacheClient("127.0.0.1", port, pool_size=1)
        async with server, asyncio.timeout(5):
            with pytest.raises(ConnectionResetError):
                await client.set(b"k", b"v")
        await client.close()

    asyncio.run(scenario())


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(10)


def test_a_timed_out_connection_is_not_reused():
    async def scenario() -> None:
        server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = MemcacheClient("127.0.0.1", port, pool_size=1)
        async with server:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await client.set(b"k", b"v")
            assert client._pool.size() == 0  # closed on release, not back in the pool
        await client.close()

    asyncio.run(scenario())
