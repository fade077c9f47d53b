#!/usr/bin/env bash
# make run: Kafka + the six services on SQLite under var/. Ctrl-C stops everything, in order.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v java >/dev/null 2>&1; then
  echo "make run needs Java 17+ for the Kafka broker, and it is not installed." >&2
  echo "Install a JDK (e.g. apt-get install openjdk-17-jre-headless) and run make run again." >&2
  exit 3
fi
source scripts/ensure-tools.sh

kafka_port="${HOMEBED_KAFKA_PORT:-9092}"
kafka_data="$root/var/kafka"
mkdir -p var/log
export HOMEBED_KAFKA_BOOTSTRAP="127.0.0.1:$kafka_port"
export HOMEBED_ENV=dev

# name  module  port
services=(
  "gateway gateway.main:app 8000"
  "svc-intake intake.main:app 8001"
  "svc-service-records service_records.main:app 8002"
  "svc-iot-ingest iot_ingest.main:app 8003"
  "svc-referral referral.main:app 8004"
  "svc-subsidy subsidy.main:app 8005"
)
pids=()

shutdown() {
  # A second Ctrl-C must not cut the ordered stop short and leave orphans behind.
  trap '' INT TERM PIPE
  trap - EXIT
  echo; echo "stopping services ..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 60); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  bash deploy/kafka/kafka.sh stop "$kafka_data" || true
  echo "all stopped."
  exit 0
}
trap shutdown INT TERM EXIT

echo "==> Kafka (KRaft) on 127.0.0.1:$kafka_port"
bash deploy/kafka/kafka.sh start "$kafka_data" "$kafka_port"
echo "==> topics"
$UV run python -m chassis.kafka.topics --bootstrap "$HOMEBED_KAFKA_BOOTSTRAP" >/dev/null

echo "==> services"
for entry in "${services[@]}"; do
  read -r name module port <<<"$entry"
  # The interpreter itself (not a wrapper) gets the pid, so the stop signal reaches the server.
  setsid "$root/.venv/bin/python" -m uvicorn "$module" --host 127.0.0.1 --port "$port" --no-access-log --no-proxy-headers \
    >"var/log/$name.log" 2>&1 </dev/null &
  pids+=("$!")
done

deadline=$((SECONDS + 90))
for entry in "${services[@]}"; do
  read -r name module port <<<"$entry"
  until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    if [ "$SECONDS" -gt "$deadline" ]; then
      echo "ERROR: $name did not become ready in 90 s; see var/log/$name.log" >&2
      tail -20 "var/log/$name.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "  $name ready"
done

printf '\n%-22s %-28s %s\n' SERVICE URL READINESS
for entry in "${services[@]}"; do
  read -r name module port <<<"$entry"
  printf '%-22s %-28s %s\n' "$name" "http://127.0.0.1:$port" "http://127.0.0.1:$port/readyz"
done
printf '%-22s %-28s\n' "kafka" "127.0.0.1:$kafka_port"
if $UV run python -c "import gateway.cli" >/dev/null 2>&1; then
  echo; echo "Dev tokens (Authorization: Bearer <token>), one per role:"
  $UV run python -m gateway.cli dev-tokens || true
fi
echo; echo "Logs in var/log/. Press Ctrl-C to stop everything."
wait -n "${pids[@]}" || true
echo "a service exited; see var/log/" >&2
