#!/usr/bin/python3
"""Generates the shape-dynamizing corpus: small models written to bake their traced sizes the
ways real code does, exported with torch.onnx.export from a trace at batch 1 / sequence 128,
plus eager-PyTorch outputs at other sizes (the oracle for tests/e2e/dynamize.py).

    /usr/bin/python3 tests/models/gen_dynamic_corpus.py OUTDIR [--only NAME...]

Each model reads its sizes from attributes (`self.B`, `self.S`), like code that takes them from
a config: eager PyTorch is right at whatever sizes the attributes hold, while the trace records
them as literals. For every model NAME it writes
    OUTDIR/NAME.onnx                 the export (traced at B=1, S=128; opset 13 or 14)
    OUTDIR/NAME.bB_sS.npz            inputs and eager outputs at batch B, sequence S: members
                                     `in.<input>` and `out.<output>`
    OUTDIR/NAME.bB_hH_wW.npz         the same at batch B, height H, width W for the CNNs whose
                                     spatial axes vary (traced at 1x3x32x32)
and OUTDIR/manifest.json: per model its file, the `--dynamic` flags, the sizes (one may be marked
`probe`: where the test shows the export failing), and whether kiln must refuse it (a size no
rule can make dynamic, reported by node). Models with a class attribute SCRIPT are exported from
torch.jit.script (If and Loop nodes) instead of a trace.
"""
import argparse
import io
import json
import os
import sys
import warnings
import zipfile

import numpy as np
import torch
from torch import nn

TRACE_B, TRACE_S = 1, 128
# Models whose height and width vary: traced at 32x32; checked at odd sizes too, where the
# strided windows round down.
TRACE_HW = (32, 32)
SPATIAL_SIZES = [(1, 32, 32), (3, 37, 45), (2, 64, 48), (4, 21, 29)]
SPATIAL_PROBE = (3, 37, 45)
BATCHES = [1, 3, 8]
SEQUENCES = [7, 77, 200]
H, HEADS = 32, 4  # hidden size and attention heads: small, so the test stays fast
HD = H // HEADS


class ViewHeads(nn.Module):
    """`x.view(1, 128, 12, 64)` with config literals: multi-head attention reshapes."""

    def __init__(self):
        super().__init__()
        self.qkv, self.out = nn.Linear(H, 3 * H), nn.Linear(H, H)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.view(self.B, self.S, HEADS, HD).transpose(1, 2)
        k = k.view(self.B, self.S, HEADS, HD).transpose(1, 2)
        v = v.view(self.B, self.S, HEADS, HD).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / HD ** 0.5, dim=-1) @ v
        return self.out(a.transpose(1, 2).reshape(self.B, self.S, H))


class ZerosConcat(nn.Module):
    """`torch.zeros(1, seq, hidden)` from Python ints, concatenated to the activations."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(2 * H, H)

    def forward(self, x):
        pad = torch.zeros(self.B, self.S, H) + 0.5
        return self.proj(torch.cat([x, pad], dim=-1))


class ArangePositions(nn.Module):
    """Position ids via `arange(128)`: token plus position embeddings."""

    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(50, H), nn.Embedding(256, H)
        self.norm = nn.LayerNorm(H)

    def forward(self, ids):
        positions = torch.arange(self.S).unsqueeze(0)
        return self.norm(self.tok(ids) + self.pos(positions))


class MaskExpand(nn.Module):
    """An attention mask expanded to a fixed size and added to the scores."""

    def __init__(self):
        super().__init__()
        self.q = nn.Linear(H, H)

    def forward(self, x, mask):
        scores = self.q(x) @ x.transpose(-1, -2)
        m = mask[:, None, :].expand(self.B, self.S, self.S)
        return torch.softmax(scores + (1.0 - m) * -1e4, dim=-1) @ x


class FlattenView(nn.Module):
    """Flatten via `view` with a computed constant (C*H*W from the config)."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(3, 8, 3, padding=1), nn.Linear(8 * 16 * 16, 10)
        self.feat = 8 * 16 * 16

    def forward(self, img):
        y = torch.relu(self.conv(img))
        return self.fc(y.view(self.B, self.feat))


