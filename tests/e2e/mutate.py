#!/usr/bin/python3
"""Mutation test: random byte flips and protobuf field mutations of corpus models, and token
mutations of the golden .kir cases, all through import, verify, -O2 and emit (`kiln compile`).
kiln may refuse a mutant (exit 2) or compile it, never crash (signal), hang past the time
bound, or print a sanitizer report.

    tests/e2e/mutate.py KILN CORPUS_DIR WORK_DIR [--mutants N] [--seed S] [--long]

Mutants are compiled in batches (one `kiln compile` process per batch, which continues past
failures); a batch that dies or hangs is re-run one mutant at a time to name the culprit, which
is kept in WORK_DIR/failures/ for a regression input. CI size: --mutants 5000 (the default);
--long: 50000. Deterministic for a given --seed.
"""
import argparse
import glob
import os
import random
import re
import shutil
import subprocess

import onnx

from harness import ROOT, Summary

INTERESTING = [0, 1, -1, 2, 3, 7, 255, 65535, (1 << 31) - 1, 1 << 31, -(1 << 31), 1 << 32, (1 << 62),
               (1 << 63) - 1, -(1 << 63)]
PER_MUTANT_S = 5
COMPILED = [0]  # mutants kiln compiled (the rest it refused)
BATCH = 100


def byte_mutant(rng, data):
    b = bytearray(data)
    kind = rng.randrange(5)
    if kind == 0 or not b:  # flip a few bytes
        for _ in range(rng.randint(1, 8)):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1:  # truncate
        del b[rng.randrange(len(b)):]
    elif kind == 2:  # duplicate a chunk in place
        i = rng.randrange(len(b))
        j = min(len(b), i + rng.randint(1, 64))
        b[i:i] = b[i:j]
    elif kind == 3:  # delete a chunk
        i = rng.randrange(len(b))
        del b[i:i + rng.randint(1, 64)]
    else:  # overwrite a varint-looking byte with a huge varint
        i = rng.randrange(len(b))
        b[i:i + 1] = bytes([0xff] * 9 + [0x01])
    return bytes(b)


def all_graphs(g):
    yield g
    for n in g.node:
        for a in n.attribute:
            if a.HasField("g"):
                yield from all_graphs(a.g)
            for sub in a.graphs:
                yield from all_graphs(sub)


