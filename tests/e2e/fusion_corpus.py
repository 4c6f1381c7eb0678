#!/usr/bin/python3
"""Pattern fusion on the corpus: every model compiled at -O2 and -O3 reports the fusions it is
expected to get (`kiln compile --stats`, counters `fuse-patterns.<pattern>`), and its ONNX
output (fused ops written back as standard ops) matches the original within 1e-5 in ONNX
Runtime.

    tests/e2e/fusion_corpus.py KILN CORPUS_DIR WORK_DIR
"""
import json
import os
import re
import sys

import onnx

from harness import Summary, compare, ort, run

# Exact fusion counts per model, at every opset the corpus exports. transformer_encoder has 2
# encoder layers with 2 LayerNorms and one attention each, whose head split and merge then fold
# into one kiln.MultiHeadAttention per layer; torch writes LayerNormalization itself from opset
# 17, so only the older exports need the layer-norm fusion. bert_like adds the embedding
# LayerNorm, GELU feed-forward layers and a key padding mask; vit_b_16 has 12 such layers. The CNNs fuse
# every Conv+activation (and Conv+residual) their blocks have.
EXPECTED = {
    "transformer_encoder": lambda opset: {"attention": 2, "multi-head-attention": 2,
                                          **({"layer-norm": 4} if opset < 17 else {})},
    "bert_like": lambda opset: {"attention": 2, "multi-head-attention": 2, "gelu-erf": 2,
                                **({"layer-norm": 5} if opset < 17 else {})},
    "vit_b_16": lambda opset: {"attention": 12, "multi-head-attention": 12, "gelu-erf": 12},
    "resnet18": lambda opset: {"conv-activation": 17, "conv-residual": 0},
    "mobilenet_v2": lambda opset: {"conv-activation": 35, "conv-residual": 10},
    # Below opset 14 torch writes hardswish as x * HardSigmoid(x), which fuses first.
    "mobilenet_v3_small": lambda opset: {"conv-activation": 32, "conv-residual": 6,
                                         **({"hard-swish": 19} if opset < 14 else {})},
    "squeezenet1_1": lambda opset: {"conv-activation": 26},
    "lstm": lambda opset: {},
    "control_flow": lambda opset: {},
}


def fusion_counts(stats_text):
    counts = {}
    for m in re.finditer(r"^\s+fuse-patterns\.([a-z0-9-]+)\s+(\d+)\s*$", stats_text, re.M):
        counts[m.group(1)] = counts.get(m.group(1), 0) + int(m.group(2))
    return counts


def check_explain(kiln, corpus, work, summary):
    """--explain-fusion names the near miss, its failed condition and the node: the encoder's
    3-D MatMul + bias is a Gemm near miss at every feed-forward layer."""
    src = os.path.join(corpus, "transformer_encoder_op14.onnx")
    if not os.path.exists(src):
        return
    code, _, err = run([kiln, "compile", src, "-O2", "--explain-fusion", "-o", os.path.join(work, "explain.onnx")])
    want = re.compile(r"^kiln: remark: fuse-patterns: near miss: pattern 'gemm' rooted at node '/layers\.0/linear1/Add' "
                      r"\(Add\): condition 'MatMul operands are 2-D' failed at node '/layers\.0/linear1/MatMul' \(MatMul\)$", re.M)
    problems = [] if code == 0 and want.search(err) else [f"exit {code}; remark not found in: {err[:400]}"]
    summary.check("--explain-fusion reports the Gemm near miss", problems)


# Fused models written at other opsets: fused ops become the standard op where the target has
# it (LayerNormalization from 17) and are expanded below it.
RETARGET = {"transformer_encoder_op14": "LayerNormalization", "mobilenet_v3_small_op13": "HardSwish",
            "resnet18_op14": None}
RETARGET_OPSETS = (9, 13, 17, 21)
STANDARD_FROM = {"LayerNormalization": 17, "HardSwish": 14}


def check_retarget(kiln, corpus, work, summary):
    for stem, fused_op in RETARGET.items():
        src = os.path.join(corpus, stem + ".onnx")
        if not os.path.exists(src):
            continue
        inputs = os.path.join(corpus, stem + ".inputs.npz")
        orig = ort(src, inputs, os.path.join(work, stem + ".orig.npz"))
        for target in RETARGET_OPSETS:
            out = os.path.join(work, f"{stem}-O3-to{target}.onnx")
            code, _, err = run([kiln, "compile", src, "-O3", "--opset", str(target), "--no-validate", "-o", out])
            if code != 0:
                summary.check(f"{stem} -O3 --opset {target}", [f"kiln compile exit {code}: {err.strip()}"])
                continue
            problems = []
            try:
                model = onnx.load(out)
                if target <= 17:  # onnx 1.12's checker knows opsets up to 17
                    onnx.checker.check_model(model, full_check=True)
                ops = {n.op_type for n in model.graph.node}
                if fused_op and (fused_op in ops) != (target >= STANDARD_FROM[fused_op]):
                    problems.append(f"{fused_op} {'missing' if target >= STANDARD_FROM[fused_op] else 'present'} at opset {target}")
                if any(n.domain not in ("", "ai.onnx") for n in model.graph.node):
                    problems.append("a non-standard domain was written")
                problems += compare(orig, ort(out, inputs, os.path.join(work, f"{stem}-to{target}.npz")), atol=1e-5)
            except Exception as e:  # noqa: BLE001 - every failure becomes a reported case
                problems.append(str(e).splitlines()[0] if str(e) else type(e).__name__)
            summary.check(f"{stem} -O3 --opset {target}", problems)


def main(kiln, corpus, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    check_explain(kiln, corpus, work, summary)
    check_retarget(kiln, corpus, work, summary)
    for entry in json.load(open(os.path.join(corpus, "manifest.json")))["models"]:
        stem = entry["model"][:-len(".onnx")]
        src = os.path.join(corpus, entry["model"])
        inputs = os.path.join(corpus, entry["inputs_file"])
        orig = ort(src, inputs, os.path.join(work, stem + ".orig.npz"))
        want = EXPECTED.get(entry["name"], lambda opset: {})(entry["opset"])
        for level in ("-O2", "-O3"):
            out = os.path.join(work, f"{stem}{level}.onnx")
            code, _, err = run([kiln, "compile", src, level, "--stats", "--no-validate", "-o", out])
            if code != 0:
                summary.check(f"{stem} {level}", [f"kiln compile exit {code}: {err.strip()}"])
                continue
            got = fusion_counts(err)
            problems = [f"{name}: fired {got.get(name, 0)} times, expected {n}"
                        for name, n in want.items() if got.get(name, 0) != n]
            try:
                onnx.checker.check_model(onnx.load(out), full_check=True)
                problems += compare(orig, ort(out, inputs, os.path.join(work, f"{stem}{level}.npz")), atol=1e-5)
            except Exception as e:  # noqa: BLE001 - every failure becomes a reported case
                problems.append(str(e).splitlines()[0] if str(e) else type(e).__name__)
            fired = ", ".join(f"{k}={v}" for k, v in sorted(got.items())) or "none"
            summary.check(f"{stem} {level} (fused: {fired})", problems)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