class CnnHead(nn.Module):
    """A CNN head with a fixed reshape: feature map to tokens, per-token projection, mean."""

    def __init__(self):
        super().__init__()
        self.conv, self.proj = nn.Conv2d(3, 16, 3, padding=1), nn.Linear(16, 10)

    def forward(self, img):
        y = torch.max_pool2d(torch.relu(self.conv(img)), 2)
        tokens = y.reshape(self.B, 16, 64).permute(0, 2, 1)
        return self.proj(tokens).mean(dim=1)


class CnnSpatialHead(nn.Module):
    """CnnHead at any height and width: a strided conv and a pooling window (whose output sizes
    are floor((h + 2p - k) / s) + 1), then the fixed reshape to tokens with the token count
    computed in Python from the configured image size."""

    def __init__(self):
        super().__init__()
        self.conv, self.proj = nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.Linear(16, 10)

    def forward(self, img):
        y = torch.max_pool2d(torch.relu(self.conv(img)), 2)
        tokens = (((self.H - 1) // 2 + 1) // 2) * (((self.W - 1) // 2 + 1) // 2)
        return self.proj(y.reshape(self.B, 16, tokens).permute(0, 2, 1)).mean(dim=1)


class SegmentationHead(nn.Module):
    """A segmentation head: two strided convs, class logits upsampled back to the configured
    input size (`interpolate(size=(H, W))`, a Resize to baked sizes), plus a full-resolution
    skip from the image."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.mid = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.cls, self.skip = nn.Conv2d(8, 4, 1), nn.Conv2d(3, 4, 1)

    def forward(self, img):
        y = self.cls(torch.relu(self.mid(torch.relu(self.down(img)))))
        up = nn.functional.interpolate(y, size=(self.H, self.W), mode="bilinear", align_corners=False)
        return up + self.skip(img)


class ClsTokenRepeat(nn.Module):
    """A class token expanded to the batch and prepended (sequence+1), heads via view, and the
    sequence mean repeated over the sequence (Tile)."""

    def __init__(self):
        super().__init__()
        self.cls = nn.Parameter(torch.randn(1, 1, H))
        self.mix = nn.Linear(H, H)

    def forward(self, x):
        first = x.mean(dim=1, keepdim=True).repeat(1, self.S, 1)
        t = torch.cat([self.cls.expand(self.B, 1, H), x - first], dim=1)
        heads = self.mix(t).view(self.B, self.S + 1, HEADS, HD)
        return heads.softmax(dim=-1).view(self.B, self.S + 1, H)


class Encoder(nn.Module):
    """nn.TransformerEncoder (batch first, two layers), with a fixed-size output reshape."""

    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(H, HEADS, dim_feedforward=64, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)

    def forward(self, x):
        y = self.enc(x)
        return y.reshape(self.B, self.S * H)


class PaddedEncoder(nn.Module):
    """nn.TransformerEncoder in torch's default sequence-first layout with a key padding mask:
    the mask goes through MultiheadAttention's own view/expand of [batch, sequence]."""

    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(H, HEADS, dim_feedforward=64, dropout=0.0)
        self.enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)

    def forward(self, x, pad):
        return self.enc(x, src_key_padding_mask=pad)


class BranchLoopView(nn.Module):
    """Scripted control flow whose bodies bake the traced sizes: an `if` on the data whose
    branches view with literal batch/sequence or add `torch.zeros(B, S, H)`, and a `while` loop
    that views its loop-carried value. Exported from torch.jit.script (If and Loop nodes)."""

    SCRIPT = True

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(H, H)
        self.heads, self.hd, self.h = HEADS, HD, H

    def forward(self, x):
        y = self.proj(x)
        if bool(x.sum() > 0):
            y = y.view(self.B, self.S, self.heads, self.hd).softmax(-1).view(self.B, self.S, self.h)
        else:
            y = y + torch.zeros(self.B, self.S, self.h) + 0.25
        i = 0
        while i < 2 and bool(y.abs().max() < 1e4):
            y = y + y.view(self.B, self.S * self.h).softmax(-1).view(self.B, self.S, self.h)
            i += 1
        return y


class CausalMaskBuffer(nn.Module):
    """A causal mask sliced from a buffer (`self.causal[:S, :S]`): the exporter folds the slice
    into a [128, 128] constant whose values no rule can regenerate. kiln must refuse it and say
    so, not guess."""

    def __init__(self):
        super().__init__()
        self.q = nn.Linear(H, H)
        self.register_buffer("causal", torch.triu(torch.full((256, 256), -1e4), diagonal=1))

    def forward(self, x):
        scores = self.q(x) @ x.transpose(-1, -2)
        return torch.softmax(scores + self.causal[:self.S, :self.S], dim=-1) @ x


def seq_input(name, dtype=torch.float32):
    def make(b, s, g):
        if dtype == torch.int64:
            return torch.randint(0, 50, (b, s), generator=g)
        return torch.randn(b, s, H, generator=g)
    return name, make


def seq_first_input(name):
    return name, lambda b, s, g: torch.randn(s, b, H, generator=g)


def padding_input(name):
    def make(b, s, g):
        pad = torch.zeros(b, s, dtype=torch.bool)
        pad[:, s - s // 4:] = True  # the last quarter is padding
        return pad
    return name, make


def image_input(name):
    return name, lambda b, s, g: torch.randn(b, 3, 16, 16, generator=g)


def spatial_input(name):
    """An image whose height and width vary: `s` is (height, width)."""
    return name, lambda b, s, g: torch.randn(b, 3, s[0], s[1], generator=g)


def mask_input(name):
    def make(b, s, g):
        m = torch.ones(b, s)
        m[:, s - s // 3:] = 0  # padded tail
        return m
    return name, make


SPATIAL_AXES = ["--dynamic", "img:0=batch", "--dynamic", "img:2=height", "--dynamic", "img:3=width"]
SEQ_AXES = ["{0}:0=batch", "{0}:1=sequence"]
# name: (module class, [(input name, maker)], dynamic flags, varies sequence?, opset, dynamic_axes)
MODELS = {
    "view_heads": (ViewHeads, [seq_input("x")], ["--dynamic", "x:0=batch", "--dynamic", "x:1=sequence"], True, 13, None),
    "view_heads_declared": (ViewHeads, [seq_input("x")],
                            ["--dynamic", "x:0=batch@1", "--dynamic", "x:1=sequence@128"], True, 14,
                            {"x": {0: "batch_size", 1: "seq_len"}}),
    "zeros_concat": (ZerosConcat, [seq_input("x")], ["--dynamic", "x:0=batch", "--dynamic", "x:1=sequence"], True, 13, None),
    "arange_positions": (ArangePositions, [seq_input("ids", torch.int64)],
                         ["--dynamic", "ids:0=batch", "--dynamic", "ids:1=sequence"], True, 13, None),
    "mask_expand": (MaskExpand, [seq_input("x"), mask_input("mask")],
                    ["--dynamic", "x:0=batch", "--dynamic", "x:1=sequence", "--dynamic", "mask:0=batch",
                     "--dynamic", "mask:1=sequence"], True, 14, None),
    "flatten_view": (FlattenView, [image_input("img")], ["--dynamic-batch"], False, 13, None),
    "cnn_head": (CnnHead, [image_input("img")], ["--dynamic-batch"], False, 13, None),
    "cls_token_repeat": (ClsTokenRepeat, [seq_input("x")], ["--dynamic", "x:0=batch", "--dynamic", "x:1=sequence"],
                         True, 13, None),
    "transformer_encoder": (Encoder, [seq_input("x")], ["--dynamic", "x:0=batch", "--dynamic", "x:1=sequence"],
                            True, 14, None),
    "padded_encoder": (PaddedEncoder, [seq_first_input("x"), padding_input("pad")],
                       ["--dynamic", "x:0=sequence", "--dynamic", "x:1=batch", "--dynamic", "pad:0=batch",
                        "--dynamic", "pad:1=sequence"], True, 14, None),
    "cnn_spatial_head": (CnnSpatialHead, [spatial_input("img")], SPATIAL_AXES, "spatial", 13, None),
    "segmentation_head": (SegmentationHead, [spatial_input("img")], SPATIAL_AXES, "spatial", 13, None),
    "branch_loop_view": (BranchLoopView, [seq_input("x")], ["--dynamic", "x:0=batch", "--dynamic", "x:1=sequence"],
                         True, 13, None),
}
# Models kiln must refuse (reporting the node) rather than make dynamic.
REFUSED = {
    "causal_mask_buffer": (CausalMaskBuffer, [seq_input("x")], ["--dynamic", "x:0=batch", "--dynamic", "x:1=sequence"],
                           True, 13, None),
}
MODELS.update(REFUSED)


def save_npz(path, arrays):
    """Deterministic .npz (fixed timestamps), members `<key>.npy`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(info, buf.getvalue())


def build(name):
    cls, inputs, flags, varies_seq, opset, dynamic_axes = MODELS[name]
    torch.manual_seed(sum(map(ord, name)))
    model = cls().eval()
    model.B, model.S = TRACE_B, TRACE_S
    model.H, model.W = TRACE_HW
    g = torch.Generator().manual_seed(7)
    example = tuple(make(TRACE_B, TRACE_HW if varies_seq == "spatial" else TRACE_S, g) for _, make in inputs)
    return model, inputs, flags, varies_seq, opset, dynamic_axes, example


def generate(name, out):
    model, inputs, flags, varies_seq, opset, dynamic_axes, example = build(name)
    path = os.path.join(out, name + ".onnx")
    # Not under no_grad: eval-mode nn.TransformerEncoder would take its fused fast path, which
    # has no ONNX export.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exported = torch.jit.script(model) if getattr(model, "SCRIPT", False) else model
        torch.onnx.export(exported, example, path, opset_version=opset, input_names=[n for n, _ in inputs],
                          output_names=["y"], dynamic_axes=dynamic_axes)
    sizes = []
    if varies_seq == "spatial":
        for b, h, w in SPATIAL_SIZES:
            g = torch.Generator().manual_seed(1000 * b + h + w)
            args = tuple(make(b, (h, w), g) for _, make in inputs)
            model.B, model.H, model.W = b, h, w
            with torch.no_grad():
                y = model(*args)
            arrays = {f"in.{n}": a.numpy() for (n, _), a in zip(inputs, args)}
            arrays["out.y"] = y.numpy()
            file = f"{name}.b{b}_h{h}_w{w}.npz"
            save_npz(os.path.join(out, file), arrays)
            sizes.append({"batch": b, "height": h, "width": w, "file": file, "probe": (b, h, w) == SPATIAL_PROBE})
        model.B, model.H, model.W = TRACE_B, *TRACE_HW
        return {"name": name, "model": name + ".onnx", "dynamic": flags, "opset": opset, "sizes": sizes,
                "refused": name in REFUSED}
    for b in BATCHES:
        for s in (SEQUENCES if varies_seq else [TRACE_S]):
            g = torch.Generator().manual_seed(1000 * b + s)
            args = tuple(make(b, s, g) for _, make in inputs)
            model.B, model.S = b, s
            with torch.no_grad():
                y = model(*args)
            arrays = {f"in.{n}": a.numpy() for (n, _), a in zip(inputs, args)}
            arrays["out.y"] = y.numpy()
            file = f"{name}.b{b}_s{s}.npz"
            save_npz(os.path.join(out, file), arrays)
            sizes.append({"batch": b, "sequence": s if varies_seq else None, "file": file})
    model.B, model.S = TRACE_B, TRACE_S
    return {"name": name, "model": name + ".onnx", "dynamic": flags, "opset": opset, "sizes": sizes,
            "refused": name in REFUSED}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    torch.set_num_threads(1)
    entries = [generate(n, args.outdir) for n in MODELS if not args.only or n in args.only]
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump({"traced": {"batch": TRACE_B, "sequence": TRACE_S}, "models": entries}, f, indent=1)
    print(f"wrote {len(entries)} models to {args.outdir}")


if __name__ == "__main__":
    sys.exit(main())
