"""Writes the bad-input table: malformed or hostile ONNX files kiln must reject cleanly.

    /usr/bin/python3 tests/models/gen_bad_inputs.py OUTDIR

Each case is one file (or folder) under OUTDIR, and OUTDIR/bad_inputs.json lists them as
{file, valid, expect_substring, why}: kiln should fail on a file with valid=false with an
error message containing expect_substring (lowercase; compare case-insensitively). The words
are deliberately loose because the C++ wording is not fixed yet. external_ok/ is the one valid
control case (runnable in ONNX Runtime; its inputs.npz and expected.npz sit beside it).
Output is deterministic: fixed seeds and no timestamps.
"""
import io
import json
import os
import shutil
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8  # what onnx 1.12 writes; every runtime we test reads it


def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, initializers=(), **graph_kw):
    g = helper.make_graph(nodes, "bad_input_case", inputs, outputs, list(initializers), **graph_kw)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="kiln-tests")
    m.ir_version = IR_VERSION
    return m


def small_valid():
    """y = x @ W + B with 4x4 weights; big enough that half its bytes cut through the graph."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    return model([helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "B"], ["y"])],
                 [vi("x", [2, 4])], [vi("y", [2, 4])],
                 [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")]), w, b


def external_model(location):
    """A 2-float initializer whose data is claimed to live in an external file at `location`."""
    t = onnx.TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[2])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "8")):
        t.external_data.add(key=k, value=v)
    return model([helper.make_node("Add", ["x", "W"], ["y"])], [vi("x", [2])], [vi("y", [2])], [t])


def save_npz(path, arrays):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, a in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, a)
            z.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    table = []

    def case(file, data, expect, why, valid=False):
        path = os.path.join(out, file)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if data is not None:
            with open(path, "wb") as f:
                f.write(data if isinstance(data, bytes) else data.SerializeToString())
        table.append({"file": file, "valid": valid, "expect_substring": expect, "why": why})
        return path

    valid, w, b = small_valid()
    valid_bytes = valid.SerializeToString()

    case("empty.onnx", b"", "empty", "0-byte file: report it as empty, not as a parse error deep inside")
    case("truncated.onnx", valid_bytes[:len(valid_bytes) // 2], "parse",
         "first half of a valid model: protobuf parsing must fail and be reported, not crash")
    case("random_bytes.onnx", np.random.default_rng(1234).bytes(4096), "parse",
         "4 KiB of random bytes: not a ModelProto")

    case("unknown_op.onnx", model([helper.make_node("FooBarOp", ["x"], ["y"])], [vi("x", [2])], [vi("y", [2])]),
         "foobarop", "op_type FooBarOp in the default domain: unknown op, the message should name it")

    case("wrong_arity.onnx", model([helper.make_node("Relu", ["x", "z"], ["y"])], [vi("x", [2]), vi("z", [2])],
                                   [vi("y", [2])]),
         "expect", "Relu given 2 inputs (it takes 1): arity check, e.g. 'Relu expects 1 input, got 2'")

    # Built from raw NodeProtos: a = Add(x, b), b = Relu(a) -- not a DAG.
    add = onnx.NodeProto(op_type="Add", input=["x", "b"], output=["a"], name="add")
    relu = onnx.NodeProto(op_type="Relu", input=["a"], output=["b"], name="relu")
    case("cyclic.onnx", model([add, relu], [vi("x", [2])], [vi("b", [2])]), "cycle",
         "two nodes feeding each other: the graph has a cycle (topological sort must detect it)")

    case("duplicate_output.onnx",
         model([helper.make_node("Relu", ["x"], ["y"], name="r1"), helper.make_node("Neg", ["x"], ["y"], name="n1")],
               [vi("x", [2])], [vi("y", [2])]),
         "duplicate", "two nodes produce the same value name 'y' (violates SSA)")

    neg = vi("x", [2, 3])
    neg.type.tensor_type.shape.dim[1].dim_value = -3
    case("negative_dim.onnx", model([helper.make_node("Relu", ["x"], ["y"])], [neg], [vi("y", [2, "d"])]),
         "negative", "graph input with dim_value -3")

    bad_init = onnx.TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[4, 4], raw_data=b"\0" * 12)
    case("bad_initializer_size.onnx",
         model([helper.make_node("Add", ["x", "W"], ["y"])], [vi("x", [4, 4])], [vi("y", [4, 4])], [bad_init]),
         "size", "initializer with dims [4,4] float (64 bytes) but 12 bytes of raw_data")

    case("external_escape/model.onnx", external_model("../../etc/passwd"), "outside",
         "external data location '../../etc/passwd' escapes the model folder (path traversal)")
    case("external_absolute/model.onnx", external_model("/etc/passwd"), "absolute",
         "external data location is an absolute path")

    link = case("external_symlink/model.onnx", external_model("weights.bin"), "symlink",
                "external data file weights.bin is a symlink (to /etc/hostname): refuse to follow it")
    link = os.path.join(os.path.dirname(link), "weights.bin")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("/etc/hostname", link)

    # Control case: the same small model with both weights in external file weights.bin.
    ok_dir = os.path.join(out, "external_ok")
    shutil.rmtree(ok_dir, ignore_errors=True)
    os.makedirs(ok_dir)
    onnx.save_model(valid, os.path.join(ok_dir, "model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    case("external_ok/model.onnx", None, None,
         "valid model whose W and B live in external_ok/weights.bin: must load and run", valid=True)
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    save_npz(os.path.join(ok_dir, "inputs.npz"), {"x": x})
    save_npz(os.path.join(ok_dir, "expected.npz"), {"y": x @ w + b})

    sparse = helper.make_sparse_tensor(
        numpy_helper.from_array(np.array([1.0, 2.0, 3.0], np.float32), "S"),
        numpy_helper.from_array(np.array([0, 5, 15], np.int64)), [4, 4])
    case("sparse_initializer.onnx",
         model([helper.make_node("Add", ["x", "S"], ["y"])], [vi("x", [4, 4])], [vi("y", [4, 4])],
               sparse_initializer=[sparse]),
         "sparse", "well-formed graph whose weight is a sparse_initializer (unsupported by kiln)")

    # Sanity: the parse cases really do not parse, and the rest do.
    for c in table:
        path = os.path.join(out, c["file"])
        try:
            onnx.load(path, load_external_data=False)
            parsed = True
        except Exception:  # noqa: BLE001 - protobuf raises a variety of types
            parsed = False
        assert parsed == (c["expect_substring"] not in ("parse", "empty")) or c["file"] == "empty.onnx", c["file"]

    with open(os.path.join(out, "bad_inputs.json"), "w") as f:
        json.dump(table, f, indent=1)
        f.write("\n")
    print(f"{len(table)} cases written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
