#!/usr/bin/env bash
# make run: Kafka + the services on SQLite under var/ (+ the city-platform stub the reporter pushes to). Ctrl-C stops everything, in order.
#
# The services and the broker run in their own sessions (setsid) so the terminal's Ctrl-C reaches
# only this script, which then stops them in order. Hence two duties:
#   - shutdown must finish whatever happened to stdout/stderr (`make run | tee run.log`: Ctrl-C
#     kills tee first, so every later write fails) and on INT, TERM and HUP alike;
#   - a kill -9 of this script cannot be trapped: the service pids are kept in var/run.pids (the
#     broker's in var/kafka/kafka.pid), and the next make run stops what is still alive of them.
# Sourcing this file defines the functions without running anything (tests/test_run_script.py).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

kafka_port="${HOMEBED_KAFKA_PORT:-9092}"
kafka_data="$root/var/kafka"
pidfile="$root/var/run.pids"   # "<pid> <what>" lines: "<pid> run.sh", then "<pid> <module>"
runlog="$root/var/log/run.log" # this script's own messages, readable even when stdout died

# name  module  port  [nice  role: iot-ingest's, or NAME=value for another service's setting]
services=(
  "gateway gateway.main:app 8000"
  "svc-intake intake.main:app 8001"
  "svc-service-records service_records.main:app 8002"
  "svc-iot-ingest iot_ingest.main:app 8003 0 alarm-lane"
  "svc-referral referral.main:app 8004"
  "svc-subsidy subsidy.main:app 8005"
  "city-platform-stub reporting.city_platform_stub:app 8017"
  "svc-reporting reporting.main:app 8007"
  "sms-stub notify.sms_stub:app 8016"
  "svc-notify notify.main:app 8006 0 HOMEBED_NOTIFY_ROLE=api"
)
# svc-iot-ingest's other processes (its README, "Running"): they share its database, so they
# start once it is ready (migrated). Bulk work at a lower CPU priority than the alarm lane
# (issue 15): the telemetry lane at nice 5, the rule engine and storage worker (no port) at 10.
followers=(
  "svc-iot-ingest-telemetry iot_ingest.main:app 8013 5 telemetry-lane"
  "svc-iot-ingest-worker iot_ingest.worker - 10 worker"
  # svc-notify's dispatcher (SMS, voice, webhooks, digests) and repeat sweep (its README,
  # "Processes"): below the API process that carries a fall to the phone
  "svc-notify-worker notify.main:app 8026 5 HOMEBED_NOTIFY_ROLE=worker"
)
pids=()

# Output that can never fail: SIGPIPE is ignored (main, arm_shutdown), so a write to a closed
# pipe or a hung-up terminal returns an error, which these swallow.
# (bash's own "write error" message goes to the 2>/dev/null, after >&2 has picked the target.)
say() {
  printf '%(%F %T)T %s\n' -1 "$*" >>"$runlog" 2>/dev/null || true
  printf '%s\n' "$*" 2>/dev/null || true
}
warn() {
  printf '%(%F %T)T %s\n' -1 "$*" >>"$runlog" 2>/dev/null || true
  printf '%s\n' "$*" >&2 2>/dev/null || true
}
# shellcheck disable=SC2059  # out takes printf's own arguments, format first
out() { printf "$@" 2>/dev/null || true; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# is_ours PID GLOB: PID is alive and its command line matches GLOB (guards against reused pids).
is_ours() {
  local args
  args="$(ps -ww -o args= -p "$1" 2>/dev/null)" || return 1
  # shellcheck disable=SC2053  # $2 is a glob on purpose
  [[ "$args" == $2 ]]
}
service_glob() {
  case "$1" in
    *:*) printf '%s' "*/.venv/bin/python -m uvicorn $1 *" ;; # an ASGI app
    *) printf '%s' "*/.venv/bin/python -m $1" ;;              # a worker module
  esac
}

