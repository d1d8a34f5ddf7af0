"""What a scenario is: a request shape and its success status, plus hooks (all optional)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class LevelContext:
    """What a scenario's hooks may use: the service's key on the external mock, the marker of
    the rows this run inserts, the run's directory, and the sweep's options."""

    mock_key: str
    firmware_prefix: str
    workdir: Path
    external_delay_ms: int = 500


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str  # may contain {fib_n}
    expected_status: int
    summary: str = ""
    body: str = ""  # a literal JSON body sent with every request ("" for none)
    upstream: bool = False  # waits on an upstream by design: its throughput is the upstream's

    def url(self, base_url: str, fib_n: int = 25) -> str:
        return base_url + self.path.format(fib_n=fib_n)

    def body_file(self, workdir: Path, firmware_prefix: str) -> Path | None:
        """A file of distinct bodies, one per line, when every request needs its own (oha -Z
        picks a random line per request; k6 builds its own from the same prefix)."""
        return None

    def request_body(self, tag: str, n: int) -> dict | None:
        """The JSON body of request n of a fault run (tag marks the rows it inserts)."""
        return None if self.method == "GET" else {}

    # --- hooks around the measurement; each returns quickly and never raises on a mismatch ---
    def before_run(self, ctx: LevelContext) -> dict:
        """Once per sweep, before any service: fields recorded in results.json's run."""
        return {}

    def before_scenario(self, ctx: LevelContext) -> None:
        """Before each service's start for this scenario."""

    def before_level(self, ctx: LevelContext) -> object:
        """Before each level; what it returns is given to after_level."""
        return None

    def after_level(self, ctx: LevelContext, state: object, counts: dict) -> dict:
        """After each level, with its status counts: extra fields of the level record."""
        return {}

    def after_scenario(self, ctx: LevelContext) -> None:
        """After each service's scenario, even a failed one (clean-up)."""
