#!/usr/bin/env bash
# make test: lint, types, contracts, unit tests, then integration tests against the real Kafka
# and PostgreSQL (started here on test ports, stopped afterwards whatever the outcome).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/ensure-tools.sh

step() { printf '\n==> %s\n' "$*"; }

step "ruff"
$UV run ruff check .
$UV run ruff format --check .

step "mypy (strict on the chassis, contracts and domain modules)"
$UV run mypy shared-schemas/homebed_schemas shared-chassis/chassis gateway/gateway \
  svc-intake/intake svc-service-records/service_records svc-iot-ingest/iot_ingest \
  svc-referral/referral svc-subsidy/subsidy svc-reporting/reporting

step "event contracts (checked-in JSON Schema and AsyncAPI are current)"
$UV run python -m homebed_schemas.export --check

run_pytest() {
  local rc=0
  $UV run pytest "$@" || rc=$?
  # 5 = no test selected: an error here, every suite must have tests.
  if [ "$rc" -ne 0 ]; then exit "$rc"; fi
}

step "unit tests"
run_pytest -q -m "not kafka and not postgres and not prometheus and not conformance" \
  -p no:cacheprovider

step "OpenAPI conformance (Schemathesis on every service, and through the gateway)"
run_pytest -q -m conformance -p no:cacheprovider --durations=10

step "starting the real Kafka broker, PostgreSQL and Prometheus for the integration tests"
bash deploy/prometheus/prometheus.sh ensure >/dev/null
cleanup() { bash "$root/scripts/infra.sh" stop test >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
eval "$(bash scripts/infra.sh start test --fresh)"
$UV run python -m chassis.kafka.topics --bootstrap "$HOMEBED_TEST_KAFKA_BOOTSTRAP" >/dev/null

step "integration tests (real Kafka + PostgreSQL)"
run_pytest -q -m "kafka or postgres or prometheus" -p no:cacheprovider --durations=10
