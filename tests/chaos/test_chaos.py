"""CI's chaos subset (conftest.CASES): every criterion of every fault must hold. The criteria
are booleans of the contract (statuses, bounds, nothing lost), never a speed."""

from __future__ import annotations

import json

import pytest

from .conftest import CASES, HUNG_FAULTS, HUNG_SERVICES, SERVICES

pytestmark = pytest.mark.timeout(2400)  # the first test waits for the three chaos runs


@pytest.mark.parametrize(("service", "fault"), CASES)
def test_fault(chaos_results, service, fault):
    entry = chaos_results[service]
    assert entry.status == "done", entry.error
    result = entry.faults[fault]
    assert result.error is None, result.error
    assert result.passed, (f"{service}/{fault}: failed {result.failed}: {result.cell}\n"
                           + json.dumps(result.measured, indent=1)[:4000])


def test_nothing_lost_was_checked(chaos_results):
    """The devices-post faults really compared rows and cache keys, not empty sets."""
    for service in SERVICES:
        for fault in ("postgres", "memcached", "kill"):
            lost = chaos_results[service].faults[fault].measured["nothing_lost"]
            assert lost["ok_keys"] > 0 and lost["rows"] == lost["ok_keys"]
            assert fault == "memcached" or lost["cache_checked"] == lost["ok_keys"]


def test_hangs_were_seen_and_judged(chaos_results):
    """Each hung-dependency fault had requests that started during it and were answered, and
    its devices-post runs compared rows and keys: every key created has its one row, and no
    other row exists (a key whose outcome was unknown was resolved by its keyed retry)."""
    for service in HUNG_SERVICES:
        for fault in HUNG_FAULTS:
            measured = chaos_results[service].faults[fault].measured
            assert measured["during"]["requests"] > 0 and measured["settled"]["requests"] > 0
            lost = measured["nothing_lost"]
            if measured["load"] == "devices-post":
                assert lost["ok_keys"] > 0 and lost["cache_checked"] == lost["ok_keys"]
                assert lost["rows"] == lost["ok_keys"] and lost["unresolved_keys"] == 0
