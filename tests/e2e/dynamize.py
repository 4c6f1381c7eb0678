#!/usr/bin/python3
"""Shape-dynamizing end to end: every model of the dynamic corpus (gen_dynamic_corpus.py) bakes
its traced sizes, so before kiln it fails or computes wrong numbers in ONNX Runtime at batch 3 /
sequence 77 (the CNNs with dynamic height and width: at the size the corpus marks `probe`), both
as exported and with its input axes merely declared dynamic; after
`kiln compile --dynamic ...` it passes the ONNX checker, carries the symbols to its output, and
matches eager PyTorch within 1e-5 at every tested size. Models the corpus marks `refused` must
instead be reported node by node (and be an error with --strict-dynamic).

    tests/e2e/dynamize.py KILN CORPUS_DIR WORK_DIR
"""
import json
import os
import sys

import numpy as np
import onnx

from harness import Summary, compare, ort, run

ATOL = 1e-5
PROBE = (3, 77)  # the size at which the exported model must fail or mismatch (or the size marked `probe`)


def split(npz_path, work, stem):
    """The corpus .npz holds `in.<name>` and `out.<name>`: writes the inputs as their own .npz."""
    data = np.load(npz_path)
    inputs = {k[3:]: data[k] for k in data.files if k.startswith("in.")}
    expected = {k[4:]: data[k] for k in data.files if k.startswith("out.")}
    path = os.path.join(work, stem + ".inputs.npz")
    np.savez(path, **inputs)
    return path, expected


def size_label(size):
    """`batch 3 sequence 77` or `batch 3 height 37 width 45`."""
    if "height" in size:
        return f"batch {size['batch']} height {size['height']} width {size['width']}"
    return f"batch {size['batch']} sequence {size['sequence']}"


def declared_dynamic(src, dst, flags):
    """The exported model with the --dynamic axes declared symbolic and nothing else changed:
    what an exporter's dynamic_axes gives when the constants inside stay baked."""
    m = onnx.load(src)
    axes = []
    args = list(flags)
    for i, a in enumerate(args):
        if a == "--dynamic":
            name, rest = args[i + 1].rsplit(":", 1)
            axes.append((name, int(rest.split("=")[0]), rest.split("=")[1].split("@")[0]))
        elif a == "--dynamic-batch":
            axes += [(inp.name, 0, "batch") for inp in m.graph.input]
    for inp in m.graph.input:
        for name, axis, symbol in axes:
            if inp.name == name:
                inp.type.tensor_type.shape.dim[axis].dim_param = symbol
    del m.graph.value_info[:]  # recorded intermediate shapes would only restate the trace
    for out in m.graph.output:
        for d in out.type.tensor_type.shape.dim:
            d.dim_param = "out_" + str(id(d) % 1000)
    onnx.save(m, dst)


def fails_or_mismatches(model, inputs, expected, work, stem):
    """A description of how the model goes wrong, or None when it runs correctly."""
    try:
        got = ort(model, inputs, os.path.join(work, stem + ".npz"))
    except RuntimeError as e:
        return "fails: " + str(e).split("run failed:")[-1].strip()[:120]
    problems = compare(expected, got, ATOL)
    return "mismatches: " + "; ".join(problems) if problems else None


def check_refusal(kiln, src, flags, out):
    """A model kiln cannot make dynamic: a warning per kept size naming the node, and with
    --strict-dynamic exit 2, one line, no output file."""
    problems = []
    code, _, err = run([kiln, "compile", src, *flags, "-o", out])
    reports = [line for line in err.splitlines() if "warning: node '" in line and "dynamize-shapes: kept" in line]
    if code != 0 or not reports:
        problems.append(f"expected exit 0 with dynamize-shapes warnings, got exit {code}: {err.strip()[:200]}")
    strict = out.replace(".onnx", ".strict.onnx")
    code, _, err = run([kiln, "compile", src, *flags, "--strict-dynamic", "-o", strict])
    lines = err.strip().splitlines()
    if code != 2 or len(lines) != 1 or "--strict-dynamic" not in lines[0] or "node '" not in lines[0]:
        problems.append(f"--strict-dynamic: expected exit 2 and one line naming the node, got exit {code}: {err.strip()[:200]}")
    if os.path.exists(strict):
        problems.append("--strict-dynamic left an output file")
    return problems