def field_mutant(rng, proto_bytes):
    """One structural mutation of a parsed ModelProto; None when the chosen target is absent."""
    m = onnx.ModelProto()
    m.ParseFromString(proto_bytes)
    graphs = list(all_graphs(m.graph))
    g = rng.choice(graphs)
    kind = rng.randrange(11)
    if kind == 0 and g.initializer:  # initializer dims
        t = rng.choice(g.initializer)
        if t.dims and rng.random() < 0.7:
            t.dims[rng.randrange(len(t.dims))] = rng.choice(INTERESTING)
        else:
            t.dims.append(rng.choice(INTERESTING))
    elif kind == 1 and g.initializer:  # element type
        rng.choice(g.initializer).data_type = rng.randrange(0, 25)
    elif kind == 2:  # a value's dim or type
        vis = list(g.input) + list(g.output) + list(g.value_info)
        if not vis:
            return None
        v = rng.choice(vis)
        dims = v.type.tensor_type.shape.dim
        if dims and rng.random() < 0.7:
            d = dims[rng.randrange(len(dims))]
            if rng.random() < 0.5:
                d.dim_value = rng.choice(INTERESTING)
            else:
                d.dim_param = rng.choice(["", "n", "batch", "x" * rng.randint(1, 64)])
        else:
            v.type.tensor_type.elem_type = rng.randrange(0, 25)
    elif kind == 3 and g.node:  # integer attributes to extremes
        n = rng.choice(g.node)
        ints = [a for a in n.attribute if a.type in (onnx.AttributeProto.INT, onnx.AttributeProto.INTS)]
        if not ints:
            n.attribute.add(name=rng.choice(["axis", "axes", "perm", "group", "keepdims"]),
                            type=onnx.AttributeProto.INT, i=rng.choice(INTERESTING))
        else:
            a = rng.choice(ints)
            if a.type == onnx.AttributeProto.INT:
                a.i = rng.choice(INTERESTING)
            elif a.ints:
                a.ints[rng.randrange(len(a.ints))] = rng.choice(INTERESTING)
            else:
                a.ints.append(rng.choice(INTERESTING))
    elif kind == 4 and g.node:  # swap an op for another op of the model
        n = rng.choice(g.node)
        n.op_type = rng.choice([x.op_type for x in m.graph.node] + ["Reshape", "Transpose", "Concat", "Gather"])
    elif kind == 5 and g.node:  # drop or rewire an input
        n = rng.choice(g.node)
        if n.input and rng.random() < 0.5:
            del n.input[rng.randrange(len(n.input))]
        else:
            names = [x for node in g.node for x in node.output] + [i.name for i in g.input] + ["", "nowhere"]
            n.input.append(rng.choice(names))
    elif kind == 6 and g.node:  # delete or duplicate a node
        i = rng.randrange(len(g.node))
        if rng.random() < 0.5:
            del g.node[i]
        else:
            g.node.add().CopyFrom(g.node[i])
    elif kind == 7:  # opset
        for imp in m.opset_import:
            if imp.domain in ("", "ai.onnx"):
                imp.version = rng.choice([1, 6, 7, 9, 13, 17, 21, 22, 99, -1, 1 << 40])
    elif kind == 8 and g.initializer:  # raw data shortened or lengthened
        t = rng.choice(g.initializer)
        if t.raw_data:
            t.raw_data = t.raw_data[: rng.randrange(len(t.raw_data))] if rng.random() < 0.5 else t.raw_data + b"\0" * 8
        else:
            t.float_data.append(1.0)
    elif kind == 9 and g.node:  # outputs: drop one or make two nodes define the same name
        n = rng.choice(g.node)
        if n.output and rng.random() < 0.5:
            n.output[rng.randrange(len(n.output))] = rng.choice(g.node).output[0] if g.node[0].output else ""
        else:
            n.output.append("extra")
    elif kind == 10:  # external data pointing somewhere
        if not g.initializer:
            return None
        t = rng.choice(g.initializer)
        t.data_location = onnx.TensorProto.EXTERNAL
        t.external_data.add(key="location", value=rng.choice(["w.bin", "../w.bin", "/etc/passwd", ""]))
        t.external_data.add(key="offset", value=str(rng.choice(INTERESTING)))
    else:
        return None
    return m.SerializeToString()


def kir_mutant(rng, text):
    lines = text.splitlines()
    kind = rng.randrange(4)
    if kind == 0 and len(lines) > 2:  # delete or duplicate a line
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i]) if rng.random() < 0.5 else lines.pop(i)
        return "\n".join(lines) + "\n"
    if kind == 1:  # replace a number
        nums = list(re.finditer(r"-?\d+", text))
        if nums:
            m = rng.choice(nums)
            return text[:m.start()] + str(rng.choice(INTERESTING)) + text[m.end():]
    if kind == 2:  # replace a type
        types = list(re.finditer(r"\b(f32|i64|f16|bool|i32|f64)\b", text))
        if types:
            m = rng.choice(types)
            return text[:m.start()] + rng.choice(["f32", "i64", "bool", "str", "f16", "c64"]) + text[m.end():]
    # delete a random span of characters
    i = rng.randrange(max(1, len(text)))
    return text[:i] + text[i + rng.randint(1, 16):]


def golden_cases():
    """The golden files' input cases (RUN and CHECK lines dropped), one graph each."""
    cases = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "golden", "*.kir"))):
        for part in open(path).read().split("// -----"):
            body = part.split("// CHECK")[0]
            body = "\n".join(l for l in body.splitlines() if not l.lstrip().startswith("//"))
            if "graph @" in body:
                cases.append((os.path.basename(path), body))
    return cases


def seeds(corpus):
    """The corpus's small ONNX models (every opset it was exported at), plus the bad-input control."""
    chosen = [p for p in sorted(glob.glob(os.path.join(corpus, "*.onnx"))) if os.path.getsize(p) <= 200_000]
    chosen.append(os.path.join(ROOT, "tests", "bad_inputs", "valid.onnx"))
    return chosen


