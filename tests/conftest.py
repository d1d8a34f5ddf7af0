"""Options shared by every test folder (pytest reads addoption only from the root conftest)."""

from __future__ import annotations

import os


def pytest_addoption(parser):
    parser.addoption(
        "--service",
        action="append",
        default=[],
        help="service(s) to run the contract suite against, started from their manifests "
        "(repeatable; 'all' = every service with a manifest; default: $CONTRACT_SERVICES or all)",
    )


def selected_services(config) -> list[str]:
    from loadtest.servers import manifest

    names = config.getoption("--service") or os.environ.get("CONTRACT_SERVICES", "").split()
    if not names or "all" in names:
        return [m.name for m in manifest.load_all()]
    return names
