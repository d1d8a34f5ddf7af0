#!/bin/sh
# In the guest, run by wsb-init from the payload disk: the staged repo copied to a writable
# tmpfs, the probe (bounded), its JSON written raw to the results disk /dev/vdc.
cp -a /payload/repo /tmp/repo
echo "wsb-guest: probe starts"
BENCH_RUN_DIR=/tmp/run timeout 900 python3 /payload/probe.py /tmp/repo /tmp/result.json >/tmp/probe.log 2>&1
echo "wsb-guest: probe exit $?"
tail -50 /tmp/probe.log
[ -s /tmp/result.json ] || echo '{"error": "the probe wrote no result; see the console log"}' >/tmp/result.json
dd if=/tmp/result.json of=/dev/vdc bs=64k conv=fsync 2>/dev/null
echo "wsb-guest: done"
