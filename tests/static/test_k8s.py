"""Every kustomization under deploy/k8s builds, and every rendered manifest is schema-valid.

Kubernetes' own kinds: kubernetes-validate --strict (schemas bundled, no network), for the
oldest and newest versions checked. Custom resources (TestRun, PodMonitor): the project's own
subset schemas in deploy/k8s/schemas (see its README). Then the settings that matter for the
benchmark: the contract's environment, the 1 CPU / 2Gi quota, probes, scrape annotations.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import yaml
from static_support import ROOT, SERVICES, container_env, manifest, tool

K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATIONS = ["base", "infra", "loadtest", "monitoring"] + [f"overlays/{s}" for s in SERVICES]
K8S_VERSIONS = ["1.30.0", "1.37.0"]
CRD_SCHEMAS = {
    ("k6.io/v1alpha1", "TestRun"): "testrun.k6.io-v1alpha1.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): "podmonitor.monitoring.coreos.com-v1.json",
}


@cache
def render(kustomization: str) -> str:
    # LoadRestrictionsNone: the init SQL, the k6 script and the dashboard are read from db/,
    # loadtest/ and compose/, not copied.
    result = subprocess.run(
        [
            tool("kustomize"),
            "build",
            "--load-restrictor",
            "LoadRestrictionsNone",
            str(K8S / kustomization),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def documents(kustomization: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(render(kustomization)) if d]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_rendered_manifests_are_valid(kustomization, version, tmp_path):
    validator = tool("kubernetes-validate")
    docs = documents(kustomization)
    builtin = [d for d in docs if (d["apiVersion"], d["kind"]) not in CRD_SCHEMAS]
    path = tmp_path / "rendered.yaml"
    path.write_text(yaml.safe_dump_all(builtin))
    result = subprocess.run(
        [validator, "--strict", "--kubernetes-version", version, str(path)],
        check=False,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # kubernetes-validate only warns about a kind it has no schema for: that is a failure here.
    assert output.count(" passed for resource ") == len(builtin), output


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_custom_resources_match_their_schemas(kustomization):
    for doc in documents(kustomization):
        schema_file = CRD_SCHEMAS.get((doc["apiVersion"], doc["kind"]))
        if schema_file:
            schema = json.loads((K8S / "schemas" / schema_file).read_text())
            jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


@pytest.mark.parametrize("service", SERVICES)
def test_service_overlay(service):
    docs = documents(f"overlays/{service}")
    [deployment] = by_kind(docs, "Deployment")
    [config] = by_kind(docs, "ConfigMap")
    [secret] = by_kind(docs, "Secret")
    [svc] = by_kind(docs, "Service")
    pod = deployment["spec"]["template"]
    [container] = pod["spec"]["containers"]

    assert container["image"] == f"webstack-bench/{service}:latest"
    quota = {"cpu": "1", "memory": "2Gi"}
    assert container["resources"] == {"requests": quota, "limits": quota}
    assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == service
    assert svc["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]

    refs = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert refs == {config["metadata"]["name"], secret["metadata"]["name"]}
    env = config["data"] | {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert env == {
        **container_env(service),
        # The manifests' [env]: runtime threads sized for the 1-CPU limit.
        **{"go_stdlib": {"GOMAXPROCS": "1"}, "rust_axum": {"TOKIO_WORKER_THREADS": "1"}}.get(
            service, {}
        ),
    }


def drain_seconds(service: str) -> int:
    """How long the server may take to finish after SIGTERM: its own shutdown bound where it has
    one, else the contract's 5 s bound on a request (uvicorn, granian and axum wait for the
    requests in flight)."""
    if service == "go_stdlib":
        main = (ROOT / "services/go_stdlib/main.go").read_text()
        return int(re.search(r"shutdownGrace = (\d+) \* time\.Second", main)[1])
    if service == "django":
        timeout = re.search(r"--graceful-timeout[ =](\d+)", manifest(service)["run"])
        return int(timeout[1]) if timeout else 30  # gunicorn's default
    return 5


@pytest.mark.parametrize("service", SERVICES)
def test_probes_and_shutdown(service):
    """Readiness asks the dependencies (/healthz), liveness only the process (/livez), so an
    outage takes pods out of the Service without restarting them. preStop sleeps while the
    endpoint removal spreads, and SIGKILL waits for that plus the server's drain."""
    [deployment] = by_kind(documents(f"overlays/{service}"), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    readiness, liveness = container["readinessProbe"], container["livenessProbe"]

    assert readiness["httpGet"]["path"] == "/healthz"
    assert liveness["httpGet"]["path"] == "/livez"
    assert readiness["httpGet"]["path"] != liveness["httpGet"]["path"]

    def patience(probe: dict) -> int:  # seconds of failures before the kubelet acts
        return probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)

    assert patience(liveness) > patience(readiness)

    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pre_stop >= 3
    assert pod["terminationGracePeriodSeconds"] > pre_stop + drain_seconds(service)


def test_infra_mirrors_db_settings():
    docs = documents("infra")
    services = {d["metadata"]["name"]: d for d in by_kind(docs, "Service")}
    assert {name: s["spec"]["ports"][0]["port"] for name, s in services.items()} == {
        "postgres": 5432,
        "mysql": 3306,
        "memcached": 11211,
        "external-mock": 28081,
    }
    statefulsets = {d["metadata"]["name"]: d for d in by_kind(docs, "StatefulSet")}
    postgres_args = statefulsets["postgres"]["spec"]["template"]["spec"]["containers"][0]["args"]
    mysql_args = statefulsets["mysql"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "max_connections=1000" in postgres_args
    assert "--max-connections=1000" in mysql_args
    init = {
        d["metadata"]["name"].rsplit("-", 1)[0]: d["data"]["schema.sql"]
        for d in by_kind(docs, "ConfigMap")
    }
    assert init["postgres-init"] == (ROOT / "db/postgres/schema.sql").read_text()
    assert init["mysql-init"] == (ROOT / "db/mysql/schema.sql").read_text()


def test_load_test_runs_the_harness_scenario():
    docs = documents("loadtest")
    [testrun] = by_kind(docs, "TestRun")
    [script] = by_kind(docs, "ConfigMap")
    ref = testrun["spec"]["script"]["configMap"]
    assert ref["name"] == script["metadata"]["name"]
    assert script["data"][ref["file"]] == (ROOT / "loadtest/k6/scenario.js").read_text()
    assert testrun["spec"]["parallelism"] > 1


def test_monitoring_ships_the_compose_dashboard():
    [dashboard] = by_kind(documents("monitoring"), "ConfigMap")
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = Path(ROOT / "compose/monitoring/grafana/dashboards/webstack-bench.json").read_text()
    assert dashboard["data"]["webstack-bench.json"] == shipped