# start_service NAME MODULE PORT [NICE [ROLE]]: in a session of its own (see the top), at NICE.
# With sched_autogroup (most Linux kernels) the CPU is shared between sessions first and a nice
# level only orders the processes of one session, so the session's autogroup gets it too.
start_service() {
  local name="$1" module="$2" port="$3" nice="${4:-0}" role="${5:-}" command
  case "$role" in *=*) ;; ?*) role="HOMEBED_IOT_INGEST_ROLE=$role" ;; esac
  if [ "$port" = "-" ]; then
    command=("$root/.venv/bin/python" -m "$module")
  else
    # The interpreter itself (not a wrapper) gets the pid, so the stop signal reaches the server.
    command=("$root/.venv/bin/python" -m uvicorn "$module" --host 127.0.0.1 --port "$port"
      --no-access-log --no-proxy-headers)
  fi
  # Each of setsid, bash, env and nice execs the next: $! is the interpreter's pid. The new
  # session's autogroup takes the nice level from inside it (no autogroups: nice alone).
  # shellcheck disable=SC2016  # expanded by the inner bash
  setsid bash -c 'printf %s "$0" >/proc/self/autogroup 2>/dev/null; exec "$@"' "$nice" \
    env ${role:+"$role"} nice -n "$nice" "${command[@]}" \
    >"var/log/$name.log" 2>&1 </dev/null &
  pids+=("$!")
  printf '%s %s\n' "$!" "$module" >>"$pidfile"
}

wait_ready() { # NAME PORT DEADLINE
  until curl -fsS "http://127.0.0.1:$2/readyz" >/dev/null 2>&1; do
    if [ "$SECONDS" -gt "$3" ]; then
      warn "ERROR: $1 did not become ready in 90 s; see var/log/$1.log"
      tail -20 "var/log/$1.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  say "  $1 ready"
}
kafka_glob() { printf '%s' "* kafka.Kafka $kafka_data/server.properties*"; }

# TERM, up to 15 s to exit cleanly, then KILL.
stop_pids() {
  local pid alive
  [ "$#" -gt 0 ] || return 0
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 60); do
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.25
  done
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
}

stop_kafka() {
  bash "$root/deploy/kafka/kafka.sh" stop "$kafka_data" >>"$runlog" 2>&1 || true
}

# The pids in var/run.pids are only leftovers when the make run that wrote them is gone.
refuse_if_running() {
  local pid what
  [ -f "$pidfile" ] || return 0
  while read -r pid what; do
    if [ "$what" = run.sh ] && [ "$pid" != "$$" ] && is_ours "$pid" "*bash*scripts/run.sh*"; then
      warn "make run is already running here (pid $pid); stop it first (Ctrl-C or kill $pid)."
      exit 1
    fi
  done <"$pidfile"
}

# Stop what an earlier make run left running (it was killed with -9, or it predates
# var/run.pids): only processes whose command line is still the one we started.
stop_leftovers() {
  local pid what left=() kpid
  if [ -f "$pidfile" ]; then
    while read -r pid what; do
      if [[ ! "$pid" =~ ^[0-9]+$ ]] || [ "$what" = run.sh ]; then continue; fi
      if is_ours "$pid" "$(service_glob "$what")"; then left+=("$pid"); fi
    done <"$pidfile"
  fi
  if [ "${#left[@]}" -gt 0 ]; then
    say "stopping services left running by an earlier make run (pids ${left[*]}) ..."
    stop_pids "${left[@]}"
  fi
  kpid="$(cat "$kafka_data/kafka.pid" 2>/dev/null || true)"
  if [[ "$kpid" =~ ^[0-9]+$ ]] && kill -0 "$kpid" 2>/dev/null; then
    if is_ours "$kpid" "$(kafka_glob)"; then
      say "stopping Kafka left running by an earlier make run (pid $kpid) ..."
      stop_kafka
    else
      rm -f "$kafka_data/kafka.pid" # a stale pid, now some other process: never signal it
    fi
  fi
  rm -f "$pidfile"
}

