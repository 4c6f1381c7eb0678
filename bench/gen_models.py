#!/usr/bin/python3
"""Builds the benchmark models for bench/run.sh with torch 1.13 and torchvision 0.14 (random
weights, fixed seeds; BatchNorm running stats from a few train-mode passes, as in the test corpus).

    /usr/bin/python3 bench/gen_models.py OUTDIR [--only NAME...]

For every model NAME it writes OUTDIR/NAME.pt (torch.jit.trace of the eval-mode model),
OUTDIR/NAME.onnx (torch.onnx.export at opset 17, checked), OUTDIR/NAME.inputs.npz (one input,
keyed by ONNX input name) and OUTDIR/models.json (name, description, inputs with shapes, FLOP
estimate is left to the runtimes). A model whose files exist and are newer than this script is
kept (pass --force to rebuild).
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import onnx
import torch
from torch import nn
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
from gen_corpus import calibrate_bn, save_npz  # noqa: E402  (shared with the test corpus)

OPSET = 17  # torch 1.13's newest exporter opset


def vision(ctor, size=224):
    def build():
        model = ctor()
        model = calibrate_bn(model, (2, 3, size, size), steps=3)
        return model, {"input": torch.randn(1, 3, size, size)}, ["output"]
    return build


class BertLike(nn.Module):
    """BERT-mini-shaped encoder: token + position embeddings, LayerNorm, 4 post-norm layers of
    hidden 256, 4 heads, FFN 1024 (GELU)."""

    def __init__(self, hidden=256, heads=4, ffn=1024, layers=4, vocab=30522):
        super().__init__()
        self.tok = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(512, hidden)
        self.norm = nn.LayerNorm(hidden)
        layer = nn.TransformerEncoderLayer(hidden, heads, ffn, dropout=0.0, activation="gelu", batch_first=True)
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        for p in self.parameters():  # distinct weights per layer, BERT's init scale
            if p.dim() > 1:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        return self.layers(self.norm(self.tok(ids) + self.pos(pos)))


def bert(seq):
    def build():
        return BertLike().eval(), {"input_ids": torch.randint(0, 30522, (1, seq))}, ["output"]
    return build


class LstmModel(nn.Module):
    """[seq 64, batch 1, 128] -> 2-layer LSTM (hidden 256) -> Linear(256, 64) on every step."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(128, 256, num_layers=2)
        self.head = nn.Linear(256, 64)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.head(y)


class Mlp(nn.Module):
    """Batch 16: 784 -> 1024 -> 1024 -> 512 -> 10 with ReLU (a classic dense classifier)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                                 nn.Linear(1024, 512), nn.ReLU(), nn.Linear(512, 10))

    def forward(self, x):
        return self.net(x)


MODELS = {
    "mlp": (lambda: (Mlp().eval(), {"input": torch.randn(16, 784)}, ["output"]), "MLP 784-1024-1024-512-10, batch 16"),
    "lstm": (lambda: (LstmModel().eval(), {"input": torch.randn(64, 1, 128)}, ["output"]),
             "2-layer LSTM, hidden 256, 64 steps, batch 1"),
    "resnet18": (vision(torchvision.models.resnet18), "torchvision resnet18, 1x3x224x224"),
    "resnet50": (vision(torchvision.models.resnet50), "torchvision resnet50, 1x3x224x224"),
    "mobilenet_v3_small": (vision(torchvision.models.mobilenet_v3_small), "torchvision mobilenet_v3_small, 1x3x224x224"),
    "efficientnet_b0": (vision(torchvision.models.efficientnet_b0), "torchvision efficientnet_b0, 1x3x224x224"),
    "bert_seq32": (bert(32), "BERT-like encoder (4 x 256, 4 heads, FFN 1024), batch 1, sequence 32"),
    "bert_seq128": (bert(128), "BERT-like encoder (4 x 256, 4 heads, FFN 1024), batch 1, sequence 128"),
    "bert_seq512": (bert(512), "BERT-like encoder (4 x 256, 4 heads, FFN 1024), batch 1, sequence 512"),
}


def up_to_date(outdir, name):
    files = [os.path.join(outdir, name + ext) for ext in (".pt", ".onnx", ".inputs.npz")]
    me = os.path.getmtime(os.path.abspath(__file__))
    return all(os.path.exists(f) and os.path.getmtime(f) > me for f in files)


def export(name, outdir):
    torch.manual_seed(0)  # per model, so --only reproduces a full run
    build, _ = MODELS[name]
    model, inputs, out_names = build()
    args = tuple(inputs.values())
    stem = os.path.join(outdir, name)
    with torch.no_grad():
        out = model(*args)
    assert float(out.float().std()) > 1e-3, f"{name}: output std {float(out.std()):.3g}: collapsed activations"
    # Traced and exported with autograd on: under no_grad, torch 1.13 routes the encoder layers
    # to its fused inference kernel (aten::_transformer_encoder_layer_fwd), which has no ONNX
    # export; both files then hold the same standard-op graph.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and exporter warnings; failures still raise
        traced = torch.jit.trace(model, args, check_trace=False)  # the check re-runs under no_grad
        traced.save(stem + ".pt.tmp")
        torch.onnx.export(model, args, stem + ".onnx.tmp", opset_version=OPSET, input_names=list(inputs),
                          output_names=out_names, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(stem + ".onnx.tmp"))
    save_npz(stem + ".inputs.npz.tmp", {k: v.numpy() for k, v in inputs.items()})
    for ext in (".pt", ".onnx", ".inputs.npz"):  # all three appear together or not at all
        os.replace(stem + ext + ".tmp", stem + ext)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--only", nargs="+", metavar="NAME", choices=list(MODELS))
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    names = a.only or list(MODELS)
    for name in names:
        if not a.force and up_to_date(a.outdir, name):
            continue
        t0 = time.time()
        export(name, a.outdir)
        print(f"gen_models: {name} in {time.time() - t0:.1f} s", flush=True)
    index = {}
    for name in names:
        data = np.load(os.path.join(a.outdir, name + ".inputs.npz"))
        index[name] = {"description": MODELS[name][1],
                       "inputs": {k: {"shape": list(data[k].shape), "dtype": str(data[k].dtype)} for k in data.files}}
    with open(os.path.join(a.outdir, "models.json"), "w") as f:
        json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__, "opset": OPSET,
                   "models": index}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
