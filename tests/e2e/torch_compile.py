#!/usr/bin/python3
"""Every generated TorchScript model (tests/torch/gen_torch_models.py), compiled by kiln to
ONNX at opsets 11, 13 and 17, runs in ONNX Runtime and matches libtorch's outputs within
max-abs-diff 1e-5 (a model's manifest entry may name a looser tolerance, with the reason in
the generator).

    tests/e2e/torch_compile.py KILN MODELS_DIR WORK_DIR [NAME...]
"""
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from harness import Summary, compare, ort, run

OPSETS = (11, 13, 17)
ATOL = 1e-5


def input_shape_args(entry):
    args = []
    for i in entry["inputs"]:
        args += ["--input-shape", f"{i['name']}={'x'.join(str(d) for d in i['shape'])}:{i['dtype']}"]
    return args


def check(kiln, models, work, entry, opset):
    name = entry["name"]
    out = os.path.join(work, f"{name}.opset{opset}.onnx")
    # kiln's own validation (libtorch against the compiled model in kiln's interpreter) runs once
    # per model, at the newest opset; ONNX Runtime judges every opset below. The interpreter,
    # not the default JIT: compiling 16 models with LLVM would add minutes and test nothing here
    # (validate_cli covers the JIT candidate).
    validate = ["--validate", "--candidate-backend", "reference"] if opset == OPSETS[-1] else ["--no-validate"]
    code, _, err = run([kiln, "compile", os.path.join(models, name + ".pt"), *input_shape_args(entry),
                        "--opset", str(opset), *validate, "-o", out], timeout=600)
    if code != 0:
        return [f"kiln compile exit {code}: {err.strip()}"]
    if opset == OPSETS[-1] and not any(v in err for v in ("validation: PASS", "validation: WARN")):
        return [f"kiln compile's validation against libtorch did not pass: {err.strip()}"]
    try:
        actual = ort(out, os.path.join(models, name + ".inputs.npz"), os.path.join(work, f"{name}.opset{opset}.ort.npz"))
    except RuntimeError as e:
        return [str(e)]
    expected = dict(np.load(os.path.join(models, name + ".expected.npz")))
    return compare(expected, actual, atol=entry.get("atol", ATOL))


def main(kiln, models, work, *names):
    os.makedirs(work, exist_ok=True)
    manifest = json.load(open(os.path.join(models, "manifest.json")))
    cases = [(e, opset) for e in manifest if not names or e["name"] in names for opset in OPSETS
             if opset >= e.get("min_opset", 11)]
    summary = Summary()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda c: check(kiln, models, work, *c), cases)
        for (entry, opset), problems in zip(cases, results):
            summary.check(f"{entry['name']} opset {opset}", problems)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:])
