#!/usr/bin/python3
"""Every corpus model run on the JIT (`kiln run --backend jit`, 1 and 2 threads) matches ONNX
Runtime on the same inputs within max-abs-diff 1e-5 (2e-5 for mobilenet_v2, see
ATOL_BY_MODEL), with every node on generated code: a node falling back to its reference kernel
fails the model (kiln bench MODEL --stats lists which and why).

    tests/e2e/jit_corpus.py KILN CORPUS_DIR WORK_DIR
"""
import json
import os
import re
import sys

import numpy as np

from harness import Summary, compare, ort, run

# Deep float32 networks accumulate rounding differently in kiln's kernels and in ONNX Runtime's
# (whose kernels also differ by CPU): mobilenet_v2 (53 conv layers) differs by ~1.04e-5 on
# outputs of magnitude ~1 on AVX2 machines, on the reference kernels as on the JIT.
ATOL = 1e-5
ATOL_BY_MODEL = {"mobilenet_v2": 2e-5}
FALLBACK_LINE = re.compile(r"kiln: jit: (\d+) of (\d+) nodes ran on reference kernels")


def main(kiln, corpus, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    for entry in json.load(open(os.path.join(corpus, "manifest.json")))["models"]:
        stem = entry["model"][:-len(".onnx")]
        src = os.path.join(corpus, entry["model"])
        inputs = os.path.join(corpus, entry["inputs_file"])
        expected = ort(src, inputs, os.path.join(work, stem + ".ort.npz"))
        atol = ATOL_BY_MODEL.get(entry["name"], ATOL)
        for threads in (1, 2):
            out = os.path.join(work, f"{stem}.jit{threads}.npz")
            code, _, err = run([kiln, "run", src, "--backend", "jit", "--threads", str(threads),
                                "--input", inputs, "-o", out])
            name = f"{stem} threads={threads}"
            if code != 0:
                summary.check(name, [f"kiln run exit {code}: {err.strip()}"])
                continue
            m = FALLBACK_LINE.search(err)
            fallbacks = f"{m.group(1)}/{m.group(2)} nodes on reference kernels" if m else "no fallbacks"
            problems = compare(expected, dict(np.load(out)), atol=atol)
            if m:
                problems.append(f"{fallbacks}: every corpus node must have generated code")
            summary.check(f"{name} ({fallbacks})", problems)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
