#!/usr/bin/python3
"""Writes the checked-in bad-input corpus: small hostile or broken files, one per limit or
refusal of docs/security.md, and cases.json saying how kiln must refuse each.

    /usr/bin/python3 tests/bad_inputs/generate.py [OUTDIR]   (default: this folder)

cases.json lists {name, file, args, expect, why}: `args` is the kiln command line with {file}
(the case's file) and {out} (an output path in a scratch folder) to substitute. kiln must exit
with status 2, print exactly one line on stderr containing `expect` (compared lowercase) and the
file's name, leave a pre-existing output untouched and create no new file. Output is
deterministic (no timestamps, fixed contents), so regenerating shows no diff.
tests/e2e/bad_input_corpus.py runs the table; tests/models/gen_bad_inputs.py holds the older
parse/schema cases generated at test time.
"""
import io
import json
import os
import shutil
import struct
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8


def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, initializers=(), opset=OPSET):
    g = helper.make_graph(nodes, "bad", inputs, outputs, list(initializers))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="kiln-tests")
    m.ir_version = IR_VERSION
    return m


def small_valid():
    """y = Relu(x + W), W 4x4 float: 64 bytes of weights."""
    w = np.arange(16, dtype=np.float32).reshape(4, 4)
    return model([helper.make_node("Add", ["x", "W"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
                 [vi("x", [4, 4])], [vi("y", [4, 4])], [numpy_helper.from_array(w, "W")])


def dataless(name, dims, elem=TensorProto.FLOAT):
    """An initializer with dims but no data: the size checks must fire before the data check."""
    return onnx.TensorProto(name=name, data_type=elem, dims=dims)


def nested_if(depth):
    """Identity(x) wrapped in `depth` levels of If(then = the next level, else = a leaf)."""
    def leaf(level):
        return helper.make_graph([helper.make_node("Identity", ["x"], [f"e{level}"])], f"leaf{level}", [],
                                 [vi(f"e{level}", [2])])

    def body(level):
        if level == 0:
            return leaf(0)
        out = f"r{level}"
        node = helper.make_node("If", ["c"], [out], then_branch=body(level - 1), else_branch=leaf(level))
        return helper.make_graph([node], f"level{level}", [], [vi(out, [2])])
    node = helper.make_node("If", ["c"], ["y"], then_branch=body(depth), else_branch=leaf(depth + 1))
    return model([node], [vi("x", [2]), vi("c", [], TensorProto.BOOL)], [vi("y", [2])])


def relu_chain(n):
    nodes = [helper.make_node("Relu", [f"v{i}"], [f"v{i + 1}"], name=f"relu{i}") for i in range(n)]
    return model(nodes, [vi("v0", [2])], [vi(f"v{n}", [2])])


def external(location, offset="0", length="64", data=None):
    """small_valid with W claimed to live in `location` at offset/length."""
    m = small_valid()
    w = m.graph.initializer[0]
    w.ClearField("raw_data")
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            w.external_data.add(key=k, value=v)
    return m


def npy_bytes(header_dict, data):
    header = header_dict.encode("latin1")
    header += b" " * ((64 - (10 + len(header) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def npz_bytes(members, compress=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=compress)
    return buf.getvalue()


KIR_HEAD = "graph @g(%x: f32[2]) -> (%y: f32[2]) {\n"


def kir_nested_if(depth):
    """Textual IR: If nested `depth` levels, every branch returning Neg(x)."""
    counter = [0]

    def graph(level):
        counter[0] += 1
        k = counter[0]
        if level == 0:
            return f"graph @b{k}() -> (%r{k}: f32[2]) {{\n%r{k} = Neg(%x)\nreturn %r{k}\n}}"
        return (f"graph @b{k}() -> (%r{k}: f32[2]) {{\n%r{k} = If(%c) {{then_branch = {graph(level - 1)}, "
                f"else_branch = {graph(0)}}}\nreturn %r{k}\n}}")
    return ("graph @g(%x: f32[2], %c: bool[]) -> (%y: f32[2]) {\n"
            f"%y = If(%c) {{then_branch = {graph(depth)}, else_branch = {graph(0)}}}\nreturn %y\n}}\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    table = []

    def case(name, data, args, expect, why, file=None):
        file = file or name
        path = os.path.join(out, file)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if data is not None:
            with open(path, "wb") as f:
                f.write(data if isinstance(data, (bytes, bytearray)) else
                        data.encode() if isinstance(data, str) else data.SerializeToString())
        table.append({"name": name, "file": file, "args": args, "expect": expect, "why": why})
        return path

    import_args = [["inspect", "{file}"], ["compile", "{file}", "-O2", "--no-validate", "-o", "{out}"]]

    def onnx_case(name, data, expect, why, extra=(), file=None):
        for a in import_args:
            case(f"{a[0]} {name}", data, a + list(extra), expect, why, file=file or name)

    valid = small_valid()
    case("valid.onnx", valid, None, None, "control: the small valid model the option cases reuse")
    table.pop()

    # ---- limits ------------------------------------------------------------------------
    onnx_case("tensor_over_default_limit.onnx",
              model([helper.make_node("Add", ["x", "W"], ["y"])], [vi("x", [4])], [vi("y", [4])],
                    [dataless("W", [65536, 65536, 4])]),
              "tensor size limit", "a 64 GiB initializer (no data): over the 16 GiB default --max-tensor-bytes")
    onnx_case("tensor_over_option_limit", None, "tensor size limit",
              "the 64-byte weight of valid.onnx against --max-tensor-bytes 32", ["--max-tensor-bytes", "32"],
              file="valid.onnx")
    onnx_case("initializer_dims_overflow.onnx",
              model([helper.make_node("Add", ["x", "W"], ["y"])], [vi("x", [4])], [vi("y", [4])],
                    [dataless("W", [1 << 40, 1 << 40])]),
              "overflows", "initializer dims 2^40 x 2^40: the element count overflows int64")
    onnx_case("input_dims_overflow.onnx",
              model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", [1 << 31, 1 << 31, 1 << 31])], [vi("y", [2])]),
              "overflows", "graph input [2^31, 2^31, 2^31]: the element count overflows int64")
    onnx_case("byte_size_overflow.onnx",
              model([helper.make_node("Add", ["x", "W"], ["y"])], [vi("x", [4])], [vi("y", [4])],
                    [dataless("W", [1 << 31, 1 << 31], TensorProto.DOUBLE)]),
              "overflows", "2^62 doubles: the count fits int64, the byte size does not")
    onnx_case("subgraphs_too_deep.onnx", nested_if(66), "nest deeper",
              "If bodies nested 67 levels: over the default --max-subgraph-depth 64")
    onnx_case("subgraph_depth_option.onnx", nested_if(4), "nest deeper",
              "If bodies nested 5 levels against --max-subgraph-depth 3", ["--max-subgraph-depth", "3"])
    onnx_case("node_limit.onnx", relu_chain(20), "nodes", "20 nodes against --max-nodes 10", ["--max-nodes", "10"])
    onnx_case("model_bytes_option", None, "model size limit", "valid.onnx against --max-model-bytes 64",
              ["--max-model-bytes", "64"], file="valid.onnx")
    long_name = relu_chain(1)
    long_name.graph.node[0].name = "n" * 300
    onnx_case("long_node_name.onnx", long_name, "string length limit",
              "a 300-byte node name against --max-string-bytes 256", ["--max-string-bytes", "256"])
    long_attr = model([helper.make_node("Relu", ["x"], ["y"], note="a" * 300)], [vi("x", [2])], [vi("y", [2])])
    onnx_case("long_attribute.onnx", long_attr, "string length limit",
              "a 300-byte string attribute against --max-string-bytes 256", ["--max-string-bytes", "256"])
    strings = helper.make_tensor("S", TensorProto.STRING, [1], [b"s" * 300])
    long_elem = model([helper.make_node("Identity", ["S"], ["y"])], [], [vi("y", [1], TensorProto.STRING)], [strings])
    onnx_case("long_string_element.onnx", long_elem, "string length limit",
              "a 300-byte string tensor element against --max-string-bytes 256", ["--max-string-bytes", "256"])
    long_dim = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", ["d" * 300])], [vi("y", ["d" * 300])])
    onnx_case("long_dim_name.onnx", long_dim, "string length limit",
              "a 300-byte dim_param against --max-string-bytes 256", ["--max-string-bytes", "256"])

    forged = model([helper.make_node("Relu", ["x", "z"], ["y"], name="evil\nkiln: error: forged line\x1b[31m")],
                   [vi("x", [2]), vi("z", [2])], [vi("y", [2])])
    onnx_case("control_chars_in_name.onnx", forged, "expects 1 input",
              "a node name holding a newline and a terminal escape: the error stays one line, escaped")

    # ---- external data -----------------------------------------------------------------
    weights = np.arange(16, dtype=np.float32).tobytes()

    def ext_case(folder, m, expect, why, files=(("weights.bin", weights),)):
        d = os.path.join(out, folder)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for fname, data in files:
            os.makedirs(os.path.dirname(os.path.join(d, fname)), exist_ok=True)
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)
        onnx_case(folder, m, expect, why, file=f"{folder}/model.onnx")

    ext_case("external_offset_past_end", external("weights.bin", offset="4096"), "reads bytes",
             "offset 4096 in a 64-byte file")
    ext_case("external_range_overflow", external("weights.bin", offset=str(1 << 63), length=str(1 << 63)),
             "reads bytes", "offset + length = 2^64: must not wrap around and pass the bounds check")
    ext_case("external_length_mismatch", external("weights.bin", length="32"), "size mismatch",
             "length 32 for a 64-byte tensor")
    ext_case("external_bad_offset", external("weights.bin", offset="-8"), "invalid offset", "a negative offset")
    ext_case("external_missing_file", external("nothere.bin"), "cannot open", "the data file does not exist")
    ext_case("external_backslash_dotdot", external("..\\..\\weights.bin"), "escapes",
             "a Windows-style ..\\ path out of the folder")
    ext_case("external_dotdot_inside", external("sub/../../weights.bin"), "escapes",
             "sub/../../ leaves the folder even though it starts inside")
    ext_case("external_is_folder", external("sub"), "not a regular file", "location names a folder",
             files=(("sub/keep", b"x"),))
    ext_case("external_no_location", external("", offset="0"), "no location", "external data without a location")
    # A symlink pointing out of the folder (git stores it as a link).
    d = os.path.join(out, "external_symlink_out")
    ext_case("external_symlink_out", external("weights.bin"), "escapes",
             "weights.bin is a relative symlink to a file outside the model folder", files=())
    os.symlink("../valid.onnx", os.path.join(d, "weights.bin"))

    # ---- textual IR ----------------------------------------------------------------------
    def kir_case(name, text, expect, why, extra=()):
        for a in import_args:
            case(f"{a[0]} {name}", text, a + list(extra), expect, why, file=name)

    kir_case("dense_dims_overflow.kir",
             KIR_HEAD + "%w = Constant() {value = dense<f32[4611686018427387904,4], #0123>}\n%y = Add(%x, %w)\nreturn %y\n}\n",
             "overflows", "an elided constant whose dims overflow int64")
    kir_case("dense_over_limit.kir",
             KIR_HEAD + "%w = Constant() {value = dense<f32[65536,65536,4], #0123>}\n%y = Add(%x, %w)\nreturn %y\n}\n",
             "tensor size limit", "a 64 GiB constant: over the default --max-tensor-bytes")
    kir_case("nested_types.kir",
             "graph @g(%x: " + "seq<" * 100 + "f32[2]" + ">" * 100 + ") -> (%y: f32[2]) {\n%y = Neg(%x)\nreturn %y\n}\n",
             "nest deeper", "seq<seq<... 100 levels: the parser must not recurse without bound")
    kir_case("subgraphs_too_deep.kir", kir_nested_if(4), "nest deeper",
             "If nested 5 levels against --max-subgraph-depth 3", ["--max-subgraph-depth", "3"])
    kir_case("negative_dim.kir", "graph @g(%x: f32[2,-2147483648]) -> (%y) {\n%y = Neg(%x)\nreturn %y\n}\n",
             "negative dim", "a static negative size in a value type (crashed -O2 before: found by tests/e2e/mutate.py)")
    kir_case("long_string.kir", KIR_HEAD + '%y = Neg(%x) {note = "' + "a" * 300 + '"}\nreturn %y\n}\n',
             "string length limit", "a 300-byte string against --max-string-bytes 256", ["--max-string-bytes", "256"])
    kir_case("node_limit.kir", KIR_HEAD + "".join(f"%v{i} = Neg(%x)\n" for i in range(20)) + "%y = Neg(%x)\nreturn %y\n}\n",
             "nodes", "21 nodes against --max-nodes 10", ["--max-nodes", "10"])

    # ---- command-line shapes and run inputs ---------------------------------------------
    for name, shape, expect in (("input_shape_overflow", "x=4611686018427387904x4", "overflows"),
                                ("input_shape_over_limit", "x=65536x65536x4", "tensor size limit"),
                                ("input_shape_negative", "x=2x-3", "not a size"),
                                ("input_shape_huge_number", "x=99999999999999999999999", "not a size")):
        case(name, None, ["compile", "{file}", "--input-shape", shape, "-o", "{out}"], expect,
             f"--input-shape {shape}", file="valid.onnx")
    case("dim_binding_overflow", None, ["run", "{file}", "--dim", "d=99999999999999999999999"], "d=",
         "--dim with a number over int64", file="valid.onnx")
    x = np.zeros((4, 4), np.float32).tobytes()
    npy_cases = {
        "npy_shape_overflow.npz": npz_bytes({"x.npy": npy_bytes(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", b"")}),
        "npy_truncated.npz": npz_bytes({"x.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }", x[:20])}),
        "npy_bad_header.npz": npz_bytes({"x.npy": b"\x93NUMPY\x01\x00\xff\xff{'descr'"}),
        "npy_bad_descr.npz": npz_bytes({"x.npy": npy_bytes("{'descr': '<q99', 'fortran_order': False, 'shape': (4, 4), }", x)}),
        "npz_not_zip.npz": b"PK\x03\x04" + b"\x00" * 40,
    }
    npz_expect = {"npy_shape_overflow.npz": "overflow", "npy_truncated.npz": "truncated",
                  "npy_bad_header.npz": "header", "npy_bad_descr.npz": "descr", "npz_not_zip.npz": "npz"}
    for fname, data in npy_cases.items():
        with open(os.path.join(out, fname), "wb") as f:
            f.write(data)
        table.append({"name": f"run --input {fname}", "file": fname,
                      "args": ["run", "valid.onnx", "--input", "{file}", "-o", "{out}"],
                      "expect": npz_expect[fname], "why": f"hostile .npz input {fname}"})

    with open(os.path.join(out, "npz_inputs.npz"), "wb") as f:
        f.write(npz_bytes({"x.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }", x)}))

    # ---- outputs -------------------------------------------------------------------------
    for cmd in ("compile", "convert"):
        table.append({"name": f"{cmd} over its input", "file": "valid.onnx", "args": [cmd, "{copy}", "-o", "{copy}"],
                      "expect": "--force", "why": "writing the output over the input model needs --force",
                      "overwrite_input": True})

    table.append({"name": "run -o over its --input", "file": "valid.onnx",
                  "args": ["run", "valid.onnx", "--input", "{copy}", "-o", "{copy}"], "expect": "--force",
                  "why": "kiln run -o naming its own --input .npz needs --force", "overwrite_input": True,
                  "copy_from": "npz_inputs.npz"})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(table, f, indent=1)
        f.write("\n")
    print(f"{len(table)} cases written to {out}")


if __name__ == "__main__":
    sys.exit(main())
