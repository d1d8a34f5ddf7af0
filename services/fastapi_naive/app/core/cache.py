"""The memcached client: aiomcache, with two fixes to how it treats a connection.

- aiomcache 0.8.2 spins forever, blocking the event loop, when memcached closes a connection
  in the middle of a command: readline() returns b"" at EOF and the read loop never ends
  (aio-libs/aiomcache#502, fix proposed in #503). Raise instead, as that fix does.
- aiomcache has no timeouts, so callers wrap each call in asyncio.timeout; a command cancelled
  that way would leave half a reply on a connection the pool then reuses. Mark it broken so
  the pool closes it.
"""

import aiomcache
from aiomcache.pool import Connection


class MemcacheClient(aiomcache.Client):
    async def _execute_simple_command(self, conn: Connection, raw_command: bytes) -> bytes:
        try:
            conn.writer.write(raw_command)
            await conn.writer.drain()
            response, line = bytearray(), b""
            while not line.endswith(b"\r\n"):
                line = await conn.reader.readline()
                if not line:
                    raise ConnectionResetError("memcached closed the connection")
                response.extend(line)
            return bytes(response[:-2])
        except BaseException:  # failed or cancelled mid-command: never reuse this connection
            conn.reader.set_exception(ConnectionResetError("abandoned in the middle of a command"))
            raise
