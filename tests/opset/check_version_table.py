#!/usr/bin/python3
"""Checks ir/op_versions.inc (kiln's table of when each ONNX op changed) against onnx.defs.

For every default-domain op, the versions at or below the newest opset the installed onnx
package knows must equal onnx.defs' since_versions, and an op's deprecation must be the
table's removal opset. Versions above that (18..21 with Debian's onnx 1.12) are compared with
KNOWN_CHANGES below, taken from the ONNX changelog. Every onnx.defs op must have a row.

With --form-changes it also checks tests/opset/form_changes.txt, the list of (op, version)
pairs whose attributes, inputs or outputs changed, which kiln_onnx_tests reads to make sure
every such change has an opset adapter (or a stated reason for needing none).

Usage: /usr/bin/python3 tests/opset/check_version_table.py [--write-form-changes]
Exit status 0 when everything matches, 1 otherwise (each mismatch is printed).
"""
import os
import re
import sys
from collections import defaultdict

import onnx
import onnx.defs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = os.path.join(ROOT, "ir", "op_versions.inc")
FORM_CHANGES = os.path.join(ROOT, "tests", "opset", "form_changes.txt")
KILN_MAX_OPSET = 21

# Opsets 18..21 (ONNX 1.13-1.16 changelogs): op -> versions at which it changed.
KNOWN_CHANGES = {
    18: ["BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor", "CenterCropPad", "Col2Im", "GroupNormalization",
         "LpPool", "Mish", "OptionalGetElement", "OptionalHasElement", "Pad", "ReduceL1", "ReduceL2", "ReduceLogSum",
         "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare", "Resize",
         "ScatterElements", "ScatterND", "Split"],
    19: ["AveragePool", "Cast", "CastLike", "Constant", "DeformConv", "DequantizeLinear", "Equal", "Identity", "If",
         "Loop", "Pad", "QuantizeLinear", "Reshape", "Resize", "Scan", "Shape", "Size"],
    20: ["AffineGrid", "ConstantOfShape", "DFT", "Gelu", "GridSample", "ImageDecoder", "IsInf", "IsNaN", "ReduceMax",
         "ReduceMin", "RegexFullMatch", "StringConcat", "StringSplit"],
    21: ["Cast", "CastLike", "Constant", "ConstantOfShape", "DequantizeLinear", "Flatten", "GroupNormalization",
         "Identity", "If", "Loop", "Pad", "QLinearMatMul", "QuantizeLinear", "Reshape", "Scan", "Shape", "Size",
         "Squeeze", "Transpose", "Unsqueeze"],
}

# Form changes at opsets 18..21 (attributes/inputs/outputs), which onnx 1.12 cannot list.
KNOWN_FORM_CHANGES = [
    ("AveragePool", 19, "+attr:dilations"),
    ("Cast", 19, "+attr:saturate"),
    ("CastLike", 19, "+attr:saturate"),
    ("DFT", 20, "-attr:axis inputs=input,dft_length,axis"),
    ("DequantizeLinear", 21, "+attr:block_size"),
    ("GridSample", 20, "mode values renamed"),
    ("GroupNormalization", 21, "+attr:stash_type scale/bias per channel"),
    ("LpPool", 18, "+attr:ceil_mode +attr:dilations"),
    ("Pad", 18, "inputs=data,pads,constant_value,axes"),
    ("Pad", 19, "mode value wrap"),
    ("QuantizeLinear", 19, "+attr:saturate"),
    ("QuantizeLinear", 21, "+attr:block_size +attr:output_dtype"),
    ("Resize", 18, "+attr:antialias +attr:axes +attr:keep_aspect_ratio_policy"),
    ("Resize", 19, "coordinate_transformation_mode value half_pixel_symmetric"),
    ("ScatterElements", 18, "reduction values max/min"),
    ("ScatterND", 18, "reduction values max/min"),
    ("Split", 18, "+attr:num_outputs"),
] + [(op, 18, "-attr:axes +attr:noop_with_empty_axes inputs=data,axes")
     for op in ["ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin",
                "ReduceProd", "ReduceSumSquare"]]

