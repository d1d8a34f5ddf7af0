"""compose/standins/build.sh stands in for exactly the external images our Dockerfiles and the
compose files name (monitoring's images aside: `make test-compose` does not run that profile)."""

from __future__ import annotations

import re
import subprocess

from static_support import ROOT, tool


def standins() -> set[str]:
    out = subprocess.run([str(ROOT / "compose/standins/build.sh"), "--list"], check=True,
                         capture_output=True, text=True).stdout
    return set(out.split())


def external_images(dockerfile) -> set[str]:
    stages, images = set(), set()
    for line in dockerfile.read_text().splitlines():
        if m := re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line.strip(), re.IGNORECASE):
            if m.group(1) not in stages and m.group(1) != "scratch":
                images.add(m.group(1))
            if m.group(2):
                stages.add(m.group(2))
        for ref in re.findall(r"--from=(\S+)", line):
            if ref not in stages:
                images.add(ref)
    return images


def dockerfiles():
    return sorted([*ROOT.glob("services/*/Dockerfile"), *ROOT.glob("compose/*/Dockerfile"),
                   *ROOT.glob("compose/standins/*/Dockerfile")])


def test_every_external_base_image_has_a_standin():
    named = set().union(*(external_images(p) for p in dockerfiles()))
    assert named == standins(), "compose/standins/build.sh and the Dockerfiles disagree"


def test_compose_builds_everything_but_monitoring():
    import yaml

    for path in ("compose/infra.yaml", "compose/services.yaml"):
        for name, s in yaml.safe_load((ROOT / path).read_text())["services"].items():
            assert "build" in s, f"{path}: {name} is pulled, not built: no stand-in covers it"


def test_hadolint_on_the_server_and_standin_dockerfiles():
    hadolint = tool("hadolint")
    paths = [p for p in dockerfiles() if "services" not in p.parts]  # services: test_dockerfiles.py
    result = subprocess.run([hadolint, "--no-color", *map(str, paths)], check=False,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