def check_bad_flags(kiln, model, work, summary):
    """Malformed or impossible --dynamic flags: exit 2, one line naming the flag, no output."""
    cases = {
        "no '='": ["--dynamic", "x"],
        "the graph has no input 'nope'": ["--dynamic", "nope:0=batch"],
        "out of range for rank": ["--dynamic", "x:7=batch"],
        "--strict-dynamic needs --dynamic": ["--strict-dynamic"],
    }
    for expect, flags in cases.items():
        out = os.path.join(work, "bad_flags.onnx")
        code, _, err = run([kiln, "compile", model, *flags, "-o", out])
        lines = err.strip().splitlines()
        problems = []
        if code != 2 or len(lines) != 1 or expect not in lines[0]:
            problems.append(f"expected exit 2 and one line with '{expect}', got exit {code}: {err.strip()[:200]}")
        if os.path.exists(out):
            problems.append("an output file was written")
        summary.check(f"bad flags {' '.join(flags)}", problems)


def main(kiln, corpus, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    manifest = json.load(open(os.path.join(corpus, "manifest.json")))
    for entry in manifest["models"]:
        name, flags = entry["name"], entry["dynamic"]
        src = os.path.join(corpus, entry["model"])
        probe = next(s for s in entry["sizes"]
                     if s.get("probe") or (s["batch"] == PROBE[0] and s.get("sequence", 0) in (PROBE[1], None)))
        inputs, expected = split(os.path.join(corpus, probe["file"]), work, f"{name}.probe")

        # Before kiln: the export is baked, both as written and with its axes declared dynamic.
        problems = []
        if fails_or_mismatches(src, inputs, expected, work, f"{name}.before") is None:
            problems.append("the exported model already runs correctly at the probe size")
        relaxed = os.path.join(work, name + ".declared.onnx")
        declared_dynamic(src, relaxed, flags)
        how = fails_or_mismatches(relaxed, inputs, expected, work, f"{name}.declared")
        if how is None:
            problems.append("with its axes declared dynamic the model already runs correctly: nothing is baked")
        summary.check(f"{name} before kiln: {how}", problems)

        out = os.path.join(work, name + ".dynamic.onnx")
        if entry.get("refused"):
            summary.check(f"{name} refused", check_refusal(kiln, src, flags, out))
            continue
        code, _, err = run([kiln, "compile", src, *flags, "-o", out])
        if code != 0:
            summary.check(f"{name} compile", [f"kiln compile exit {code}: {err.strip()}"])
            continue
        problems = [line for line in err.splitlines() if "dynamize-shapes" in line]
        try:
            model = onnx.load(out)
            onnx.checker.check_model(model, full_check=True)
            dims = [d.dim_param or str(d.dim_value) for d in model.graph.output[0].type.tensor_type.shape.dim]
            symbols = {"batch", "sequence", "height", "width"}
            if not any(any(s in d for s in symbols) for d in dims):
                problems.append(f"output shape {dims} carries no symbol")
        except Exception as e:  # noqa: BLE001 - every failure becomes a reported case
            problems.append(str(e).splitlines()[0])
        summary.check(f"{name} compile {' '.join(flags)} -> output {dims if not problems else '?'}", problems)

        for size in entry["sizes"]:
            label = size_label(size)
            stem = f"{name}.{label.replace(' ', '_')}"
            inputs, expected = split(os.path.join(corpus, size["file"]), work, stem)
            try:
                got = ort(out, inputs, os.path.join(work, stem + ".out.npz"))
                problems = compare(expected, got, ATOL)
            except RuntimeError as e:
                problems = [str(e)]
            summary.check(f"{name} {label}", problems)
    check_bad_flags(kiln, os.path.join(corpus, manifest["models"][0]["model"]), work, summary)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
