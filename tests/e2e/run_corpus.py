#!/usr/bin/python3
"""Every corpus model run by kiln's reference interpreter (`kiln run --backend reference`)
matches ONNX Runtime on the same inputs within max-abs-diff 1e-5 (2e-5 for mobilenet_v2, see
ATOL_BY_MODEL).

    tests/e2e/run_corpus.py KILN CORPUS_DIR WORK_DIR
"""
import json
import os
import sys

import numpy as np

from harness import Summary, compare, ort, run

# Deep float32 networks accumulate rounding differently in kiln's kernels and in ONNX Runtime's
# (whose kernels also differ by CPU). Measured on an AMD EPYC (AVX2): mobilenet_v2, 53 conv
# layers, differs by 1.04e-5 on outputs of magnitude ~1; every other model stays under 1e-5.
ATOL = 1e-5
ATOL_BY_MODEL = {"mobilenet_v2": 2e-5}


def main(kiln, corpus, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    for entry in json.load(open(os.path.join(corpus, "manifest.json")))["models"]:
        stem = entry["model"][:-len(".onnx")]
        src = os.path.join(corpus, entry["model"])
        inputs = os.path.join(corpus, entry["inputs_file"])
        out = os.path.join(work, stem + ".reference.npz")
        code, _, err = run([kiln, "run", src, "--backend", "reference", "--input", inputs, "-o", out])
        if code != 0:
            summary.check(stem, [f"kiln run exit {code}: {err.strip()}"])
            continue
        expected = ort(src, inputs, os.path.join(work, stem + ".ort.npz"))
        atol = ATOL_BY_MODEL.get(entry["name"], ATOL)
        summary.check(stem, compare(expected, dict(np.load(out)), atol=atol))
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
