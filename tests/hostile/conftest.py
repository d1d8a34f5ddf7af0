"""The hostile-input suites run against the same servers as the contract suite: every service
with a manifest (or `--service NAME`), started from its manifest on a free port. The fixtures
are the contract suite's own, imported so that both suites start services the same way."""

from tests.contract.conftest import http, mock, pytest_generate_tests, servers, target  # noqa: F401
