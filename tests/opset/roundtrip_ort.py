#!/usr/bin/python3
"""Numeric check of opset conversion: tiny models built with onnx.helper in old (or new) op
forms are converted with `kiln convert IN --opset N -o OUT`, and ONNX Runtime's outputs on
the converted model must match its outputs on the original (or a numpy reference when ONNX
Runtime cannot run the source opset). Blocked conversions must fail with exit status 2 and
name every blocked node.

    /usr/bin/python3 tests/opset/roundtrip_ort.py [--kiln build-x/kiln] [-k FILTER] [-v]
    /usr/bin/python3 tests/opset/roundtrip_ort.py --corpus DIR [--targets 9,11,13,17,18,21]

--corpus takes the folder tests/models/gen_corpus.py writes (manifest.json, NAME_opN.onnx and
NAME_opN.inputs.npz) and converts every exported model to every target opset instead.

Needs the ONNX Runtime oracle (npm ci --ignore-scripts in tests/oracle). Prints one line per
conversion and ends with 'N passed, N failed'; exit status 1 on any failure.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORT_RUN = os.path.join(ROOT, "tests", "oracle", "ort_run.js")
F, I64, F16 = TensorProto.FLOAT, TensorProto.INT64, TensorProto.FLOAT16
ATOL = 1e-5
# Whole models at another opset: the issue's bound for retargeting, relative to the outputs'
# magnitude (x (1 + max |output|)): crossing an op's introduction (LayerNormalization at 17)
# swaps a fused kernel for its decomposition, which rounds differently by a few ulps.
CORPUS_ATOL = 1e-6
# AveragePool-19 (dilations) runs another ONNX Runtime kernel than AveragePool-11 with another
# summation order; densenet121's transition pools move its logits by 2.24e-6 at opset 19 and up,
# while kiln writes node for node the same graph at 18 (exact) and 19.
CORPUS_ATOL_BY_MODEL = {"densenet121": 5e-6}
CHECKER_MAX_OPSET = 17  # Debian's onnx 1.12 checker knows opsets up to 17
ORT_MIN_OPSET = 7  # ONNX Runtime has no kernels for older default-domain opsets


class Case:
    def __init__(self, name, opset, nodes, inputs, outputs, targets, inits=(), ref=None, blocked=None, feeds=None,
                 atol=ATOL):
        self.name, self.opset, self.nodes = name, opset, nodes
        self.inputs, self.outputs, self.inits = inputs, outputs, list(inits)
        self.targets, self.ref, self.blocked, self.feeds, self.atol = targets, ref, blocked or {}, feeds, atol

    def model(self):
        g = helper.make_graph(self.nodes, self.name,
                              [helper.make_tensor_value_info(n, t, s) for n, t, s in self.inputs],
                              [helper.make_tensor_value_info(n, t, s) for n, t, s in self.outputs],
                              initializer=self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)], producer_name="kiln-opset-test")
        m.ir_version = 10 if self.opset >= 21 else 9 if self.opset >= 19 else 8 if self.opset >= 15 else 7
        return m


def const(name, values, dtype=np.int64):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


def node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, name=outs[0] + "_node", **attrs)


def softmax_2d(x, axis, fn):
    shape = x.shape
    rows = x.reshape(int(np.prod(shape[:axis])), -1)
    return fn(rows).reshape(shape)


def np_softmax(r):
    e = np.exp(r - r.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cases():
    c = []
    x3 = [("x", F, [2, 3, 4])]
    x4 = [("x", F, [1, 2, 3, 4])]
    # Attributes that became inputs, upgraded and written back down.
    c.append(Case("squeeze_v11", 11, [node("Squeeze", ["x"], ["y"], axes=[0, -1])], [("x", F, [1, 3, 1])],
                  [("y", F, [3])], [11, 13, 21]))
    c.append(Case("squeeze_v13_to_9", 13, [node("Squeeze", ["x", "axes"], ["y"])], [("x", F, [1, 3, 1])],
                  [("y", F, [3])], [9, 11], inits=[const("axes", [-1, 0])]))
    c.append(Case("unsqueeze_v11", 11, [node("Unsqueeze", ["x"], ["y"], axes=[-1, 0])], [("x", F, [3])],
                  [("y", F, [1, 3, 1])], [11, 13, 21]))
    c.append(Case("clip_v6", 6, [node("Clip", ["x"], ["y"], min=-0.5, max=0.25)], x3, [("y", F, [2, 3, 4])],
                  [7, 11, 13], ref=lambda f: [np.clip(f["x"], -0.5, 0.25)]))
    c.append(Case("clip_v13_to_7", 13, [node("Clip", ["x", "lo", "hi"], ["y"])], x3, [("y", F, [2, 3, 4])],
                  [7, 11], inits=[const("lo", -0.5, np.float32), const("hi", 0.25, np.float32)]))
    c.append(Case("pad_v2", 2, [node("Pad", ["x"], ["y"], pads=[0, 1, 0, 2], value=1.5)], [("x", F, [2, 3])],
                  [("y", F, [2, 6])], [7, 11, 18, 21],
                  ref=lambda f: [np.pad(f["x"], ((0, 0), (1, 2)), constant_values=1.5)]))
    c.append(Case("pad_reflect_v2", 2, [node("Pad", ["x"], ["y"], pads=[0, 1, 0, 1], mode="reflect")],
                  [("x", F, [2, 3])], [("y", F, [2, 5])], [7, 11, 21],
                  ref=lambda f: [np.pad(f["x"], ((0, 0), (1, 1)), mode="reflect")]))
    c.append(Case("pad_v18_axes_to_11", 18, [node("Pad", ["x", "pads", "", "axes"], ["y"])], x3, [("y", F, [2, 3, 7])],
                  [11, 13], inits=[const("pads", [1, 2]), const("axes", [-1])]))
    c.append(Case("slice_v1", 1, [node("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, 2], axes=[2, 0])], x3,
                  [("y", F, [2, 3, 2])], [7, 10, 13], ref=lambda f: [f["x"][0:2, :, 1:3]]))
    c.append(Case("slice_v13_to_9", 13, [node("Slice", ["x", "s", "e", "a"], ["y"])], x3, [("y", F, [2, 3, 2])],
                  [9, 10, 11], inits=[const("s", [1]), const("e", [3]), const("a", [-1])]))
    c.append(Case("split_v11", 11, [node("Split", ["x"], ["a", "b"], axis=-1, split=[1, 3])], x3,
                  [("a", F, [2, 3, 1]), ("b", F, [2, 3, 3])], [11, 13, 18]))
    c.append(Case("split_even_v11", 11, [node("Split", ["x"], ["a", "b"], axis=2)], x3,
                  [("a", F, [2, 3, 2]), ("b", F, [2, 3, 2])], [11, 13, 18, 21]))
    c.append(Case("split_v18_uneven_to_13", 18, [node("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3)],
                  [("x", F, [2, 7])], [("a", F, [2, 3]), ("b", F, [2, 3]), ("c", F, [2, 1])], [11, 13]))
    c.append(Case("reduce_mean_v13", 13, [node("ReduceMean", ["x"], ["y"], axes=[1], keepdims=0)], x3,
                  [("y", F, [2, 4])], [13, 18, 21]))
    c.append(Case("reduce_v18_to_11", 18, [node("ReduceMax", ["x", "axes"], ["y"], keepdims=1),
                                           node("ReduceSum", ["x", "axes"], ["z"])], x3,
                  [("y", F, [2, 3, 1]), ("z", F, [2, 3, 1])], [9, 11, 13], inits=[const("axes", [-1])]))
    c.append(Case("topk_v1", 1, [node("TopK", ["x"], ["v", "i"], k=2)], x3, [("v", F, [2, 3, 2]), ("i", I64, [2, 3, 2])],
                  [9, 10, 11], ref=lambda f: [-np.sort(-f["x"], axis=-1)[..., :2], np.argsort(-f["x"], axis=-1)[..., :2]]))
    c.append(Case("dropout_v7", 7, [node("Dropout", ["x"], ["y"], ratio=0.3)], x3, [("y", F, [2, 3, 4])], [7, 12, 13]))
    # Softmax-family semantics: 2-D coercion before 13, single axis since.
    for op, fn in [("Softmax", np_softmax), ("LogSoftmax", lambda r: np.log(np_softmax(r)))]:
        c.append(Case(f"{op.lower()}_v11_axis1", 11, [node(op, ["x"], ["y"], axis=1)], x3, [("y", F, [2, 3, 4])],
                      [11, 13, 21], ref=lambda f, fn=fn: [softmax_2d(f["x"], 1, fn)]))
        c.append(Case(f"{op.lower()}_v13_axis1_to_11", 13, [node(op, ["x"], ["y"], axis=1)], x3,
                      [("y", F, [2, 3, 4])], [7, 11]))
    c.append(Case("hardmax_v11_default_axis", 11, [node("Hardmax", ["x"], ["y"])], x3, [("y", F, [2, 3, 4])], [11, 13]))
    c.append(Case("softmax_v1_last", 1, [node("Softmax", ["x"], ["y"], axis=2)], x3, [("y", F, [2, 3, 4])], [7, 13],
                  ref=lambda f: [softmax_2d(f["x"], 2, np_softmax)]))
    # Upsample and Resize: coordinate mapping and rounding across versions.
    scales = const("scales", [1, 1, 2, 1.5], np.float32)
    for mode in ["nearest", "linear"]:
        c.append(Case(f"upsample_v9_{mode}", 9, [node("Upsample", ["x", "scales"], ["y"], mode=mode)], x4,
                      [("y", F, [1, 2, 6, 6])], [9, 10, 11, 13, 19], inits=[scales]))
        c.append(Case(f"upsample_v7_{mode}", 7, [node("Upsample", ["x"], ["y"], mode=mode, scales=[1.0, 1.0, 2.0, 2.0])], x4,
                      [("y", F, [1, 2, 6, 8])], [7, 9, 13]))
    c.append(Case("resize_v10_down", 10, [node("Resize", ["x", "scales"], ["y"], mode="nearest")], [("x", F, [1, 1, 5, 7])],
                  [("y", F, [1, 1, 2, 3])], [10, 11, 13], inits=[const("scales", [1, 1, 0.5, 0.5], np.float32)]))
    c.append(Case("resize_v13_sizes_to_9", 13, [node("Resize", ["x", "", "", "sizes"], ["y"], mode="nearest",
                                                    coordinate_transformation_mode="asymmetric", nearest_mode="floor")],
                  x4, [("y", F, [1, 2, 6, 12])], [9, 10, 11], inits=[const("sizes", [1, 2, 6, 12])]))
    c.append(Case("resize_v18_axes_to_13", 18, [node("Resize", ["x", "", "scales"], ["y"], mode="linear", axes=[2, 3])],
                  x4, [("y", F, [1, 2, 6, 8])], [13, 18], inits=[const("scales", [2, 2], np.float32)]))
    for rounding in ["floor", "round_prefer_floor"]:
        c.append(Case(f"resize_v11_tf_half_pixel_{rounding}", 11,
                      [node("Resize", ["x", "roi", "scales"], ["y"], mode="nearest", nearest_mode=rounding,
                            coordinate_transformation_mode="tf_half_pixel_for_nn")],
                      [("x", F, [1, 1, 5, 7])], [("y", F, [1, 1, 8, 4])], [11, 13, 19],
                      inits=[const("roi", [], np.float32), const("scales", [1, 1, 1.6, 0.6], np.float32)]))
    c.append(Case("dropout_v13_inputs_to_10", 13, [node("Dropout", ["x", "r", "t"], ["y"])], x3, [("y", F, [2, 3, 4])],
                  [7, 10, 12], inits=[const("r", 0.2, np.float32), const("t", False, np.bool_)]))
    c.append(Case("groupnorm_v18_to_21", 18, [node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
                  [("x", F, [2, 4, 3])], [("y", F, [2, 4, 3])], [17, 18, 21],
                  inits=[const("s", [2, 3], np.float32), const("b", [1, -1], np.float32)]))
    c.append(Case("argmax_v13_to_9", 13, [node("ArgMax", ["x"], ["y"], axis=-1, keepdims=0)], x3, [("y", I64, [2, 3])],
                  [9, 11, 13]))
    c.append(Case("concat_flatten_neg_to_9", 13, [node("Concat", ["x", "x"], ["c"], axis=-2),
                                                  node("Flatten", ["c"], ["y"], axis=-1)], x3, [("y", F, [12, 4])],
                  [9, 11]))
    c.append(Case("scatter_v9", 9, [node("Scatter", ["x", "i", "u"], ["y"], axis=1)], [("x", F, [2, 3])],
                  [("y", F, [2, 3])], [9, 11, 13, 18], inits=[const("i", [[2], [0]]), const("u", [[5.0], [7.0]], np.float32)]))
    c.append(Case("scatter_elements_v18_to_9", 18, [node("ScatterElements", ["x", "i", "u"], ["y"], axis=1)],
                  [("x", F, [2, 3])], [("y", F, [2, 3])], [9, 10, 11, 16],
                  inits=[const("i", [[2], [0]]), const("u", [[5.0], [7.0]], np.float32)]))
    for op, extra in [("MaxPool", {}), ("AveragePool", {"count_include_pad": 0})]:
        c.append(Case(f"{op.lower()}_ceil_v10_to_9", 10,
                      [node(op, ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 0, 0], ceil_mode=1,
                            **extra)],
                      [("x", F, [1, 2, 9, 7])], [("y", F, [1, 2, 5, 4])], [9, 10, 13]))
    # Ops newer than the target, expanded.
    c.append(Case("layernorm_v17", 17, [node("LayerNormalization", ["x", "s", "b"], ["y"], axis=-1, epsilon=1e-3)],
                  x3, [("y", F, [2, 3, 4])], [11, 13, 16],
                  inits=[const("s", [1, 2, 3, 4], np.float32), const("b", [0, 1, 0, -1], np.float32)]))
    c.append(Case("layernorm_v17_axis1", 17, [node("LayerNormalization", ["x", "s"], ["y"], axis=1)], x3,
                  [("y", F, [2, 3, 4])], [9, 13, 17], inits=[const("s", np.ones((3, 4)), np.float32)]))
    c.append(Case("gelu_v20", 20, [node("Gelu", ["x"], ["y"]), node("Gelu", ["x"], ["z"], approximate="tanh")], x3,
                  [("y", F, [2, 3, 4]), ("z", F, [2, 3, 4])], [9, 17, 20]))
    c.append(Case("groupnorm_v21", 21, [node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2, epsilon=1e-4)],
                  [("x", F, [2, 4, 3])], [("y", F, [2, 4, 3])], [13, 17, 18, 21],
                  inits=[const("s", [1, 2, 3, 4], np.float32), const("b", [0, 1, 2, 3], np.float32)]))
    c.append(Case("groupnorm_v21_uniform", 21, [node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
                  [("x", F, [2, 4, 3])], [("y", F, [2, 4, 3])], [18, 21],
                  inits=[const("s", [2, 2, 3, 3], np.float32), const("b", [1, 1, 0, 0], np.float32)]))
    c.append(Case("activations", 18, [node("HardSwish", ["x"], ["a"]), node("Mish", ["x"], ["b"]),
                                      node("Celu", ["x"], ["c"], alpha=1.5)], x3,
                  [("a", F, [2, 3, 4]), ("b", F, [2, 3, 4]), ("c", F, [2, 3, 4])], [7, 11, 13, 17]))
    c.append(Case("trilu_v14", 14, [node("Trilu", ["x", "k"], ["y"], upper=0)], x3, [("y", F, [2, 3, 4])], [9, 13],
                  inits=[const("k", 1)]))
    c.append(Case("greater_or_equal_v12", 12, [node("GreaterOrEqual", ["x", "t"], ["y"])], x3,
                  [("y", TensorProto.BOOL, [2, 3, 4])], [11], inits=[const("t", [0.0, 0.5, -0.5, 1.0], np.float32)]))
    c.append(Case("castlike_v15", 15, [node("CastLike", ["x", "like"], ["y"])], x3, [("y", F16, [2, 3, 4])], [9, 13],
                  inits=[const("like", [0], np.float16)], atol=1e-3))
    c.append(Case("shape_v15_slice", 15, [node("Shape", ["x"], ["y"], start=1, end=-1)], x3, [("y", I64, [1])],
                  [13, 15]))
    c.append(Case("shape_v15_start", 15, [node("Shape", ["x"], ["y"], start=-2)], x3, [("y", I64, [2])], [9, 13]))
    # Legacy broadcasting (below opset 7) against numpy.
    c.append(Case("add_v6_axis", 6, [node("Add", ["x", "b"], ["y"], broadcast=1, axis=1)], x4, [("y", F, [1, 2, 3, 4])],
                  [7, 13], inits=[const("b", [[1, 2, 3], [4, 5, 6]], np.float32)],
                  ref=lambda f: [f["x"] + np.array([[1, 2, 3], [4, 5, 6]], np.float32)[None, :, :, None]]))
    c.append(Case("bias_v13_to_6", 13, [node("Add", ["x", "b"], ["y"]), node("Relu", ["y"], ["z"])], x4,
                  [("z", F, [1, 2, 3, 4])], [7, 9], inits=[const("b", [[[[1]], [[-2]]]], np.float32)]))
    c.append(Case("batchnorm_v7", 7, [node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)], x4,
                  [("y", F, [1, 2, 3, 4])], [7, 9, 14, 15],
                  inits=[const("s", [1, 2], np.float32), const("b", [0, 1], np.float32), const("m", [0.5, -0.5], np.float32),
                         const("v", [1, 4], np.float32)]))
    # Blocked: every node that cannot be written is named, with its lowest opset.
    c.append(Case("blocked", 18, [node("Shape", ["x"], ["shape"]), node("Slice", ["shape", "one", "two"], ["axes"]),
                                  node("Squeeze", ["x", "axes"], ["y"]),
                                  node("LpPool", ["x4"], ["p"], kernel_shape=[2, 2], ceil_mode=1)],
                  [("x", F, [2, 1, 4]), ("x4", F, [1, 1, 5, 5])], [("y", F, [2, 4]), ("p", F, [1, 1, 3, 3])], [11],
                  inits=[const("one", [1]), const("two", [2])],
                  blocked={11: ["'y_node' (Squeeze) needs opset 13", "'p_node' (LpPool) needs opset 18"]}))
    return c


def find_kiln(arg):
    if arg:
        return arg
    found = sorted(glob.glob(os.path.join(ROOT, "build*", "kiln")), key=os.path.getmtime)
    return found[-1] if found else None


def checker_failure(path, target):
    """The ONNX checker's first line of complaint (full check) for targets it knows, else None."""
    if target > CHECKER_MAX_OPSET:
        return None
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
    except Exception as ex:  # noqa: BLE001
        return str(ex).splitlines()[0] if str(ex) else type(ex).__name__
    return None


