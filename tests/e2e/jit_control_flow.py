#!/usr/bin/python3
"""If, Loop and Scan on the JIT against ONNX Runtime: the control-flow op cases of
tests/reference/op_cases_b.py (branches, nested If, counted / condition-driven / zero-trip
loops, a carried sequence, scans in both directions and along other axes) plus an If nested in
a Loop whose branches differ in shape, each run with `kiln run --backend jit` and compared with
ONNX Runtime's outputs; `kiln bench --stats` must list no If/Loop/Scan fallback (their bodies
run as generated programs, docs/jit.md).

    tests/e2e/jit_control_flow.py KILN WORK_DIR
"""
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

from harness import ROOT, Summary, compare, ort, run

ATOL = 1e-5
CONTROL_FALLBACK = re.compile(r"^FALLBACK\s+'[^']*' \((If|Loop|Scan)\)", re.M)


def nested_model(path):
    """Loop(n) carrying v[2,3]; even trips add the outer w, odd trips run an If whose branches
    return [2,3] and [3,2] reshaped back (different branch shapes); scan output: row sums."""
    F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
    vi = helper.make_tensor_value_info
    shape23 = helper.make_tensor("shape23", I64, [2], [2, 3])
    shape32 = helper.make_tensor("shape32", I64, [2], [3, 2])
    then_g = helper.make_graph([helper.make_node("Add", ["v", "w"], ["t"])], "even", [], [vi("t", F, [2, 3])])
    else_g = helper.make_graph(
        [helper.make_node("Tanh", ["v"], ["th"]), helper.make_node("Reshape", ["th", "s32"], ["e"])],
        "odd", [], [vi("e", F, [3, 2])])
    body = helper.make_graph(
        [helper.make_node("Constant", [], ["two"], value=helper.make_tensor("two_v", I64, [], [2])),
         helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("zero_v", I64, [], [0])),
         helper.make_node("Mod", ["i", "two"], ["r"]),
         helper.make_node("Equal", ["r", "zero"], ["even"]),
         helper.make_node("If", ["even"], ["branch"], then_branch=then_g, else_branch=else_g),
         helper.make_node("Reshape", ["branch", "s23"], ["v_out"]),
         helper.make_node("ReduceSum", ["v_out", "axes1"], ["rows"], keepdims=0),
         helper.make_node("Identity", ["cond"], ["cond_out"])],
        "body", [vi("i", I64, []), vi("cond", B, []), vi("v", F, [2, 3])],
        [vi("cond_out", B, []), vi("v_out", F, [2, 3]), vi("rows", F, [2])])
    graph = helper.make_graph(
        [helper.make_node("Sigmoid", ["x"], ["w"]),
         helper.make_node("Constant", [], ["s23"], value=shape23),
         helper.make_node("Constant", [], ["s32"], value=shape32),
         helper.make_node("Constant", [], ["axes1"], value=helper.make_tensor("axes1_v", I64, [1], [1])),
         helper.make_node("Constant", [], ["true"], value=helper.make_tensor("true_v", B, [], [True])),
         helper.make_node("Loop", ["n", "true", "x"], ["y", "trace"], body=body)],
        "nested", [vi("n", I64, []), vi("x", F, [2, 3])], [vi("y", F, [2, 3]), vi("trace", F, [None, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main(kiln, work):
    os.makedirs(work, exist_ok=True)
    cases = os.path.join(work, "cases")
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "reference", "op_cases_b.py"), cases,
                    "--filter", r"^(If|Loop|Scan)_"], check=True, stdout=subprocess.DEVNULL)
    runs = []  # (name, model, inputs npz, expected npz or None)
    for name in sorted(os.listdir(cases)):
        d = os.path.join(cases, name)
        if os.path.isdir(d):
            runs.append((name, os.path.join(d, "model.onnx"), os.path.join(d, "in.npz"), os.path.join(d, "ort_out.npz")))
    nested = os.path.join(work, "nested_if_in_loop.onnx")
    nested_model(nested)
    rng = np.random.default_rng(0)
    for trips in (0, 1, 4):
        inputs = os.path.join(work, f"nested_{trips}.in.npz")
        np.savez(inputs, n=np.array(trips, np.int64), x=rng.standard_normal((2, 3)).astype(np.float32))
        runs.append((f"nested_if_in_loop trips={trips}", nested, inputs, None))

    summary = Summary()
    for index, (name, model, inputs, expected_file) in enumerate(runs):
        if expected_file is None:
            expected_file = os.path.join(work, f"{index}.ort.npz")
            expected = ort(model, inputs, expected_file)
        else:
            expected = dict(np.load(expected_file))
        problems = []
        for threads in (1, 2):
            out = os.path.join(work, f"{index}.jit{threads}.npz")
            code, _, err = run([kiln, "run", model, "--backend", "jit", "--threads", str(threads), "--input", inputs,
                                "-o", out])
            if code != 0:
                problems.append(f"kiln run (threads={threads}) exit {code}: {err.strip()}")
                continue
            problems += [f"threads={threads}: {p}" for p in compare(expected, dict(np.load(out)), ATOL)]
        code, stats, err = run([kiln, "bench", model, "--backend", "jit", "--iters", "1", "--warmup", "0", "--stats",
                                "--input", inputs])
        if code != 0:
            problems.append(f"kiln bench exit {code}: {err.strip()}")
        problems += [f"control node fell back: {m.group(0)}" for m in CONTROL_FALLBACK.finditer(stats)]
        summary.check(name, problems)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:3])
