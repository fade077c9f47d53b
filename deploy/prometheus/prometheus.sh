#!/usr/bin/env bash
# Prometheus from Debian's packages, installed when missing (machines run as root).
#   prometheus.sh ensure      install if missing; print the binary's path
set -euo pipefail
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" != "0" ]; then
    echo "ERROR: Prometheus is missing; install Debian's 'prometheus' package." >&2
    exit 3
  fi
  echo "prometheus: installing from Debian's packages ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends prometheus >&2 \
    || { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends prometheus >&2; }
  # The package may start its own daemon where an init system runs; ours are started per test.
fi
command -v prometheus
