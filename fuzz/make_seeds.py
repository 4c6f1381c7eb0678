#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (fuzz/*_fuzzer.cpp) into OUTDIR/<target>/ from
kiln's test inputs: the bad-input corpus, the golden .kir cases, the e2e corpus models when
they have been generated (build/e2e/corpus), a few arrays of every .npy flavour and, where torch
is importable, the prepared forward() graphs of the small TorchScript test models
(tests/torch/gen_torch_models.py) as TorchScript IR text.

    /usr/bin/python3 fuzz/make_seeds.py OUTDIR
"""
import glob
import hashlib
import io
import os
import sys
import zipfile

import re

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_SEED = 200_000


def put(out, target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_SEED:
        return
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


# Small models of tests/torch/gen_torch_models.py whose prepared graphs cover most aten converters.
TORCH_SEED_MODELS = ["mlp", "aten_mix", "resnet18", "mobilenet_v3_small", "transformer_encoder", "transformer_fused_gelu",
                     "mha_fused", "scripted_branches", "einsum", "lstm_tagger", "gru", "segmentation"]


def parseable(graph, torch):
    """Rewrites `graph` in place into what torch::jit::parseIR reads back: every tensor constant
    typed with its full shape (parseIR makes it from the type), constant lists holding tensors
    (an LSTM's weights, an index list) as a prim::ListConstruct of single constants."""
    for node in list(graph.nodes()):
        if node.kind() != "prim::Constant" or node.outputsSize() != 1 or not node.hasAttribute("value"):
            continue
        value = node.t("value") if node.kindOf("value") == "t" else node.output().toIValue()
        if isinstance(value, torch.Tensor):
            node.output().setType(torch._C.TensorType.create_from_tensor(value))
        elif isinstance(value, list) and any(isinstance(v, torch.Tensor) for v in value):
            with graph.insert_point_guard(node):
                items = [graph.insertConstant(v) for v in value]
                for item, v in zip(items, value):
                    if isinstance(v, torch.Tensor):
                        item.setType(torch._C.TensorType.create_from_tensor(v))
                lst = graph.create("prim::ListConstruct", items)
                graph.insertNode(lst)
            lst.output().setType(node.output().type())
            node.output().replaceAllUsesWith(lst.output())
            node.destroy()


def torchscript_ir(graph):
    """`graph` as text: no source comments or scopes, tensor constants as `<Tensor>`, values renamed
    %v0, %v1, ... (parseIR misreads names like `%self.conv.0.weight`), and input 0 (the module, a
    class parseIR cannot name) as NoneType."""
    lines = []
    for line in str(graph).splitlines():
        line = re.sub(r",? scope: \S+", "", re.sub(r"\s*#.*$", "", line))
        if re.match(r"\s*%\S+ : [A-Z][a-z]+\(.*= prim::Constant\[value=", line):
            line = line[:line.index("prim::Constant[")] + "prim::Constant[value=<Tensor>]()"
        lines.append(re.sub(r"value=(-?)inf\]", r"value=\g<1>1e30]", line))  # parseIR reads no inf
    text = re.sub(r"^(graph\(%[\w.]+) : [^,)]+", r"\1 : NoneType", "\n".join(lines)) + "\n"
    names = {}
    return re.sub(r"%[\w.]+", lambda m: names.setdefault(m.group(0), f"%v{len(names)}"), text)


def torchscript_seeds(out):
    """The prepared graphs (frontend/torchscript/module_loading.cpp's passes) of small traced models,
    inputs typed with their example shapes. Skipped without torch; done once per OUTDIR."""
    if os.path.isdir(os.path.join(out, "torchscript_fuzzer")):
        return
    try:
        import warnings
        warnings.simplefilter("ignore")  # the models' tracer warnings
        import torch
        sys.path.insert(0, os.path.join(ROOT, "tests", "torch"))
        import gen_torch_models as gen
    except ImportError:
        return
    for name in TORCH_SEED_MODELS:
        builder, spec = gen.MODELS[name][:2]
        options = gen.MODELS[name][2] if len(gen.MODELS[name]) > 2 else {}
        g = torch.Generator().manual_seed(0)
        inputs = [gen.make_input(shape, dtype, high, g) for _, shape, dtype, high in spec]
        model = builder().eval()
        with torch.set_grad_enabled(not options.get("no_grad", False)):
            traced = torch.jit.script(model) if options.get("script") else torch.jit.trace(model, tuple(inputs),
                                                                                              check_trace=False)
        graph = torch.jit.freeze(traced).graph.copy()
        for p in ["_jit_pass_inline", "_jit_pass_remove_dropout", "_jit_pass_remove_mutation",
                  "_jit_pass_lower_all_tuples", "_jit_pass_constant_propagation", "_jit_pass_dce"]:
            if p == "_jit_pass_remove_dropout":
                continue  # needs the module; frozen eval-mode graphs hold no dropout
            getattr(torch._C, p)(graph)
        parseable(graph, torch)
        for value, x in zip(list(graph.inputs())[1:], inputs):
            value.setType(torch._C.TensorType.create_from_tensor(x))
        put(out, "torchscript_fuzzer", torchscript_ir(graph))


def main(out):
    bad = os.path.join(ROOT, "tests", "bad_inputs")
    corpus = os.path.join(ROOT, "build", "e2e", "corpus")
    for path in glob.glob(os.path.join(bad, "*.onnx")) + glob.glob(os.path.join(bad, "*", "model.onnx")) + \
            glob.glob(os.path.join(corpus, "*.onnx")):
        put(out, "onnx_import_fuzzer", open(path, "rb").read())

    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "golden", "*.kir"))):
        for part in open(path).read().split("// -----"):
            body = "\n".join(l for l in part.split("// CHECK")[0].splitlines() if not l.lstrip().startswith("//"))
            if "graph @" in body:
                put(out, "ir_parser_fuzzer", body)
    for path in glob.glob(os.path.join(bad, "*.kir")):
        put(out, "ir_parser_fuzzer", open(path, "rb").read())

    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
              np.arange(4, dtype=">i8"), np.array(["ab", "cde"]), np.array([b"x", b"yz"]), np.array([True, False]),
              np.zeros((0, 3), np.float16), np.array(3.5), np.arange(8, dtype=np.uint8).reshape(2, 2, 2)]
    for a in arrays:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, a, version=(1, 0) if a.ndim < 3 else (2, 0))
        put(out, "npy_fuzzer", buf.getvalue())
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression) as z:
            for i, a in enumerate(arrays[:4]):
                member = io.BytesIO()
                np.lib.format.write_array(member, a)
                z.writestr(f"a{i}.npy", member.getvalue())
        put(out, "npy_fuzzer", buf.getvalue())
    for path in glob.glob(os.path.join(bad, "*.npz")) + glob.glob(os.path.join(corpus, "*.inputs.npz"))[:20]:
        put(out, "npy_fuzzer", open(path, "rb").read())

    for text in ["x=1x3x224x224", "1x3x224x224:float16", "a=2x4:i64\nb=7:bool", "input=0x5", "x=1x2:bfloat16",
                 "batch=4", "batch=4\nseq=128", "a,b,c", "x=4611686018427387904x4", "=3", "x=", "x=1x:f32"]:
        put(out, "shape_option_fuzzer", text)
    torchscript_seeds(out)
    for target in sorted(os.listdir(out)):
        print(f"{target}: {len(os.listdir(os.path.join(out, target)))} seeds")


if __name__ == "__main__":
    main(sys.argv[1])
