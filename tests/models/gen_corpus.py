"""Generates kiln's end-to-end ONNX model corpus with torch.onnx.export (torch 1.13).

    /usr/bin/python3 tests/models/gen_corpus.py OUTDIR [--only NAME...] [--opsets 9,11,13,14,16,17]

For every model NAME and opset N it writes
    OUTDIR/NAME_opN.onnx           the exported model (random weights, fixed seeds)
    OUTDIR/NAME_opN.inputs.npz     a fixed-seed input, keyed by ONNX graph input name
    OUTDIR/NAME_opN.expected.npz   torch eager outputs, keyed by ONNX graph output name
and OUTDIR/manifest.json listing them (plus the (model, opset) pairs torch could not export).
An export that fails at some opset is skipped with a note; it does not fail the run.

Everything is deterministic: each model is built and fed from its own seed (so --only gives
the same bytes as a full run) and .npz members carry a fixed timestamp.
"""
import argparse
import io
import json
import os
import sys
import time
import warnings
import zipfile

import numpy as np
import onnx
import torch
from torch import nn
import torchvision

DEFAULT_OPSETS = [9, 11, 13, 14, 16, 17]
TORCH_MAX_OPSET = 17  # torch 1.13's newest exporter opset


def calibrate_bn(model, shape, steps=4):
    """Gives BatchNorm layers realistic running stats: with the default init (mean 0, var 1)
    random-weight CNN activations collapse towards 0 and any comparison becomes meaningless."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(steps):
            model(torch.randn(*shape))
    for m in bns:
        m.momentum = 0.1  # export writes momentum as an attribute; None would not serialise
    return model.eval()


def cnn(ctor, size=64):
    def build():
        model = ctor()
        for m in model.modules():  # torchvision's N(0, 0.01) classifier init gives ~1e-2 logits;
            if isinstance(m, nn.Linear):  # the default init keeps them O(0.1..1) for comparisons
                m.reset_parameters()
        model = calibrate_bn(model, (4, 3, size, size))
        return model, {"input": torch.randn(1, 3, size, size)}, ["output"]
    return build


def transformer():
    layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0,
                                       batch_first=True)
    model = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False).eval()
    return model, {"input": torch.randn(2, 10, 64)}, ["output"]


class BertLike(nn.Module):
    """BERT-shaped: token + position embeddings, LayerNorm, 2 post-norm GELU encoder layers with
    a key padding mask (true = padding), as in bench/compile_time.py but small."""
    def __init__(self, vocab=100, hidden=64, heads=4, ffn=128, layers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(32, hidden)
        self.norm = nn.LayerNorm(hidden)
        layer = nn.TransformerEncoderLayer(hidden, heads, ffn, dropout=0.0, activation="gelu", batch_first=True)
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, ids, padding):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        return self.layers(self.norm(self.tok(ids) + self.pos(pos)), src_key_padding_mask=padding)


def bert_like():
    padding = torch.zeros(2, 12, dtype=torch.bool)
    padding[1, 9:] = True  # the second sequence is 9 tokens long
    return BertLike().eval(), {"input_ids": torch.randint(0, 100, (2, 12)), "padding": padding}, ["output"]


class LSTMModel(nn.Module):
    """[seq, batch, feat] -> 2-layer LSTM -> Linear; also returns the final states."""

    def __init__(self, feat=16, hidden=32, out=8):
        super().__init__()
        self.lstm = nn.LSTM(feat, hidden, num_layers=2)
        self.head = nn.Linear(hidden, out)

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        return self.head(y), h, c


def lstm():
    return LSTMModel().eval(), {"input": torch.randn(5, 2, 16)}, ["output", "h_n", "c_n"]


class ControlFlow(nn.Module):
    """Scripted so the export keeps real ONNX If and Loop nodes (tracing would unroll them)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 8)
        self.b = nn.Linear(8, 8)

    def forward(self, x, n):
        if x.sum() > 0:  # data-dependent branch -> If
            y = self.a(x)
        else:
            y = self.b(x) * 2.0
        for _ in range(int(n)):  # trip count from an input -> Loop
            y = torch.tanh(self.b(y)) + y
        for _ in range(x.size(0)):  # trip count from a tensor size -> Loop (or folded)
            y = y * 0.5 + x
        return y


