"""One fault of each kind against fastapi_tuned and go_stdlib: every criterion must hold."""

from __future__ import annotations

import json

import pytest

from .conftest import FAULTS, SERVICES

pytestmark = pytest.mark.timeout(420)  # the first test waits for the whole chaos run


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("service", SERVICES)
def test_fault(chaos_results, service, fault):
    entry = chaos_results["services"][service]
    assert entry["status"] == "done", entry.get("error")
    result = entry["faults"][fault]
    assert result["error"] is None, result["error"]
    assert result["passed"], (f"{service}/{fault}: failed {result['failed']}: {result['cell']}\n"
                              + json.dumps(result["measured"], indent=1)[:4000])


def test_nothing_lost_was_checked(chaos_results):
    """The devices-post faults really compared rows and cache keys, not empty sets."""
    for service in SERVICES:
        for fault in ("postgres", "memcached", "kill"):
            lost = chaos_results["services"][service]["faults"][fault]["measured"]["nothing_lost"]
            assert lost["status_201"] > 0 and lost["rows"] >= lost["status_201"]
            assert fault == "memcached" or lost["cache_checked"] == lost["status_201"]
