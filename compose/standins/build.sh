#!/usr/bin/env bash
# Builds local stand-ins for the external images our Dockerfiles name, tagged with those exact
# names, for machines that reach Debian's and the language package registries but no image
# registry (README.md here says what a run on stand-ins proves and what it does not).
#
#   compose/standins/build.sh            # builds the stand-ins that are missing
#   compose/standins/build.sh --force    # rebuilds every one
#   compose/standins/build.sh --list     # the image names, one a line
#
# Talks to the engine in DOCKER_HOST (compose/engine.sh env). Needs root (debootstrap).
#   DEBIAN_MIRROR   default: the first Debian URI of this machine's apt sources, else
#                   http://deb.debian.org/debian
#   GOROOT_SRC      the Go tree copied into golang:*  (default: `go env GOROOT`, must be 1.26.x)
#   RUST_TOOLCHAIN  the rustup toolchain copied into rust:*  (default: `rustc --print sysroot`,
#                   must be 1.95.x)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$root/.bench/standins
export PATH="$HOME/.cargo/bin:$HOME/.local/bin:/usr/local/go/bin:$PATH"
export DOCKER_BUILDKIT=0  # the engine's classic builder, as `docker compose build` uses here

# The exact names of the external images that services/*/Dockerfile and compose/*/Dockerfile use.
DEBIAN=debian:bookworm-slim
PYTHON=python:3.11-slim-bookworm
UV=ghcr.io/astral-sh/uv:0.13.8
GOLANG=golang:1.26-bookworm
RUST=rust:1.95-slim-bookworm
STATIC=gcr.io/distroless/static-debian12:nonroot
CC=gcr.io/distroless/cc-debian12:nonroot
ALL=("$DEBIAN" "$PYTHON" "$UV" "$GOLANG" "$RUST" "$STATIC" "$CC")

force=false
case "${1:-}" in
    --force) force=true ;;
    --list) printf '%s\n' "${ALL[@]}"; exit 0 ;;
    "") ;;
    *) echo "usage: $0 [--force|--list]" >&2; exit 2 ;;
esac

have() { [[ $force == false ]] && docker image inspect "$1" >/dev/null 2>&1; }
say() { printf '\n== %s\n' "$*"; }

# A step that reaches the network, run again after a failure (3 attempts, 30 s apart): apt and
# uv retry each request a few times, but a longer outage should not fail the whole run.
retry() {
    local attempt
    for attempt in 1 2 3; do
        "$@" && return 0
        [[ $attempt == 3 ]] && return 1
        echo "$1 failed (attempt $attempt of 3); again in 30 s" >&2
        sleep 30
    done
}

# debootstrap into an empty $1 from mirror $2, its log in $work/debootstrap.log.
bootstrap() {
    rm -rf "$1"
    mkdir -p "$1"
    debootstrap --variant=minbase bookworm "$1" "$2" >"$work/debootstrap.log" 2>&1 ||
        { tail -20 "$work/debootstrap.log" >&2; return 1; }
}

mirror() {
    if [[ -n ${DEBIAN_MIRROR:-} ]]; then echo "$DEBIAN_MIRROR"; return; fi
    local uri
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}' |
          grep -E '/debian/?$' | head -1 || true)
    [[ -z $uri ]] && uri=$(grep -hE '^deb (\[[^]]*\] )?https?://\S+/debian/? bookworm' \
                           /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                           grep -oE 'https?://\S+' | head -1 || true)
    echo "${uri:-http://deb.debian.org/debian}"
}

