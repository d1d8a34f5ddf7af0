"""Fixtures of the contract suite: the real servers, the service under test, probes into
PostgreSQL, MariaDB and memcached to check what the service really did.

Run against services started from their manifests (`--service NAME`, repeatable), or against
one already running with BASE_URL=http://host:port (and MOCK_KEY, the key of its EXTERNAL_URL
on the mock, if not "default"); the dead-dependency tests need a manifest and skip then.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx
import psycopg
import pymysql
import pytest
from pymemcache.client.base import Client as Memcache

from loadtest.core.config import endpoints, settings
from loadtest.runtime import service
from loadtest.servers import infra, manifest, procs
from tests.conftest import selected_services


@dataclass
class Target:
    name: str
    base_url: str
    mock_key: str
    running: service.Running | None  # None when given by BASE_URL


def pytest_generate_tests(metafunc):
    if "service_name" in metafunc.fixturenames:
        names = ["external"] if os.environ.get("BASE_URL") else selected_services(metafunc.config)
        metafunc.parametrize("service_name", names, scope="session")


@pytest.fixture(scope="session")
def servers():
    # CONTRACT_SERVERS=running: the servers are someone else's, e.g. the compose stack's
    # containers under `sweep --runtime compose`; use them, start nothing.
    if os.environ.get("CONTRACT_SERVERS") == "running":
        infra.require_listening()
    else:
        infra.up()
    return endpoints()


@pytest.fixture(scope="session")
def target(service_name, servers):
    if os.environ.get("BASE_URL"):
        yield Target("external", os.environ["BASE_URL"].rstrip("/"), os.environ.get("MOCK_KEY", "default"), None)
        return
    m = manifest.load(service_name)
    if os.environ.get("CONTRACT_BUILT") != "1":  # the sweep's gate tests the build it just made
        service.build(m)
    port = procs.free_port()
    key = f"contract-{service_name}-{port}"
    running = service.start(m, port=port, mock_key=key)
    yield Target(service_name, running.base_url, key, running)
    running.stop()
    assert not running.alive()


@pytest.fixture(scope="session")
def http(target):
    with httpx.Client(base_url=target.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def mock(target):
    """Set the mock's behaviour for this service's key; restored after the test."""
    with httpx.Client(base_url=endpoints().external_base, timeout=5) as client:

        def set_behaviour(**kwargs):
            body = {"delay_ms": 0, "status": 200, "body": "json", **kwargs}
            client.put(f"/control/{target.mock_key}", json=body).raise_for_status()

        yield set_behaviour
        client.delete(f"/control/{target.mock_key}")


@pytest.fixture(scope="session")
def pg(servers):
    with psycopg.connect(servers.database_url, autocommit=True, connect_timeout=5) as conn:
        yield conn


@pytest.fixture(scope="session")
def mysql(servers):
    s = settings()["mariadb"]
    conn = pymysql.connect(host=s["host"], port=s["port"], user=s["user"], password=s["password"],
                           database=s["database"], autocommit=True, connect_timeout=5)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def memcache(servers):
    host, port = servers.memcached_addr.rsplit(":", 1)
    client = Memcache((host, int(port)), connect_timeout=5, timeout=5)
    yield client
    client.close()


def _dead_port() -> int:
    """A loopback port nobody listens on: connections are refused at once."""
    return procs.free_port()


def _start_with_env(name: str, overrides: dict[str, str]):
    if os.environ.get("BASE_URL"):
        pytest.skip("needs a manifest to start a second instance with a dead dependency")
    m = manifest.load(name)
    running = service.start(m, mock_key=f"dead-{name}", extra_env=overrides, require_healthy=False)
    return running


@pytest.fixture(scope="session")
def no_memcached(service_name, target):
    """A second instance whose memcached is unreachable; PostgreSQL and MySQL are fine."""
    running = _start_with_env(service_name, {"MEMCACHED_ADDR": f"127.0.0.1:{_dead_port()}"})
    yield running
    running.stop()


@pytest.fixture(scope="session")
def no_dependencies(service_name, target):
    """A second instance whose every dependency is unreachable."""
    dead = _dead_port()
    running = _start_with_env(service_name, {
        "DATABASE_URL": f"postgresql://bench:bench@127.0.0.1:{dead}/bench",
        "MYSQL_URL": f"mysql://bench:bench@127.0.0.1:{dead}/bench",
        "MEMCACHED_ADDR": f"127.0.0.1:{dead}",
        "EXTERNAL_URL": f"http://127.0.0.1:{dead}/external",
    })
    yield running
    running.stop()
