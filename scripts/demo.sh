#!/usr/bin/env bash
# Installs what is missing, builds kiln, and runs it on the bundled example model:
# inspect it, print its textual IR, and convert it to another opset.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
kiln="${KILN_BUILD_DIR:-$root/build}/kiln"
example="$root/docs/examples/tiny_cnn.onnx"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

set -x
"$kiln" inspect "$example"
"$kiln" compile "$example" --emit ir
"$kiln" convert "$example" --opset 17 -o "$out/tiny_cnn_op17.onnx"
"$kiln" inspect "$out/tiny_cnn_op17.onnx" --json
