#!/usr/bin/env bash
# fastapi_naive builds an httpx.AsyncClient per fetch-external request. What one costs in CPU:
# REPS repeats of building N clients (and, for comparison, N bare TLS contexts, which is what
# the client builds for its default `verify=True`), CPU time per item, in-process.
# Usage: docs/measurements/fastapi_naive_http_client.sh [REPS] [N]   (needs `make build`)
set -euo pipefail
cd "$(dirname "$0")/../../services/fastapi_naive"
uv run --frozen python - "${1:-7}" "${2:-20}" <<'PY'
import statistics
import sys
import time

import httpx

reps, n = int(sys.argv[1]), int(sys.argv[2])


def cpu_ms_per_item(make) -> float:
    start = time.process_time()
    for _ in range(n):
        make()
    return 1000 * (time.process_time() - start) / n


print(f"httpx {httpx.__version__}; {reps} repeats of {n} items; CPU ms per item")
for label, make in (("AsyncClient()", httpx.AsyncClient), ("create_ssl_context()", httpx.create_ssl_context)):
    samples = [cpu_ms_per_item(make) for _ in range(reps)]
    print(f"{label:22} median {statistics.median(samples):.1f}  range {min(samples):.1f}-{max(samples):.1f}  "
          f"samples {' '.join(f'{s:.1f}' for s in samples)}")
PY