# Changes of meaning that onnx.defs shows only in the docs, not in attributes or inputs.
SEMANTIC_CHANGES = [
    ("Hardmax", 13, "single-axis instead of 2-D coercion, default axis -1"),
    ("LogSoftmax", 13, "single-axis instead of 2-D coercion, default axis -1"),
    ("Softmax", 13, "single-axis instead of 2-D coercion, default axis -1"),
    ("Dropout", 10, "mask output is bool"),
    ("Max", 8, "multidirectional broadcasting"), ("Min", 8, "multidirectional broadcasting"),
    ("Mean", 8, "multidirectional broadcasting"), ("Sum", 8, "multidirectional broadcasting"),
    ("PRelu", 7, "unidirectional broadcasting of slope"),
    ("Resize", 13, "tf_half_pixel_for_nn removed, roi/scales optional"),
    ("RoiAlign", 16, "default coordinate mode half_pixel (was output_half_pixel)"),
] + [(op, 11, "negative axes allowed")
     for op in ["ArgMax", "ArgMin", "Compress", "Concat", "Flatten", "Hardmax", "LogSoftmax", "ReduceL1", "ReduceL2",
                "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
                "ReduceSumSquare", "Slice", "Softmax", "Split", "Squeeze", "TopK", "Unsqueeze"]]

ROW = re.compile(r'^\{"(\w+)",\s*\{([\d,\s]*)\}(?:,\s*(\d+))?\},\s*$')


def parse_table(path):
    rows, errors, order = {}, [], []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            m = ROW.match(line)
            if not m:
                errors.append(f"{path}:{lineno}: cannot parse row: {line}")
                continue
            versions = [int(v) for v in m.group(2).replace(" ", "").split(",") if v]
            rows[m.group(1)] = (versions, int(m.group(3) or 0))
            order.append(m.group(1))
    if order != sorted(order):
        errors.append("rows are not sorted by op name (ir/op_versions.cpp binary-searches them)")
    for op, (versions, _) in rows.items():
        if versions != sorted(set(versions)):
            errors.append(f"{op}: versions {versions} are not strictly ascending")
        if len(versions) > 9:
            errors.append(f"{op}: more than 9 versions; widen OpVersionRow::versions")
    return rows, errors


def onnx_history():
    """op -> (sorted non-deprecated since_versions, deprecation version or 0, {version: schema})."""
    by = defaultdict(list)
    for s in onnx.defs.get_all_schemas_with_history():
        if s.domain in ("", "ai.onnx"):
            by[s.name].append(s)
    out = {}
    for name, schemas in by.items():
        schemas.sort(key=lambda s: s.since_version)
        live = [s.since_version for s in schemas if not s.deprecated]
        dep = [s.since_version for s in schemas if s.deprecated]
        out[name] = (live, dep[0] if dep else 0, {s.since_version: s for s in schemas})
    return out


def form_signature(schema):
    attrs = sorted((n, int(a.type), bool(a.required)) for n, a in schema.attributes.items())
    ins = [(i.name, int(i.option)) for i in schema.inputs]
    outs = [(o.name, int(o.option)) for o in schema.outputs]
    return attrs, ins, outs


