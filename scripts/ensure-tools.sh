#!/usr/bin/env bash
# Installs what the project needs that may be missing on a fresh machine: uv and the locked deps.
# Sourced by the Makefile's scripts; exports UV (the uv command to use).
set -euo pipefail
if command -v uv >/dev/null 2>&1; then
  UV=uv
elif python3 -m uv --version >/dev/null 2>&1; then
  UV="python3 -m uv"
else
  echo "setup: installing uv from PyPI ..." >&2
  python3 -m pip install --quiet --disable-pip-version-check uv >&2
  if command -v uv >/dev/null 2>&1; then UV=uv; else UV="python3 -m uv"; fi
fi
export UV
export UV_PYTHON="${UV_PYTHON:-python3.11}"
echo "setup: syncing the locked Python dependencies ..." >&2
$UV sync --frozen --quiet >&2
