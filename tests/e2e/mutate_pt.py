#!/usr/bin/python3
"""Mutation test of the TorchScript path: random mutants of a small traced module (`.pt`, a zip
archive) through `kiln compile` (libtorch's loader, freezing and a run on zeros, then kiln's
mapping, -O2 and emit). Each mutant must compile or be refused with exactly one line
`kiln: error: FILE: ...`; never a signal, a sanitizer report, an escaped exception or a hang.

    tests/e2e/mutate_pt.py KILN WORK_DIR [--mutants N] [--seed S]

Mutants are raw byte mutations of the archive (most end at the zip reader's CRC check) or
mutations of one member rewritten into a valid archive: TorchScript code (numbers, op names,
lines), the pickles (data.pkl, constants.pkl) and tensor data. Batches of mutants go through one
`kiln compile` each (libtorch's start-up is paid once per batch); a batch with a problem is
re-run one mutant at a time, and the culprit kept in WORK_DIR/failures/. Deterministic per --seed.
"""
import argparse
import io
import os
import random
import re
import shutil
import subprocess
import warnings
import zipfile

from harness import Summary
from mutate import INTERESTING, byte_mutant, check_batch, fresh_work_dirs

PER_MUTANT_S = 10
BATCH = 40
INPUT_SHAPE = "1x3x8x8"
# Ops that take one tensor (and a few that take more), swapped for each other in the code.
OPS = ["torch.relu", "torch.sigmoid", "torch.flatten", "torch.linear", "torch._convolution", "torch.batch_norm",
       "torch.tanh", "torch.neg", "torch.softmax", "torch.max_pool2d", "torch.add", "torch.mul", "torch.cat",
       "torch.reshape", "torch.transpose", "torch.matmul", "torch.mean", "torch.size", "torch.zeros", "torch.ones"]


def make_seed(path):
    """A small traced module touching conv, batch norm, pooling, reshape, linear and softmax."""
    warnings.simplefilter("ignore")
    import torch
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.fc = nn.Linear(4 * 4 * 4, 5)

        def forward(self, x):
            y = torch.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
            y = y.reshape(y.size(0), -1)
            return torch.softmax(self.fc(y) * 2.0 + 1.0, dim=-1)

    torch.manual_seed(0)
    torch.jit.trace(Net().eval(), torch.randn(1, 3, 8, 8)).save(path)


def code_mutant(rng, text):
    lines = text.splitlines()
    kind = rng.randrange(4)
    if kind == 0:  # replace a number
        nums = list(re.finditer(r"-?\d+(\.\d+)?", text))
        if nums:
            m = rng.choice(nums)
            return text[:m.start()] + str(rng.choice(INTERESTING + [0.5, -1.5, 1e308])) + text[m.end():]
    if kind == 1:  # swap an op
        calls = list(re.finditer(r"torch\.\w+", text))
        if calls:
            m = rng.choice(calls)
            return text[:m.start()] + rng.choice(OPS) + text[m.end():]
    if kind == 2 and len(lines) > 2:  # delete or duplicate a line
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i]) if rng.random() < 0.5 else lines.pop(i)
        return "\n".join(lines) + "\n"
    i = rng.randrange(max(1, len(text)))  # delete a span
    return text[:i] + text[i + rng.randint(1, 16):]


def member_mutant(rng, archive):
    """One member of the archive mutated; the archive rewritten valid (CRCs, sizes)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        members = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    targets = [i for i, (name, _) in enumerate(members) if not name.endswith(".debug_pkl")]
    i = rng.choice(targets)
    name, data = members[i]
    if name.endswith(".py"):
        # Only the method bodies: a mangled class attribute line (`__paramets__ = [...]`) crashes
        # libtorch's source importer itself (parseClassConstant; docs/security.md).
        text = data.decode()
        head = text.find("  def ")
        head = len(text) if head < 0 else head
        mutated = (text[:head] + code_mutant(rng, text[head:])).encode()
    elif re.search(r"/(data|constants)/\d+$", name):
        # Tensor data: values only. A storage shorter than its tensor crashes libtorch's own
        # loader (docs/security.md), which kiln cannot catch; that is not what this test is for.
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            if mutated:
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        mutated = bytes(mutated)
    else:  # pickles, version: bytes
        mutated = byte_mutant(rng, data)
    members[i] = (name, mutated)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(name, data)
    return out.getvalue()


def run_batch(kiln, files, out_dir):
    """None when every file compiled or got one `kiln: error: FILE:` line, else what went wrong."""
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    out = out_dir if len(files) > 1 else os.path.join(out_dir, os.path.basename(files[0])[:-3] + ".onnx")
    cmd = [kiln, "compile", *files, "--input-shape", INPUT_SHAPE, "-O2", "--no-validate", "-o", out]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=PER_MUTANT_S * len(files) + 20)
    except subprocess.TimeoutExpired:
        return "hang"
    if p.returncode < 0:
        return f"signal {-p.returncode}"
    if p.returncode not in (0, 2):
        return f"exit status {p.returncode}"
    report = [l for l in p.stderr.splitlines() if "Sanitizer" in l or "runtime error:" in l]
    if report:
        return "sanitizer: " + report[0]
    errors = [l for l in p.stderr.splitlines() if not re.match(r"\[\d+/\d+\] ", l)]
    for line in errors:
        if not any(line.startswith(f"kiln: error: {f}: ") for f in files):
            return "not a one-line error naming the file: " + line[:200]
    failed = re.search(r"(\d+) failed", p.stdout)
    if failed and int(failed.group(1)) != len(errors):
        return f"{failed.group(1)} failed, but {len(errors)} error lines"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kiln")
    ap.add_argument("work")
    ap.add_argument("--mutants", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    kiln = os.path.abspath(args.kiln)
    rng = random.Random(args.seed)
    mutants_dir, failures_dir = fresh_work_dirs(args.work)
    seed_path = os.path.join(args.work, "seed.pt")
    make_seed(seed_path)
    seed = open(seed_path, "rb").read()

    summary = Summary()
    problem = run_batch(kiln, [seed_path], os.path.join(args.work, "out"))
    summary.check("the unmutated module compiles", [problem] if problem else [])
    if not os.path.exists(os.path.join(args.work, "out", "seed.onnx")):
        summary.check("the unmutated module compiles to seed.onnx", ["no output"])
    compiled = 0
    for start in range(0, args.mutants, BATCH):
        files = []
        for i in range(start, min(args.mutants, start + BATCH)):
            data = member_mutant(rng, seed) if rng.random() < 0.8 else byte_mutant(rng, seed)
            path = os.path.join(mutants_dir, f"m{i:05d}.pt")
            open(path, "wb").write(data)
            files.append(path)
        out = os.path.join(args.work, "out")

        def count_compiled():
            nonlocal compiled
            compiled += len([f for f in os.listdir(out) if f.endswith(".onnx")]) if os.path.isdir(out) else 0

        check_batch(lambda fs: run_batch(kiln, fs, out), files, failures_dir, summary,
                    f"batch {start // BATCH} ({len(files)} mutants)", after_batch=count_compiled)
    print(f"{args.mutants} mutants of a traced module: {compiled} compiled, the rest refused")
    summary.finish()


if __name__ == "__main__":
    main()
