"""`loadtest reproduce`: replay five public write-ups with their own protocols and say whether
what they claimed holds here. One module per write-up defines one Protocol (base.py); they are
registered in PROTOCOLS below, in the order the page lists them. runner.py measures,
verdict.py decides, page.py writes docs/reproductions.md."""

from __future__ import annotations

from ..core.errors import UsageError
from .axum_vs_fastapi import PROTOCOL as AXUM
from .base import Protocol
from .django_vs_fastapi import PROTOCOL as DJANGO
from .fastapi_load import PROTOCOL as FASTAPI_LOAD
from .gin_vs_fastapi import PROTOCOL as GIN
from .go_stdlib_vs_fastapi import PROTOCOL as GO

PROTOCOLS: dict[str, Protocol] = {}


def register(protocol: Protocol) -> Protocol:
    """Add a protocol (the five below, or one a test defines)."""
    PROTOCOLS[protocol.name] = protocol
    return protocol


def get(name: str) -> Protocol:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise UsageError(f"unknown write-up {name!r}; known: {', '.join(PROTOCOLS)}") from None


for _p in (GO, AXUM, GIN, FASTAPI_LOAD, DJANGO):
    register(_p)

__all__ = ["PROTOCOLS", "Protocol", "get", "register"]
