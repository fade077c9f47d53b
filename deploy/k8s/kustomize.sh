#!/usr/bin/env bash
# kustomize, built from the Go module proxy (sigs.k8s.io/kustomize/kustomize/v5, pinned) into
# .cache/bin the first time (a few minutes; Go is on the project's machines), for make test to
# render deploy/k8s/overlays (tests/test_k8s_manifests.py).
#   kustomize.sh ensure   build if missing; print the binary's path
#   kustomize.sh path     print the binary's path if it is built; exit 1 otherwise
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version="v5.5.0"
bin_dir="$root/.cache/bin"
binary="$bin_dir/kustomize-$version"

case "${1:-}" in
  path)
    [ -x "$binary" ] || exit 1
    echo "$binary"
    ;;
  ensure)
    if [ ! -x "$binary" ]; then
      if ! command -v go >/dev/null 2>&1; then
        echo "ERROR: kustomize is built with Go (go install); Go is missing." >&2
        exit 3
      fi
      echo "kustomize: building $version from the Go module proxy ..." >&2
      mkdir -p "$bin_dir"
      tmp="$(mktemp -d)"
      trap 'rm -rf "$tmp"' EXIT
      (cd "$tmp" && GOBIN="$tmp" go install "sigs.k8s.io/kustomize/kustomize/v5@$version" >&2)
      mv "$tmp/kustomize" "$binary"
    fi
    echo "$binary"
    ;;
  *)
    echo "usage: $0 ensure|path" >&2
    exit 2
    ;;
esac
