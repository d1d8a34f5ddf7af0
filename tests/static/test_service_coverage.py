"""Every service under test (services/*/service.toml) has its place in each container setup:
a compose profile, a Prometheus scrape target and a Kubernetes overlay.

Plain file checks, no tools needed: a new service's manifest without these fails here with the
service and the file to edit, before the rendering tests (test_compose.py, test_k8s.py) would
silently leave it out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from static_support import HELPERS, ROOT, SERVICES

PROMETHEUS = Path("compose/monitoring/prometheus.yml")
SCRAPE_JOB = "services"
OVERLAYS = Path("deploy/k8s/overlays")


def _compose_files(root: Path) -> list[Path]:
    """compose.yaml and the files it includes (compose/*.yaml)."""
    top = root / "compose.yaml"
    if not top.exists():
        return []
    files = [top]
    for entry in (yaml.safe_load(top.read_text()) or {}).get("include", []):
        paths = entry if isinstance(entry, str) else entry.get("path", [])
        for p in [paths] if isinstance(paths, str) else paths:
            files.append((top.parent / p).resolve())
    return files


def compose_profiles(root: Path) -> dict[str, list[str]]:
    """profile -> the compose services in it, over compose.yaml and its includes."""
    out: dict[str, list[str]] = {}
    for f in _compose_files(root):
        if not f.exists():
            continue
        for name, svc in ((yaml.safe_load(f.read_text()) or {}).get("services") or {}).items():
            for profile in (svc or {}).get("profiles", []):
                out.setdefault(profile, []).append(name)
    return out


def scrape_targets(root: Path) -> list[str]:
    path = root / PROMETHEUS
    if not path.exists():
        return []
    config = yaml.safe_load(path.read_text()) or {}
    return [t for job in config.get("scrape_configs", []) if job.get("job_name") == SCRAPE_JOB
            for sc in job.get("static_configs", []) for t in sc.get("targets", [])]


def missing(service: str, root: Path = ROOT) -> list[str]:
    """What `service` lacks, one line each, naming the file to add or edit."""
    problems = []
    profiles = compose_profiles(root)
    if service not in profiles.get(service, []):
        where = ", ".join(str(f.relative_to(root)) for f in _compose_files(root) if f.exists())
        problems.append(f"{service}: no compose profile: add a service `{service}` with "
                        f"`profiles: [{service}]` to compose/services.yaml (read: {where or 'no compose.yaml'})")
    if f"{service}:8000" not in scrape_targets(root):
        problems.append(f"{service}: no Prometheus scrape target: add `{service}:8000` to job "
                        f"`{SCRAPE_JOB}` in {PROMETHEUS}")
    overlay = OVERLAYS / service / "kustomization.yaml"
    if not (root / overlay).exists():
        problems.append(f"{service}: no Kubernetes overlay: {overlay} is missing "
                        f"(copy {OVERLAYS}/go_stdlib and rename)")
    return problems


@pytest.mark.parametrize("service", SERVICES)
def test_service_has_compose_profile_scrape_target_and_overlay(service):
    problems = missing(service)
    assert not problems, "\n".join(problems)


def test_no_overlay_or_target_without_a_service():
    """The other way round: what is left when a service's folder is removed."""
    overlays = {p.name for p in (ROOT / OVERLAYS).iterdir() if p.is_dir()}
    assert overlays <= set(SERVICES), f"overlays without a service manifest: {overlays - set(SERVICES)}"
    hosts = {t.split(":")[0] for t in scrape_targets(ROOT)}
    assert hosts <= set(SERVICES), f"scrape targets without a service manifest: {hosts - set(SERVICES)}"


def test_services_are_the_harness_services():
    """The list here is the one the harness measures (loadtest/servers/manifest.py)."""
    from loadtest.servers import manifest

    assert SERVICES == [m.name for m in manifest.load_all()]
    assert HELPERS == ["external_mock"]


def test_missing_pieces_are_named(tmp_path):
    """On a copy of the layout without them, each missing piece is reported with the service
    and the file."""
    (tmp_path / "compose").mkdir()
    (tmp_path / "compose.yaml").write_text("include:\n  - compose/services.yaml\n")
    (tmp_path / "compose/services.yaml").write_text(
        "services:\n  a:\n    profiles: [a]\n  b:\n    profiles: [monitoring]\n")
    (tmp_path / PROMETHEUS).parent.mkdir(parents=True)
    (tmp_path / PROMETHEUS).write_text(
        "scrape_configs:\n  - job_name: services\n    static_configs:\n      - targets: [a:8000]\n")
    (tmp_path / OVERLAYS / "a").mkdir(parents=True)
    (tmp_path / OVERLAYS / "a" / "kustomization.yaml").write_text("resources: []\n")

    assert missing("a", tmp_path) == []
    problems = missing("b", tmp_path)
    assert len(problems) == 3 and all(p.startswith("b: ") for p in problems)
    assert "compose/services.yaml" in problems[0] and "profiles: [b]" in problems[0]
    assert "`b:8000`" in problems[1] and str(PROMETHEUS) in problems[1]
    assert str(OVERLAYS / "b" / "kustomization.yaml") in problems[2]
