"""Each image runs in its manifest's cwd with its env, as a non-root user; hadolint is clean."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from static_support import IMAGES, MANIFESTS, ROOT, manifest, tool

PYTHON_SERVICES = [name for name in IMAGES if MANIFESTS[name]["language"] == "python"]

# The manifest placeholders as the images lay things out (docs/containers.md).
IN_IMAGE = {
    "root": "/app",
    "venv": "/app/.venv",
    "bin": "/app/bin",
    "host": "0.0.0.0",
    "port": 8000,
}


def final_stage(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the last stage, with continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        current += " " + stripped.removesuffix("\\")
        if not stripped.endswith("\\"):
            keyword, _, args = current.strip().partition(" ")
            instructions.append((keyword.upper(), args.strip()))
            current = ""
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def last(stage: list[tuple[str, str]], keyword: str) -> str:
    values = [args for k, args in stage if k == keyword]
    assert values, f"no {keyword} in the final stage"
    return values[-1]


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in stage:
        if keyword == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(args))
    return env


@pytest.fixture(params=IMAGES)
def image(request):
    name = request.param
    dockerfile = ROOT / "services" / name / "Dockerfile"
    assert dockerfile.exists(), f"{dockerfile} is missing"
    return name, manifest(name), final_stage(dockerfile)


# The command itself: test_dockerfile_cmd.py (HOST and PORT read at start).


def test_runs_in_the_manifest_cwd(image):
    name, m, stage = image
    assert last(stage, "WORKDIR") == f"{IN_IMAGE['root']}/{m.get('cwd', f'services/{name}')}"


def test_runs_as_non_root(image):
    _, _, stage = image
    user = last(stage, "USER").split(":")[0]
    assert user not in {"root", "0"}


def test_sets_the_manifest_env_and_binds_all_interfaces(image):
    _, m, stage = image
    env = env_of(stage)
    assert {k: str(v) for k, v in m.get("env", {}).items()}.items() <= env.items()
    assert env.get("HOST") == "0.0.0.0"


@pytest.mark.parametrize("name", PYTHON_SERVICES)
def test_python_images_install_only_their_group(name):
    # A plain `uv sync` installs the default group (dev) too: an image takes its own group only.
    assert manifest(name)["language"] == "python"
    text = (ROOT / "services" / name / "Dockerfile").read_text()
    assert f"uv sync --frozen --only-group {name}\n" in text


@pytest.mark.parametrize("name", IMAGES)
def test_hadolint(name):
    hadolint = tool("hadolint")
    dockerfile = ROOT / "services" / name / "Dockerfile"
    result = subprocess.run(
        [hadolint, "--no-color", str(dockerfile)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
