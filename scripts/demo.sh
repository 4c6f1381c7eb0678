#!/usr/bin/env bash
# Installs what is missing, builds kiln, and runs it on the bundled example models: compile the
# traced PyTorch module to ONNX (validated against libtorch), inspect the ONNX model, print its
# textual IR, and convert it to another opset.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
kiln="${KILN_BUILD_DIR:-$root/build}/kiln"
example="$root/docs/examples/tiny_cnn.onnx"
traced="$root/docs/examples/tiny_cnn.pt"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

set -x
"$kiln" compile "$traced" --input-shape image=1x3x32x32 --output-names probabilities --opset 17 \
        --summary -o "$out/tiny_cnn_from_torch.onnx"
"$kiln" validate "$traced" "$out/tiny_cnn_from_torch.onnx"
"$kiln" inspect "$example"
"$kiln" compile "$example" --emit ir
"$kiln" convert "$example" --opset 17 -o "$out/tiny_cnn_op17.onnx"
"$kiln" inspect "$out/tiny_cnn_op17.onnx" --json
