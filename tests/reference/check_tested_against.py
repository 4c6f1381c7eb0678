#!/usr/bin/python3
"""The "tested against" column of `kiln ops` (docs/ops.md) must say exactly which oracle tests
each op: ONNX Runtime when a single-op case ONNX Runtime ran uses the op (the op_cases fixture,
tests/reference/op_cases*.py), libtorch when tests/reference/torch_cross_check.py covers it.
A claim without a test, or a test the column does not mention, fails; the message lists what
to change in tools/lib/op_oracles.cpp.

    tests/reference/check_tested_against.py KILN OP_CASES_DIR
"""
import json
import os
import subprocess
import sys

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))


def ort_ops(op_cases):
    """Op types of every case ONNX Runtime ran, over the fixture's parts (a, b)."""
    ops = set()
    for part in sorted(os.listdir(op_cases)):
        index = os.path.join(op_cases, part, "index.json")
        if not os.path.isfile(index):
            continue
        for name in json.load(open(index))["cases"]:
            model = onnx.load(os.path.join(op_cases, part, name, "model.onnx"))
            ops |= {n.op_type for n in model.graph.node if n.domain in ("", "ai.onnx")}
    return ops


def torch_ops():
    out = subprocess.run([sys.executable, os.path.join(HERE, "torch_cross_check.py"), "--list-ops"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def column(kiln):
    """{op: set of oracles} from the Markdown table `kiln ops` prints."""
    lines = subprocess.run([kiln, "ops"], capture_output=True, text=True, check=True).stdout.splitlines()
    rows = [l for l in lines if l.startswith("| ")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    col = header.index("tested against")
    table = {}
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        table[cells[0]] = set() if cells[col] == "-" else {c.strip() for c in cells[col].split(",")}
    return table


def main(kiln, op_cases):
    table = column(kiln)
    want = {"ONNX Runtime": ort_ops(op_cases), "libtorch": torch_ops()}
    if len(want["ONNX Runtime"]) < 50:
        print(f"only {len(want['ONNX Runtime'])} ops in {op_cases}: is the op_cases fixture complete?")
        return 1
    problems = []
    for oracle, ops in want.items():
        claimed = {op for op, oracles in table.items() if oracle in oracles}
        # A tested kernel without a registry schema would have no row to carry the claim.
        for op in sorted(ops - set(table)):
            problems.append(f"{op}: tested against {oracle}, but the op registry has no schema for it")
        for op in sorted((ops & set(table)) - claimed):
            problems.append(f"{op}: tested against {oracle}, the column does not say so")
        for op in sorted(claimed - ops):
            problems.append(f"{op}: the column claims {oracle}, no test runs it")
    for p in problems:
        print("FAIL " + p)
    counts = {o: len(s & set(table)) for o, s in want.items()}
    print(f"{len(table)} ops; tested against ONNX Runtime: {counts['ONNX Runtime']}, libtorch: {counts['libtorch']}; "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
