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
  svc-referral/referral svc-subsidy/subsidy svc-reporting/reporting \
  svc-notify/notify

step "event contracts (checked-in JSON Schema and AsyncAPI are current)"
$UV run python -m homebed_schemas.export --check

step "alert rules (promtool check rules + test rules, Debian's prometheus package)"
promtool="$(dirname "$(bash deploy/prometheus/prometheus.sh ensure)")/promtool"
"$promtool" check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && "$promtool" test rules alerts_test.yml)

step "kustomize for the Kubernetes overlays (built once from the Go module proxy)"
bash deploy/k8s/kustomize.sh ensure

run_pytest() {
  local rc=0
  $UV run pytest "$@" || rc=$?
  # 5 = no test selected: an error here, every suite must have tests.
  if [ "$rc" -ne 0 ]; then exit "$rc"; fi
}

# Parallel where it is safe: unit tests and Schemathesis share nothing; the integration tests
# use their own databases, topics and consumer groups (chassis.testing.fixtures); tests marked
# `exclusive` stop the shared broker and run alone afterwards.
workers="${HOMEBED_TEST_WORKERS:-2}"
int_workers="${HOMEBED_TEST_INTEGRATION_WORKERS:-3}"

step "unit tests and OpenAPI conformance (Schemathesis on every service and through the gateway; $workers workers)"
run_pytest -q -m "not kafka and not postgres and not prometheus" -p no:cacheprovider \
  -n "$workers" --durations=10

step "starting the real Kafka broker, PostgreSQL and Prometheus for the integration tests"
bash deploy/prometheus/prometheus.sh ensure >/dev/null
cleanup() { bash "$root/scripts/infra.sh" stop test >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
eval "$(bash scripts/infra.sh start test --fresh)"
$UV run python -m chassis.kafka.topics --bootstrap "$HOMEBED_TEST_KAFKA_BOOTSTRAP" >/dev/null

step "integration tests (real Kafka + PostgreSQL; $int_workers workers)"
run_pytest -q -m "(kafka or postgres or prometheus) and not exclusive" -p no:cacheprovider \
  -n "$int_workers" --durations=10

step "integration tests that stop the shared broker (alone)"
run_pytest -q -m "exclusive" -p no:cacheprovider --durations=5
