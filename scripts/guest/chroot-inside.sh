#!/usr/bin/env bash
# The inside of scripts/guest/chroot.sh, run in its private mount and pid namespaces: mounts,
# the clone, setup (with the registries), then the tests in a network namespace of their own.
set -euo pipefail
lower=$1 work=$2 src=$3 out=$4
root=$work/merged
mkdir -p "$work/upper" "$work/ovl" "$root"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$work/upper,workdir=$work/ovl" "$root"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
for d in dev/shm run tmp; do mount -t tmpfs tmpfs "$root/$d"; done
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Behind a TLS-intercepting proxy the host trusts extra CAs: the chroot trusts them too.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"  # no service starts in a chroot
chmod +x "$root/usr/sbin/policy-rc.d"
bind() {  # bind SRC DEST [ro]
  mkdir -p "$2" && mount --bind "$1" "$2"
  [[ ${3:-} == ro ]] && mount -o remount,bind,ro "$2"
  return 0
}
for d in .cargo .rustup; do [[ -d $HOME/$d ]] && bind "$HOME/$d" "$root/root/$d" ro; done
mkdir -p "$GUEST_GOMODCACHE" "$GUEST_GOCACHE" "$GUEST_UV_CACHE"
bind "$GUEST_GOMODCACHE" "$root/root/go/pkg/mod"
bind "$GUEST_GOCACHE" "$root/root/.cache/go-build"
bind "$GUEST_UV_CACHE" "$root/root/.cache/uv"
mkdir -p "$src/.bench/guest-apt/partial"  # Debian's packages, downloaded once
bind "$src/.bench/guest-apt" "$root/var/cache/apt/archives"
git clone -q "$src" "$root/root/webstack-bench"

install -m 0755 "$src/scripts/guest/in-chroot.sh" "$root/usr/local/sbin/wsb-in-chroot"
# The environment a user's shell would have, and the host's proxy and CA settings if any.
pass=()
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY SSL_CERT_FILE SSL_CERT_DIR \
         PIP_CERT REQUESTS_CA_BUNDLE CURL_CA_BUNDLE GIT_SSL_CAINFO; do
  [[ -n ${!v:-} ]] && pass+=("$v=${!v}")
done
in_chroot() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb "${pass[@]}" \
    PATH=/root/webstack-bench/.bench/tools/uv/bin:/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "$@"
}
echo "chroot: scripts/setup.sh and loadtest build in Debian 13 (with the registries)" >&2
in_chroot wsb-in-chroot setup >"$out/setup.log" 2>&1
echo "chroot: servers and the contract suite in a network namespace of their own" >&2
status=0
in_chroot unshare --net wsb-in-chroot test >"$out/test.log" 2>&1 || status=$?
cp "$root/tmp/junit.xml" "$root/tmp/versions.json" "$out/" 2>/dev/null || true
mkdir -p "$out/logs" && cp "$root"/root/webstack-bench/.bench/*.log "$root"/root/webstack-bench/.bench/*.out "$out/logs/" 2>/dev/null || true
exit "$status"
