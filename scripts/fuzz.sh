#!/usr/bin/env bash
# Builds kiln's libFuzzer targets (fuzz/, clang, ASan + UBSan) into build-fuzz/ and runs each
# for SECONDS (default 30: the CI size). Checked-in regression inputs (fuzz/regressions/<target>/)
# are replayed first and must all pass. A crash leaves its input in build-fuzz/artifacts/<target>/
# and makes the script fail. docs/security.md has the longer run.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 600 onnx_import_fuzzer
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KILN_FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${KILN_JOBS:-2}"
seconds="${1:-30}"
# libFuzzer's seed: 0 picks a random one; CI sets KILN_FUZZ_SEED so that its short run replays the
# same mutations every time instead of failing on whichever new input chance finds first.
seed="${KILN_FUZZ_SEED:-0}"
shift || true
targets=("$@")
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
# Leaks are reported by LeakSanitizer at exit of each run; UBSan stops at the first report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# libtorch's process-lifetime registries (torchscript_fuzzer) are not leaks of kiln's.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp:print_suppressions=0}"

if [[ ! -f "$build/build.ninja" ]]; then
  CC="${KILN_FUZZ_CC:-clang}" CXX="${KILN_FUZZ_CXX:-clang++}" \
    cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(onnx_import_fuzzer ir_parser_fuzzer npy_fuzzer shape_option_fuzzer)
  # Configured only where libtorch is found (fuzz/CMakeLists.txt).
  ninja -C "$build" -t query torchscript_fuzzer > /dev/null 2>&1 && targets+=(torchscript_fuzzer)
fi
ninja -C "$build" -j "$jobs" "${targets[@]}"
/usr/bin/python3 "$root/fuzz/make_seeds.py" "$build/seeds"

status=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t" "$build/seeds/$t"
  regressions="$root/fuzz/regressions/$t"
  if compgen -G "$regressions/*" > /dev/null; then
    echo "== $t: replaying $(ls "$regressions" | wc -l) regression inputs"
    "$build/$t" -rss_limit_mb=2048 -timeout=10 "$regressions"/* > "$build/artifacts/$t/regressions.log" 2>&1 ||
      { echo "FAIL $t: a regression input fails again (see $build/artifacts/$t/regressions.log)"; status=1; continue; }
  fi
  echo "== $t: fuzzing for ${seconds}s"
  if ! "$build/$t" -max_total_time="$seconds" -seed="$seed" -rss_limit_mb=2048 -timeout=10 -max_len=262144 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
      "$build/corpus/$t" "$build/seeds/$t" > "$build/artifacts/$t/fuzz.log" 2>&1; then
    echo "FAIL $t: see $build/artifacts/$t/fuzz.log; the input is in $build/artifacts/$t/"
    grep -m3 -E "ERROR|runtime error|Test unit written" "$build/artifacts/$t/fuzz.log" || true
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/artifacts/$t/fuzz.log" | tr '\n' ' '
    echo
    echo "ok   $t"
  fi
done
exit $status
