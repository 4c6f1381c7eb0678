#!/usr/bin/python3
"""Every corpus model round-trips through kiln (ONNX -> IR -> ONNX at the same opset): the
output passes the ONNX checker and gives ONNX Runtime outputs identical to the original's.

    tests/e2e/roundtrip_corpus.py KILN CORPUS_DIR WORK_DIR
"""
import json
import os
import sys

import onnx

from harness import Summary, compare, ort, run


def main(kiln, corpus, work):
    os.makedirs(work, exist_ok=True)
    manifest = json.load(open(os.path.join(corpus, "manifest.json")))
    summary = Summary()
    for entry in manifest["models"]:
        stem = entry["model"][:-len(".onnx")]
        src = os.path.join(corpus, entry["model"])
        inputs = os.path.join(corpus, entry["inputs_file"])
        out = os.path.join(work, stem + ".kiln.onnx")
        problems = []
        code, _, err = run([kiln, "convert", src, "-o", out])
        if code != 0:
            summary.check(stem, [f"kiln convert exit {code}: {err.strip()}"])
            continue
        try:
            m = onnx.load(out)
            onnx.checker.check_model(m, full_check=True)
            if m.opset_import and [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] != [entry["opset"]]:
                problems.append(f"opset changed: {[(o.domain, o.version) for o in m.opset_import]}")
            orig = ort(src, inputs, os.path.join(work, stem + ".orig.npz"))
            mine = ort(out, inputs, os.path.join(work, stem + ".kiln.npz"))
            problems += compare(orig, mine, atol=0.0)  # identical: same graph, same runtime
        except Exception as e:  # noqa: BLE001 - every failure becomes a reported case
            problems.append(str(e).splitlines()[0] if str(e) else type(e).__name__)
        summary.check(stem, problems)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
