#!/usr/bin/env bash
# make demo: the stack of `make run` on the demo clock, driven through a simulated district for a
# month (scripts/demo_district.py), then left running so the dashboards show it.
#
# scripts/run.sh starts and stops the stack, unchanged: it runs here in the background with
# HOMEBED_DEMO_CLOCK set (chassis.clock.service_clock), so every service lives on the simulated
# time the driver moves. A demo needs a fresh district: an existing var/ (make run's SQLite
# databases and Kafka data) is moved aside to var.before-demo/ first.
# Stop it with Ctrl-C here, or from elsewhere: pkill -TERM -f scripts/run.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/ensure-tools.sh
source scripts/ensure-tools.sh

if pgrep -f "bash scripts/run.sh" >/dev/null 2>&1 || pgrep -f "bash $root/scripts/run.sh" >/dev/null 2>&1; then
  echo "make run is already running: stop it first (pkill -TERM -f scripts/run.sh)." >&2
  exit 1
fi
if [ -d var ] && [ -n "$(ls -A var 2>/dev/null)" ]; then
  rm -rf var.before-demo
  mv var var.before-demo
  echo "moved the previous var/ aside to var.before-demo/ (a demo starts from an empty district)"
fi
mkdir -p var/log
clock="$root/var/demo-clock.json"
# frozen at the month's first instant until the driver starts it
$UV run python scripts/demo_district.py --init-clock "$clock" "$@"
export HOMEBED_DEMO_CLOCK="$clock"
# The services' background jobs wake on real seconds and act on simulated time: on a clock that
# runs hours a second they must wake often (dev settings, the services' own; see their READMEs).
export HOMEBED_REPORTING_CHECK_SECONDS=0.5 HOMEBED_REPORTING_RETRY_BASE_SECONDS=1 \
  HOMEBED_REPORTING_RETRY_MAX_SECONDS=5 HOMEBED_SERVICE_RECORDS_CLOSE_JOB_SECONDS=1 \
  HOMEBED_SERVICE_RECORDS_SWEEP_SECONDS=2 HOMEBED_INTAKE_CONTRACT_SWEEP_SECONDS=5 \
  HOMEBED_REFERRAL_SWEEP_SECONDS=5 HOMEBED_IOT_INGEST_LIVENESS_POLL_SECONDS=2

bash scripts/run.sh >var/log/demo-run.out 2>&1 &
run_pid=$!
stop_stack() {
  trap '' INT TERM HUP
  echo
  echo "stopping the stack ..."
  kill -TERM "$run_pid" 2>/dev/null || true
  wait "$run_pid" 2>/dev/null || true
  exit 0
}
trap stop_stack INT TERM HUP

echo "starting the stack (scripts/run.sh; its output in var/log/demo-run.out) ..."
until grep -q "Press Ctrl-C" var/log/demo-run.out 2>/dev/null; do
  if ! kill -0 "$run_pid" 2>/dev/null; then
    echo "the stack did not start:" >&2
    tail -20 var/log/demo-run.out >&2
    exit 1
  fi
  sleep 1
done

if ! $UV run python scripts/demo_district.py --clock "$clock" "$@"; then
  echo "the demo driver failed (above); the stack is left running for a look: Ctrl-C stops it." >&2
fi
echo
echo "The stack is still running on the demo clock: Grafana's dashboards show the district."
echo "Ctrl-C here (or pkill -TERM -f scripts/run.sh) stops it."
wait "$run_pid"
