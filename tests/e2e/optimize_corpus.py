#!/usr/bin/python3
"""Every corpus model compiled at -O1 and -O2 gives ONNX Runtime outputs within 1e-5 of the
unoptimized model's, passes the ONNX checker, and never has more nodes than its input.

    tests/e2e/optimize_corpus.py KILN CORPUS_DIR WORK_DIR
"""
import json
import os
import sys

import onnx

from harness import Summary, compare, ort, run


def node_count(model):
    return len(model.graph.node)


def main(kiln, corpus, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    for entry in json.load(open(os.path.join(corpus, "manifest.json")))["models"]:
        stem = entry["model"][:-len(".onnx")]
        src = os.path.join(corpus, entry["model"])
        inputs = os.path.join(corpus, entry["inputs_file"])
        orig = ort(src, inputs, os.path.join(work, stem + ".orig.npz"))
        for level in ("-O1", "-O2"):
            out = os.path.join(work, f"{stem}{level}.onnx")
            # ONNX Runtime judges here, so kiln's own validation (about +40% time) is skipped.
            code, _, err = run([kiln, "compile", src, level, "--verify-each", "--no-validate", "-o", out])
            if code != 0:
                summary.check(f"{stem} {level}", [f"kiln compile exit {code}: {err.strip()}"])
                continue
            problems = []
            try:
                optimized = onnx.load(out)
                onnx.checker.check_model(optimized, full_check=True)
                before = node_count(onnx.load(src))
                # Initializers become Constant nodes in kiln's IR and initializers again on the
                # way out, so node counts compare like for like.
                if node_count(optimized) > before:
                    problems.append(f"node count grew: {before} -> {node_count(optimized)}")
                problems += compare(orig, ort(out, inputs, os.path.join(work, f"{stem}{level}.npz")), atol=1e-5)
            except Exception as e:  # noqa: BLE001 - every failure becomes a reported case
                problems.append(str(e).splitlines()[0] if str(e) else type(e).__name__)
            summary.check(f"{stem} {level}", problems)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
