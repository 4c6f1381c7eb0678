#!/usr/bin/python3
"""kiln's reference kernels against libtorch (PyTorch's own ops, the second oracle besides ONNX
Runtime). For each op with a direct torch equivalent, a single-node ONNX model is written with
random inputs, `kiln run --backend reference` runs it, and the same inputs go through the torch
function; outputs must agree within the case's tolerance (max abs diff <= tol * (1 + max|torch|)).

    /usr/bin/python3 tests/reference/torch_cross_check.py KILN WORK_DIR [--filter REGEX] [--list-ops]

--list-ops prints the op types covered, one per line (docs/ops.md's "tested against" column is
checked against it by tests/reference/check_tested_against.py).
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper

rng = np.random.default_rng(1302)
CASES = []
ONNX_TYPE = {np.dtype(np.float32): 1, np.dtype(np.int64): 7, np.dtype(np.bool_): 9, np.dtype(np.int32): 6}


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def pos(*shape):
    return rng.uniform(0.1, 2.0, shape).astype(np.float32)


def unit(*shape):
    return rng.uniform(-0.95, 0.95, shape).astype(np.float32)


def case(name, op, inputs, torch_fn, attrs=None, opset=17, tol=1e-5, n_out=1):
    """`torch_fn` receives the inputs as torch tensors and returns a tensor or a tuple."""
    CASES.append(dict(name=name, op=op, inputs=inputs, fn=torch_fn, attrs=attrs or {}, opset=opset,
                      tol=tol, n_out=n_out))


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


# ---- cases ----------------------------------------------------------------------------------

def unary_cases():
    x = f32(3, 4, 5)
    for op, fn, data in [
        ("Relu", torch.relu, x), ("Sigmoid", torch.sigmoid, x), ("Tanh", torch.tanh, x),
        ("Exp", torch.exp, x), ("Log", torch.log, pos(3, 4)), ("Sqrt", torch.sqrt, pos(3, 4)),
        ("Abs", torch.abs, x), ("Neg", torch.neg, x), ("Reciprocal", torch.reciprocal, pos(3, 4)),
        ("Sin", torch.sin, x), ("Cos", torch.cos, x), ("Tan", torch.tan, unit(3, 4)),
        ("Asin", torch.asin, unit(3, 4)), ("Acos", torch.acos, unit(3, 4)), ("Atan", torch.atan, x),
        ("Sinh", torch.sinh, x), ("Cosh", torch.cosh, x), ("Erf", torch.erf, x),
        ("Floor", torch.floor, x * 3), ("Ceil", torch.ceil, x * 3), ("Round", torch.round, x * 3),
        ("Sign", torch.sign, x), ("Softsign", F.softsign, x), ("Softplus", F.softplus, x),
        ("HardSwish", F.hardswish, x * 4), ("Mish", F.mish, x), ("Selu", F.selu, x),
    ]:
        case(op.lower(), op, [data], fn, opset=18 if op == "Mish" else 17)
    case("leaky_relu", "LeakyRelu", [x], lambda a: F.leaky_relu(a, 0.2), {"alpha": 0.2})
    case("elu", "Elu", [x], lambda a: F.elu(a, 0.7), {"alpha": 0.7})
    case("celu", "Celu", [x], lambda a: F.celu(a, 1.3), {"alpha": 1.3})
    case("hard_sigmoid", "HardSigmoid", [x * 4], F.hardsigmoid, {"alpha": 1 / 6, "beta": 0.5})
    case("thresholded_relu", "ThresholdedRelu", [x], lambda a: F.threshold(a, 0.4, 0.0), {"alpha": 0.4})
    case("gelu_erf", "Gelu", [x], F.gelu, opset=20)
    case("gelu_tanh", "Gelu", [x], lambda a: F.gelu(a, approximate="tanh"), {"approximate": "tanh"}, opset=20)
    case("prelu", "PRelu", [f32(2, 3, 4, 4), np.array([0.1, -0.2, 0.3], np.float32).reshape(3, 1, 1)],
         lambda a, s: F.prelu(a, s.reshape(3)))
    case("clip", "Clip", [x, np.array(-0.5, np.float32), np.array(0.7, np.float32)],
         lambda a, lo, hi: torch.clamp(a, float(lo), float(hi)))


def binary_cases():
    a, b = f32(2, 3, 4), f32(3, 1)
    for op, fn in [("Add", torch.add), ("Sub", torch.sub), ("Mul", torch.mul), ("Max", torch.maximum),
                   ("Min", torch.minimum), ("Equal", torch.eq), ("Less", torch.lt), ("Greater", torch.gt)]:
        case(op.lower() + "_broadcast", op, [a, b], fn)
    case("div", "Div", [a, pos(4)], torch.div)
    case("pow", "Pow", [pos(2, 3, 4), f32(4)], torch.pow)
    case("mod_fmod", "Mod", [f32(3, 4) * 5, pos(3, 4)], torch.fmod, {"fmod": 1})
    ia, ib = rng.integers(-20, 20, (3, 4)), rng.integers(1, 6, (3, 4)) * rng.choice([-1, 1], (3, 4))
    case("mod_int", "Mod", [ia, ib], torch.remainder)
    p, q = rng.random((3, 4)) < 0.5, rng.random((3, 4)) < 0.5
    case("and", "And", [p, q], torch.logical_and)
    case("or", "Or", [p, q], torch.logical_or)
    case("xor", "Xor", [p, q], torch.logical_xor)
    case("not", "Not", [p], torch.logical_not)
    case("where", "Where", [p, f32(3, 4), f32(4)], torch.where)


def reduction_cases():
    x = f32(3, 4, 5)
    axes = np.array([1], np.int64)
    for op, fn in [("ReduceSum", lambda a: a.sum(1, keepdim=True)), ("ReduceMean", lambda a: a.mean(1, keepdim=True)),
                   ("ReduceL1", lambda a: a.abs().sum(1, keepdim=True)),
                   ("ReduceL2", lambda a: a.norm(dim=1, keepdim=True)),
                   ("ReduceSumSquare", lambda a: (a * a).sum(1, keepdim=True)),
                   ("ReduceLogSumExp", lambda a: torch.logsumexp(a, 1, keepdim=True))]:
        case(op.lower(), op, [x, axes], lambda a, _axes, fn=fn: fn(a), opset=18)
    for op, fn in [("ReduceMax", lambda a: a.amax((0, 2))), ("ReduceMin", lambda a: a.amin((0, 2))),
                   ("ReduceProd", lambda a: a.prod(2).prod(0))]:
        case(op.lower() + "_no_keepdims", op, [x, np.array([0, -1], np.int64)], lambda a, _axes, fn=fn: fn(a),
             {"keepdims": 0}, opset=18)
    case("reduce_log_sum", "ReduceLogSum", [pos(3, 4, 5), axes], lambda a, _axes: a.sum(1, keepdim=True).log(), opset=18)
    case("argmax", "ArgMax", [x], lambda a: a.argmax(1, keepdim=True), {"axis": 1})
    case("argmin", "ArgMin", [x], lambda a: a.argmin(-1), {"axis": -1, "keepdims": 0})
    case("cumsum", "CumSum", [x, np.array(1, np.int64)], lambda a, ax: torch.cumsum(a, int(ax)))
    case("cumsum_reverse", "CumSum", [x, np.array(2, np.int64)], lambda a, ax: torch.flip(torch.cumsum(torch.flip(a, [2]), 2), [2]),
         {"reverse": 1})
    case("topk", "TopK", [f32(3, 10), np.array([4], np.int64)], lambda a, k: torch.topk(a, 4, dim=1), n_out=2)
    case("softmax", "Softmax", [x], lambda a: torch.softmax(a, 1), {"axis": 1})
    case("log_softmax", "LogSoftmax", [x], lambda a: torch.log_softmax(a, -1), {"axis": -1})


def linear_cases():
    case("matmul_batched", "MatMul", [f32(2, 3, 4, 5), f32(5, 6)], torch.matmul, tol=1e-5)
    case("gemm_trans", "Gemm", [f32(5, 3), f32(4, 5), f32(4)],
         lambda a, b, c: 0.5 * a.T @ b.T + 2.0 * c, {"alpha": 0.5, "beta": 2.0, "transA": 1, "transB": 1})
    case("einsum_bilinear", "Einsum", [f32(2, 3, 4), f32(4, 5), f32(2, 6, 5)],
         lambda a, w, b: torch.einsum("bid,de,bje->bij", a, w, b), {"equation": "bid,de,bje->bij"})
    case("einsum_trace_transpose", "Einsum", [f32(3, 4, 4)], lambda a: torch.einsum("bii->b", a), {"equation": "bii->b"})


def conv_cases():
    x = f32(2, 4, 9, 9)
    case("conv_stride_pad_dilation", "Conv", [x, f32(6, 4, 3, 3), f32(6)],
         lambda a, w, b: F.conv2d(a, w, b, stride=2, padding=1, dilation=2),
         {"strides": [2, 2], "pads": [1, 1, 1, 1], "dilations": [2, 2]}, tol=1e-5)
    case("conv_groups", "Conv", [x, f32(8, 2, 3, 3)], lambda a, w: F.conv2d(a, w, groups=2), {"group": 2})
    case("conv_depthwise_1d", "Conv", [f32(2, 4, 11), f32(4, 1, 5)], lambda a, w: F.conv1d(a, w, groups=4, padding=2),
         {"group": 4, "pads": [2, 2]})
    case("conv_transpose", "ConvTranspose", [f32(1, 4, 5, 5), f32(4, 3, 3, 3), f32(3)],
         lambda a, w, b: F.conv_transpose2d(a, w, b, stride=2, padding=1, output_padding=1),
         {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]})
    case("maxpool_ceil", "MaxPool", [x], lambda a: F.max_pool2d(a, 3, 2, 1, ceil_mode=True),
         {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1})
    case("maxpool_dilation", "MaxPool", [x], lambda a: F.max_pool2d(a, 2, 1, dilation=2),
         {"kernel_shape": [2, 2], "dilations": [2, 2]})
    case("avgpool_exclude_pad", "AveragePool", [x], lambda a: F.avg_pool2d(a, 3, 2, 1, count_include_pad=False),
         {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]})
    case("avgpool_include_pad", "AveragePool", [x], lambda a: F.avg_pool2d(a, 3, 2, 1, count_include_pad=True),
         {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1})
    case("global_average_pool", "GlobalAveragePool", [x], lambda a: F.adaptive_avg_pool2d(a, 1))
    case("global_max_pool", "GlobalMaxPool", [x], lambda a: F.adaptive_max_pool2d(a, 1))


def norm_cases():
    x = f32(2, 6, 5, 5)
    mean, var = f32(6), pos(6)
    case("batchnorm", "BatchNormalization", [x, f32(6), f32(6), mean, var],
         lambda a, s, b, m, v: F.batch_norm(a, m, v, s, b, False, 0.0, 1e-3), {"epsilon": 1e-3})
    case("instancenorm", "InstanceNormalization", [x, f32(6), f32(6)],
         lambda a, s, b: F.instance_norm(a, weight=s, bias=b, eps=1e-5))
    case("layernorm", "LayerNormalization", [f32(2, 7, 16), f32(16), f32(16)],
         lambda a, s, b: F.layer_norm(a, (16,), s, b, 1e-5), {"axis": -1})
    case("groupnorm", "GroupNormalization", [x, f32(6), f32(6)],
         lambda a, s, b: F.group_norm(a, 3, s, b, 1e-5), {"num_groups": 3}, opset=21)
    case("lrn", "LRN", [x], lambda a: F.local_response_norm(a, 3, 1e-3, 0.75, 2.0),
         {"size": 3, "alpha": 1e-3, "beta": 0.75, "bias": 2.0})


def index_cases():
    x = f32(5, 4, 3)
    idx = np.array([[0, 4], [2, 2]], np.int64)
    case("gather_axis0", "Gather", [x, idx], lambda a, i: a[i])
    case("gather_axis1_negative", "Gather", [x, np.array([-1, 0], np.int64)], lambda a, i: a[:, i % 4], {"axis": 1})
    gi = rng.integers(0, 4, (5, 2, 3))
    case("gather_elements", "GatherElements", [x, gi], lambda a, i: torch.gather(a, 1, i), {"axis": 1})
    si = np.stack([rng.permutation(4)[:2] for _ in range(15)]).reshape(5, 3, 2).transpose(0, 2, 1).copy()
    upd = f32(5, 2, 3)
    case("scatter_elements", "ScatterElements", [x, si, upd], lambda a, i, u: a.scatter(1, i, u), {"axis": 1})
    case("scatter_elements_add", "ScatterElements", [x, si, upd], lambda a, i, u: a.scatter_add(1, i, u),
         {"axis": 1, "reduction": "add"})
    nd = np.array([[1], [3]], np.int64)
    case("scatter_nd", "ScatterND", [x, nd, f32(2, 4, 3)],
         lambda a, i, u: a.index_put((i[:, 0],), u))
    case("gather_nd", "GatherND", [x, np.array([[0, 1], [4, 3]], np.int64)], lambda a, i: a[i[:, 0], i[:, 1]])


def shape_cases():
    x = f32(2, 3, 4)
    case("transpose", "Transpose", [x], lambda a: a.permute(2, 0, 1), {"perm": [2, 0, 1]})
    case("concat", "Concat", [x, f32(2, 1, 4)], lambda a, b: torch.cat([a, b], 1), {"axis": 1})
    case("split", "Split", [f32(2, 6), np.array([2, 4], np.int64)], lambda a, s: torch.split(a, [2, 4], 1),
         {"axis": 1}, n_out=2)
    case("slice_steps", "Slice", [f32(6, 7), np.array([5, 1], np.int64), np.array([0, 7], np.int64),
                                  np.array([0, 1], np.int64), np.array([-2, 3], np.int64)],
         lambda a, *_: torch.flip(a, [0])[0:5:2, 1:7:3])
    case("tile", "Tile", [x, np.array([2, 1, 3], np.int64)], lambda a, r: a.repeat(2, 1, 3))
    case("expand", "Expand", [f32(3, 1), np.array([2, 3, 4], np.int64)], lambda a, s: a.expand(2, 3, 4))
    case("flatten", "Flatten", [f32(2, 3, 4, 5)], lambda a: a.reshape(6, 20), {"axis": 2})
    case("trilu_upper", "Trilu", [f32(2, 5, 5), np.array(1, np.int64)], lambda a, k: torch.triu(a, 1))
    case("trilu_lower", "Trilu", [f32(5, 4), np.array(-1, np.int64)], lambda a, k: torch.tril(a, -1), {"upper": 0})
    case("depth_to_space_crd", "DepthToSpace", [f32(1, 8, 3, 3)], lambda a: F.pixel_shuffle(a, 2),
         {"blocksize": 2, "mode": "CRD"})
    case("pad_reflect", "Pad", [f32(1, 2, 5, 5), np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)],
         lambda a, p: F.pad(a, (2, 1, 1, 2), mode="reflect"), {"mode": "reflect"})
    case("pad_edge", "Pad", [f32(1, 2, 5, 5), np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)],
         lambda a, p: F.pad(a, (2, 1, 1, 2), mode="replicate"), {"mode": "edge"})
    case("pad_constant", "Pad", [f32(2, 5), np.array([1, 0, 0, 3], np.int64), np.array(0.5, np.float32)],
         lambda a, p, v: F.pad(a, (0, 3, 1, 0), value=0.5))
    case("nonzero", "NonZero", [rng.random((3, 4)) < 0.5], lambda a: torch.nonzero(a).T)
    case("range", "Range", [np.array(1.5, np.float32), np.array(9.0, np.float32), np.array(0.7, np.float32)],
         lambda s, l, d: torch.arange(float(s), float(l), float(d)))


def resize_cases():
    x = f32(1, 2, 5, 6)
    scales = np.array([1, 1, 2.0, 1.5], np.float32)
    sizes = np.array([1, 2, 9, 11], np.int64)
    none = np.zeros(0, np.float32)
    case("resize_nearest_asymmetric_floor", "Resize", [x, none, scales],
         lambda a, *_: F.interpolate(a, scale_factor=(2.0, 1.5), mode="nearest"),
         {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"})
    case("resize_linear_half_pixel", "Resize", [x, none, none, sizes],
         lambda a, *_: F.interpolate(a, size=(9, 11), mode="bilinear", align_corners=False),
         {"mode": "linear", "coordinate_transformation_mode": "half_pixel"})
    case("resize_linear_align_corners", "Resize", [x, none, none, sizes],
         lambda a, *_: F.interpolate(a, size=(9, 11), mode="bilinear", align_corners=True),
         {"mode": "linear", "coordinate_transformation_mode": "align_corners"})
    case("resize_cubic_half_pixel", "Resize", [x, none, none, sizes],
         lambda a, *_: F.interpolate(a, size=(9, 11), mode="bicubic", align_corners=False),
         {"mode": "cubic", "coordinate_transformation_mode": "half_pixel", "cubic_coeff_a": -0.75}, tol=1e-5)


FAMILIES = [unary_cases, binary_cases, reduction_cases, linear_cases, conv_cases, norm_cases, index_cases,
            shape_cases, resize_cases]


# ---- running --------------------------------------------------------------------------------

def write_model(c, path):
    names = []
    for i, a in enumerate(c["inputs"]):
        names.append(f"x{i}" if a is not None and a.size > 0 or c["op"] != "Resize" else "")
    # Resize's omitted roi/scales are empty names, not empty tensors.
    inputs = [helper.make_tensor_value_info(n, ONNX_TYPE[a.dtype], list(a.shape))
              for n, a in zip(names, c["inputs"]) if n]
    outs = [f"y{i}" for i in range(c["n_out"])]
    node = helper.make_node(c["op"], names, outs, name=c["name"], **c["attrs"])
    graph = helper.make_graph([node], c["name"], inputs, [onnx.ValueInfoProto(name=o) for o in outs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", c["opset"])],
                              producer_name="torch_cross_check.py")
    model.ir_version = 8
    onnx.save(model, path)
    return {n: a for n, a in zip(names, c["inputs"]) if n}


def compare(c, kiln_out, torch_out):
    torch_out = torch_out if isinstance(torch_out, (tuple, list)) else (torch_out,)
    problems = []
    for i, want in enumerate(torch_out):
        want = want.detach().numpy()
        got = kiln_out[f"y{i}"]
        if got.shape != want.shape:
            problems.append(f"y{i}: shape {list(got.shape)} vs torch {list(want.shape)}")
            continue
        if want.dtype.kind == "f":
            diff = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
            bound = c["tol"] * (1 + float(np.max(np.abs(want))) if want.size else 1)
            if not diff <= bound:
                problems.append(f"y{i}: max abs diff {diff:.3g} > {bound:.3g}")
        elif not np.array_equal(got.astype(want.dtype), want):
            problems.append(f"y{i}: values differ")
    return problems


def run_case(kiln, work, c):
    d = os.path.join(work, c["name"])
    os.makedirs(d, exist_ok=True)
    model = os.path.join(d, "model.onnx")
    feeds = write_model(c, model)
    np.savez(os.path.join(d, "in.npz"), **feeds)
    out = os.path.join(d, "kiln_out.npz")
    p = subprocess.run([kiln, "run", "--backend", "reference", model, "--input", os.path.join(d, "in.npz"),
                        "-o", out], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        return [f"kiln run exit {p.returncode}: {p.stderr.strip()}"]
    with torch.no_grad():
        expected = c["fn"](*[t(a) for a in c["inputs"]])
    return compare(c, dict(np.load(out)), expected)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kiln", nargs="?")
    ap.add_argument("work", nargs="?")
    ap.add_argument("--filter", default="")
    ap.add_argument("--list-ops", action="store_true", help="print the op types covered and exit")
    args = ap.parse_args()
    for family in FAMILIES:
        family()
    if args.list_ops:
        print("\n".join(sorted({c["op"] for c in CASES})))
        return 0
    if not args.kiln or not args.work:
        ap.error("KILN and WORK_DIR are required")
    passed, failed = 0, []
    for c in CASES:
        if not re.search(args.filter, c["name"]):
            continue
        try:
            problems = run_case(args.kiln, args.work, c)
        except Exception as e:  # noqa: BLE001 - a broken case is a failure, not an abort
            problems = [f"{type(e).__name__}: {e}"]
        if problems:
            failed.append(c["name"])
            print(f"FAIL {c['name']} ({c['op']}): " + "; ".join(problems), flush=True)
        else:
            passed += 1
            print(f"ok   {c['name']} ({c['op']})", flush=True)
    print(f"{passed} passed, {len(failed)} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
