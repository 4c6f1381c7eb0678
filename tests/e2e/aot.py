#!/usr/bin/python3
"""Models compiled ahead of time (`kiln compile --emit lib`, docs/aot.md) and run from C through
their header only (tests/aot/aot_run.c, built with `cc`), judged by ONNX Runtime (and, for the
dynamic encoder, by eager PyTorch) within 1e-5; control_flow checks that If/Loop still work there.

    tests/e2e/aot.py KILN CORPUS_DIR DYNAMIC_CORPUS_DIR SOURCE_DIR WORK_DIR

Per library: outputs match; `readelf -d` NEEDED is within libc, libm, libpthread, ld-linux;
two processes at once and two instances on two threads in one process agree; bad use (input
count, dtype, byte size, rank, NULL data) gives an error code and a message. Also: the MLP
with dynamic batch at two batch sizes, external weights (and a tampered weights file refused),
--target-cpu x86-64-v3, --emit obj and --emit header, a bad --name, and the docs/aot.md example.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

from harness import Summary, compare, ort, run

ATOL = 1e-5
ALLOWED_NEEDED = re.compile(r"^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|ld-linux-x86-64\.so\.2)$")


class Library:
    """A compiled model library and its C test program."""

    def __init__(self, work, name):
        self.dir = os.path.join(work, name)
        self.name = name
        self.so = os.path.join(self.dir, name + ".so")
        self.exe = os.path.join(self.dir, "aot_run")


def compile_library(kiln, source, work, name, extra=()):
    lib = Library(work, name)
    shutil.rmtree(lib.dir, ignore_errors=True)
    os.makedirs(lib.dir)
    code, _, err = run([kiln, "compile", source, "--emit", "lib", "-o", lib.so, "--name", name, *extra], timeout=900)
    if code != 0:
        return None, [f"kiln compile exit {code}: {err.strip()}"]
    return lib, []


def build_harness(lib, source_dir):
    """Builds aot_run against the library's header only (C99, warnings as errors)."""
    code, _, err = run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", f"-DMODEL={lib.name}",
                        "-include", os.path.join(lib.dir, lib.name + ".h"),
                        os.path.join(source_dir, "tests", "aot", "aot_run.c"), "-o", lib.exe, f"-L{lib.dir}",
                        f"-l:{lib.name}.so", "-Wl,-rpath,$ORIGIN", "-lpthread"])
    return [] if code == 0 else [f"cc failed: {err.strip()}"]


def needed_problems(lib):
    code, out, err = run(["readelf", "-d", lib.so])
    if code != 0:
        return [f"readelf failed: {err.strip()}"]
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*?)\]", out)
    extra = [n for n in needed if not ALLOWED_NEEDED.match(n)]
    return [f"needs {extra}"] if extra else []


def write_inputs(lib, inputs, tag):
    """Raw input files and the aot_run arguments for them (in the model's input order)."""
    args = []
    for i, (name, array) in enumerate(inputs):
        path = os.path.join(lib.dir, f"{tag}.in{i}.bin")
        np.ascontiguousarray(array).tofile(path)
        args += [path, "x".join(str(d) for d in array.shape) if array.ndim else "scalar"]
    return args


def read_outputs(prefix, names):
    out = {}
    for i, name in enumerate(names):
        shape = open(f"{prefix}.{i}.shape").read().split()
        dtype = {1: np.float32, 7: np.int64, 6: np.int32, 11: np.float64, 9: np.bool_}[int(shape[0])]
        out[name] = np.fromfile(f"{prefix}.{i}.bin", dtype=dtype).reshape([int(d) for d in shape[1:]])
    return out


def magnitude_problems(expected):
    """An output that is all (near) zero would compare equal to a broken run."""
    return [f"{n}: oracle output has no magnitude" for n, v in expected.items()
            if v.dtype.kind == "f" and v.size and float(np.max(np.abs(v))) < 1e-3]


def run_library(lib, inputs, output_names, tag, flags=()):
    prefix = os.path.join(lib.dir, tag + ".out")
    code, out, err = run([lib.exe, *flags, prefix, *write_inputs(lib, inputs, tag)], timeout=600)
    if code != 0:
        return None, out, [f"aot_run {' '.join(flags)} exit {code}: {err.strip()}"]
    return read_outputs(prefix, output_names), out, []


