#!/usr/bin/python3
"""A model library (`kiln compile --emit lib`) against the JIT of the same optimized model
(`kiln bench --backend jit`) and ONNX Runtime on the original, at 1 and 2 threads: library load
+ create time, per-run median latency, and library size against the model's weight bytes.

    bench/aot_bench.py KILN CORPUS_DIR WORK_DIR [--rounds R] [--iters K] [--models a,b]

Prints a Markdown table: over R rounds of each side's median, the median and the best (the sides
alternate every round so machine load hits them alike; on a shared machine the best round is
the steadier figure). docs/aot.md quotes it.
"""
import argparse
import json
import os
import statistics
import subprocess

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORT_TIMER = os.path.join(ROOT, "bench", "ort_infer_time.js")


def sh(cmd, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kiln")
    ap.add_argument("corpus")
    ap.add_argument("work")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--models", default="resnet18_op17,mobilenet_v3_small_op17,squeezenet1_1_op17")
    ap.add_argument("--threads", default="1,2")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    timer = os.path.join(a.work, "aot_bench")
    sh(["cc", "-std=c99", "-O2", "-o", timer, os.path.join(ROOT, "bench", "aot_bench.c"), "-ldl"])
    rows = []
    for stem in a.models.split(","):
        model = os.path.join(a.corpus, stem + ".onnx")
        inputs = os.path.join(a.corpus, stem + ".inputs.npz")
        x = np.load(inputs)["input"].astype(np.float32)
        raw = os.path.join(a.work, stem + ".in.bin")
        x.tofile(raw)
        dims = "x".join(str(d) for d in x.shape)
        name = stem.replace("-", "_")
        lib = os.path.join(a.work, "lib" + name + ".so")
        ext = os.path.join(a.work, "ext_" + name + ".so")
        optimized = os.path.join(a.work, stem + ".O2.onnx")
        sh([a.kiln, "compile", model, "--emit", "lib", "-o", lib, "--name", name])
        sh([a.kiln, "compile", model, "--emit", "lib", "-o", ext, "--name", name, "--weights", "external"])
        sh([a.kiln, "compile", model, "-o", optimized, "--no-validate"])
        weights = os.path.getsize(ext + ".weights")
        for threads in [int(t) for t in a.threads.split(",")]:
            aot, jit, ort, create = [], [], [], []
            for _ in range(a.rounds):
                r = json.loads(sh([timer, lib, name, raw, dims, "--threads", str(threads), "--iters", str(a.iters)]))
                aot.append(r["median_ms"])
                create.append(r["dlopen_ms"] + r["create_ms"])
                j = json.loads(sh([a.kiln, "bench", optimized, "--backend", "jit", "--threads", str(threads),
                                   "--iters", str(a.iters), "--input", inputs, "--json"]))
                jit.append(j["median_ms"])
                o = json.loads(sh(["node", ORT_TIMER, model, inputs, "--threads", str(threads), "--iters", str(a.iters)],
                                  env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE")))
                ort.append(o["median_ms"])
            rows.append((stem, threads, statistics.median(create), aot, jit, ort, os.path.getsize(lib), weights,
                         os.path.getsize(ext)))
    print("| model | threads | load+create ms | library run ms | JIT run ms | lib/JIT | ORT run ms | lib/ORT "
          "| library MB | weights MB | library without weights MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")

    def fmt(times):
        return f"{statistics.median(times):.2f} ({min(times):.2f})"

    for stem, t, c, lib_ms, jit_ms, ort_ms, size, w, ext_size in rows:
        print(f"| {stem} | {t} | {c:.1f} | {fmt(lib_ms)} | {fmt(jit_ms)} | "
              f"{statistics.median(lib_ms) / statistics.median(jit_ms):.2f} ({min(lib_ms) / min(jit_ms):.2f}) | "
              f"{fmt(ort_ms)} | {statistics.median(lib_ms) / statistics.median(ort_ms):.2f} "
              f"({min(lib_ms) / min(ort_ms):.2f}) | {size / 1e6:.1f} | {w / 1e6:.1f} | {ext_size / 1e6:.1f} |")
    print("\nRun times: median over rounds (best round in parentheses).")

if __name__ == "__main__":
    main()
