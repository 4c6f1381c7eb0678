#!/usr/bin/python3
"""Every corpus model run by kiln's reference interpreter (`kiln run --backend reference`)
matches ONNX Runtime on the same inputs within max-abs-diff 1e-5.

    tests/e2e/run_corpus.py KILN CORPUS_DIR WORK_DIR
"""
import json
import os
import sys

import numpy as np

from harness import Summary, compare, ort, run


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
        summary.check(stem, compare(expected, dict(np.load(out)), atol=1e-5))
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
