#!/usr/bin/env bash
# Inside the Debian 13 chroot, in the fresh clone (scripts/guest/chroot-inside.sh runs it).
#   setup: Debian's golang-go, scripts/setup.sh and the two services' builds, with the registries;
#   test:  in a network namespace of its own (run under `unshare --net`): loopback up, the
#          contract suite against go_stdlib and fastapi_tuned on the harness's own servers,
#          the servers' versions, the servers stopped.
set -euo pipefail
cd /root/webstack-bench
case $1 in
  setup)
    # Go as a Debian 13 user has it: golang-go 1.24, which fetches the 1.26 that go_stdlib's
    # go.mod asks for from the module proxy (Debian's go.env says GOTOOLCHAIN=auto).
    DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 install -y -qq --no-install-recommends golang-go >/dev/null
    scripts/setup.sh
    uv run --frozen loadtest build go_stdlib fastapi_tuned ;;
  test)
    ip link set lo up
    status=0
    GOPROXY=off timeout 1200 uv run --frozen pytest -q -p no:cacheprovider tests/contract \
      --service go_stdlib --service fastapi_tuned --junitxml=/tmp/junit.xml || status=$?
    uv run --frozen python - >/tmp/versions.json <<'PY'
import json, platform, subprocess
from loadtest.servers import binaries
go = lambda cwd: subprocess.run(["go", "version"], cwd=cwd, capture_output=True, text=True).stdout.strip()
print(json.dumps({**binaries.versions(), "python": platform.python_version(),
                  "os": platform.freedesktop_os_release().get("PRETTY_NAME"),
                  "go": go("/"), "go_for_go_stdlib": go("services/go_stdlib")}))
PY
    uv run --frozen loadtest down || true
    exit "$status" ;;
esac