def check_library(summary, lib, inputs, expected, label, full=True):
    """Outputs against the oracle; with `full`, also NEEDED, concurrency and bad use."""
    names = list(expected)
    actual, _, problems = run_library(lib, inputs, names, "run", ["--threads", "2"] if full else [])
    if actual is not None:
        problems += compare(expected, actual, ATOL) + magnitude_problems(expected)
    summary.check(f"{label}: outputs match the oracle", problems)
    if not full:
        return
    summary.check(f"{label}: NEEDED within libc/libm/libpthread/ld-linux", needed_problems(lib))
    # Two processes at once, each on its own inputs copy.
    procs = []
    for k in range(2):
        prefix = os.path.join(lib.dir, f"proc{k}.out")
        procs.append((prefix, subprocess.Popen([lib.exe, prefix, *write_inputs(lib, inputs, f"proc{k}")],
                                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    problems = []
    for prefix, p in procs:
        _, err = p.communicate(timeout=600)
        if p.returncode != 0:
            problems.append(f"process exit {p.returncode}: {err.strip()}")
        else:
            problems += compare(expected, read_outputs(prefix, names), ATOL)
    summary.check(f"{label}: two processes at once", problems)
    _, out, problems = run_library(lib, inputs, names, "threads", ["--two-threads"])
    if not problems and "two instances on two threads agree" not in out:
        problems = ["no agreement line"]
    summary.check(f"{label}: two instances on two threads", problems)
    _, out, problems = run_library(lib, inputs, names, "bad", ["--bad-use"])
    refused = len(re.findall(r"^bad use \(.*\): code [1-9]\d*: \S", out, re.M))
    if not problems and refused != 6:
        problems = [f"{refused} of 6 bad uses refused with a message"]
    summary.check(f"{label}: bad use gives an error code and a message", problems)


TWO_LIBRARIES = r"""
import ctypes, sys
import numpy as np
class Tensor(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int32), ("rank", ctypes.c_size_t), ("dims", ctypes.POINTER(ctypes.c_int64)),
                ("data", ctypes.c_void_p), ("bytes", ctypes.c_size_t)]
x = np.load(sys.argv[1])
outs = {}
libs = []
for path, name in zip(sys.argv[3::2], sys.argv[4::2]):
    lib = ctypes.CDLL(path, mode=ctypes.RTLD_LOCAL)
    libs.append(lib)
    model = ctypes.c_void_p()
    assert getattr(lib, name + "_create")(None, ctypes.byref(model)) == 0
    dims = (ctypes.c_int64 * x.ndim)(*x.shape)
    t = Tensor(1, x.ndim, dims, x.ctypes.data, x.nbytes)
    run = getattr(lib, name + "_run")
    assert run(model, ctypes.byref(t), 1) == 0
    out = Tensor()
    assert getattr(lib, name + "_get_output")(model, 0, ctypes.byref(out)) == 0
    shape = [out.dims[i] for i in range(out.rank)]
    outs[name] = np.ctypeslib.as_array(ctypes.cast(out.data, ctypes.POINTER(ctypes.c_float)), shape=shape).copy()
np.savez(sys.argv[2], **outs)
"""


def two_libraries_problems(work, libs, x, expected):
    """Two model libraries loaded into one process (each with its own hidden runtime copy)."""
    xs, out = os.path.join(work, "two_libs.x.npy"), os.path.join(work, "two_libs.out.npz")
    np.save(xs, x)
    args = [a for lib in libs for a in (lib.so, lib.name)]
    code, _, err = run([sys.executable, "-c", TWO_LIBRARIES, xs, out, *args])
    if code != 0:
        return [f"two libraries in one process: exit {code}: {err.strip()[-500:]}"]
    got = dict(np.load(out))
    problems = []
    for lib in libs:
        problems += compare(expected, {"y": got[lib.name]}, ATOL)
    return problems


def make_mlp(work):
    """An MLP with a dynamic batch (torch export, random weights)."""
    import torch
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.GELU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                              torch.nn.Linear(64, 10)).eval()
    path = os.path.join(work, "mlp.onnx")
    torch.onnx.export(net, torch.rand(2, 16), path, opset_version=13, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    return path


def ort_expected(work, model, inputs, tag):
    path = os.path.join(work, tag + ".inputs.npz")
    np.savez(path, **dict(inputs))
    return ort(model, path, os.path.join(work, tag + ".ort.npz"))


def corpus_case(summary, kiln, corpus, source_dir, work, stem, name):
    entry = next(e for e in json.load(open(os.path.join(corpus, "manifest.json")))["models"]
                 if e["model"] == stem + ".onnx")
    model = os.path.join(corpus, entry["model"])
    data = np.load(os.path.join(corpus, entry["inputs_file"]))
    inputs = [(i["name"], data[i["name"]]) for i in entry["inputs"]]
    lib, problems = compile_library(kiln, model, work, name)
    if not problems:
        problems = build_harness(lib, source_dir)
    if problems:
        summary.check(f"{name}: compile and build", problems)
        return
    check_library(summary, lib, inputs, ort_expected(work, model, inputs, name), name)


def mlp_cases(summary, kiln, source_dir, work):
    model = make_mlp(work)
    rng = np.random.default_rng(1)
    lib, problems = compile_library(kiln, model, work, "mlp", ["--metadata", "author=kiln tests"])
    if not problems:
        problems = build_harness(lib, source_dir)
    if problems:
        summary.check("mlp: compile and build", problems)
        return
    for batch in (3, 17):
        inputs = [("x", rng.uniform(-2, 2, (batch, 16)).astype(np.float32))]
        check_library(summary, lib, inputs, ort_expected(work, model, inputs, f"mlp_b{batch}"), f"mlp batch={batch}",
                      full=batch == 3)
    _, out, problems = run_library(lib, inputs, ["y"], "describe", ["--describe"])
    for line in ("input x dtype 1 dims batch 16", "output y dtype 1 dims batch 10", "metadata author=kiln tests"):
        if line not in out:
            problems.append(f"--describe lacks '{line}': {out.strip()}")
    summary.check("mlp: description (symbolic dims, metadata)", problems)

    # External weights beside the library, then a tampered copy refused at create.
    expected = ort_expected(work, model, inputs, "mlp_ext")
    ext, problems = compile_library(kiln, model, work, "mlp_ext", ["--weights", "external"])
    if not problems:
        problems = build_harness(ext, source_dir)
    weights = ext.so + ".weights" if ext else ""
    if not problems and not os.path.exists(weights):
        problems = ["no weights file beside the library"]
    if not problems:
        actual, _, problems = run_library(ext, inputs, ["y"], "ext")
        if actual is not None:
            problems += compare(expected, actual, ATOL)
        blob = bytearray(open(weights, "rb").read())
        blob[100] ^= 0xFF
        open(weights, "wb").write(blob)
        code, _, err = run([ext.exe, os.path.join(ext.dir, "tampered"), *write_inputs(ext, inputs, "tampered")])
        if code == 0 or "create:" not in err or "weights" not in err:
            problems.append(f"tampered weights not refused at create (exit {code}): {err.strip()}")
    summary.check("mlp: --weights external (and a tampered file refused)", problems)

    # A portable build for x86-64-v3.
    v3, problems = compile_library(kiln, model, work, "mlp_v3", ["--target-cpu", "x86-64-v3"])
    if not problems:
        problems = build_harness(v3, source_dir)
    if not problems:
        actual, _, problems = run_library(v3, inputs, ["y"], "v3")
        if actual is not None:
            problems += compare(expected, actual, ATOL)
    summary.check("mlp: --target-cpu x86-64-v3", problems)
    if v3 and not problems:
        summary.check("mlp: two model libraries in one process", two_libraries_problems(work, [lib, v3], inputs[0][1],
                                                                                         expected))

    # --emit obj, --emit header, and a --name that is no C identifier.
    problems = []
    obj = os.path.join(work, "mlp_obj.o")
    code, _, err = run([kiln, "compile", model, "--emit", "obj", "-o", obj, "--name", "mlp_obj"])
    if code != 0:
        problems.append(f"--emit obj exit {code}: {err.strip()}")
    else:
        _, header, _ = run(["readelf", "-h", obj])
        _, symbols, _ = run(["nm", obj])
        if "REL (Relocatable file)" not in header or " T mlp_obj_create" not in symbols:
            problems.append("--emit obj did not write a relocatable object defining mlp_obj_create")
        # Linked into an executable with the runtime archive, as docs/aot.md says.
        exe, main_obj = os.path.join(work, "aot_run_obj"), os.path.join(work, "aot_run_obj.o")
        archive = os.path.join(os.path.dirname(os.path.abspath(kiln)), "libkiln_aot_runtime.a")
        for cmd in (["cc", "-std=c99", "-c", "-DMODEL=mlp_obj", "-include", os.path.join(work, "mlp_obj.h"),
                     os.path.join(source_dir, "tests", "aot", "aot_run.c"), "-o", main_obj],
                    ["c++", "-o", exe, main_obj, obj, "-Wl,--whole-archive", archive, "-Wl,--no-whole-archive",
                     "-lpthread"]):
            code, _, err = run(cmd)
            if code != 0:
                problems.append(f"{cmd[0]} with the object: {err.strip()[-500:]}")
                break
        if not problems:
            prefix = os.path.join(work, "obj.out")
            x = os.path.join(work, "obj.x.bin")
            inputs[0][1].tofile(x)
            code, _, err = run([exe, prefix, x, "x".join(map(str, inputs[0][1].shape))])
            problems += [f"object run exit {code}: {err.strip()}"] if code else compare(
                expected, read_outputs(prefix, ["y"]), ATOL)
    hdr = os.path.join(work, "mlp_api.h")
    code, _, err = run([kiln, "compile", model, "--emit", "header", "-o", hdr, "--name", "mlp_api"])
    if code != 0:
        problems.append(f"--emit header exit {code}: {err.strip()}")
    else:
        code, _, err = run(["cc", "-std=c99", "-pedantic", "-Wall", "-Werror", "-fsyntax-only", "-x", "c", hdr])
        if code != 0:
            problems.append(f"header is not clean C99: {err.strip()}")
    bad = os.path.join(work, "bad_name.so")
    code, _, err = run([kiln, "compile", model, "--emit", "lib", "-o", bad, "--name", "1-bad"])
    if code != 2 or "C identifier" not in err or os.path.exists(bad):
        problems.append(f"--name 1-bad: exit {code}, {err.strip()}")
    summary.check("mlp: --emit obj, --emit header, bad --name", problems)


def encoder_case(summary, kiln, dynamic_corpus, source_dir, work):
    """The BERT-like encoder made dynamic in batch and sequence, run at two sizes."""
    entry = next(e for e in json.load(open(os.path.join(dynamic_corpus, "manifest.json")))["models"]
                 if e["name"] == "transformer_encoder")
    model = os.path.join(dynamic_corpus, entry["model"])
    lib, problems = compile_library(kiln, model, work, "encoder", entry["dynamic"])
    if not problems:
        problems = build_harness(lib, source_dir)
    dyn_onnx = os.path.join(work, "encoder_dynamic.onnx")
    if not problems:
        code, _, err = run([kiln, "compile", model, *entry["dynamic"], "-o", dyn_onnx, "--no-validate"], timeout=600)
        if code != 0:
            problems = [f"kiln compile --dynamic to ONNX exit {code}: {err.strip()}"]
    if problems:
        summary.check("encoder: compile and build", problems)
        return
    for k, size in enumerate(s for s in entry["sizes"] if (s["batch"], s["sequence"]) in ((1, 7), (3, 77))):
        data = np.load(os.path.join(dynamic_corpus, size["file"]))
        inputs = [(n[3:], data[n]) for n in data.files if n.startswith("in.")]
        torch_out = {n[4:]: data[n] for n in data.files if n.startswith("out.")}
        label = f"encoder batch={size['batch']} sequence={size['sequence']}"
        check_library(summary, lib, inputs, torch_out, label + " vs eager PyTorch", full=k == 0)
        check_library(summary, lib, inputs, ort_expected(work, dyn_onnx, inputs, f"encoder{k}"),
                      label + " vs ONNX Runtime", full=False)


def docs_example(summary, kiln, corpus, source_dir, work):
    """The C program of docs/aot.md, compiled and run as the document says."""
    text = open(os.path.join(source_dir, "docs", "aot.md")).read()
    blocks = re.findall(r"```c\n(.*?)```", text, re.S)
    problems = [] if blocks else ["docs/aot.md has no ```c block"]
    folder = os.path.join(work, "docs_example")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    model = os.path.join(corpus, "squeezenet1_1_op17.onnx")
    if not problems:
        open(os.path.join(folder, "classify.c"), "w").write(blocks[0])
        steps = [[kiln, "compile", model, "--emit", "lib", "-o", os.path.join(folder, "libcnn.so"), "--name", "cnn"],
                 ["cc", "-std=c99", "-O2", "-o", os.path.join(folder, "classify"), os.path.join(folder, "classify.c"),
                  f"-I{folder}", f"-L{folder}", "-lcnn", "-Wl,-rpath,$ORIGIN"]]
        for cmd in steps:
            code, _, err = run(cmd, timeout=900)
            if code != 0:
                problems.append(f"{os.path.basename(cmd[0])} exit {code}: {err.strip()}")
                break
    if not problems:
        x = np.load(os.path.join(corpus, "squeezenet1_1_op17.inputs.npz"))["input"].astype(np.float32)
        x.tofile(os.path.join(folder, "image.f32"))
        want = int(np.argmax(ort_expected(work, model, [("input", x)], "docs")["output"]))
        code, out, err = run([os.path.join(folder, "classify"), os.path.join(folder, "image.f32")])
        m = re.search(r"top class: (\d+)", out)
        if code != 0 or not m or int(m.group(1)) != want:
            problems.append(f"classify exit {code}, printed {out.strip()!r} {err.strip()}, ONNX Runtime's top class {want}")
    summary.check("docs/aot.md example: compile, build, classify", problems)


def main(kiln, corpus, dynamic_corpus, source_dir, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    mlp_cases(summary, kiln, source_dir, work)
    corpus_case(summary, kiln, corpus, source_dir, work, "resnet18_op17", "resnet18")
    corpus_case(summary, kiln, corpus, source_dir, work, "mobilenet_v3_small_op17", "mobilenet_v3_small")
    # If/Loop bodies: the library runs them on the reference kernels (docs/aot.md).
    corpus_case(summary, kiln, corpus, source_dir, work, "control_flow_op17", "control_flow")
    encoder_case(summary, kiln, dynamic_corpus, source_dir, work)
    docs_example(summary, kiln, corpus, source_dir, work)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:6])
