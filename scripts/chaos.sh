#!/usr/bin/env bash
# make chaos: fault scenarios that take minutes, on a broker and PostgreSQL of their own
# (ports HOMEBED_CHAOS_KAFKA_PORT / HOMEBED_CHAOS_PG_PORT, default 40092 / 56432), stopped
# afterwards whatever the outcome. Each scenario prints
#   scenario=<name> sent=<n> acked=<n> applied=<n> duplicates=<n> lost=<n>
# and fails the run unless lost=0 and duplicates=0.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/ensure-tools.sh
kport="${HOMEBED_CHAOS_KAFKA_PORT:-40092}"
pport="${HOMEBED_CHAOS_PG_PORT:-56432}"
base="${HOMEBED_CHAOS_DIR:-/tmp/homebed-chaos}"
mkdir -p "$base"; chmod 755 "$base"
cleanup() {
  bash deploy/kafka/kafka.sh stop "$base/kafka" >/dev/null 2>&1 || true
  bash deploy/postgres/pg.sh stop "$base/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
dsn="$(bash deploy/postgres/pg.sh start "$base/pg" "$pport" --fresh)"
bash deploy/kafka/kafka.sh start "$base/kafka" "$kport" --fresh
bootstrap="127.0.0.1:$kport"
$UV run python -m chassis.kafka.topics --bootstrap "$bootstrap" >/dev/null

rc=0
echo "==> G: outbox relay SIGKILLed ${CHAOS_RELAY_KILLS:-50} times over ${CHAOS_RELAY_EVENTS:-10000} events"
$UV run python bench/chaos_relay.py --bootstrap "$bootstrap" --dsn "$dsn" \
  --events "${CHAOS_RELAY_EVENTS:-10000}" --kills "${CHAOS_RELAY_KILLS:-50}" \
  2> "$base/chaos_relay.log" | grep '^scenario=' || rc=1
exit "$rc"
