"""Each image runs exactly its manifest's `run` command, with the contract's HOST and PORT read
when the container starts (CONTRACT.md, "Environment"), never a port fixed at build time.

Two forms, both exec form (no shell left between PID 1 and the server):
- a manifest whose `run` names no {host}/{port} (Go, Rust, the mock: the server reads HOST and
  PORT itself): the CMD is that command, as is;
- otherwise (the Python servers take them as options): `/bin/sh -c 'exec <run>'` with {host} and
  {port} as "${HOST:-0.0.0.0}" and "${PORT:-8000}", so the shell expands them and is replaced.
"""

from __future__ import annotations

import json
import shlex

import pytest
from static_support import IMAGES, ROOT, manifest
from test_dockerfiles import IN_IMAGE, env_of, final_stage, last

FROM_ENV = {**IN_IMAGE, "host": '"${HOST:-0.0.0.0}"', "port": '"${PORT:-8000}"'}


def reads_env_itself(run: str) -> bool:
    return "{host}" not in run and "{port}" not in run


@pytest.mark.parametrize("name", IMAGES)
def test_cmd_is_the_manifest_run_command_with_host_and_port_from_env(name):
    stage = final_stage(ROOT / "services" / name / "Dockerfile")
    run = manifest(name)["run"]
    assert not [k for k, _ in stage if k == "ENTRYPOINT"], "the command is the CMD alone"
    cmd = last(stage, "CMD")
    assert cmd.startswith("["), f"{name}: CMD must be exec form"
    argv = json.loads(cmd)
    if reads_env_itself(run):
        assert argv == shlex.split(run.format(**IN_IMAGE))
        return
    assert argv[:2] == ["/bin/sh", "-c"] and len(argv) == 3, argv
    assert argv[2] == "exec " + run.format(**FROM_ENV)
    # What the shell runs with the image's own ENV is the manifest's command with its defaults.
    words = shlex.split(argv[2].replace("${HOST:-0.0.0.0}", "0.0.0.0").replace("${PORT:-8000}", "8000"))
    assert words == ["exec", *shlex.split(run.format(**IN_IMAGE))]
    env = env_of(stage)
    assert (env.get("HOST"), env.get("PORT")) == ("0.0.0.0", "8000")


@pytest.mark.parametrize("name", IMAGES)
def test_build_stages_take_an_optional_extra_ca(name):
    # docs/containers.md: builds behind a TLS-intercepting proxy. Default empty: no change.
    text = (ROOT / "services" / name / "Dockerfile").read_text()
    assert 'ARG EXTRA_CA_CERT=""' in text
    final = final_stage(ROOT / "services" / name / "Dockerfile")
    assert not [a for k, a in final if k == "ARG" and "EXTRA_CA_CERT" in a], "never in the final image"
