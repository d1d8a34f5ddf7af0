#!/usr/bin/env bash
# Debian 13 for real, at host speed: the guest's debootstrap tree (scripts/guest/rootfs.sh) as
# an overlay, so the cache stays clean, entered in private mount and pid namespaces; a fresh
# clone of this repository, scripts/setup.sh and `loadtest build`, then, in a network namespace
# of its own (its own loopback: the host's servers and ports are never touched), the harness's
# PostgreSQL 17, MariaDB 11.8 and memcached and the contract suite against go_stdlib and
# fastapi_tuned. Writes setup.log, test.log, junit.xml and versions.json to OUT_DIR.
# Every mount lives in the private mount namespace and goes with it, even on failure.
# Usage: scripts/guest/chroot.sh OUT_DIR   (root; debootstrap)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "$1")
CHROOT_TIMEOUT=${GUEST_CHROOT_TIMEOUT:-1800}
mkdir -p "$out" .bench
rm -rf "$out"/{setup.log,test.log,junit.xml,versions.json,logs}
guest=$(scripts/guest/rootfs.sh)
work=$(mktemp -d "$PWD/.bench/chroot-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
# Rust as rustup installs it, shared read-only (with the oha `make setup` built: setup.sh
# would otherwise spend minutes building it again); Go is Debian's golang-go, installed inside.
# The download caches of Go and uv are shared to save the downloads.
export GUEST_GOMODCACHE=$(go env GOMODCACHE) GUEST_GOCACHE=$(go env GOCACHE)
export GUEST_UV_CACHE=${UV_CACHE_DIR:-$HOME/.cache/uv}
timeout --signal=KILL "$CHROOT_TIMEOUT" unshare --mount --pid --fork --kill-child=SIGKILL --propagation private \
  scripts/guest/chroot-inside.sh "$guest/rootfs" "$work" "$PWD" "$out"
