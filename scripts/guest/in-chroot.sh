#!/usr/bin/env bash
# Inside the Debian 13 chroot, in the fresh clone (scripts/guest/chroot-inside.sh runs it).
#   setup: scripts/setup.sh and the two services' builds, with the registries;
#   test:  in a network namespace of its own (run under `unshare --net`): loopback up, the
#          contract suite against go_stdlib and fastapi_tuned on the harness's own servers,
#          the servers' versions, the servers stopped.
set -euo pipefail
cd /root/webstack-bench
case $1 in
  setup)
    scripts/setup.sh
    uv run --frozen loadtest build go_stdlib fastapi_tuned ;;
  test)
    ip link set lo up
    status=0
    GOPROXY=off timeout 1200 uv run --frozen pytest -q -p no:cacheprovider tests/contract \
      --service go_stdlib --service fastapi_tuned --junitxml=/tmp/junit.xml || status=$?
    uv run --frozen python - >/tmp/versions.json <<'PY'
import json, platform
from loadtest import binaries
print(json.dumps({**binaries.versions(), "python": platform.python_version(),
                  "os": platform.freedesktop_os_release().get("PRETTY_NAME")}))
PY
    uv run --frozen loadtest down || true
    exit "$status" ;;
esac
