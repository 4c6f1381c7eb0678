#!/usr/bin/env bash
# Builds kiln with AddressSanitizer + UndefinedBehaviorSanitizer (-DKILN_SANITIZE=ON) into
# build-asan/ and runs tests under it. Any sanitizer report fails the run (UBSan is built with
# -fno-sanitize-recover, ASan aborts on the first error).
#
#   scripts/sanitize.sh            CI size: unit tests of ir, onnx and tools, the golden IR tests,
#                                  both bad-input corpora and a 500-mutant mutation smoke
#   scripts/sanitize.sh --full     the whole ctest suite under the sanitizers (docs/security.md)
#   scripts/sanitize.sh -- ARGS    extra ctest arguments (e.g. -R golden)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KILN_ASAN_BUILD_DIR:-$root/build-asan}"
jobs="${KILN_JOBS:-$(nproc)}"
full=0
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --full) full=1 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: scripts/sanitize.sh [--full] [-- CTEST_ARGS]" >&2; exit 2 ;;
  esac
  shift
done

export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
# libtorch and LLVM are not instrumented; their allocations are fine to leave to LeakSanitizer's
# suppressions (docs/security.md). protobuf keeps global descriptors alive until exit on purpose.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_odr_violation=0}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKILN_SANITIZE=ON -DKILN_BUILD_BENCH=OFF
fi

if [[ $full == 1 ]]; then
  ninja -C "$build" -j "$jobs"
  ctest --test-dir "$build" --output-on-failure -j "$jobs" "${extra[@]}"
  exit
fi

# The CI-sized part: what parses untrusted input, and the command line end to end.
units=(kiln_ir_tests kiln_onnx_tests kiln_tools_tests)
ninja -C "$build" -j "$jobs" kiln kiln_golden_runner "${units[@]}"
for unit in "${units[@]}"; do
  echo "== $unit"
  "$build/tests/$unit" --gtest_brief=1
done
ctest --test-dir "$build" --output-on-failure -j "$jobs" -R '^(golden\.|e2e\.bad_inputs|e2e\.bad_input_corpus)' \
  "${extra[@]}"
/usr/bin/python3 "$root/tests/e2e/mutate.py" "$build/kiln" "$root/build/e2e/corpus" "$build/e2e/mutate" --mutants 500
