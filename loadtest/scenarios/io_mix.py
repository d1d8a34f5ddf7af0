"""POST /api/io-mix: eight MariaDB transactions and a file round trip (FastAPI vs Django)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from ..servers import databases
from .base import Answered, Scenario


class IoMix(Scenario):
    def write_state(self) -> int:
        return databases.mix_items_count()

    def check_writes(self, answered: Sequence[Answered], tag: str, state: object,
                     cache_exempt_before: float | None = None, timeout: float = 10.0) -> dict:
        """The row count of mix_items once every transaction has ended, against the count
        before the run: each transaction deletes the rows it inserted, and a failed one is
        rolled back, so nothing may be left behind."""
        deadline = time.monotonic() + timeout
        after = databases.mix_items_count()
        while after != state and time.monotonic() < deadline:
            time.sleep(0.5)
            after = databases.mix_items_count()
        return {"rows_before": state, "rows_after": after, "ok": after == state}

    def writes_words(self) -> str:
        return "`mix_items` row count unchanged"

    def check_words(self, check: dict) -> str:
        return "rows unchanged" if check["ok"] else f"rows {check['rows_before']}→{check['rows_after']}"


IO_MIX = IoMix("io-mix", "POST", "/api/io-mix", 200, body="{}",
               summary="8 MariaDB transactions + a file write/read (FastAPI vs Django)", writes=("mariadb",))
