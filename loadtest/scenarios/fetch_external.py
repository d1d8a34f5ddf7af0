"""GET /api/fetch-external: a call to a slow upstream, I/O-bound (FastAPI vs Gin). Each
service has its own key on the external mock, set to --external-delay before its scenario."""

from __future__ import annotations

from ..servers import mock
from .base import LevelContext, Param, Scenario


class FetchExternal(Scenario):
    def before_scenario(self, ctx: LevelContext) -> None:
        mock.configure(ctx.mock_key, delay_ms=self.values(ctx.params)["external_delay_ms"])

    def after_scenario(self, ctx: LevelContext) -> None:
        mock.reset(ctx.mock_key)


FETCH_EXTERNAL = FetchExternal("fetch-external", "GET", "/api/fetch-external", 200, upstream=True,
                               summary="call a slow upstream (the external mock), I/O-bound",
                               params=(Param("external_delay_ms", 500, "--external-delay",
                                             "the upstream's delay in ms"),))
