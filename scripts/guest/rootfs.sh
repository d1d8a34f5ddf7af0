#!/usr/bin/env bash
# The Debian 13 (trixie) tree that tests/guest boots in QEMU (cgroup v2) and enters as a chroot
# (Debian 13's packages): debootstrap from Debian's archive, with the guest's kernel, initrd and
# a 4 GiB ext4 disk made from it. Cached in .bench/guest/<hash of this recipe>/ and rebuilt when
# the recipe (this file, init) changes; older builds are removed. Prints the cache directory.
# Needs root, debootstrap and e2fsprogs (tests/guest/prepare.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."

SUITE=trixie
# python3 and the modules the harness imports (loadtest.runtime, loadtest.runtime.service) run its own
# isolation code in the guest; git clones the repo in the chroot. Everything else (the servers, uv, build tools) is what scripts/setup.sh installs.
INCLUDE=udev,kmod,linux-image-amd64,initramfs-tools,iproute2,procps,git,ca-certificates,python3,python3-psutil,python3-httpx,python3-psycopg,python3-pymysql,python3-rich,python3-pydantic
DISK_SIZE=4G

hash=$(cat scripts/guest/rootfs.sh scripts/guest/init | sha256sum | cut -c1-16)
cache=.bench/guest
out=$cache/$hash
if [[ -f $out/ok ]]; then echo "$PWD/$out"; exit 0; fi

# The Debian mirror this host uses (deb822 or one-line sources), else deb.debian.org.
mirror=${GUEST_MIRROR:-$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -1 | tr -d ' ' || true)}
mirror=${mirror:-http://deb.debian.org/debian}

tmp=$out.tmp
cleanup() {  # debootstrap leaves /proc, /sys mounted in the target when it fails
  grep -o " $PWD/$tmp/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$tmp"; mkdir -p "$tmp"
echo "guest: debootstrap $SUITE from $mirror into $tmp (a few minutes)" >&2
for attempt in 1 2 3; do  # the archive drops a connection now and then
  if debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp/rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
    break
  fi
  ((attempt == 3)) && { tail -20 "$tmp/debootstrap.log" >&2; exit 1; }
  grep -o " $PWD/$tmp/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$tmp/rootfs"
done
install -m 0755 scripts/guest/init "$tmp/rootfs/sbin/wsb-init"
echo "wsb-guest" > "$tmp/rootfs/etc/hostname"
cp "$tmp"/rootfs/boot/vmlinuz-* "$tmp/vmlinuz"
cp "$tmp"/rootfs/boot/initrd.img-* "$tmp/initrd.img"
rm -rf "$tmp"/rootfs/var/cache/apt/archives/*.deb
mke2fs -q -t ext4 -d "$tmp/rootfs" "$tmp/disk.img" "$DISK_SIZE" >&2  # stdout is the cache path
touch "$tmp/ok"
for old in "$cache"/*/; do [[ $old == "$tmp/" ]] || rm -rf "$old"; done  # older recipes
mv "$tmp" "$out"
echo "$PWD/$out"
