"""POST /api/io-mix: eight MariaDB transactions and a file round trip (FastAPI vs Django)."""

from .base import Scenario

IO_MIX = Scenario("io-mix", "POST", "/api/io-mix", 200, body="{}",
                  summary="8 MariaDB transactions + a file write/read (FastAPI vs Django)")