def run_batch(kiln, files, out_dir):
    shutil.rmtree(out_dir, ignore_errors=True)
    cmd = [kiln, "compile", *files, "-O2", "--no-validate", "-o", out_dir]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=PER_MUTANT_S * len(files) + 10)
    except subprocess.TimeoutExpired:
        return "hang"
    if p.returncode < 0:
        return f"signal {-p.returncode}"
    if p.returncode not in (0, 1, 2):
        return f"exit status {p.returncode}"
    report = [l for l in p.stderr.splitlines() if "Sanitizer" in l or "runtime error:" in l]
    if report:
        return "sanitizer: " + report[0]
    compiled = re.search(r"compiled (\d+) of", p.stdout)
    COMPILED[0] += int(compiled.group(1)) if compiled else 0
    return None


def fresh_work_dirs(work):
    """Empties `work` and makes its mutants/ and failures/ folders; returns both paths."""
    shutil.rmtree(work, ignore_errors=True)
    dirs = os.path.join(work, "mutants"), os.path.join(work, "failures")
    for d in dirs:
        os.makedirs(d)
    return dirs


def check_batch(run, files, failures_dir, summary, label, after_batch=None):
    """Runs the mutants `files` as one batch (`run(files)` returns a problem or None); a batch with
    a problem is re-run one mutant at a time, and each culprit kept in `failures_dir`. Calls
    `after_batch()` between the batch and any re-runs, then deletes the mutants."""
    problem = run(files)
    if after_batch:
        after_batch()
    culprits = 0
    if problem:  # name the culprits one by one
        for f in files:
            single = run([f])
            if single:
                culprits += 1
                shutil.copy(f, failures_dir)
                summary.check(os.path.basename(f), [single])
    unexplained = [problem + " (no single mutant reproduces it)"] if problem and not culprits else []
    summary.check(label, unexplained)
    for f in files:
        os.remove(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kiln")
    ap.add_argument("corpus")
    ap.add_argument("work")
    ap.add_argument("--mutants", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--long", action="store_true")
    args = ap.parse_args()
    total = 50000 if args.long else args.mutants
    kiln = os.path.abspath(args.kiln)
    rng = random.Random(args.seed)
    mutants_dir, failures_dir = fresh_work_dirs(args.work)

    onnx_seeds = [(os.path.basename(p), open(p, "rb").read()) for p in seeds(args.corpus)]
    kir_seeds = golden_cases()
    summary = Summary()
    made = 0
    for start in range(0, total, BATCH):
        files = []
        for k in range(min(BATCH, total - start)):
            i = start + k
            if rng.random() < 0.75 or not kir_seeds:
                name, data = rng.choice(onnx_seeds)
                mutant = None
                if rng.random() < 0.7:  # 1-3 structural mutations stacked
                    try:
                        mutant = data
                        for _ in range(rng.randint(1, 3)):
                            mutant = field_mutant(rng, mutant) or mutant
                    except Exception:  # noqa: BLE001 - what onnx cannot mutate gets byte flips instead
                        mutant = None
                mutant = mutant if mutant is not None else byte_mutant(rng, data)
                path = os.path.join(mutants_dir, f"m{i:06d}_{name}")
                open(path, "wb").write(mutant)
            else:
                name, text = rng.choice(kir_seeds)
                path = os.path.join(mutants_dir, f"m{i:06d}_{name}")
                open(path, "w").write(kir_mutant(rng, text))
            files.append(path)
        made += len(files)
        out = os.path.join(args.work, "out")
        check_batch(lambda fs: run_batch(kiln, fs, out), files, failures_dir, summary,
                    f"batch {start // BATCH} ({len(files)} mutants)")
    print(f"{made} mutants of {len(onnx_seeds)} ONNX seeds and {len(kir_seeds)} IR cases: "
          f"{COMPILED[0]} compiled, the rest refused")
    summary.finish()


if __name__ == "__main__":
    main()
