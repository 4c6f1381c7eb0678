#!/usr/bin/python3
"""`--target-runtime onnxruntime`: kiln's fused ops written as ONNX Runtime's com.microsoft
contrib ops. For each corpus model compiled at -O2 both ways, the ORT-target file imports
com.microsoft, holds exactly the expected contrib ops, passes the ONNX checker (which checks
every standard node and skips nodes of a domain it does not know), and ONNX Runtime's outputs
on it match those on the default (standard ONNX) emission within 1e-5, both with ORT's graph
optimizations disabled so ORT's own fusions do not stand in for kiln's. `kiln convert` maps a
model it does not optimize too (SkipLayerNormalization from Add + LayerNormalization).

    tests/e2e/ort_target.py KILN CORPUS_DIR WORK_DIR
"""
import collections
import os
import sys

import onnx

from harness import ORT_RUN, Summary, compare, run

import numpy as np

# Contrib ops per model at -O2. transformer_encoder / bert_like: one MultiHeadAttention per
# layer and SkipLayerNormalization for the two residual LayerNorms per layer (bert_like's
# embedding LayerNorm adds a broadcast position embedding: no skip form); bert_like's GELU
# follows the first feed-forward bias: BiasGelu. CNNs: FusedConv for every Conv+activation
# whose activation ORT's FusedConv has (Relu, Clip; mobilenet_v3's 18 HardSwish ones are
# expanded to standard ops).
EXPECTED = {
    "transformer_encoder_op14": {"MultiHeadAttention": 2, "SkipLayerNormalization": 4},
    "transformer_encoder_op17": {"MultiHeadAttention": 2, "SkipLayerNormalization": 4},
    "bert_like_op14": {"MultiHeadAttention": 2, "SkipLayerNormalization": 4, "BiasGelu": 2},
    "bert_like_op17": {"MultiHeadAttention": 2, "SkipLayerNormalization": 4, "BiasGelu": 2},
    "resnet18_op17": {"FusedConv": 17},
    "mobilenet_v3_small_op13": {"FusedConv": 20},
    "synthetic": {"Gelu": 1, "FastGelu": 1, "MultiHeadAttention": 1},  # built by synthetic() below
}
CONVERT = {"bert_like_op17": {"SkipLayerNormalization": 4}}


def ort_no_opt(model, inputs, out):
    code, _, err = run(["node", ORT_RUN, model, inputs, out, "--no-opt"])
    if code != 0:
        raise RuntimeError(f"ONNX Runtime failed on {os.path.basename(model)}: {err.strip()[:300]}")
    return dict(np.load(out))


def contrib_ops(path):
    model = onnx.load(path)
    imports = {o.domain: o.version for o in model.opset_import}
    ops = collections.Counter(n.op_type for n in model.graph.node if n.domain == "com.microsoft")
    others = {n.domain for n in model.graph.node if n.domain not in ("", "ai.onnx", "com.microsoft")}
    return model, imports, dict(ops), others


def check_file(path, want, reference, inputs, work, stem):
    """Problems with one ORT-target file, judged against the standard emission's outputs."""
    model, imports, got, others = contrib_ops(path)
    problems = []
    if imports.get("com.microsoft") != 1:
        problems.append(f"opset imports {imports}: com.microsoft version 1 missing")
    if got != want:
        problems.append(f"contrib ops {got}, expected {want}")
    if others:
        problems.append(f"unexpected domains {sorted(others)}")
    onnx.checker.check_model(model, full_check=True)
    problems += compare(reference, ort_no_opt(path, inputs, os.path.join(work, stem + ".npz")), atol=1e-5)
    return problems


