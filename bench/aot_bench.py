#!/usr/bin/python3
"""A model library (`kiln compile --emit lib`) against the JIT of the same optimized model
(`kiln bench --backend jit`) and ONNX Runtime on the original, at 1 and 2 threads: library load
+ create time, per-run median latency, and library size against the model's weight bytes.

    bench/aot_bench.py KILN CORPUS_DIR WORK_DIR [--rounds R] [--iters K] [--models a,b]

Prints a Markdown table: wall time (median over R rounds of each side's median; the sides
alternate every round so machine load hits them alike) and CPU time per run (user + system of a
K-run process minus a 1-run one, over K - 1), which hardly moves when other processes share the
cores. docs/aot.md quotes it.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORT_TIMER = os.path.join(ROOT, "bench", "ort_infer_time.js")


def sh(cmd, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout


def cpu_seconds(cmd, env=None):
    """User + system CPU time of one command (all its threads)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sh(cmd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cpu_ms_per_run(cmd_for_iters, iters, env=None):
    """CPU time per run: a command at `iters` timed runs minus the same at 1, over iters - 1.
    Unlike wall time it hardly moves when other processes share the cores."""
    return 1e3 * (cpu_seconds(cmd_for_iters(iters), env) - cpu_seconds(cmd_for_iters(1), env)) / (iters - 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kiln")
    ap.add_argument("corpus")
    ap.add_argument("work")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--models", default="resnet18_op17,mobilenet_v3_small_op17,squeezenet1_1_op17")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--cpu-iters", type=int, default=50, help="timed runs for the CPU-time columns")
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
            ort_env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")

            def lib_cmd(iters):
                return [timer, lib, name, raw, dims, "--threads", str(threads), "--iters", str(iters)]

            def jit_cmd(iters):
                return [a.kiln, "bench", optimized, "--backend", "jit", "--threads", str(threads), "--iters", str(iters),
                        "--input", inputs, "--json", "--cache-dir", os.path.join(a.work, "jit_cache")]

            def ort_cmd(iters):
                return ["node", ORT_TIMER, model, inputs, "--threads", str(threads), "--iters", str(iters)]

            aot, jit, ort, create = [], [], [], []
            for _ in range(a.rounds):
                r = json.loads(sh(lib_cmd(a.iters)))
                aot.append(r["median_ms"])
                create.append(r["dlopen_ms"] + r["create_ms"])
                jit.append(json.loads(sh(jit_cmd(a.iters)))["median_ms"])
                ort.append(json.loads(sh(ort_cmd(a.iters), env=ort_env))["median_ms"])
            cpu = [cpu_ms_per_run(lib_cmd, a.cpu_iters), cpu_ms_per_run(jit_cmd, a.cpu_iters),
                   cpu_ms_per_run(ort_cmd, a.cpu_iters, ort_env)]
            rows.append((stem, threads, statistics.median(create), aot, jit, ort, os.path.getsize(lib), weights,
                         os.path.getsize(ext), cpu))
    print("| model | threads | load+create ms | wall ms lib / JIT / ORT | CPU ms per run lib / JIT / ORT "
          "| CPU lib/JIT | CPU lib/ORT | library MB | weights MB | library without weights MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for stem, t, c, lib_ms, jit_ms, ort_ms, size, w, ext_size, cpu in rows:
        wall = " / ".join(f"{statistics.median(x):.2f}" for x in (lib_ms, jit_ms, ort_ms))
        print(f"| {stem} | {t} | {c:.1f} | {wall} | {cpu[0]:.2f} / {cpu[1]:.2f} / {cpu[2]:.2f} | "
              f"{cpu[0] / cpu[1]:.2f} | {cpu[0] / cpu[2]:.2f} | {size / 1e6:.1f} | {w / 1e6:.1f} | {ext_size / 1e6:.1f} |")
    print("\nWall: median over rounds of each side's median run. CPU: user + system time per run (all threads).")

if __name__ == "__main__":
    main()
