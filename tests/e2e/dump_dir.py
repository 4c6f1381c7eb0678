#!/usr/bin/python3
"""`kiln compile -O2 --dump-dir D --dump-onnx --dump-dot` on corpus models: every pass run that
changed the IR has its numbered .kir, .onnx and .dot; every .onnx passes the ONNX checker and
gives ONNX Runtime outputs within 1e-5 of the source model's; every .dot is well-formed dot
whose boxes are exactly the IR's nodes (subgraphs as clusters).

    tests/e2e/dump_dir.py KILN CORPUS_DIR WORK_DIR
"""
import json
import os
import re
import shutil
import sys

import onnx

from harness import Summary, compare, ort, run

# One CNN (BatchNorm folding changes it), the transformer (many passes fire) and the scripted
# control-flow model (subgraphs), at one opset each: enough to cover every dump path.
MODELS = ("resnet18_op13", "transformer_encoder_op14", "control_flow_op16")

TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|->|[{}\[\];=,]|[A-Za-z0-9_.]+|\S')


def parse_dot(text):
    """A parser for the dot subset kiln writes (node and edge statements, attribute lists,
    nested `subgraph "cluster_..." {}`). Returns (node ids with their shape, edges, clusters);
    raises ValueError on anything malformed."""
    tokens = TOKEN.findall(text)
    pos = 0

    def take(expected=None):
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError("unexpected end of file")
        tok = tokens[pos]
        if expected is not None and tok != expected:
            raise ValueError(f"expected {expected!r}, got {tok!r} at token {pos}")
        pos += 1
        return tok

    def attrs():
        out = {}
        take("[")
        while tokens[pos] != "]":
            key = take()
            take("=")
            out[key] = take()
            if tokens[pos] == ",":
                take(",")
        take("]")
        return out

    nodes, edges, clusters = {}, [], []

    def body():
        take("{")
        while tokens[pos] != "}":
            tok = take()
            if tok == "subgraph":
                name = take()
                if not name.startswith('"cluster_'):
                    raise ValueError(f"subgraph {name} is not a cluster")
                clusters.append(name)
                body()
                continue
            if tok in ("node", "edge"):
                attrs()
            elif tokens[pos] == "=":  # graph attribute: label="..."
                take("=")
                take()
            elif tokens[pos] == "->":
                take("->")
                dst = take()
                edges.append((tok, dst, attrs()))
            else:
                a = attrs()
                if tok in nodes:
                    raise ValueError(f"node {tok} declared twice")
                nodes[tok] = a.get("shape", "box")
            take(";")
        take("}")

    take("digraph")
    take()
    body()
    if pos != len(tokens):
        raise ValueError("text after the closing brace")
    for src, dst, _ in edges:
        for end in (src, dst):
            if end not in nodes:
                raise ValueError(f"edge end {end} is not a declared node")
    return nodes, edges, clusters


def ir_counts(kir):
    """(nodes, subgraphs) of a .kir file: one `%x = Op(` or `Op(` statement per node."""
    text = open(kir).read()
    nodes = len(re.findall(r"^\s+(?:%\S+(?:\s*,\s*%\S+)*\s*=\s*)?[A-Za-z][\w.]*\(", text, re.M))
    subgraphs = len(re.findall(r"graph @", text)) - 1  # the main graph is not a cluster
    return nodes, subgraphs


def check_model(kiln, corpus, work, entry):
    stem = entry["model"][:-len(".onnx")]
    src = os.path.join(corpus, entry["model"])
    inputs = os.path.join(corpus, entry["inputs_file"])
    dump = os.path.join(work, stem)
    shutil.rmtree(dump, ignore_errors=True)
    out = os.path.join(work, stem + ".O2.onnx")
    code, _, err = run([kiln, "compile", src, "-O2", "--dump-dir", dump, "--dump-onnx", "--dump-dot", "--no-validate", "-o", out])
    if code != 0:
        return [f"kiln compile exit {code}: {err.strip()}"]
    index = open(os.path.join(dump, "index.txt")).read()
    stems = ["00-input"] + re.findall(r"changed -> (\S+)\.kir", index)
    if len(stems) < 2:
        return ["no pass changed the IR: nothing to check"]
    expected = ort(src, inputs, os.path.join(work, stem + ".orig.npz"))
    problems = []
    for s in stems:
        base = os.path.join(dump, s)
        for ext in (".kir", ".dot"):
            if not os.path.isfile(base + ext):
                problems.append(f"{s}{ext} missing")
        if not os.path.isfile(base + ".onnx"):
            if f"{s}.onnx skipped:" not in index:
                problems.append(f"{s}.onnx missing and no note in index.txt")
            continue
        try:
            onnx.checker.check_model(onnx.load(base + ".onnx"), full_check=True)
            problems += [f"{s}.onnx {p}" for p in
                         compare(expected, ort(base + ".onnx", inputs, base + ".ort.npz"), atol=1e-5)]
            nodes, edges, clusters = parse_dot(open(base + ".dot").read())
            boxes = sum(1 for shape in nodes.values() if shape == "box")
            want_nodes, want_subgraphs = ir_counts(base + ".kir")
            if (boxes, len(clusters)) != (want_nodes, want_subgraphs):
                problems.append(f"{s}.dot has {boxes} nodes and {len(clusters)} clusters, "
                                f"the IR {want_nodes} and {want_subgraphs}")
            if not edges:
                problems.append(f"{s}.dot has no edges")
        except Exception as e:  # noqa: BLE001 - every failure becomes a reported problem
            problems.append(f"{s}: " + (str(e).splitlines()[0] if str(e) else type(e).__name__))
    return problems


def main(kiln, corpus, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    entries = {e["model"][:-len(".onnx")]: e for e in json.load(open(os.path.join(corpus, "manifest.json")))["models"]}
    for stem in MODELS:
        if stem not in entries:
            summary.check(stem, ["not in the corpus manifest"])
            continue
        summary.check(stem, check_model(kiln, corpus, work, entries[stem]))
    # The flags need a folder to write into.
    code, _, err = run([kiln, "compile", os.path.join(corpus, entries[MODELS[0]]["model"]), "--dump-dot",
                        "-o", os.path.join(work, "unused.onnx")])
    summary.check("--dump-dot without --dump-dir", [] if code == 2 and err.count("\n") == 1 else
                  [f"exit {code}, stderr {err!r}"])
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