def synthetic(work):
    """A small opset-14 model with what the corpus lacks: erf GELU and tanh GELU on graph
    inputs (no bias: Gelu, FastGelu), single-head 3-D attention with an additive [S, L] mask
    (MultiHeadAttention with num_heads 1 and attention_bias), and attention with a boolean
    mask, which replaces scores where ORT's masks add, so it must stay standard ONNX. Each
    part reads inputs of its own, so CSE does not merge their first nodes."""
    from onnx import TensorProto, helper, numpy_helper
    f = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, [2, 5, 8])
    consts = {"half": 0.5, "one": 1.0, "rsqrt2": 0.70710677, "c": 0.7978846, "k": 0.044715, "three": 3.0,
              "scale": 8 ** -0.5, "fill": -1e4}
    init = [numpy_helper.from_array(np.array(v, np.float32), name) for name, v in consts.items()]
    n = helper.make_node
    nodes = [
        n("Mul", ["x", "rsqrt2"], ["e1"]), n("Erf", ["e1"], ["e2"]), n("Add", ["e2", "one"], ["e3"]),
        n("Mul", ["x", "half"], ["e4"]), n("Mul", ["e4", "e3"], ["gelu"]),
        n("Pow", ["x2", "three"], ["t1"]), n("Mul", ["t1", "k"], ["t2"]), n("Add", ["x2", "t2"], ["t3"]),
        n("Mul", ["t3", "c"], ["t4"]), n("Tanh", ["t4"], ["t5"]), n("Add", ["t5", "one"], ["t6"]),
        n("Mul", ["x2", "half"], ["t7"]), n("Mul", ["t7", "t6"], ["fast_gelu"]),
        n("Transpose", ["key"], ["kt"], perm=[0, 2, 1]), n("MatMul", ["q", "kt"], ["s1"]),
        n("Mul", ["s1", "scale"], ["s2"]), n("Add", ["s2", "mask"], ["s3"]), n("Softmax", ["s3"], ["p"], axis=-1),
        n("MatMul", ["p", "v"], ["attention"]),
        n("Transpose", ["key2"], ["kt2"], perm=[0, 2, 1]), n("MatMul", ["q", "kt2"], ["b1"]),
        n("Where", ["pad", "fill", "b1"], ["b2"]), n("Softmax", ["b2"], ["bp"], axis=-1),
        n("MatMul", ["bp", "v"], ["bool_attention"]),
    ]
    graph = helper.make_graph(
        nodes, "synthetic",
        [f("x"), f("x2"), f("q"), f("key"), f("key2"), f("v"), helper.make_tensor_value_info("mask", TensorProto.FLOAT, [5, 5]),
         helper.make_tensor_value_info("pad", TensorProto.BOOL, [2, 5, 5])],
        [f("gelu"), f("fast_gelu"), f("attention"), f("bool_attention")], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 7
    path = os.path.join(work, "synthetic.onnx")
    onnx.save(model, path)
    rng = np.random.default_rng(0)
    feed = {name: rng.standard_normal((2, 5, 8)).astype(np.float32) for name in ("x", "x2", "q", "key", "key2", "v")}
    feed["mask"] = np.where(np.tril(np.ones((5, 5))) > 0, 0, -1e4).astype(np.float32)
    feed["pad"] = rng.random((2, 5, 5)) < 0.3
    np.savez(os.path.join(work, "synthetic.inputs.npz"), **feed)
    return path


def main(kiln, corpus, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    synthetic(work)
    for stem, want in EXPECTED.items():
        src = os.path.join(work if stem == "synthetic" else corpus, stem + ".onnx")
        if not os.path.exists(src):
            continue
        inputs = os.path.join(os.path.dirname(src), stem + ".inputs.npz")
        std, ortf = (os.path.join(work, f"{stem}.{kind}.onnx") for kind in ("std", "ort"))
        problems = []
        try:
            for out, extra in ((std, []), (ortf, ["--target-runtime", "onnxruntime"])):
                code, _, err = run([kiln, "compile", src, "-O2", "--no-validate", "-o", out] + extra)
                if code != 0:
                    raise RuntimeError(f"kiln compile {' '.join(extra)} exit {code}: {err.strip()[:300]}")
            if contrib_ops(std)[2]:
                problems.append("the default emission has com.microsoft ops")
            reference = ort_no_opt(std, inputs, os.path.join(work, stem + ".std.npz"))
            problems += check_file(ortf, want, reference, inputs, work, stem + ".ort")
        except Exception as e:  # noqa: BLE001 - every failure becomes a reported case
            problems.append(str(e).splitlines()[0] if str(e) else type(e).__name__)
        summary.check(f"{stem} -O2 --target-runtime onnxruntime ({', '.join(f'{k}={v}' for k, v in want.items())})",
                      problems)
    for stem, want in CONVERT.items():
        src = os.path.join(corpus, stem + ".onnx")
        if not os.path.exists(src):
            continue
        inputs = os.path.join(corpus, stem + ".inputs.npz")
        out = os.path.join(work, stem + ".convert.onnx")
        problems = []
        try:
            code, _, err = run([kiln, "convert", src, "--target-runtime", "onnxruntime", "-o", out])
            if code != 0:
                raise RuntimeError(f"kiln convert exit {code}: {err.strip()[:300]}")
            reference = ort_no_opt(src, inputs, os.path.join(work, stem + ".orig.npz"))
            problems += check_file(out, want, reference, inputs, work, stem + ".convert")
        except Exception as e:  # noqa: BLE001
            problems.append(str(e).splitlines()[0] if str(e) else type(e).__name__)
        summary.check(f"{stem} convert --target-runtime onnxruntime", problems)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
