#!/usr/bin/python3
"""Bad TorchScript inputs to `kiln compile` each get one line on stderr naming the file and what
is wrong, exit status 2, and no output file: a file that is not TorchScript, a state_dict
checkpoint (new and legacy torch.save formats), a missing or wrong-rank --input-shape, a
scripted loop whose trip count is not a constant, unsupported aten ops (all listed with counts
and trace locations).

    tests/e2e/torch_bad_inputs.py KILN MODELS_DIR WORK_DIR
"""
import os
import sys
import zipfile

import torch
import torch.nn as nn

from harness import Summary, run


class SizeLoop(nn.Module):
    """A loop whose trip count is a size: kiln maps `if` and unrolls constant ranges only."""

    def forward(self, x):
        for _ in range(x.size(0)):
            x = x * 2
        return x


class Unsupported(nn.Module):
    def forward(self, x):
        return torch.cumsum(x, 1) + torch.cumsum(x, 0) + torch.flip(x, [1])


def make_files(work):
    def path(name):
        return os.path.join(work, name)

    with open(path("not_torchscript.pt"), "w") as f:
        f.write("this is not a model\n")
    mlp = nn.Sequential(nn.Linear(4, 3))
    torch.save(mlp.state_dict(), path("state_dict.pt"))
    torch.save(mlp.state_dict(), path("legacy_state_dict.pt"), _use_new_zipfile_serialization=False)
    torch.jit.script(SizeLoop()).save(path("scripted_loop.pt"))
    torch.jit.trace(Unsupported(), torch.randn(3, 4)).save(path("unsupported.pt"))
    # Code that no longer compiles (a float in conv's dilation list): libtorch also prints a
    # multi-line warning about the list's type while loading it (found by e2e.mutate_pt).
    torch.jit.trace(nn.Conv2d(2, 3, 3), torch.randn(1, 2, 5, 5)).save(path("conv.pt"))
    with zipfile.ZipFile(path("conv.pt")) as z:
        members = [(n, z.read(n)) for n in z.namelist()]
    with zipfile.ZipFile(path("bad_code.pt"), "w", zipfile.ZIP_STORED) as z:
        for n, data in members:
            if n.endswith("modules/conv.py"):
                data = data.replace(b"[1, 1], [0, 0], [1, 1]", b"[1, 1], [0, 0], [1, -1.5]")
            z.writestr(n, data)


def main(kiln, models, work):
    os.makedirs(work, exist_ok=True)
    make_files(work)
    mlp = os.path.join(models, "mlp.pt")
    w = lambda name: os.path.join(work, name)
    # (case, model, extra args, substrings the one line must contain)
    cases = [
        ("not TorchScript", w("not_torchscript.pt"), ["--input-shape", "x=1x4"], ["not a torchscript file"]),
        ("state_dict", w("state_dict.pt"), ["--input-shape", "x=1x4"], ["state_dict", "torch.jit.trace("]),
        ("legacy state_dict", w("legacy_state_dict.pt"), ["--input-shape", "x=1x4"], ["torch.save", "torch.jit.trace("]),
        ("missing --input-shape", mlp, [], ["--input-shape for x"]),
        ("wrong rank", mlp, ["--input-shape", "x=4x32x1"], ["x=4x32x1", "wrong rank"]),
        ("unknown input name", mlp, ["--input-shape", "y=4x32"], ["'y'", "forward() takes: x"]),
        ("bad --input-shape", mlp, ["--input-shape", "x=4xq"], ["'q' is not a size"]),
        ("loop over a size", w("scripted_loop.pt"), ["--input-shape", "x=3x4"], ["prim::Loop", "trace it"]),
        ("code that does not compile", w("bad_code.pt"), ["--input-shape", "x=1x2x5x5"],
         ["torchscript archive that libtorch cannot load", "conv.py line", "arguments for call are not valid"]),
        ("unsupported ops", w("unsupported.pt"), ["--input-shape", "x=3x4"],
         ["2 unsupported ops", "aten::cumsum x2", "aten::flip x1", "torch_bad_inputs.py:"]),
    ]
    summary = Summary()
    for name, model, args, expect in cases:
        out = w("out.onnx")
        if os.path.exists(out):
            os.remove(out)
        code, _, err = run([kiln, "compile", model, *args, "-o", out], timeout=120)
        lines = [l for l in err.splitlines() if l.strip()]
        problems = []
        if code != 2:
            problems.append(f"exit status {code}, expected 2")
        if len(lines) != 1:
            problems.append(f"expected one line on stderr, got {len(lines)}: {err!r}")
        else:
            for s in expect:
                if s.lower() not in lines[0].lower():
                    problems.append(f"message lacks '{s}': {lines[0]}")
            if name != "bad --input-shape" and os.path.basename(model) not in lines[0]:
                problems.append(f"message does not name the file: {lines[0]}")
        if os.path.exists(out):
            problems.append("an output file was written")
        summary.check(name, problems)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
