#!/usr/bin/env bash
# make bench-*: runs bench/<name>.py against its own broker (test infra name "bench" ports).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/ensure-tools.sh
name="$1"; shift || true
if [ "$name" = "gateway_bench" ]; then
  # HTTP only: direct vs gateway vs nginx; no broker needed.
  exec $UV run python "bench/$name.py" "$@"
fi
data="${HOMEBED_INFRA_DIR:-/tmp/homebed-infra}/bench"
port="${HOMEBED_BENCH_KAFKA_PORT:-39292}"
cleanup() { bash deploy/kafka/kafka.sh stop "$data/kafka" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
bash deploy/kafka/kafka.sh start "$data/kafka" "$port" --fresh
export HOMEBED_BENCH_KAFKA_DATA="$data/kafka"  # the broker's pid, for the benches' CPU figures
export HOMEBED_BENCH_LOG_DIR="$data/logs"       # the servers' output
$UV run python "bench/$name.py" --bootstrap "127.0.0.1:$port" "$@"
