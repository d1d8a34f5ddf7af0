"""The hostile-input suites run against the same servers as the contract suite: every service
with a manifest (or `--service NAME`), started from its manifest on a free port. The fixtures
are the contract suite's own, imported so that both suites start services the same way.

HOSTILE_REPORT=path.json writes what each service did with each hostile input (the `observe`
fixture) to that file at the end of the session: docs/security.md is written from it.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.contract.conftest import http, mock, pytest_generate_tests, servers, target  # noqa: F401


@pytest.fixture(scope="session")
def observations():
    seen: list[dict] = []
    yield seen
    if path := os.environ.get("HOSTILE_REPORT"):
        with open(path, "w") as f:
            json.dump(seen, f, indent=1)


@pytest.fixture
def observe(observations, target, request):  # noqa: F811 (the imported fixture)
    """observe(**facts): note what the service did, for docs/security.md."""
    def note(**facts):
        observations.append({"service": target.name, "test": request.node.name, **facts})
    return note
