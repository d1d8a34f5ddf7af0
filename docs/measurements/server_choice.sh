#!/usr/bin/env bash
# fastapi_tuned: granian vs uvicorn, same app, same pinning (service on CPU 1, oha on CPU 0),
# keep-alive, 50 connections, REPS runs of DURATION per scenario; prints one line per run.
# Usage: docs/measurements/server_choice.sh [REPS] [DURATION]   (needs `loadtest infra up`)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS=${1:-3}; DURATION=${2:-5s}
eval "$(uv run --frozen loadtest infra env fastapi_tuned | sed 's/^/export /')"
export PORT=18990
declare -A SERVERS=(
  [granian]=".venv/bin/granian --interface asgi --loop uvloop --workers 1 --runtime-threads 1 --no-ws --http 1 --log-level warning --host 127.0.0.1 --port $PORT app.main:app"
  [uvicorn]=".venv/bin/uvicorn app.main:app --loop uvloop --http httptools --no-access-log --log-level warning --host 127.0.0.1 --port $PORT"
)
for server in granian uvicorn; do
  (cd services/fastapi_tuned && exec taskset -c 1 ../../${SERVERS[$server]}) &
  pid=$!
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; then echo "port $PORT busy" >&2; exit 1; fi
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  for path in /api/devices "/api/users"; do
    for rep in $(seq "$REPS"); do
      rps=$(taskset -c 0 oha --no-tui --output-format json -z "$DURATION" -c 50 "http://127.0.0.1:$PORT$path" \
            | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["summary"]; p99=d["latencyPercentiles"]["p99"]*1000; print("%.0f rps p99=%.1fms ok=%.3f" % (s["requestsPerSec"], p99, s["successRate"]))')
      echo "$server $path run$rep $rps"
    done
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # granian's worker is a child process: wait until the port is really free.
  while curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; do sleep 0.2; done
done
