#!/usr/bin/env bash
# Can this machine run tests/guest? Installs what it needs from Debian's packages (as root:
# qemu-system-x86, debootstrap, e2fsprogs) and checks QEMU's software emulation. Exit 0: ready;
# otherwise one line on stdout says why not, and exit 1 (`make test-guest` then skips).
set -uo pipefail
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mke2fs >/dev/null || need+=(e2fsprogs)
if [[ $(id -u) -ne 0 ]]; then
  echo "test-guest: skipped: needs root (debootstrap, chroot, namespaces, mounts)"; exit 1
fi
if ((${#need[@]})); then
  if ! { apt-get -o Acquire::Retries=5 update -qq &&
         DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 install -y -qq \
           --no-install-recommends "${need[@]}"; } >/dev/null 2>&1; then
    echo "test-guest: skipped: could not install ${need[*]} from Debian's packages"; exit 1
  fi
fi
if ! qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg; then
  echo "test-guest: skipped: qemu-system-x86_64 has no TCG (software emulation) here"; exit 1
fi
for tool in unshare chroot go git; do
  command -v $tool >/dev/null || { echo "test-guest: skipped: $tool missing"; exit 1; }
done
exit 0
