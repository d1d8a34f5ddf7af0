#!/usr/bin/env bash
# Install everything the benchmark needs on a fresh Debian machine, idempotently:
# the database servers from Debian's packages, uv and the Python environment, oha.
# Go and Rust toolchains are expected on the machine (they are on this project's machines).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(postgresql-15 mariadb-server mariadb-client memcached libmariadb-dev pkg-config
              build-essential cmake util-linux procps)
OHA_VERSION=1.16.0

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  # Debian's maintainer scripts try to start the servers; we start our own on other ports.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v uv >/dev/null; then
  echo "setup: installing uv"
  python3 -m pip install --quiet uv
fi
uv sync --frozen --quiet

export PATH="$HOME/.cargo/bin:$PATH"
if ! oha --version 2>/dev/null | grep -q "$OHA_VERSION"; then
  echo "setup: building oha $OHA_VERSION (a few minutes on 2 cores)"
  cargo install --locked --quiet oha --version "$OHA_VERSION"
fi
echo "setup: done"
