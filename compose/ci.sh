#!/usr/bin/env bash
# `make test-compose`: the compose stack for real, on a private engine under .bench/docker.
#
#   1. compose/install-tools.sh: Docker Compose (the CLI plugin) in .bench/tools;
#   2. compose/engine.sh start: Debian's docker.io if missing, dockerd with its data root, exec
#      root, socket and pidfile under .bench/docker; stopped by a trap whatever happens;
#   3. compose/standins/build.sh: local stand-ins for the base images, if missing (no image
#      registry here; compose/standins/README.md says what that proves);
#   4. pytest tests/compose: every image built by `docker compose build`, the README's command,
#      every profile up with the databases published on loopback, the contract suite against
#      each service's published port, then `loadtest/sweep.sh --runtime compose` two levels deep,
#      results.json against the schema; `down -v` at the end.
#
# Ports: the compose databases are published at db/infra.toml's ports + BENCH_PORT_OFFSET +
# COMPOSE_PORT_OFFSET (default 500), so they never meet the native servers `make test` leaves
# running at db/infra.toml's ports + BENCH_PORT_OFFSET. All on 127.0.0.1.
#
# EXTRA_CA_CERT (PEM text): an extra CA every image build trusts, for a TLS-intercepting proxy.
# Unset, this machine's local CAs (/usr/local/share/ca-certificates/*.crt, the ones
# update-ca-certificates adds to the system's bundle) are used if there are any; none: nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$HOME/.local/bin:/usr/local/go/bin:$PATH"
start=$(date +%s)
mkdir -p .bench
exec 9>.bench/test-compose.lock  # one run at a time: they would share the engine and stand-ins
flock -n 9 || { echo "test-compose: another run holds .bench/test-compose.lock" >&2; exit 1; }

compose/install-tools.sh >/dev/null
trap 'compose/engine.sh stop' EXIT
compose/engine.sh start
eval "$(compose/engine.sh env)"

if [[ -z ${EXTRA_CA_CERT:-} ]] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    EXTRA_CA_CERT=$(cat /usr/local/share/ca-certificates/*.crt)
    export EXTRA_CA_CERT
    echo "image builds trust the local CAs in /usr/local/share/ca-certificates (EXTRA_CA_CERT)"
fi

compose/standins/build.sh
echo "engine and stand-ins ready after $(( $(date +%s) - start )) s"

export BENCH_PORT_OFFSET=$(( ${BENCH_PORT_OFFSET:-0} + ${COMPOSE_PORT_OFFSET:-500} ))
export BENCH_RUN_DIR=$PWD/.bench/compose-run COMPOSE_E2E=1
mkdir -p "$BENCH_RUN_DIR"
status=0
uv run --frozen pytest -q -p no:cacheprovider tests/compose || status=$?

# tests/compose ends with `down -v`: no container, network or volume is left. Images stay in
# .bench/docker as the next run's cache; not even dangling ones are pruned, because the classic
# builder's cache of a multi-stage build is its untagged intermediate images. `make clean`
# (engine stopped) removes .bench altogether.
echo "test-compose: $(( $(date +%s) - start )) s, data root $(du -sh .bench/docker/data | cut -f1)"
exit "$status"
