#!/usr/bin/python3
"""Two example sizes for a traced module (`--input-shape x=... --input-shape x=...`): the axes
that differ become dynamic, and the compiled ONNX model runs in ONNX Runtime at a third size
with eager PyTorch's outputs there (within 1e-5) -- a size kiln never saw.

    tests/e2e/torch_example_sizes.py KILN WORK_DIR

Models are written here with Debian's python3-torch (random seeded weights): a CNN with a
segmentation head resized to the input and a pooled classifier (dynamic batch, height, width),
and a batch-first nn.TransformerEncoder with a learned position table sliced to the sequence
(dynamic batch and sequence), traced as users do (grad mode: the unfused path) and under
no_grad (torch's fused fast path).
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

from harness import Summary, compare, ort, run

ATOL = 1e-5


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.head = nn.Conv2d(16, 4, 1)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        f = F.relu(self.c2(F.relu(self.bn(self.c1(x)))))
        seg = F.interpolate(self.head(f), size=x.shape[-2:], mode="bilinear", align_corners=False)
        return seg, self.fc(F.adaptive_avg_pool2d(f, 1).flatten(1))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.pos = nn.Parameter(torch.randn(1, 64, 32) * 0.1)
        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), 2)

    def forward(self, x):
        return self.enc(x + self.pos[:, :x.size(1)])


class LiteralMask(nn.Module):
    """Adds a mask sliced with a literal length: the trace cannot run at another sequence."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mask", torch.randn(64, 64))

    def forward(self, x):
        return x @ x.transpose(1, 2) + self.mask[:10, :10]


# name -> (module, first shape, second shape, third shape, no_grad trace)
MODELS = {
    "cnn": (Cnn, [1, 3, 64, 64], [2, 3, 96, 96], [3, 3, 72, 88], False),
    "encoder": (Encoder, [2, 10, 32], [3, 16, 32], [4, 21, 32], False),
    "encoder_fused": (Encoder, [2, 10, 32], [3, 16, 32], [5, 7, 32], True),
}


def shape_arg(shape):
    return "x=" + "x".join(str(d) for d in shape)


def make(work, name):
    builder, first, _, third, no_grad = MODELS[name]
    torch.manual_seed(0)
    module = builder().eval()
    with torch.set_grad_enabled(not no_grad):
        traced = torch.jit.trace(module, torch.randn(*first), check_trace=False)
    traced.save(os.path.join(work, name + ".pt"))
    x = torch.randn(*third, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        out = module(x)
    out = out if isinstance(out, tuple) else (out,)
    np.savez(os.path.join(work, name + ".third.npz"), x=x.numpy())
    return {("output" if i == 0 else f"output_{i}"): o.numpy() for i, o in enumerate(out)}


def check_model(kiln, work, name, summary):
    _, first, second, third, _ = MODELS[name]
    expected = make(work, name)
    pt, inputs = os.path.join(work, name + ".pt"), os.path.join(work, name + ".third.npz")

    # Before: one example size gives a model fixed to it, which ONNX Runtime refuses at the third.
    fixed = os.path.join(work, name + ".fixed.onnx")
    code, _, err = run([kiln, "compile", pt, "--input-shape", shape_arg(first), "--no-validate", "-o", fixed])
    problems = [f"exit {code}: {err.strip()}"] if code != 0 else []
    if code == 0:
        try:
            problems = ["the one-size model matched at the third size"] if not compare(
                expected, ort(fixed, inputs, os.path.join(work, name + ".fixed.ort.npz")), ATOL) else []
        except RuntimeError:
            pass  # refused: the expected outcome
    summary.check(f"{name}: one example size does not run at {third}", problems)

    out = os.path.join(work, name + ".onnx")
    code, _, err = run([kiln, "compile", pt, "--input-shape", shape_arg(first), "--input-shape", shape_arg(second),
                        "-o", out], timeout=600)
    problems = [] if code == 0 else [f"exit {code}: {err.strip()}"]
    verdicts = [line for line in err.splitlines() if line.startswith("validation at ")]
    if len(verdicts) != 3 or not all(": PASS " in v or ": WARN " in v for v in verdicts):
        problems.append(f"expected three passing validations (first, second, in between): {err.strip()}")
    if code == 0:
        graph = onnx.load(out).graph
        dims = graph.input[0].type.tensor_type.shape.dim
        moved = [i for i, (a, b) in enumerate(zip(first, second)) if a != b]
        if [i for i, d in enumerate(dims) if d.dim_param] != moved:
            problems.append(f"symbolic input axes {[d.dim_param or d.dim_value for d in dims]}, expected {moved}")
        try:
            problems += compare(expected, ort(out, inputs, os.path.join(work, name + ".ort.npz")), ATOL)
        except RuntimeError as e:
            problems.append(str(e))
    summary.check(f"{name}: sizes {first} and {second} -> ONNX Runtime at {third} == eager PyTorch", problems)


def check_bad(kiln, work, summary):
    torch.jit.trace(LiteralMask().eval(), torch.randn(2, 10, 8)).save(os.path.join(work, "literal_mask.pt"))
    pt = os.path.join(work, "literal_mask.pt")
    cnn_onnx = os.path.join(work, "cnn.fixed.onnx")
    cases = {
        "a trace that cannot run at the second size": [pt, "--input-shape", "x=2x10x8", "--input-shape", "x=2x16x8"],
        "the same shape twice": [pt, "--input-shape", "x=2x10x8", "--input-shape", "x=2x10x8"],
        "another rank at the second size": [pt, "--input-shape", "x=2x10x8", "--input-shape", "x=2x10"],
        "three sizes": [pt, "--input-shape", "x=2x10x8", "--input-shape", "x=3x10x8", "--input-shape", "x=4x10x8"],
        "two sizes for an ONNX model": [cnn_onnx, "--input-shape", "x=1x3x64x64", "--input-shape", "x=2x3x64x64"],
    }
    for what, args in cases.items():
        out = os.path.join(work, "bad.onnx")
        if os.path.exists(out):
            os.remove(out)
        code, _, err = run([kiln, "compile", *args, "-o", out])
        lines = [l for l in err.splitlines() if l.startswith("kiln: error: ")]
        problems = [] if code == 2 and len(lines) == 1 and not os.path.exists(out) else [f"exit {code}: {err.strip()}"]
        summary.check(f"refused: {what}", problems)


def main(kiln, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    for name in MODELS:
        check_model(kiln, work, name, summary)
    check_bad(kiln, work, summary)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:3])
