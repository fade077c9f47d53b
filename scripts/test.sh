#!/usr/bin/env bash
# make test: lint, types, contracts, unit tests, then integration tests against the real Kafka
# and PostgreSQL (started here on test ports, stopped afterwards whatever the outcome).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/ensure-tools.sh

step() { printf '\n==> %s\n' "$*"; }

# Bytecode caches on, kept out of the tree (.cache/ is ignored): with PYTHONDONTWRITEBYTECODE set
# (some shells and CI images set it) every Python process of the run (xdist workers, each
# service started under uvicorn, each CLI under test) compiled every module it imports from
# source again, seconds of CPU each; pytest's rewritten test modules are cached there too.
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-$root/.cache/pycache}"

step "ruff"
$UV run ruff check .
$UV run ruff format --check .

# Phases overlap where one waits while another computes: mypy (one core) runs beside the
# contract, promtool and kustomize steps (downloads on a fresh clone), and the broker, PostgreSQL
# and the topics start while the unit tests run. Each outcome is still checked, in order.
logs="$(mktemp -d)"
mypy_pid=""; infra_pid=""; infra_started=""
cleanup() {
  if [ -n "$mypy_pid" ]; then kill "$mypy_pid" 2>/dev/null || true; fi
  # a start still under way finishes first, so that the stop finds what it started
  if [ -n "$infra_pid" ]; then wait "$infra_pid" 2>/dev/null || true; fi
  if [ -n "$infra_started" ]; then bash "$root/scripts/infra.sh" stop test >/dev/null 2>&1 || true; fi
  rm -rf "$logs"
}
trap cleanup EXIT INT TERM
step "mypy (strict on the chassis, contracts and domain modules; output after the next steps)"
$UV run mypy shared-schemas/homebed_schemas shared-chassis/chassis gateway/gateway \
  svc-intake/intake svc-service-records/service_records svc-iot-ingest/iot_ingest \
  svc-referral/referral svc-subsidy/subsidy svc-reporting/reporting \
  svc-notify/notify >"$logs/mypy.log" 2>&1 &
mypy_pid=$!

step "event contracts (checked-in JSON Schema and AsyncAPI are current)"
$UV run python -m homebed_schemas.export --check

step "alert rules (promtool check rules + test rules, Debian's prometheus package)"
promtool="$(dirname "$(bash deploy/prometheus/prometheus.sh ensure)")/promtool"
"$promtool" check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && "$promtool" test rules alerts_test.yml)

step "kustomize for the Kubernetes overlays (built once from the Go module proxy)"
bash deploy/k8s/kustomize.sh ensure

step "mypy's result"
mypy_rc=0
wait "$mypy_pid" || mypy_rc=$?
mypy_pid=""
cat "$logs/mypy.log"
if [ "$mypy_rc" -ne 0 ]; then exit "$mypy_rc"; fi

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

step "starting the real Kafka broker, PostgreSQL and Prometheus in the background"
infra_started=yes
(
  set -euo pipefail
  bash deploy/prometheus/prometheus.sh ensure >/dev/null
  bash scripts/infra.sh start test --fresh >"$logs/infra.env"
  source "$logs/infra.env"
  $UV run python -m chassis.kafka.topics --bootstrap "$HOMEBED_TEST_KAFKA_BOOTSTRAP" >/dev/null
) >"$logs/infra.log" 2>&1 &
infra_pid=$!

step "unit tests and OpenAPI conformance (Schemathesis on every service and through the gateway; $workers workers)"
run_pytest -q -m "not kafka and not postgres and not prometheus" -p no:cacheprovider \
  -n "$workers" --durations=10

step "the real Kafka broker, PostgreSQL and Prometheus for the integration tests"
infra_rc=0
wait "$infra_pid" || infra_rc=$?
infra_pid=""
cat "$logs/infra.log"
if [ "$infra_rc" -ne 0 ]; then echo "ERROR: the test infrastructure did not start" >&2; exit "$infra_rc"; fi
source "$logs/infra.env"

step "integration tests (real Kafka + PostgreSQL; $int_workers workers)"
run_pytest -q -m "(kafka or postgres or prometheus) and not exclusive" -p no:cacheprovider \
  -n "$int_workers" --durations=10

step "integration tests that stop the shared broker (alone)"
# Only the files that use the marker are collected (the whole suite takes ~16 s of CPU to
# collect, for one test here). The grep cannot miss one: chassis.testing.fixtures fails every
# run whose collection finds an `exclusive` test in a file without the text `mark.exclusive`.
mapfile -t exclusive_files < <(grep -rl --include='test_*.py' --exclude-dir=.venv \
  --exclude-dir=.cache --exclude-dir=node_modules 'mark.exclusive' .)
run_pytest -q -m "exclusive" -p no:cacheprovider --durations=5 "${exclusive_files[@]}"
