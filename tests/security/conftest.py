"""Security defaults of every service with a manifest (or `--service NAME`, repeatable)."""

from __future__ import annotations

from tests.conftest import selected_services


def pytest_generate_tests(metafunc):
    if "service_name" in metafunc.fixturenames:
        metafunc.parametrize("service_name", selected_services(metafunc.config))