def control_flow():
    model = torch.jit.script(ControlFlow().eval())
    x = torch.randn(4, 8).abs()  # positive sum, so the then-branch runs
    return model, {"x": x, "n": torch.tensor(3, dtype=torch.int64)}, ["output"]


class GRUModel(nn.Module):
    """[batch, seq, feat] -> 2-layer bidirectional GRU -> Linear; also the final state."""

    def __init__(self, feat=12, hidden=16, out=6):
        super().__init__()
        self.gru = nn.GRU(feat, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, out)

    def forward(self, x):
        y, h = self.gru(x)
        return self.head(y), h


def gru():
    return GRUModel().eval(), {"input": torch.randn(3, 7, 12)}, ["output", "h_n"]


class EinsumScatter(nn.Module):
    """Bilinear attention written with einsum (-> Einsum), then the rows chosen by an index
    input overwritten in place (index_put with a tensor index -> ScatterND)."""

    def __init__(self, dim=8):
        super().__init__()
        self.w = nn.Parameter(torch.randn(dim, dim) / dim ** 0.5)
        self.v = nn.Parameter(torch.randn(dim, dim) / dim ** 0.5)

    def forward(self, x, rows):
        scores = torch.einsum("bid,de,bje->bij", x, self.w, x)
        ctx = torch.einsum("bij,bjd->bid", scores.softmax(-1), x)
        out = ctx.clone()
        out[rows] = torch.tanh(torch.einsum("bid,de->bie", ctx[rows], self.v))
        return out


def einsum_scatter():
    return (EinsumScatter().eval(),
            {"x": torch.randn(4, 5, 8), "rows": torch.tensor([2, 0], dtype=torch.int64)}, ["output"])


def vit_b_16():
    """vit_b_16 at 64x64 (16 patches + class token): the real 12 x 768 encoder, small input."""
    model = torchvision.models.vit_b_16(image_size=64)
    model.heads.head.reset_parameters()  # torchvision zero-initializes it: all-zero logits
    return model.eval(), {"input": torch.randn(1, 3, 64, 64)}, ["output"]


# Large models and ops torch exports only from some opset on run at fewer opsets, to keep CI
# time in bounds (every corpus test runs every model at every opset listed here, and
# opset.corpus_retarget converts each to opsets 9-21 anyway). The largest (densenet121: 8M
# parameters in 120 convolutions, convnext_tiny: 28M, vit_b_16: 86M) run at 17 only.
LARGE_MODEL_OPSETS = [13, 17]
LARGEST_MODEL_OPSETS = [17]
MODELS = {
    "resnet18": cnn(torchvision.models.resnet18),
    "mobilenet_v2": cnn(torchvision.models.mobilenet_v2),
    "mobilenet_v3_small": cnn(torchvision.models.mobilenet_v3_small),
    "squeezenet1_1": cnn(torchvision.models.squeezenet1_1),
    "transformer_encoder": transformer,
    "bert_like": (bert_like, [14, 17]),
    "lstm": lstm,
    "control_flow": control_flow,
    "efficientnet_b0": (cnn(torchvision.models.efficientnet_b0), LARGE_MODEL_OPSETS),
    "densenet121": (cnn(torchvision.models.densenet121), LARGEST_MODEL_OPSETS),
    "convnext_tiny": (cnn(torchvision.models.convnext_tiny), LARGEST_MODEL_OPSETS),
    "vit_b_16": (vit_b_16, LARGEST_MODEL_OPSETS),
    "gru": gru,
    "einsum_scatter": (einsum_scatter, [13, 16, 17]),  # Einsum exists from opset 12 on
}


def model_entry(name):
    """(builder, opsets or None for the run's default list) of a MODELS entry."""
    entry = MODELS[name]
    return entry if isinstance(entry, tuple) else (entry, None)


