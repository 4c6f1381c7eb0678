#!/usr/bin/env bash
# Installs everything kiln needs to build and test on Debian 12, and nothing it already has.
# Idempotent: a second run only checks. Debian packages via apt-get; the test-only ONNX Runtime
# oracle via npm (its install script downloads and fails offline; the CPU library ships inside).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # ONNX protobuf, checker, shape inference
  libonnx-dev libprotobuf-dev protobuf-compiler
  # TorchScript frontend and libtorch oracle; OpenBLAS so libtorch's matmuls are not 17x slower
  libtorch-dev libopenblas-dev
  # code generation (LLVM's CMake config needs zstd)
  llvm-16-dev libzstd-dev
  # libraries
  libeigen3-dev libcli11-dev libfmt-dev nlohmann-json3-dev zlib1g-dev libxxhash-dev
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # bench/run.sh's chart of the ratios against peers (bench only)
  gnuplot-nox
  # libFuzzer targets (fuzz/, scripts/fuzz.sh, ctest fuzz.smoke)
  clang libclang-rt-14-dev
  # test model generation only
  python3 python3-numpy python3-torch python3-torchvision python3-onnx
)
# The ONNX Runtime oracle runs on Node.js with npm; a machine that already has both (from any
# source) keeps them, since Debian's npm conflicts with other Node.js installs.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: Debian packages present"
fi

if [[ ! -d "$root/tests/oracle/node_modules/onnxruntime-node" ]]; then
  echo "install-deps: installing onnxruntime-node (test oracle)"
  (cd "$root/tests/oracle" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
