#!/usr/bin/env bash
# The real Apache Kafka broker (KRaft, single node) from Maven Central jars; no Docker.
#   kafka.sh fetch                      resolve the broker jars into the cache (outside git)
#   kafka.sh start DATA_DIR PORT [--fresh]   format storage if needed, start, wait until ready
#   kafka.sh stop DATA_DIR              stop the broker started with that data dir
#   kafka.sh status DATA_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
cache="${HOMEBED_CACHE_DIR:-$HOME/.cache/homebed}/kafka-$version"
libs="$cache/libs"

need_java() {
  if ! command -v java >/dev/null 2>&1; then
    echo "ERROR: Java 17+ is required to run the Kafka broker (install a JDK, e.g. apt-get install openjdk-17-jre-headless)." >&2
    exit 3
  fi
}

fetch() {
  need_java
  if [ -f "$libs/.complete" ]; then return 0; fi
  if ! command -v mvn >/dev/null 2>&1; then
    echo "ERROR: Maven is required once to fetch the Kafka $version jars from Maven Central (apt-get install maven)." >&2
    exit 3
  fi
  echo "kafka: resolving Apache Kafka $version jars from Maven Central into $libs ..." >&2
  rm -rf "$libs"; mkdir -p "$libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$libs" >&2
  touch "$libs/.complete"
}

java_cmd() {
  java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m} -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.yaml" -cp "$libs/*" "$@"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  local data="$1" port="$2" fresh="${3:-}"
  local cport=$((port + 1))
  fetch
  if [ -f "$data/kafka.pid" ] && kill -0 "$(cat "$data/kafka.pid")" 2>/dev/null; then
    echo "kafka: already running on 127.0.0.1:$port (pid $(cat "$data/kafka.pid"))" >&2
    return 0
  fi
  if port_open "$port"; then
    echo "ERROR: port $port is taken by another process; set another port." >&2
    exit 4
  fi
  if [ "$fresh" = "--fresh" ]; then rm -rf "$data"; fi
  mkdir -p "$data"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$cport|g" -e "s|@DATA_DIR@|$data|g" \
    "$here/server.properties.template" > "$data/server.properties"
  if [ ! -f "$data/log/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid)"
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" \
      --standalone >"$data/format.log" 2>&1
  fi
  # setsid: the broker must not receive the terminal's Ctrl-C before we stop it in order.
  # setsid: the broker must not get the terminal's Ctrl-C; the caller stops it in order.
  setsid nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m} -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.yaml" -cp "$libs/*" \
    kafka.Kafka "$data/server.properties" >"$data/kafka.log" 2>&1 </dev/null &
  echo $! > "$data/kafka.pid"
  local waited=0
  until grep -q "Kafka Server started\|Transitioning from RECOVERY to RUNNING\|started (kafka.server.KafkaRaftServer)" "$data/kafka.log" 2>/dev/null && port_open "$port"; do
    if ! kill -0 "$(cat "$data/kafka.pid")" 2>/dev/null; then
      echo "ERROR: the Kafka broker exited; last lines of $data/kafka.log:" >&2
      tail -20 "$data/kafka.log" >&2
      exit 5
    fi
    sleep 0.5; waited=$((waited + 1))
    if [ "$waited" -gt 240 ]; then echo "ERROR: Kafka did not start within 120 s" >&2; exit 5; fi
  done
  echo "kafka: ready on 127.0.0.1:$port (pid $(cat "$data/kafka.pid"))" >&2
}

stop() {
  local data="$1"
  [ -f "$data/kafka.pid" ] || return 0
  local pid; pid="$(cat "$data/kafka.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$data/kafka.pid"
  echo "kafka: stopped" >&2
}

status() {
  local data="$1"
  if [ -f "$data/kafka.pid" ] && kill -0 "$(cat "$data/kafka.pid")" 2>/dev/null; then
    echo "running (pid $(cat "$data/kafka.pid"))"
  else
    echo "stopped"; return 1
  fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  fetch) fetch ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  status) status "$@" ;;
  *) echo "usage: kafka.sh fetch|start DATA_DIR PORT [--fresh]|stop DATA_DIR|status DATA_DIR" >&2; exit 2 ;;
esac