def save_npz(path, arrays):
    """Like np.savez but with a fixed member timestamp, so the bytes are reproducible."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, a in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.array(a, order="C"))  # keeps 0-d arrays 0-d
            z.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())


def graph_io(model):
    init = {t.name for t in model.graph.initializer}
    ins = [(v.name, v.type.tensor_type.elem_type,
            [d.dim_value if d.HasField("dim_value") else d.dim_param for d in v.type.tensor_type.shape.dim])
           for v in model.graph.input if v.name not in init]
    return ins, [v.name for v in model.graph.output]


def all_nodes(graph):
    for n in graph.node:
        yield n
        for a in n.attribute:
            for g in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
                yield from all_nodes(g)


def is_experimental(node):
    """True for default-domain ops with no (or only an experimental) schema."""
    if node.domain not in ("", "ai.onnx"):
        return False
    return (not onnx.defs.has(node.op_type) or onnx.defs.get_schema(node.op_type).support_level
            == onnx.defs.OpSchema.SupportType.EXPERIMENTAL)


def export_one(name, opset, model, inputs, out_names, outdir):
    stem = os.path.join(outdir, f"{name}_op{opset}")
    path = stem + ".onnx"
    try:
        if opset > TORCH_MAX_OPSET:
            raise RuntimeError(f"torch {torch.__version__} exports opsets up to {TORCH_MAX_OPSET}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter is chatty; failures still raise
            torch.onnx.export(model, tuple(inputs.values()), path, opset_version=opset,
                              input_names=list(inputs), output_names=out_names,
                              do_constant_folding=True)
        proto = onnx.load(path)
        onnx.checker.check_model(proto)
        # Old opsets may get experimental ops (LSTM at 7/8: ConstantFill) that the checker
        # lets through with a warning but no runtime implements.
        bad = sorted({n.op_type for n in all_nodes(proto.graph) if is_experimental(n)})
        if bad:
            raise RuntimeError(f"export uses experimental op(s) {', '.join(bad)}, unsupported by runtimes")
    except Exception as e:  # noqa: BLE001 - any exporter failure means "unsupported here"
        for f in (path, stem + ".inputs.npz", stem + ".expected.npz"):  # no stale leftovers
            if os.path.exists(f):
                os.remove(f)
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
        return None, reason
    ins, outs = graph_io(proto)
    # The exporter may drop inputs it folded away; keep only those the graph still has.
    feed = {k: v for k, v in inputs.items() if k in {i[0] for i in ins}}
    return (stem, feed, ins, outs), None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--only", nargs="+", metavar="NAME", choices=list(MODELS), help="subset of models")
    ap.add_argument("--opsets", default=",".join(map(str, DEFAULT_OPSETS)),
                    help="comma-separated opsets (default %(default)s)")
    args = ap.parse_args()
    opsets = [int(s) for s in args.opsets.split(",") if s.strip()]
    os.makedirs(args.outdir, exist_ok=True)

    entries, skipped = [], []
    t_all = time.time()
    for name in args.only or list(MODELS):
        t0 = time.time()
        torch.manual_seed(0)  # per model, so --only reproduces a full run
        build, model_opsets = model_entry(name)
        model, inputs, out_names = build()
        with torch.no_grad():
            ref = model(*inputs.values())
        ref = ref if isinstance(ref, tuple) else (ref,)
        for r in ref:  # guard against collapsed (e.g. untrained-BN) outputs
            assert float(r.float().std()) > 1e-3, f"{name}: output std {float(r.std()):.3g} too small"
        done = []
        for opset in [o for o in opsets if model_opsets is None or o in model_opsets]:
            res, reason = export_one(name, opset, model, inputs, out_names, args.outdir)
            if res is None:
                print(f"  note: {name} opset {opset} skipped: {reason}")
                skipped.append({"name": name, "opset": opset, "reason": reason})
                continue
            stem, feed, ins, outs = res
            assert len(outs) == len(ref), f"{name}: {len(outs)} ONNX outputs vs {len(ref)} torch outputs"
            save_npz(stem + ".inputs.npz", {k: v.numpy() for k, v in feed.items()})
            save_npz(stem + ".expected.npz", {o: r.numpy() for o, r in zip(outs, ref)})
            entries.append({
                "name": name, "opset": opset, "model": os.path.basename(stem) + ".onnx",
                "inputs": [{"name": n, "elem_type": onnx.TensorProto.DataType.Name(t), "shape": s}
                           for n, t, s in ins],
                "outputs": outs,
                "inputs_file": os.path.basename(stem) + ".inputs.npz",
                "expected_file": os.path.basename(stem) + ".expected.npz",
            })
            done.append(opset)
        print(f"{name}: opsets {done or 'none'} in {time.time() - t0:.1f}s", flush=True)

    manifest = {"generator": "tests/models/gen_corpus.py", "torch": torch.__version__,
                "models": entries, "skipped": skipped}
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"{len(entries)} models, {len(skipped)} skipped, {time.time() - t_all:.1f}s total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
