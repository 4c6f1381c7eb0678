#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (fuzz/*_fuzzer.cpp) into OUTDIR/<target>/ from
kiln's test inputs: the bad-input corpus, the golden .kir cases, the e2e corpus models when
they have been generated (build/e2e/corpus) and a few arrays of every .npy flavour.

    /usr/bin/python3 fuzz/make_seeds.py OUTDIR
"""
import glob
import hashlib
import io
import os
import sys
import zipfile

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
    for target in sorted(os.listdir(out)):
        print(f"{target}: {len(os.listdir(os.path.join(out, target)))} seeds")


if __name__ == "__main__":
    main(sys.argv[1])
