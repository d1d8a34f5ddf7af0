"""The shared memcached client: aiomcache, with one fix.

aiomcache 0.8.2 spins forever, blocking the event loop, when memcached closes a connection
in the middle of a command: readline() returns b"" at EOF and the read loop never ends
(aio-libs/aiomcache#502, fix proposed in #503). This subclass raises instead, as that fix
does; aiomcache then drops the connection. aiomcache has no timeouts either: callers bound
every call with asyncio.timeout.
"""

import aiomcache
from aiomcache.pool import Connection


class MemcacheClient(aiomcache.Client):
    async def _execute_simple_command(self, conn: Connection, raw_command: bytes) -> bytes:
        response, line = bytearray(), b""
        conn.writer.write(raw_command)
        await conn.writer.drain()
        while not line.endswith(b"\r\n"):
            line = await conn.reader.readline()
            if not line:
                raise ConnectionResetError("memcached closed the connection")
            response.extend(line)
        return bytes(response[:-2])
