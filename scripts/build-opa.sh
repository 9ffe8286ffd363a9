#!/usr/bin/env bash
# Build the pinned OPA release from its Go module into the given path.
# Skips the build when the binary there already reports the pinned version.
set -euo pipefail
version="$1"
target="$2"
if [ -x "$target" ] && "$target" version 2>/dev/null | grep -qx "Version: ${version#v}"; then
  touch "$target"
  exit 0
fi
command -v go >/dev/null || { echo "build-opa: the Go toolchain is required to build OPA" >&2; exit 1; }
bindir="$(cd "$(dirname "$target")" 2>/dev/null && pwd || { mkdir -p "$(dirname "$target")"; cd "$(dirname "$target")" && pwd; })"
echo "build-opa: building github.com/open-policy-agent/opa@${version} (first build takes a few minutes)" >&2
GOBIN="$bindir" GOFLAGS=-trimpath go install "github.com/open-policy-agent/opa@${version}"
"$target" version | head -1
