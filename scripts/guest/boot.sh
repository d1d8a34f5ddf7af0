#!/usr/bin/env bash
# Boot the Debian 13 guest under QEMU software emulation (TCG; 2 vCPUs so that a 1-vCPU quota
# can be exceeded) with a payload: the harness's loadtest/ and db/, go_stdlib's manifest and a
# static go_stdlib built here, and scripts/guest/{run.sh,probe.py}. The guest writes the probe's
# JSON to a raw results disk; this copies it to $1 and the serial console to $2.
# Usage: scripts/guest/boot.sh RESULT_JSON CONSOLE_LOG   (root; qemu-system-x86, debootstrap)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "$1") console=$(realpath -m "$2")
BOOT_TIMEOUT=${GUEST_BOOT_TIMEOUT:-1200}  # seconds of wall time for the whole guest run

guest=$(scripts/guest/rootfs.sh)
mkdir -p .bench
work=$(mktemp -d "$PWD/.bench/guest-run.XXXXXX")
qemu_pid=
cleanup() {
  [[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stage=$work/payload
mkdir -p "$stage/repo/.bench/bin" "$stage/repo/services"
cp -a loadtest db "$stage/repo/"
cp -a services/go_stdlib "$stage/repo/services/"
find "$stage/repo" -name __pycache__ -prune -exec rm -rf {} +
(cd services/go_stdlib && CGO_ENABLED=0 go build -trimpath -o "$stage/repo/.bench/bin/go_stdlib" .)
cp scripts/guest/run.sh scripts/guest/probe.py "$stage/"
mke2fs -q -t ext4 -d "$stage" "$work/payload.img" 256M >&2
truncate -s 4M "$work/results.img"

echo "guest: booting Debian 13 under QEMU TCG (emulated, a few minutes)" >&2
timeout --signal=KILL "$BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 3072 \
  -kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" \
  -drive "file=$guest/disk.img,format=raw,if=virtio,snapshot=on" \
  -drive "file=$work/payload.img,format=raw,if=virtio,readonly=on" \
  -drive "file=$work/results.img,format=raw,if=virtio" \
  -nographic -nic none -no-reboot -serial "file:$console" -monitor none \
  -append "root=/dev/vda rw console=ttyS0 init=/sbin/wsb-init panic=-1 quiet" </dev/null &
qemu_pid=$!
status=0
wait "$qemu_pid" || status=$?
qemu_pid=
tr -d '\0' <"$work/results.img" >"$out"
if [[ ! -s $out ]]; then
  echo "guest: no result (qemu exit $status); console: $console" >&2
  tail -30 "$console" >&2
  exit 1
fi
echo "guest: result in $out (qemu exit $status)" >&2
