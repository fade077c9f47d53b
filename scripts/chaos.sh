#!/usr/bin/env bash
# make chaos: fault scenarios that take minutes, each on brokers and PostgreSQL clusters of its
# own, all stopped afterwards whatever the outcome:
#   E  PostgreSQL stopped -m immediate mid-consume, 10 s down  (own cluster, HOMEBED_CHAOS_PGKILL_PORT)
#   F  Kafka down 30 s during device ingest                    (own broker, HOMEBED_CHAOS_KAFKA_DOWN_PORT)
#   G  outbox relay SIGKILLed 50 times over 10,000 events
# E and G use the chaos broker (HOMEBED_CHAOS_KAFKA_PORT), F and G the chaos PostgreSQL
# (HOMEBED_CHAOS_PG_PORT). Defaults: 19092, 16432, 16732, 19392: below Linux's ephemeral range
# (32768–60999) and the tests' claimed ports (20000–31999, chassis.testing.ports), because a
# client reconnecting to a stopped server's ephemeral port can take that port itself (a TCP
# self-connect, or any outgoing connection's source port) and the restart then fails with
# "Address already in use" — as the kafka-down scenario did once. Each scenario prints
#   scenario=<name> sent=<n> acked=<n> applied=<n> duplicates=<n> lost=<n>
# (its log in $HOMEBED_CHAOS_DIR/<name>.log) and fails the run unless lost=0 and duplicates=0.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/ensure-tools.sh
kport="${HOMEBED_CHAOS_KAFKA_PORT:-19092}"
pport="${HOMEBED_CHAOS_PG_PORT:-16432}"
pgkill_port="${HOMEBED_CHAOS_PGKILL_PORT:-16732}"
kafka_down_port="${HOMEBED_CHAOS_KAFKA_DOWN_PORT:-19392}"
base="${HOMEBED_CHAOS_DIR:-/tmp/homebed-chaos}"
mkdir -p "$base"; chmod 755 "$base"
cleanup() {
  bash deploy/kafka/kafka.sh stop "$base/kafka" >/dev/null 2>&1 || true
  bash deploy/kafka/kafka.sh stop "$base/kafka-down/kafka" >/dev/null 2>&1 || true
  bash deploy/postgres/pg.sh stop "$base/pg" >/dev/null 2>&1 || true
  bash deploy/postgres/pg.sh stop "$base/pgkill/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
dsn="$(bash deploy/postgres/pg.sh start "$base/pg" "$pport" --fresh)"
bash deploy/kafka/kafka.sh start "$base/kafka" "$kport" --fresh
bootstrap="127.0.0.1:$kport"
$UV run python -m chassis.kafka.topics --bootstrap "$bootstrap" >/dev/null

rc=0
run() {  # run NAME CMD...: print its scenario line, keep its log
  local name="$1" out=""; shift
  if ! out="$("$@" 2> "$base/$name.log")"; then rc=1; fi
  if ! grep '^scenario=' <<<"$out"; then
    echo "scenario=$name did not finish (see $base/$name.log)"; rc=1
  fi
}

echo "==> E: PostgreSQL stopped -m immediate mid-consume, down ${CHAOS_PGKILL_OUTAGE:-10} s"
run postgres-kill $UV run python bench/chaos_postgres_kill.py --bootstrap "$bootstrap" \
  --port "$pgkill_port" --data-dir "$base/pgkill" --events "${CHAOS_PGKILL_EVENTS:-3000}" \
  --outage "${CHAOS_PGKILL_OUTAGE:-10}"

echo "==> F: Kafka down ${CHAOS_KAFKA_DOWN_OUTAGE:-30} s during device ingest"
run kafka-down $UV run python bench/chaos_kafka_down.py --dsn "$dsn" --port "$kafka_down_port" \
  --data-dir "$base/kafka-down" --outage "${CHAOS_KAFKA_DOWN_OUTAGE:-30}"

echo "==> G: outbox relay SIGKILLed ${CHAOS_RELAY_KILLS:-50} times over ${CHAOS_RELAY_EVENTS:-10000} events"
run relay-kill $UV run python bench/chaos_relay.py --bootstrap "$bootstrap" --dsn "$dsn" \
  --events "${CHAOS_RELAY_EVENTS:-10000}" --kills "${CHAOS_RELAY_KILLS:-50}"
exit "$rc"
