#!/usr/bin/env bash
# make test-stress: `make test` ten times in a row (COUNT, or STRESS_RUNS, default 10) while
# another process keeps one core busy, to shake out tests that depend on timing. The busy loop is
# stopped whatever happens.   make test-stress COUNT=1
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${COUNT:-${STRESS_RUNS:-10}}"
nice -n 0 python3 -c 'while True: pass' &
busy=$!
trap 'kill "$busy" 2>/dev/null || true; wait "$busy" 2>/dev/null || true' EXIT INT TERM
for i in $(seq 1 "$runs"); do
  echo "==> make test, run $i of $runs (one core busy, pid $busy)"
  if ! bash scripts/test.sh; then
    echo "test-stress: run $i of $runs failed" >&2
    exit 1
  fi
done
echo "test-stress: $runs of $runs runs green"
