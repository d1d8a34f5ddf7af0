#!/usr/bin/env bash
# fastapi_tuned A/B: two copies of the service (A and B folders, each holding app/), started
# together (A on one port, B on another), both pinned to CPU 0, oha pinned to CPU 1,
# keep-alive, runs interleaved ABABAB so the shared machine's noise hits both alike.
# Usage: docs/measurements/fastapi_tuned_ab.sh DIR_A DIR_B SCENARIO [PAIRS] [DURATION] [CONNS] [GRANIAN_ARGS_B]
#   SCENARIO: devices-get | users | devices-post | fib     (needs `uv run loadtest infra up`)
set -euo pipefail
cd "$(dirname "$0")/../.."
A=$(realpath "$1"); B=$(realpath "$2"); SCEN=$3; PAIRS=${4:-3}; DUR=${5:-5s}; CONNS=${6:-50}; B_ARGS=${7:-}
eval "$(uv run --frozen loadtest infra env fastapi_tuned | sed 's/^/export /')"
OHA=${OHA:-$HOME/.cargo/bin/oha}; GRANIAN=$PWD/.venv/bin/granian
BASE_ARGS="--interface asgi --loop uvloop --workers 1 --runtime-threads 1 --no-ws --http 1 --log-level warning"
case $SCEN in
  devices-get) REQ=(/api/devices) ;;
  users) REQ=(/api/users) ;;
  fib) REQ=(/api/fib/25) ;;
  devices-post) REQ=(-m POST -H 'content-type: application/json' -d '{"mac":"EF-2B-C4-F5-D6-34","firmware":"2.1.5"}' /api/devices) ;;
esac
start() {  # dir port extra-args
  (cd "$1" && exec taskset -c 0 "$GRANIAN" $BASE_ARGS $3 --host 127.0.0.1 --port "$2" app.main:app) >/dev/null 2>&1 &
  echo $!
}
PA=18911; PB=18912
pida=$(start "$A" $PA ""); pidb=$(start "$B" $PB "$B_ARGS")
trap 'kill $pida $pidb 2>/dev/null || true' EXIT
for p in $PA $PB; do for _ in $(seq 100); do curl -sf "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done; done
run() {  # label port
  local url_path=${REQ[-1]} args=("${REQ[@]:0:${#REQ[@]}-1}")
  taskset -c 1 "$OHA" --no-tui --output-format json -z "$DUR" -c "$CONNS" "${args[@]}" "http://127.0.0.1:$2$url_path" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["summary"]; p99=d["latencyPercentiles"]["p99"]*1000; print("%s %.0f rps p99=%.1fms ok=%.3f" % (sys.argv[1], s["requestsPerSec"], p99, s["successRate"]))' "$1"
}
# one short warm-up each (prepared statements, pool growth)
run warmA $PA >/dev/null; run warmB $PB >/dev/null
for i in $(seq "$PAIRS"); do run "A$i" $PA; run "B$i" $PB; done | tee /dev/stderr | python3 -c '
import sys, statistics as st
rows=[l.split() for l in sys.stdin]
for side in "AB":
    r=[float(x[1]) for x in rows if x[0][0]==side]; p=[float(x[3][4:-2]) for x in rows if x[0][0]==side]
    print("median %s: %.0f rps, p99 %.1f ms" % (side, st.median(r), st.median(p)))'
