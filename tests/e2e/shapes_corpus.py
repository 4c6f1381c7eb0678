#!/usr/bin/python3
"""kiln's inferred shapes equal the real ones on whole models. For every corpus model, every
node output of the main graph becomes a graph output (onnx Python API), ONNX Runtime runs the
model on the corpus inputs and reports each value's shape, and each is compared with the type
kiln's shape inference gives it (`kiln inspect --json --values`). Symbolic dims must bind
consistently: one symbol is one size across the whole model, and an expression of symbols
(`2*batch`, `sequence+1`) must evaluate to the real size.

A dim kiln leaves unknown (`?`) or an unranked result is allowed only for ops whose output
shape depends on tensor values at run time (DATA_DEPENDENT below); anywhere else it is a
failure, as is every mismatch.

    tests/e2e/shapes_corpus.py KILN CORPUS_DIR WORK_DIR
"""
import ast
import json
import os
import re
import sys

import numpy as np
import onnx

from harness import ORT_RUN, Summary, run

# Ops whose output shape is a function of input values that shape inference cannot see
# without folding: NonZero's count, a Loop's trip count, TopK's k or a Range's bounds when
# computed. Everything else must be inferred fully for models with static inputs.
DATA_DEPENDENT = {"NonZero", "Loop", "Scan", "If", "TopK", "Range", "Unique", "Compress"}

SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def eval_dim(expr, binding):
    """Evaluates a symbolic dim (`batch`, `2*batch`, `batch*heads`, `sequence+1`) under
    `binding`; None when a symbol is unbound."""
    names = set(SYMBOL.findall(expr))
    if not names <= set(binding):
        return None
    tree = ast.parse(expr, mode="eval")
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.USub,
               ast.Constant, ast.Name, ast.Load, ast.FloorDiv, ast.Pow)
    if not all(isinstance(n, allowed) for n in ast.walk(tree)):
        raise ValueError(f"unexpected dim expression {expr!r}")
    return eval(compile(tree, "<dim>", "eval"), {"__builtins__": {}}, dict(binding))  # noqa: S307


def bind(expr, size, binding):
    """Binds a lone symbol the first time it is seen."""
    if SYMBOL.fullmatch(expr) and expr not in binding:
        binding[expr] = size


def expose_all_values(src, dst, names):
    """Writes `src` with every name in `names` added as a graph output (types left to ORT)."""
    model = onnx.load(src)
    present = {o.name for o in model.graph.output}
    for name in names:
        if name not in present:
            model.graph.output.append(onnx.ValueInfoProto(name=name))
    onnx.save(model, dst)


def ort_shapes(model, inputs):
    code, out, err = run(["node", ORT_RUN, model, inputs, "--print-shapes"], timeout=600)
    if code != 0:
        raise RuntimeError(f"ONNX Runtime failed: {err.strip()}")
    return {o["name"]: o["dims"] for o in json.loads(out)}


def check_model(kiln, corpus, work, entry):
    src = os.path.join(corpus, entry["model"])
    inputs = os.path.join(corpus, entry["inputs_file"])
    code, out, err = run([kiln, "inspect", "--json", "--values", src])
    if code != 0:
        return [f"kiln inspect exit {code}: {err.strip()}"], {}
    facts = json.loads(out)
    onnx_names = {o for n in onnx.load(src, load_external_data=False).graph.node for o in n.output if o}
    # Values kiln renamed or created (none expected) cannot be looked up in the source model.
    values = [v for v in facts["values"] if v["name"] in onnx_names]
    exposed = os.path.join(work, entry["model"][:-len(".onnx")] + ".all_values.onnx")
    expose_all_values(src, exposed, [v["name"] for v in values])
    real = ort_shapes(exposed, inputs)

    binding = {}
    feeds = np.load(inputs)
    for v in facts["inputs"]:
        if v["shape"] and v["name"] in feeds.files:
            for d, size in zip(v["shape"], feeds[v["name"]].shape):
                if isinstance(d, str):
                    bind(d, size, binding)

    problems, unknown = [], {"checked": 0}
    for v in values:
        name, shape, op = v["name"], v["shape"], v["op"]
        if name not in real:
            problems.append(f"{name} ({op}): ONNX Runtime did not produce it")
            continue
        want = real[name]
        if shape is None or any(d is None for d in shape):
            if op in DATA_DEPENDENT:
                unknown[op] = unknown.get(op, 0) + 1
            else:
                problems.append(f"{name} ({op}): kiln infers {v['type']}, real {want}")
            continue
        unknown["checked"] += 1
        if len(shape) != len(want):
            problems.append(f"{name} ({op}): kiln infers rank {len(shape)} ({v['type']}), real {want}")
            continue
        for d, size in zip(shape, want):
            if isinstance(d, str):
                bind(d, size, binding)
                d = eval_dim(d, binding)
            if d is not None and d != size:
                problems.append(f"{name} ({op}): kiln infers {v['type']}, real {want}")
                break
    return problems, unknown


def main(kiln, corpus, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    for entry in json.load(open(os.path.join(corpus, "manifest.json")))["models"]:
        try:
            problems, unknown = check_model(kiln, corpus, work, entry)
        except Exception as e:  # noqa: BLE001 - every failure becomes a reported case
            problems, unknown = [str(e).splitlines()[0] if str(e) else type(e).__name__], {}
        checked = unknown.pop("checked", 0)
        print(f"     {entry['model']}: {checked} values checked" +
              (f", unknown by design: {unknown}" if unknown else ""), flush=True)
        summary.check(entry["model"], problems[:10] + ([f"... {len(problems) - 10} more"] if len(problems) > 10 else []))
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