shutdown() {
  local rc="${1:-0}"
  # Nothing may cut the ordered stop short: not a second Ctrl-C, not a failed write (set +e).
  trap '' INT TERM HUP PIPE
  trap - EXIT
  set +e
  say ""
  say "stopping services ..."
  stop_pids "${pids[@]}"
  stop_kafka
  rm -f "$pidfile"
  say "all stopped."
  exit "$rc"
}

arm_shutdown() {
  trap '' PIPE
  trap 'shutdown 0' INT TERM HUP
  trap 'shutdown $?' EXIT
}

main() {
  trap '' PIPE
  cd "$root"
  if ! command -v java >/dev/null 2>&1; then
    echo "make run needs Java 17+ for the Kafka broker, and it is not installed." >&2
    echo "Install a JDK (e.g. apt-get install openjdk-17-jre-headless) and run make run again." >&2
    exit 3
  fi
  # shellcheck source=scripts/ensure-tools.sh
  source scripts/ensure-tools.sh

  export HOMEBED_KAFKA_BOOTSTRAP="127.0.0.1:$kafka_port"
  export HOMEBED_ENV=dev
  # svc-notify's webhooks reach public addresses only; make run's receivers are local
  export HOMEBED_NOTIFY_WEBHOOK_ALLOWED_HOSTS="${HOMEBED_NOTIFY_WEBHOOK_ALLOWED_HOSTS:-127.0.0.1,localhost}"
  mkdir -p var/log
  refuse_if_running
  : >"$runlog"
  stop_leftovers
  printf '%s run.sh\n' "$$" >"$pidfile"
  arm_shutdown

  say "==> Kafka (KRaft) on 127.0.0.1:$kafka_port"
  bash deploy/kafka/kafka.sh start "$kafka_data" "$kafka_port"
  say "==> topics"
  $UV run python -m chassis.kafka.topics --bootstrap "$HOMEBED_KAFKA_BOOTSTRAP" >/dev/null

  say "==> services"
  local entry name module port nice role
  for entry in "${services[@]}" "${followers[@]}"; do
    read -r name module port nice role <<<"$entry"
    if [ "$port" != "-" ] && port_open "$port"; then
      warn "ERROR: port $port ($name) is taken by another process (see: pgrep -af uvicorn)."
      exit 1
    fi
  done
  for entry in "${services[@]}"; do
    read -r name module port nice role <<<"$entry"
    start_service "$name" "$module" "$port" "$nice" "$role"
  done

  local deadline=$((SECONDS + 90))
  for entry in "${services[@]}"; do
    read -r name module port nice role <<<"$entry"
    wait_ready "$name" "$port" "$deadline"
  done
  for entry in "${followers[@]}"; do
    read -r name module port nice role <<<"$entry"
    start_service "$name" "$module" "$port" "$nice" "$role"
  done
  deadline=$((SECONDS + 90))
  for entry in "${followers[@]}"; do
    read -r name module port nice role <<<"$entry"
    if [ "$port" != "-" ]; then wait_ready "$name" "$port" "$deadline"; fi
  done

  out '\n%-26s %-28s %s\n' SERVICE URL READINESS
  for entry in "${services[@]}" "${followers[@]}"; do
    read -r name module port nice role <<<"$entry"
    if [ "$port" = "-" ]; then
      out '%-26s %-28s %s\n' "$name" "(no HTTP, nice $nice)" "var/log/$name.log"
    else
      out '%-26s %-28s %s\n' "$name" "http://127.0.0.1:$port" "http://127.0.0.1:$port/readyz"
    fi
  done
  out '%-26s %-28s\n' "kafka" "127.0.0.1:$kafka_port"
  if $UV run python -c "import gateway.cli" >/dev/null 2>&1; then
    out '\nDev tokens (Authorization: Bearer <token>), one per role:\n'
    $UV run python -m gateway.cli dev-tokens || true
  fi
  out '\nLogs in var/log/. Press Ctrl-C to stop everything.\n'
  wait -n "${pids[@]}" || true
  warn "a service exited; see var/log/"
  exit 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