def form_changes(history, known_max):
    """(op, version, description) for every version whose attributes/inputs/outputs changed."""
    changes = []
    for op, (_, _, schemas) in sorted(history.items()):
        prev = None
        for v in sorted(schemas):
            if v > known_max or schemas[v].deprecated:
                continue
            sig = form_signature(schemas[v])
            if prev is not None and sig != prev:
                pa, pi, po = prev
                a, i, o = sig
                names, prev_names = {x[0]: x for x in a}, {x[0]: x for x in pa}
                desc = [f"+attr:{x}" for x in names if x not in prev_names] + \
                       [f"-attr:{x}" for x in prev_names if x not in names] + \
                       [f"~attr:{x}" for x in names if x in prev_names and names[x] != prev_names[x]]
                if [n for n, _ in i] != [n for n, _ in pi] or i != pi:
                    desc.append("inputs=" + ",".join(n for n, _ in i))
                if o != po:
                    desc.append("outputs=" + ",".join(n for n, _ in o))
                changes.append((op, v, " ".join(desc)))
            prev = sig
    return changes


def main():
    write = "--write-form-changes" in sys.argv
    known_max = min(onnx.defs.onnx_opset_version(), KILN_MAX_OPSET)
    rows, errors = parse_table(TABLE)
    history = onnx_history()

    for op, (live, dep, _) in sorted(history.items()):
        if min(list(live) + [dep or 99]) > KILN_MAX_OPSET:
            continue
        if op not in rows:
            errors.append(f"{op}: in onnx.defs (versions {live}) but missing from the table")
            continue
        versions, removed = rows[op]
        want = [v for v in live if v <= known_max]
        have = [v for v in versions if v <= known_max]
        if want != have:
            errors.append(f"{op}: table has {have} up to opset {known_max}, onnx.defs has {want}")
        if dep and dep <= known_max and removed != dep:
            errors.append(f"{op}: deprecated at {dep} in onnx.defs, table says removed at {removed or 'never'}")
        if removed and removed <= known_max and removed != dep:
            errors.append(f"{op}: table says removed at {removed}, onnx.defs does not deprecate it then")

    # Versions onnx.defs does not know yet come from the changelog list above.
    expected_new = defaultdict(list)
    for v, ops in KNOWN_CHANGES.items():
        if v > known_max:
            for op in ops:
                expected_new[op].append(v)
    for op, (versions, _) in sorted(rows.items()):
        have = [v for v in versions if v > known_max]
        if have != sorted(expected_new.get(op, [])):
            errors.append(f"{op}: table has {have} above opset {known_max}, the changelog list has "
                          f"{sorted(expected_new.get(op, []))}")
        if op not in history and not [v for v in versions if v <= known_max] and op not in expected_new:
            errors.append(f"{op}: not in onnx.defs and not in the changelog list")
    for op in expected_new:
        if op not in rows:
            errors.append(f"{op}: changed at {expected_new[op]} per the changelog list but missing from the table")

    # The form-change list that kiln_onnx_tests checks adapters against.
    changes = form_changes(history, known_max) + [c for c in KNOWN_FORM_CHANGES if c[1] > known_max] + \
        SEMANTIC_CHANGES
    lines = ["# (op, version) pairs whose form changed: attributes (+added -removed ~retyped), inputs, outputs or\n# meaning. Generated",
             "# by tests/opset/check_version_table.py --write-form-changes; kiln_onnx_tests requires an",
             "# opset adapter (or a stated reason for none) for each."]
    lines += [f"{op} {v} {desc}" for op, v, desc in sorted(set(changes), key=lambda c: (c[0], c[1], c[2]))]
    text = "\n".join(lines) + "\n"
    if write:
        with open(FORM_CHANGES, "w") as f:
            f.write(text)
    else:
        try:
            with open(FORM_CHANGES) as f:
                if f.read() != text:
                    errors.append(f"{FORM_CHANGES} is stale: rerun with --write-form-changes")
        except FileNotFoundError:
            errors.append(f"{FORM_CHANGES} is missing: run with --write-form-changes")

    for e in errors:
        print("FAIL:", e)
    print(f"checked {len(rows)} ops against onnx {onnx.__version__} (opsets <= {known_max}) "
          f"and the changelog list (opsets {known_max + 1}..{KILN_MAX_OPSET}): "
          f"{'OK' if not errors else str(len(errors)) + ' problem(s)'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
