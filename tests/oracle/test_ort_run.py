"""Self-test of the ORT oracle (ort_run.js + npy.js) against numpy-written files.

    /usr/bin/python3 tests/oracle/test_ort_run.py

Feeds every supported dtype (plus scalar, empty and 1-d shapes) through an Identity model,
using np.savez, np.savez_compressed and hand-built zips of .npy v1.0/2.0/3.0 members, and
checks the outputs come back bit-exact; also checks the error path (one stderr line, exit 2),
--print-shapes, and that the writer's .npy bytes equal numpy's own. Ends with 'N passed, N failed'.
"""
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import onnx
from onnx import helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
ORT_RUN = os.path.join(HERE, "ort_run.js")

# dtype -> ONNX element type; each case is (name, array).
ONNX_TYPE = {np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE, np.float16: TensorProto.FLOAT16,
             np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8, np.int16: TensorProto.INT16,
             np.uint16: TensorProto.UINT16, np.int32: TensorProto.INT32, np.int64: TensorProto.INT64,
             np.uint32: TensorProto.UINT32, np.uint64: TensorProto.UINT64, np.bool_: TensorProto.BOOL}


def cases():
    rng = np.random.default_rng(0)
    out = {}
    for i, t in enumerate(ONNX_TYPE):
        if t is np.bool_:
            a = rng.random((2, 3, 4)) > 0.5
        elif np.issubdtype(t, np.floating):
            a = rng.standard_normal((2, 3, 4)).astype(t)
        else:
            info = np.iinfo(t)  # extremes catch sign/width mistakes
            a = rng.integers(info.min, info.max, (2, 3, 4), dtype=t, endpoint=True)
            a.flat[0], a.flat[1] = info.min, info.max
        out[f"x_{np.dtype(t).name}"] = a
    out["scalar"] = np.array(3.5, np.float32)
    out["empty"] = np.zeros((0, 5), np.float32)
    out["vec"] = np.arange(7, dtype=np.int64)
    return out


def identity_model(arrays, path):
    nodes, ins, outs = [], [], []
    for name, a in arrays.items():
        et = ONNX_TYPE[a.dtype.type]
        ins.append(helper.make_tensor_value_info(name, et, list(a.shape)))
        outs.append(helper.make_tensor_value_info("out_" + name, et, list(a.shape)))
        nodes.append(helper.make_node("Identity", [name], ["out_" + name]))
    g = helper.make_graph(nodes, "identity", ins, outs)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)]), path)


def npy_bytes(a, version=None):
    f = io.BytesIO()
    np.lib.format.write_array(f, a, version=version)
    return f.getvalue()


def run(*args):
    return subprocess.run(["node", ORT_RUN, *args], capture_output=True, text=True)


def main():
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")

    arrays = cases()
    with tempfile.TemporaryDirectory() as d:
        model = os.path.join(d, "id.onnx")
        identity_model(arrays, model)
        variants = {"savez": lambda p: np.savez(p, **arrays),
                    "savez_compressed": lambda p: np.savez_compressed(p, **arrays)}
        for ver in [(1, 0), (2, 0), (3, 0)]:
            def hand(p, ver=ver):  # hand-built zip, deflated, with an explicit .npy version
                with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
                    for k, a in arrays.items():
                        z.writestr(k + ".npy", npy_bytes(a, ver))
            variants[f"npy_v{ver[0]}.{ver[1]}"] = hand
        for vname, write in variants.items():
            inp, out = os.path.join(d, vname + ".npz"), os.path.join(d, vname + ".out.npz")
            write(inp)
            r = run(model, inp, out)
            if r.returncode != 0:
                check(vname, False, r.stderr.strip())
                continue
            got = np.load(out)
            bad = [k for k, a in arrays.items()
                   if got["out_" + k].dtype != a.dtype or got["out_" + k].shape != a.shape
                   or got["out_" + k].tobytes() != a.tobytes()]
            check(vname, not bad and len(got.files) == len(arrays), f"mismatch in {bad}")

        # The writer's bytes should be exactly numpy's np.save output for every member.
        with zipfile.ZipFile(os.path.join(d, "savez.out.npz")) as z:
            bad = [k for k, a in arrays.items() if z.read("out_" + k + ".npy") != npy_bytes(a)]
        check("writer bytes == np.save", not bad, f"differ for {bad}")

        inp = os.path.join(d, "savez.npz")
        r = run(model, inp, "--print-shapes", "--threads", "2", "--no-opt")
        shapes = json.loads(r.stdout) if r.returncode == 0 else []
        want = [{"name": "out_" + k, "dtype": "bool" if a.dtype == np.bool_ else a.dtype.name, "dims": list(a.shape)}
                for k, a in arrays.items()]
        check("--print-shapes", shapes == want, r.stdout + r.stderr)

        # Error cases: exit 2 with exactly one line on stderr.
        partial = os.path.join(d, "partial.npz")
        np.savez(partial, vec=arrays["vec"])
        extra = os.path.join(d, "extra.npz")
        np.savez(extra, **arrays, bogus=np.zeros(1, np.float32))
        fortran = os.path.join(d, "fortran.npz")
        np.savez(fortran, **{**arrays, "x_float32": np.asfortranarray(arrays["x_float32"])})
        big_endian = os.path.join(d, "be.npz")
        np.savez(big_endian, **{**arrays, "x_float32": arrays["x_float32"].astype(">f4")})
        garbage = os.path.join(d, "garbage.onnx")
        with open(garbage, "wb") as f:
            f.write(b"not a model")
        out = os.path.join(d, "o.npz")
        for name, args, word in [("missing input", [model, partial, out], "lacks"),
                                 ("unknown input", [model, extra, out], "bogus"),
                                 ("fortran order", [model, fortran, out], "fortran"),
                                 ("big endian", [model, big_endian, out], "dtype"),
                                 ("bad model", [garbage, inp, out], "cannot load"),
                                 ("not a zip", [model, model, out], "zip"),
                                 ("no such file", [model, os.path.join(d, "nope.npz"), out], "no such file"),
                                 ("bad --threads", [model, inp, out, "--threads", "x"], "threads"),
                                 ("usage", [model], "usage")]:
            r = run(*args)
            lines = r.stderr.splitlines()
            check(f"error: {name}", r.returncode == 2 and len(lines) == 1 and word in lines[0].lower(),
                  f"rc={r.returncode} stderr={r.stderr!r}")

    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
