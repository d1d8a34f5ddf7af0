#!/usr/bin/env bash
# The benchmark: gate, load and measure every service (or the ones named), write
# results/<UTC time>-<label>/{results.json,report.md,report.html}.
#
#   loadtest/sweep.sh                          # the full reproduction (prints its expected duration)
#   loadtest/sweep.sh --quick                  # a first look: about 5 minutes (--dry-run prints the plan)
#   loadtest/sweep.sh go_stdlib rust_axum --scenario fib --levels 10:100:10 --duration 10s
#   loadtest/sweep.sh --open-loop --label open  # add constant-rate levels below each peak
#   loadtest/sweep.sh --help                   # every option
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$HOME/.local/bin:$PWD/.bench/tools/uv/bin:$PATH"  # oha (cargo install) and uv
exec uv run loadtest sweep "$@"
