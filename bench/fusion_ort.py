#!/usr/bin/python3
"""ONNX Runtime running kiln's -O2 output with ORT's own graph optimizations disabled, against ORT
running the original model with all its optimizations, in the same run, at 1 and 2 threads.
A ratio <= 1.0 means kiln's graph alone is at least as fast as ORT's optimizer on the original.

    bench/fusion_ort.py KILN CORPUS_DIR WORK_DIR [--rounds R] [--iters K]

kiln's output is compiled twice: the default emission (standard ONNX only) and
`--target-runtime onnxruntime` (fused ops as ORT's com.microsoft contrib ops), each with its
ratio. Prints a Markdown table (median of per-round medians; the sides alternate every round so
machine load hits them alike), then the same table from minima: on a shared machine run times are
bimodal (a run that outlasts its scheduler slice waits for the next one), which can put the
median of a short run and of a slightly longer one in different modes; the minimum is each
side's own cost. Two more columns separate the effects: ORT with optimizations off
on the original (what kiln's graph rewriting alone gains) and ORT with all optimizations on
kiln's default output (whether kiln's rewriting gets in the way of ORT's).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMER = os.path.join(ROOT, "bench", "ort_infer_time.js")
MODELS = ["resnet18_op17", "mobilenet_v3_small_op17", "transformer_encoder_op17", "transformer_encoder_op14",
          "bert_like_op17"]


def time_ms(model, inputs, threads, opt, iters):
    """(median, minimum) of one timer run, in ms."""
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    out = subprocess.run(["node", TIMER, model, inputs, "--threads", str(threads), "--opt", opt, "--iters", str(iters)],
                         capture_output=True, text=True, check=True, env=env).stdout
    j = json.loads(out)
    return j["median_ms"], j["min_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kiln")
    ap.add_argument("corpus")
    ap.add_argument("work")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iters", type=int, default=30)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    rows = []
    for stem in MODELS:
        src = os.path.join(a.corpus, stem + ".onnx")
        if not os.path.exists(src):
            continue
        inputs = os.path.join(a.corpus, stem + ".inputs.npz")
        files = {"orig": src}
        for which, extra in (("kiln", []), ("ort", ["--target-runtime", "onnxruntime", "--no-validate"])):
            files[which] = os.path.join(a.work, f"{stem}.{which}.onnx")
            subprocess.run([a.kiln, "compile", src, "-O2", "-o", files[which], "--force"] + extra, check=True,
                           capture_output=True)
        for threads in (1, 2):
            sides = {("orig", "all"): [], ("kiln", "disabled"): [], ("ort", "disabled"): [], ("orig", "disabled"): [],
                     ("kiln", "all"): []}
            for _ in range(a.rounds):
                for (which, opt), times in sides.items():
                    times.append(time_ms(files[which], inputs, threads, opt, a.iters))
            rows.append((stem, threads, [statistics.median(t[0] for t in ts) for ts in sides.values()],
                         [min(t[1] for t in ts) for ts in sides.values()]))
            print(f"  measured {stem} threads={threads}", file=sys.stderr, flush=True)
    for title, pick in (("Median of per-round medians", 2), ("Minimum over all runs", 3)):
        print(f"\n{title}:\n")
        print_table([(r[0], r[1], r[pick]) for r in rows])


def print_table(rows):
    print("| model | threads | ORT all-opt, original (ms) | ORT no-opt, kiln -O2 (ms) | ratio kiln/ORT "
          "| ORT no-opt, kiln -O2 ORT target (ms) | ratio ORT target/ORT "
          "| ORT no-opt, original (ms) | ORT all-opt, kiln -O2 (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for stem, threads, (o, k, r, od, ka) in rows:
        print(f"| {stem} | {threads} | {o:.3f} | {k:.3f} | {k / o:.2f} | {r:.3f} | {r / o:.2f} | {od:.3f} | {ka:.3f} |",
              flush=True)


if __name__ == "__main__":
    main()