# debian:bookworm-slim: debootstrap's minbase (essential + apt) with the official slim image's
# dpkg excludes, apt sources (main, updates, security over http) and clean-up.
build_debian() {
    have "$DEBIAN" && return
    command -v debootstrap >/dev/null || {
        export DEBIAN_FRONTEND=noninteractive
        apt-get -o Acquire::Retries=5 update -qq &&
            apt-get -o Acquire::Retries=5 install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    local rootfs=$work/rootfs m
    m=$(mirror)
    say "$DEBIAN: debootstrap --variant=minbase bookworm from $m"
    retry bootstrap "$rootfs" "$m"
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# As in the official slim images: no documentation or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    # As debuerreotype does for the official images: no service starts at package install time.
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
    chmod 755 "$rootfs/usr/sbin/policy-rc.d"
    echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
    rm -f "$rootfs/etc/apt/sources.list"
    cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf "$rootfs"/usr/share/{man,info,groff,lintian,linda}/* "$rootfs"/var/lib/apt/lists/* \
           "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
           "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/dev/* "$rootfs"/proc/* "$rootfs"/sys/*
    tar --numeric-owner -C "$rootfs" -c . |
        docker import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --message "stand-in for $DEBIAN (compose/standins)" - "$DEBIAN" >/dev/null
    rm -rf "$rootfs"
}

# A context of the Dockerfile in compose/standins/<name>/ plus extra trees, streamed to the
# engine as a tar: no copy of the Go or Rust tree on disk.
build_from_tar() {  # image name, then tar arguments for the extra content
    local image=$1 name=$2
    shift 2
    tar -c -C "$here/$name" Dockerfile "$@" | docker build -q -t "$image" - >/dev/null
}

build_python() {
    have "$PYTHON" && return
    say "$PYTHON: Debian's python3.11 on $DEBIAN"
    retry docker build -q -t "$PYTHON" "$here/python" >/dev/null
}

build_uv() {
    have "$UV" && return
    local version=${UV##*:} venv=$work/uv-venv
    say "$UV: uv $version from PyPI"
    uv venv --quiet --allow-existing --python 3.11 "$venv"
    retry uv pip install --quiet --python "$venv/bin/python" "uv==$version"
    [[ "$("$venv/bin/uv" --version)" == "uv $version "* ]]
    build_from_tar "$UV" uv -C "$venv/bin" uv uvx
}

build_golang() {
    have "$GOLANG" && return
    local goroot=${GOROOT_SRC:-$(go env GOROOT)} want=${GOLANG#golang:}
    want=${want%%-*}
    local version
    version=$("$goroot/bin/go" env GOVERSION)
    [[ $version == "go$want" || $version == "go$want".* ]] ||
        { echo "$GOLANG needs Go $want.x, $goroot has $version (set GOROOT_SRC)" >&2; exit 1; }
    say "$GOLANG: $version from $goroot"
    retry build_from_tar "$GOLANG" golang -C "$(dirname "$goroot")" \
        --transform "s,^$(basename "$goroot"),go," "$(basename "$goroot")"
}

build_rust() {
    have "$RUST" && return
    local tc=${RUST_TOOLCHAIN:-$(rustc --print sysroot)} want=${RUST#rust:}
    want=${want%%-*}
    tc=$(readlink -f "$tc")
    local version
    version=$("$tc/bin/rustc" --version)
    [[ $version == "rustc $want."* ]] ||
        { echo "$RUST needs rustc $want.x, $tc has $version (set RUST_TOOLCHAIN)" >&2; exit 1; }
    say "$RUST: $version from $tc (bin, lib, libexec, etc; no docs)"
    retry build_from_tar "$RUST" rust -C "$(dirname "$tc")" \
        --transform "s,^$(basename "$tc"),toolchain," \
        "$(basename "$tc")/bin" "$(basename "$tc")/lib" "$(basename "$tc")/libexec" "$(basename "$tc")/etc"
}

build_distroless() {
    local image variant
    for variant in static cc; do
        image=$STATIC
        [[ $variant == cc ]] && image=$CC
        have "$image" && continue
        say "$image: Debian bookworm's files for distroless/$variant"
        retry docker build -q --build-arg "VARIANT=$variant" -t "$image" "$here/distroless" >/dev/null
    done
}

mkdir -p "$work"
docker version >/dev/null  # fails early, with the CLI's message, when no engine answers
build_debian
build_python
build_uv
build_golang
build_rust
build_distroless
say "stand-ins:"
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -F -f <(printf '%s\n' "${ALL[@]}")
