#!/usr/bin/env bash
# Test infrastructure: the real Kafka broker and PostgreSQL, on ports of their own.
#   infra.sh start [NAME] [--fresh]   NAME=dev (shared dev shell, default) or test (make test)
#   infra.sh stop [NAME]
#   infra.sh env [NAME]               the env vars the pytest fixtures read
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-}"; name="${2:-dev}"; fresh="${3:-}"
case "$name" in
  test) kport="${HOMEBED_TEST_KAFKA_PORT:-39092}"; pport="${HOMEBED_TEST_PG_PORT:-55432}" ;;
  dev) kport=39192; pport=55532 ;;
  *) echo "unknown infra name $name (dev|test)" >&2; exit 2 ;;
esac
base="${HOMEBED_INFRA_DIR:-/tmp/homebed-infra}/$name"

print_env() {
  echo "export HOMEBED_TEST_KAFKA_BOOTSTRAP=127.0.0.1:$kport"
  echo "export HOMEBED_TEST_POSTGRES_DSN=postgresql://postgres@127.0.0.1:$pport/postgres"
  echo "export HOMEBED_TEST_KAFKA_DATA_DIR=$base/kafka"
}

case "$cmd" in
  start)
    mkdir -p "$base"; chmod 755 "$base" "$(dirname "$base")"
    "$root/deploy/postgres/pg.sh" start "$base/pg" "$pport" "$fresh" >/dev/null
    "$root/deploy/kafka/kafka.sh" start "$base/kafka" "$kport" "$fresh"
    print_env ;;
  stop)
    "$root/deploy/kafka/kafka.sh" stop "$base/kafka" || true
    "$root/deploy/postgres/pg.sh" stop "$base/pg" || true ;;
  env) print_env ;;
  *) echo "usage: infra.sh start|stop|env [dev|test] [--fresh]" >&2; exit 2 ;;
esac
