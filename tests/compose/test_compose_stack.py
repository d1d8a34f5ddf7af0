"""`docker compose --profile <service> up` for real: every image built from its Dockerfile, the
databases from compose/, then the contract suite against each service's published port.

Order matters (one module-scoped stack): build, the README's plain command, then every service
profile at once with the harness's override (databases published on loopback, so the suite can
check round trips in PostgreSQL, MariaDB and memcached), then the checks.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pymysql
import pytest
from pymemcache.client.base import Client as Memcache

from loadtest.core.config import ROOT, endpoints, settings
from loadtest.runtime.compose import base_url

from .conftest import (
    CONTRACT_COUNTS,
    INFRA,
    SERVICES,
    compose,
    compose_build,
    docker,
    summary_counts,
    wait_healthz,
)

GIB = 2 * 1024**3


@pytest.fixture(scope="module")
def built():
    """Every service image plus the databases and the mock, in two waves beside the long Rust
    build: the classic builder's cache is its intermediate images, so a prefix that two
    Dockerfiles share (the Python images' first five steps, the Go images' first two) must be
    built once, by the first wave, or it exists twice and a later `compose build` (the
    harness's) may follow the copy that does not lead to its own image and rebuild."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        rust = pool.submit(compose_build, "rust_axum", timeout=2400)
        compose_build("fastapi_tuned", "go_stdlib", "postgres", "mysql", "memcached")
        compose_build("fastapi_naive", "fastapi_pooled", "django", "external_mock")
        rust.result(timeout=2400)


@pytest.fixture(scope="module")
def urls(built):
    model = json.loads(compose("config", "--format", "json", profiles=SERVICES))
    return {s: base_url(model, s) for s in SERVICES}


@pytest.mark.timeout(2700)
def test_every_image_builds_and_runs_as_non_root(built):
    for image in [*(f"webstack-bench/{s}:latest" for s in [*SERVICES, "external_mock"]),
                  "webstack-bench/postgres:15", "webstack-bench/mariadb:10.11",
                  "webstack-bench/memcached:1.6"]:
        user = docker("image", "inspect", "-f", "{{.Config.User}}", image).strip()
        assert user and user.split(":")[0] not in {"root", "0"}, f"{image}: USER {user!r}"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("service", ["fastapi_tuned", "go_stdlib"])
def test_readme_command(service, urls):
    # docs/containers.md's own command, without the harness's override.
    compose("--profile", service, "up", "-d", "--wait", bench=False, timeout=480)
    r = wait_healthz(urls[service])
    assert r.json() == {"status": "ok"}
    model = json.loads(compose("config", "--format", "json", profiles=[service], bench=False))
    assert all(not model["services"][n].get("ports") for n in INFRA), "plain compose publishes no server"


@pytest.fixture(scope="module")
def stack(urls):
    """Every service profile at once, with the databases published on loopback."""
    try:
        # From fresh containers (volumes kept): the README's test left some running without the
        # override, and `up` would recreate only the servers, under new addresses, beside
        # services that resolved the old ones at start (gomemcache resolves once).
        compose("down", "--remove-orphans", profiles=SERVICES, bench=False, timeout=300)
        compose("up", "-d", "--wait", profiles=SERVICES, timeout=600)
        for url in urls.values():
            wait_healthz(url)
        yield urls
    finally:
        subprocess.run(["docker", "compose", "--profile", "*", "logs", "--no-color", "--tail", "30"],
                       cwd=ROOT, check=False, timeout=60)
        compose("down", "-v", "--remove-orphans", profiles=SERVICES, timeout=300)


def container(name: str) -> dict:
    cid = compose("ps", "-q", name, profiles=SERVICES).strip()
    assert cid, f"{name}: no container"
    return json.loads(docker("inspect", cid))[0]


@pytest.mark.timeout(900)
def test_servers_are_the_native_ones(stack):
    # The same servers and major versions as db/infra.toml natively, reached on loopback.
    with psycopg.connect(endpoints().database_url, connect_timeout=5) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    assert version.startswith("15."), version
    assert users == 2000
    my = settings()["mariadb"]
    conn = pymysql.connect(host=my["host"], port=my["port"], user=my["user"], password=my["password"],
                           database=my["database"], connect_timeout=5)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        (version,) = cur.fetchone()
        cur.execute("SHOW TABLES")
        tables = {t for (t,) in cur.fetchall()}
    assert version.startswith("10.11.") and "MariaDB" in version, version
    assert "mix_items" in tables
    host, port = endpoints().memcached_addr.rsplit(":", 1)
    mc = Memcache((host, int(port)), connect_timeout=5, timeout=5)
    version = mc.version().decode()
    assert version.startswith("1.6."), version
    mc.close()


def test_healthchecks_limits_and_users(stack):
    for name in ["postgres", "mysql", "memcached"]:
        assert container(name)["State"]["Health"]["Status"] == "healthy", name
    for name in [*INFRA, *SERVICES]:
        info = container(name)
        # Every process of the container: not root (the host's view of its pid namespace).
        pids = docker("top", info["Id"], "-eo", "pid").split()[1:]
        for pid in pids:
            with open(f"/proc/{pid}/status") as f:
                uid = next(line.split()[1] for line in f if line.startswith("Uid:"))
            assert uid != "0", f"{name}: pid {pid} runs as root"
    for name in SERVICES:
        host = container(name)["HostConfig"]
        assert (host["NanoCpus"], host["Memory"]) == (1_000_000_000, GIB), name
        for binding in host["PortBindings"]["8000/tcp"]:
            assert binding["HostIp"] == "127.0.0.1", name


@pytest.mark.timeout(900)
@pytest.mark.parametrize("service", SERVICES)
def test_contract_suite_inside_containers(service, stack):
    """tests/contract against the container, as `sweep --runtime compose` gates it."""
    env = {**os.environ, "BASE_URL": stack[service], "MOCK_KEY": service,
           "CONTRACT_SERVERS": "running"}
    cache = os.path.join(os.environ.get("BENCH_RUN_DIR", str(ROOT / ".bench")), f"pytest-{service}")
    argv = [sys.executable, "-m", "pytest", "-q", "-o", f"cache_dir={cache}", "tests/contract"]

    def suite(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([*argv, *extra], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=420, stdin=subprocess.DEVNULL, check=False)

    r = suite()
    CONTRACT_COUNTS[service] = summary_counts(r.stdout)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("service", SERVICES)
def test_image_listens_on_the_contract_port(service, stack):
    # PORT from the environment, not a port fixed in the image: a second container on 8123.
    host_port = free_port()
    cid = compose("run", "-d", "--rm", "--no-deps", "-e", "PORT=8123",
                  "-p", f"127.0.0.1:{host_port}:8123", service, profiles=[service]).strip().splitlines()[-1]
    try:
        r = wait_healthz(f"http://127.0.0.1:{host_port}", timeout=90)
        assert r.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{host_port}/api/users?limit=1", timeout=5).status_code == 200
    finally:
        docker("rm", "-f", cid)
