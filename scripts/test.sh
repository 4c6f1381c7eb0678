#!/usr/bin/env bash
# Installs what is missing, builds kiln and runs every test (unit, golden IR, end-to-end
# against ONNX Runtime). This is the README's test command and what CI runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build="${KILN_BUILD_DIR:-$root/build}"
ctest --test-dir "$build" --output-on-failure -j "${KILN_JOBS:-$(nproc)}" "$@"