def run_ort(model, feeds, tmp, optimize=True):
    inp, out = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
    np.savez(inp, **feeds)
    r = subprocess.run(["node", ORT_RUN, model, inp, out] + ([] if optimize else ["--no-opt"]), capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


def compare(expected, got, names, atol):
    worst, bad = 0.0, []
    for name in names:
        a, b = np.asarray(expected[name]), np.asarray(got[name])
        if a.shape != b.shape:
            bad.append(f"{name}: shape {b.shape} vs {a.shape}")
            continue
        if a.dtype == np.bool_ or np.issubdtype(a.dtype, np.integer):
            if not np.array_equal(a, b):
                bad.append(f"{name}: values differ")
            continue
        d = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0
        worst = max(worst, d)
        if not d <= atol:
            bad.append(f"{name}: max abs diff {d:.3g}")
    return worst, bad


def magnitude(outputs):
    """Largest absolute value over the floating-point outputs (0 when there are none)."""
    floats = [np.abs(a).max() for a in outputs.values() if np.issubdtype(np.asarray(a).dtype, np.floating) and a.size]
    return float(max(floats, default=0.0))


def run_corpus(kiln, corpus, targets, filt):
    """Every corpus model converted to every target: ONNX Runtime must agree with itself.
    ORT runs both graphs as written (no graph optimizations): its optimizer fuses differently
    per opset (LayerNorm patterns from 17 on) and that alone moves convnext_tiny's logits by
    1e-6, which would hide what this judges, kiln's conversion."""
    import json
    with open(os.path.join(corpus, "manifest.json")) as f:
        manifest = json.load(f)
    entries = manifest["models"] if isinstance(manifest, dict) and "models" in manifest else manifest
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for e in entries:
            src = os.path.join(corpus, e["model"])
            if filt not in e["model"]:
                continue
            with np.load(src[:-len(".onnx")] + ".inputs.npz") as z:
                feeds = {k: z[k] for k in z.files}
            try:
                expected = run_ort(src, feeds, tmp, optimize=False)
            except Exception as ex:  # noqa: BLE001
                print(f"skip {e['model']}: ONNX Runtime cannot run the source: {ex}")
                continue
            for target in targets:
                label = f"{e['model']} -> opset {target}"
                dst = os.path.join(tmp, f"out_{target}.onnx")
                r = subprocess.run([kiln, "convert", src, "--opset", str(target), "-o", dst], capture_output=True,
                                   text=True)
                if r.returncode == 2 and "cannot be written at opset" in r.stderr:
                    # A refusal that names what needs a newer opset is a correct answer.
                    print(f"ok   {label}: refused: {r.stderr.strip()[:300]}")
                    passed += 1
                    continue
                if r.returncode != 0:
                    print(f"FAIL {label}: kiln convert exited {r.returncode}: {r.stderr.strip()}")
                    failed += 1
                    continue
                checker_error = checker_failure(dst, target)
                if checker_error:
                    print(f"FAIL {label}: ONNX checker: {checker_error}")
                    failed += 1
                    continue
                try:
                    got = run_ort(dst, feeds, tmp, optimize=False)
                except Exception as ex:  # noqa: BLE001
                    print(f"FAIL {label}: ONNX Runtime: {ex}")
                    failed += 1
                    continue
                atol = CORPUS_ATOL_BY_MODEL.get(e.get("name"), CORPUS_ATOL)
                worst, bad = compare(expected, got, list(expected), atol * (1 + magnitude(expected)))
                print(("FAIL " if bad else "ok   ") + label + (": " + "; ".join(bad) if bad else f": max abs diff {worst:.3g}"))
                passed, failed = passed + (not bad), failed + bool(bad)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln")
    ap.add_argument("-k", default="")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--corpus")
    ap.add_argument("--targets", default="9,11,13,17,18,21")
    args = ap.parse_args()
    kiln = find_kiln(args.kiln)
    if not kiln or not os.path.exists(kiln):
        print("kiln binary not found (build the `kiln` target or pass --kiln)")
        return 1
    if args.corpus:
        return run_corpus(kiln, args.corpus, [int(t) for t in args.targets.split(",")], args.k)
    rng = np.random.default_rng(0)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases():
            if args.k not in case.name:
                continue
            src = os.path.join(tmp, case.name + ".onnx")
            onnx.save(case.model(), src)
            feeds = {n: rng.standard_normal(s).astype(np.float32) for n, t, s in case.inputs}
            out_names = [n for n, _, _ in case.outputs]
            try:
                if case.ref:
                    expected = dict(zip(out_names, case.ref(feeds)))
                elif not case.blocked:
                    expected = run_ort(src, feeds, tmp, optimize=False)
            except Exception as e:  # noqa: BLE001 - report and go on
                print(f"FAIL {case.name}: source model: {e}")
                failed += 1
                continue
            for target in case.targets:
                label = f"{case.name} opset {case.opset} -> {target}"
                dst = os.path.join(tmp, f"{case.name}_{target}.onnx")
                r = subprocess.run([kiln, "convert", src, "--opset", str(target), "-o", dst], capture_output=True,
                                   text=True)
                if target in case.blocked:
                    msg = r.stderr.strip()
                    ok = r.returncode == 2 and all(w in msg for w in case.blocked[target]) and not os.path.exists(dst)
                    print(("ok   " if ok else "FAIL ") + label + f": blocked: {msg}")
                    passed, failed = passed + ok, failed + (not ok)
                    continue
                if r.returncode != 0:
                    print(f"FAIL {label}: kiln convert exited {r.returncode}: {r.stderr.strip()}")
                    failed += 1
                    continue
                m = onnx.load(dst)
                opset = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
                if opset != [target]:
                    print(f"FAIL {label}: written opset {opset}")
                    failed += 1
                    continue
                if target < ORT_MIN_OPSET:
                    ops = sorted({n.op_type for n in m.graph.node})
                    print(f"ok   {label}: written (ONNX Runtime cannot run opset {target}); ops {ops}")
                    passed += 1
                    continue
                checker_error = checker_failure(dst, target)
                if checker_error:
                    print(f"FAIL {label}: ONNX checker: {checker_error}")
                    failed += 1
                    continue
                try:
                    got = run_ort(dst, feeds, tmp)
                except Exception as e:  # noqa: BLE001
                    print(f"FAIL {label}: ONNX Runtime: {e}")
                    failed += 1
                    continue
                worst, bad = compare(expected, got, out_names, case.atol)
                if bad:
                    print(f"FAIL {label}: " + "; ".join(bad))
                    failed += 1
                else:
                    ops = sorted({n.op_type for n in m.graph.node}) if args.v else ""
                    print(f"ok   {label}: max abs diff {worst:.3g} {ops}")
                    passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
