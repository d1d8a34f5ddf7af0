"""`docker compose config` renders every profile, and the rendered model is the benchmark's setup.

The renderer is Docker Compose itself (compose/install-tools.sh), so this is the same parsing,
interpolation, include and validation `docker compose up` does; what it cannot show without an
engine is that images build and containers start (docs/containers.md).
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache

import pytest
import yaml
from static_support import ROOT, SERVICES, container_env, infra_settings, tool

INFRA = {"postgres", "mysql", "memcached", "external_mock"}
MONITORING = {"prometheus", "grafana", "cadvisor"}
GIB = 1024**3


@cache
def config(*profiles: str) -> dict:
    args = [tool("docker-compose"), "--project-directory", str(ROOT)]
    for profile in profiles:
        args += ["--profile", profile]
    result = subprocess.run(
        [*args, "config", "--format", "json"], check=False, capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("service", SERVICES)
def test_service_profile(service):
    services = config(service)["services"]
    assert set(services) == INFRA | {service}
    s = services[service]
    assert s["environment"] == container_env(service)
    limits = s["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) == 1 and int(limits["memory"]) == 2 * GIB
    assert {name: dep["condition"] for name, dep in s["depends_on"].items()} == {
        "postgres": "service_healthy",
        "mysql": "service_healthy",
        "memcached": "service_healthy",
        "external_mock": "service_started",
    }
    [port] = s["ports"]
    assert (port["host_ip"], port["target"]) == ("127.0.0.1", 8000)
    assert s["image"] == f"webstack-bench/{service}:latest"
    dockerfile = ROOT / s["build"]["context"] / s["build"]["dockerfile"]
    assert dockerfile == ROOT / "services" / service / "Dockerfile"


def test_only_the_service_and_dashboards_publish_ports():
    services = config(*SERVICES, "monitoring")["services"]
    published = {name: [p["published"] for p in s.get("ports", [])] for name, s in services.items()}
    assert all(not published[name] for name in INFRA), published
    ports = [p for ps in published.values() for p in ps]
    assert len(ports) == len(set(ports)), f"host ports clash: {published}"
    assert all(p["host_ip"] == "127.0.0.1" for s in services.values() for p in s.get("ports", []))


def test_databases_are_healthchecked_and_seeded_from_db():
    services = config()["services"]
    for name in ("postgres", "mysql", "memcached"):
        assert services[name]["healthcheck"]["test"], name
    for name, schema in (("postgres", "db/postgres/schema.sql"), ("mysql", "db/mysql/schema.sql")):
        mounts = {
            v["source"]: v["target"] for v in services[name]["volumes"] if v["type"] == "bind"
        }
        assert mounts[str(ROOT / schema)] == "/docker-entrypoint-initdb.d/schema.sql"


def test_database_settings_mirror_infra_toml():
    s, services = infra_settings(), config()["services"]
    pg, my, mc = services["postgres"], services["mysql"], services["memcached"]
    # The servers and major versions of the native runtime, from Debian's packages (compose/).
    assert (pg["image"], my["image"], mc["image"]) == (
        "webstack-bench/postgres:15", "webstack-bench/mariadb:10.11", "webstack-bench/memcached:1.6")
    for name, folder in (("postgres", "postgres"), ("mysql", "mariadb"), ("memcached", "memcached")):
        assert services[name]["build"]["context"] == str(ROOT / "compose" / folder)
    assert f"max_connections={s['postgres']['settings']['max_connections']}" in pg["command"]
    assert f"shared_buffers={s['postgres']['settings']['shared_buffers']}" in pg["command"]
    assert f"--max-connections={s['mariadb']['settings']['max_connections']}" in my["command"]
    assert (
        f"--innodb-buffer-pool-size={s['mariadb']['settings']['innodb_buffer_pool_size']}"
        in my["command"]
    )
    assert "--skip-name-resolve" in my["command"]
    assert mc["command"] == [
        "-m",
        str(s["memcached"]["memory_mb"]),
        "-c",
        str(s["memcached"]["max_connections"]),
    ]
    assert (pg["environment"]["POSTGRES_USER"], pg["environment"]["POSTGRES_PASSWORD"]) == (
        s["postgres"]["user"],
        s["postgres"]["password"],
    )
    assert (my["environment"]["MYSQL_USER"], my["environment"]["MYSQL_PASSWORD"]) == (
        s["mariadb"]["user"],
        s["mariadb"]["password"],
    )
    mock = services["external_mock"]
    assert mock["environment"]["PORT"] == str(s["external_mock"]["port"])
    assert mock["environment"]["DELAY_MS"] == str(s["external_mock"]["delay_ms"])


def test_monitoring_profile():
    services = config("monitoring")["services"]
    assert MONITORING <= set(services)
    prometheus = yaml.safe_load((ROOT / "compose/monitoring/prometheus.yml").read_text())
    [job] = [j for j in prometheus["scrape_configs"] if j["job_name"] == "services"]
    targets = job["static_configs"][0]["targets"]
    assert sorted(targets) == sorted(f"{s}:8000" for s in SERVICES) and len(set(targets)) == len(targets)


def test_dashboard_queries_the_contract_metrics():
    dashboard = json.loads(
        (ROOT / "compose/monitoring/grafana/dashboards/webstack-bench.json").read_text()
    )
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in (
        "app_op_duration_seconds_bucket",
        "app_op_errors_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes",
        "k6_http_reqs_total",
    ):
        assert metric in exprs, metric
    assert re.search(r'op="insert", db="postgres"', exprs) and re.search(
        r'op="set", db="memcache"', exprs
    )


# --- compose/bench.yaml: the override `loadtest sweep --runtime compose` adds ----------------

def bench_config(service: str, env: dict[str, str] | None = None) -> dict:
    """What the harness's `docker compose -f compose.yaml -f compose/bench.yaml` renders."""
    import os

    from loadtest.runtime.compose import COMPOSE_FILES

    args = [tool("docker-compose")]
    for f in COMPOSE_FILES:
        args += ["-f", f]
    result = subprocess.run(
        [*args, "--profile", service, "config", "--format", "json"], check=False,
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("service", SERVICES)
def test_bench_override_publishes_the_servers_on_loopback_at_infra_toml_ports(service):
    from loadtest.runtime.compose import INFRA, base_url

    s, plain, bench = infra_settings(), config(service)["services"], bench_config(service)["services"]
    assert set(bench) == set(plain)
    targets = {"postgres": 5432, "mysql": 3306, "memcached": 11211, "external_mock": 28081}
    for name, section in INFRA.items():
        [port] = bench[name]["ports"]
        assert port["host_ip"] == "127.0.0.1", f"{name}: loopback only"
        assert (int(port["published"]), port["target"]) == (s[section]["port"], targets[name])
    assert bench[service] == plain[service]  # the service itself is untouched
    [port] = plain[service]["ports"]
    assert base_url(bench_config(service), service) == f"http://127.0.0.1:{port['published']}"


def test_bench_override_follows_the_harness_ports():
    from loadtest.runtime.compose import PORT_VARS

    env = {var: str(60000 + i) for i, var in enumerate(PORT_VARS.values())}
    services = bench_config("go_stdlib", env)["services"]
    assert {n: services[n]["ports"][0]["published"] for n in PORT_VARS} == {
        n: env[var] for n, var in PORT_VARS.items()}
