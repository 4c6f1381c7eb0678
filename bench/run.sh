#!/usr/bin/env bash
# kiln against its peers in one command: builds what it needs, generates the benchmark models
# (torch/torchvision, random weights), measures kiln JIT, kiln AOT library, ONNX Runtime on
# kiln's -O2 output, ONNX Runtime on the original and libtorch on the frozen trace at 1 and 2
# threads, plus compile times, pass shares, a roofline of the top kernels and the machine's
# measured peak and bandwidth. Writes bench/results/latest.json, bench/results/ratios.png and the
# generated section of docs/benchmarks.md. See docs/benchmarks.md.
#
#   bench/run.sh [--quick] [--models a,b] [--threads 1,2] [--runs N] [--warmup N] [--rounds R]
#                [--spin-wait] [--out DIR] [--work DIR] [--build DIR] [--no-build]
#
# --quick    smoke run: the MLP only (unless --models), 5 runs after 1 warm-up, no roofline
# --rounds R split each figure's timed runs into R rounds that alternate the columns (default 2)
# --spin-wait let ONNX Runtime's and libtorch's idle threads spin-wait (their defaults; off by
#            default because on a shared machine spinning threads steal the working thread's core)
# --out DIR  write latest.json, table.md and ratios.png to DIR instead of bench/results; then
#            docs/benchmarks.md is left alone (its table.md is the section it would get)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
extra_args=()
out="" work="" models="" threads="1,2" runs="" warmup="" rounds="" quick=0 do_build=1

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --models) models="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --out) out="$2"; shift ;;
    --work) work="$2"; shift ;;
    --build) build="$2"; shift ;;
    --no-build) do_build=0 ;;
    --spin-wait) extra_args+=(--spin-wait) ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

doc_args=()
if [[ -z "$out" ]]; then
  out="$root/bench/results"
  doc_args=(--doc "$root/docs/benchmarks.md")
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if ((quick)); then
  : "${models:=mlp}" "${runs:=5}" "${warmup:=1}" "${rounds:=1}"
else
  : "${models:=resnet18,resnet50,mobilenet_v3_small,efficientnet_b0,bert_seq32,bert_seq128,bert_seq512,lstm,mlp}"
  : "${runs:=30}" "${warmup:=3}" "${rounds:=2}"
fi
: "${work:=$build/bench-work}"

if ((do_build)); then
  # Only what the benchmark runs; Ninja makes this a no-op when the build is current.
  if [[ ! -f "$build/build.ninja" ]]; then
    export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${KILN_BUILD_TYPE:-RelWithDebInfo}"
  fi
  ninja -C "$build" -j "${KILN_JOBS:-2}" kiln kiln_peak_probe kiln_bandwidth_probe
fi

# The chart needs gnuplot (Debian gnuplot-nox, in scripts/install-deps.sh's list). A full run
# installs it through that script; a smoke run only notes its absence.
if ! command -v gnuplot >/dev/null && ((!quick)); then
  bash "$root/scripts/install-deps.sh" || echo "bench/run.sh: gnuplot unavailable, no chart" >&2
fi

quick_args=()
((quick)) && quick_args=(--quick)
exec /usr/bin/python3 "$root/bench/suite.py" --build "$build" --work "$work" --out "$out" \
  --models "$models" --threads "$threads" --runs "$runs" --warmup "$warmup" --rounds "$rounds" "${quick_args[@]}" "${extra_args[@]}" "${doc_args[@]}"
