#!/usr/bin/env python3
"""Generates the reference-interpreter op cases: one small ONNX model per case (an op with one
combination of attributes, shapes and element types), random inputs, and ONNX Runtime's
outputs as the expected values. The C++ tests run each case through kiln's reference
interpreter and compare (tests/unit/reference/op_cases_test.cpp builds the IR from case.json;
tests/unit/tools/reference_vs_ort_test.cpp imports model.onnx and reads the .npz files).

    /usr/bin/python3 tests/reference/op_cases.py OUT_DIR [--filter REGEX] [--no-ort]

Per case, OUT_DIR/<case>/ holds:
  model.onnx     the model (opset 17, or the op's canonical version when that is newer)
  in.npz         inputs (numpy's writer; every third case DEFLATE-compressed)
  ort_out.npz    ONNX Runtime's outputs (tests/reference/ort_batch.js)
  case.json      the same case for IR-direct tests: nodes, inputs and expected outputs with
                 dtype, dims and a raw little-endian data file each (in_<k>.bin, out_<k>.bin)
OUT_DIR/index.json lists the cases ORT ran and those it refused (with its message).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NP_TO_ONNX = {
    np.dtype(np.float32): 1, np.dtype(np.uint8): 2, np.dtype(np.int8): 3, np.dtype(np.uint16): 4,
    np.dtype(np.int16): 5, np.dtype(np.int32): 6, np.dtype(np.int64): 7, np.dtype(np.bool_): 9,
    np.dtype(np.float16): 10, np.dtype(np.float64): 11, np.dtype(np.uint32): 12, np.dtype(np.uint64): 13,
}
# kiln's dtypeName spelling (ir/dtype.h).
KILN_NAME = {
    1: 'f32', 2: 'u8', 3: 'i8', 4: 'u16', 5: 'i16', 6: 'i32', 7: 'i64', 9: 'bool', 10: 'f16', 11: 'f64',
    12: 'u32', 13: 'u64',
}
IR_VERSION = {15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}

rng = np.random.default_rng(20240611)
CASES = []


# ---- input makers ------------------------------------------------------------------------------

def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return rng.standard_normal(shape).astype(np.float64)


def uniform(lo, hi, *shape, dtype=np.float32):
    return rng.uniform(lo, hi, shape).astype(dtype)


def ints(dtype, lo, hi, *shape):
    return rng.integers(lo, hi, shape, endpoint=False).astype(dtype)


def nonzero_ints(dtype, lo, hi, *shape):
    a = ints(dtype, lo, hi, *shape)
    a[a == 0] = 1
    return a


def bools(*shape):
    return rng.random(shape) < 0.5


def small_floats(*shape):
    """Floats drawn from a few integers: exercises ties and equality."""
    return rng.integers(-3, 4, shape).astype(np.float32)


def i64(*values):
    return np.array(values, dtype=np.int64)


# ---- case table --------------------------------------------------------------------------------

def case(name, op, inputs, attrs=None, n_out=1, opset=17, tol=None, outputs=None):
    """One single-node case. `inputs` lists arrays (None = omitted optional input)."""
    names, arrays = [], {}
    for i, a in enumerate(inputs):
        if a is None:
            names.append('')
        else:
            names.append(f'x{i}')
            arrays[f'x{i}'] = np.asarray(a)
    while names and names[-1] == '':
        names.pop()
    outs = outputs if outputs is not None else [f'y{i}' for i in range(n_out)]
    node = dict(op=op, inputs=names, outputs=outs, attrs=attrs or {})
    chain(name, [node], arrays, [o for o in outs if o], opset=opset, tol=tol)


def chain(name, nodes, arrays, outputs, opset=17, tol=None):
    """A case of several nodes (e.g. Cast to bf16 and back: ORT cannot return bf16 tensors)."""
    assert re.fullmatch(r'[A-Za-z0-9_.-]+', name), name
    assert name not in {c['name'] for c in CASES}, f'duplicate case {name}'
    CASES.append(dict(name=name, nodes=nodes, inputs=arrays, outputs=outputs, opset=opset, tol=tol))


BROADCAST = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)), ((1,), (2, 3)), ((), (2, 3)),
             ((5, 1, 1, 4), (1, 3, 2, 1)), ((2, 3), (2, 1)), ((0, 3), (1, 3))]


def shape_tag(s):
    return 'x'.join(map(str, s)) if s else 's'


def elementwise_cases():
    unary = {
        'Abs': f32, 'Neg': f32, 'Exp': f32, 'Sin': f32, 'Cos': f32, 'Atan': f32, 'Sinh': f32, 'Cosh': f32,
        'Tanh': f32, 'Asinh': f32, 'Erf': f32, 'Floor': f32, 'Ceil': f32, 'Sign': small_floats,
        'Log': lambda *s: uniform(0.05, 5, *s), 'Sqrt': lambda *s: uniform(0, 5, *s),
        'Reciprocal': lambda *s: uniform(0.2, 3, *s) * np.sign(f32(*s)),
        'Tan': lambda *s: uniform(-1.2, 1.2, *s), 'Asin': lambda *s: uniform(-0.99, 0.99, *s),
        'Acos': lambda *s: uniform(-0.99, 0.99, *s), 'Acosh': lambda *s: uniform(1.01, 5, *s),
        'Atanh': lambda *s: uniform(-0.95, 0.95, *s),
        # halves of integers: Round must go to even on ties
        'Round': lambda *s: (rng.integers(-8, 9, s) / 2).astype(np.float32) + np.where(bools(*s), 0, 0.1).astype(np.float32),
    }
    for op, make in unary.items():
        case(f'{op}_f32', op, [make(3, 4, 5)])
    for op in ['Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Tanh', 'Floor', 'Ceil', 'Round', 'Sin', 'Cos', 'Sign', 'Reciprocal']:
        x = np.abs(f64(2, 3)) + 0.1 if op in ('Log', 'Sqrt', 'Reciprocal') else f64(2, 3)
        case(f'{op}_f64', op, [x])
    for dt in [np.int8, np.int32, np.int64]:
        case(f'Abs_{np.dtype(dt).name}', 'Abs', [ints(dt, -50, 50, 4, 5)])
        case(f'Neg_{np.dtype(dt).name}', 'Neg', [ints(dt, -50, 50, 4, 5)])
        case(f'Sign_{np.dtype(dt).name}', 'Sign', [ints(dt, -3, 4, 4, 5)])
    case('Abs_uint8', 'Abs', [ints(np.uint8, 0, 255, 7)])
    case('Sign_uint32', 'Sign', [ints(np.uint32, 0, 3, 7)])
    case('Not_bool', 'Not', [bools(3, 4)])
    special = f32(4, 5)
    special.flat[::3] = np.nan
    special.flat[1::5] = np.inf
    special.flat[2::7] = -np.inf
    case('IsNaN_f32', 'IsNaN', [special])
    case('IsInf_f32', 'IsInf', [special])
    case('IsInf_f32_pos_only', 'IsInf', [special], dict(detect_negative=0))
    case('IsInf_f32_neg_only', 'IsInf', [special], dict(detect_positive=0))
    case('IsNaN_f64', 'IsNaN', [special.astype(np.float64)])

    # Binary arithmetic with every broadcast pattern.
    for a, b in BROADCAST:
        for op in ['Add', 'Sub', 'Mul', 'Div']:
            rhs = f32(*b) if op != 'Div' else uniform(0.5, 2, *b) * np.where(bools(*b), 1, -1).astype(np.float32)
            case(f'{op}_f32_{shape_tag(a)}_{shape_tag(b)}', op, [f32(*a), rhs])
    for dt in [np.int32, np.int64, np.int8, np.uint8, np.uint32, np.uint64, np.int16, np.uint16, np.float64]:
        n = np.dtype(dt).name
        signed = np.issubdtype(dt, np.signedinteger)
        lo = -20 if signed else 0
        mk = (lambda *s: f64(*s)) if dt == np.float64 else (lambda *s: ints(dt, lo, 20, *s))
        for op in ['Add', 'Sub', 'Mul']:
            case(f'{op}_{n}', op, [mk(3, 4), mk(4)])
        div = (lambda *s: uniform(0.5, 2, *s, dtype=np.float64)) if dt == np.float64 else (lambda *s: nonzero_ints(dt, lo, 20, *s))
        case(f'Div_{n}', 'Div', [mk(3, 4), div(3, 4)])
    # Integer Div truncates toward zero (C semantics): negative dividends matter.
    case('Div_int32_trunc', 'Div', [i64(-7, 7, -7, 7, -1, 0).astype(np.int32), i64(2, -2, -2, 2, 3, 5).astype(np.int32)])

    case('Pow_f32', 'Pow', [uniform(0.1, 3, 3, 4), f32(3, 4)])
    case('Pow_f32_bcast', 'Pow', [uniform(0.1, 3, 2, 3, 4), f32(4)])
    case('Pow_f32_int_exp', 'Pow', [f32(3, 4), ints(np.int64, 0, 4, 3, 4)])
    case('Pow_f32_int32_exp', 'Pow', [f32(3, 4), ints(np.int32, 0, 4, 1)])
    case('Pow_int32', 'Pow', [ints(np.int32, -5, 6, 3, 4), ints(np.int32, 0, 4, 3, 4)])
    case('Pow_int64_f32_exp', 'Pow', [ints(np.int64, 0, 6, 3, 4), np.array([2.0], np.float32)])
    case('Pow_f64', 'Pow', [uniform(0.1, 3, 3, 4, dtype=np.float64), f64(3, 4)])

    for dt in [np.int32, np.int64, np.int8]:
        n = np.dtype(dt).name
        case(f'Mod_{n}', 'Mod', [ints(dt, -20, 20, 3, 4), nonzero_ints(dt, -6, 7, 3, 4)])
        case(f'Mod_{n}_fmod', 'Mod', [ints(dt, -20, 20, 3, 4), nonzero_ints(dt, -6, 7, 3, 4)], dict(fmod=1))
    case('Mod_uint8', 'Mod', [ints(np.uint8, 0, 200, 3, 4), nonzero_ints(np.uint8, 1, 9, 4)])
    case('Mod_f32_fmod', 'Mod', [f32(3, 4) * 5, uniform(0.5, 2, 3, 4) * np.where(bools(3, 4), 1, -1).astype(np.float32)], dict(fmod=1))
    case('Mod_f32_fmod_bcast', 'Mod', [f32(2, 3, 4) * 5, uniform(0.5, 2, 4)], dict(fmod=1))

    for op in ['Max', 'Min', 'Sum', 'Mean']:
        case(f'{op}_f32_one', op, [f32(3, 4)])
        case(f'{op}_f32_two', op, [f32(3, 4), f32(3, 4)])
        case(f'{op}_f32_three_bcast', op, [f32(2, 1, 4), f32(3, 1), f32(4)])
    for op in ['Max', 'Min']:  # Sum is float-only in ONNX
        for dt in [np.int32, np.int64]:
            case(f'{op}_{np.dtype(dt).name}', op, [ints(dt, -20, 20, 3, 4), ints(dt, -20, 20, 4)])
    case('Max_uint8', 'Max', [ints(np.uint8, 0, 255, 3, 4), ints(np.uint8, 0, 255, 3, 4)])
    case('Min_f64', 'Min', [f64(3, 4), f64(1, 4)])

    for op in ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual']:
        for a, b in BROADCAST[:6]:
            case(f'{op}_f32_{shape_tag(a)}_{shape_tag(b)}', op, [small_floats(*a), small_floats(*b)])
        for dt in [np.int32, np.int64, np.uint8]:
            case(f'{op}_{np.dtype(dt).name}', op, [ints(dt, 0, 4, 3, 4), ints(dt, 0, 4, 4)])
        case(f'{op}_f64', op, [small_floats(3, 4).astype(np.float64), small_floats(3, 4).astype(np.float64)])
    case('Equal_bool', 'Equal', [bools(3, 4), bools(4)])
    for op in ['And', 'Or', 'Xor']:
        for a, b in [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1))]:
            case(f'{op}_{shape_tag(a)}_{shape_tag(b)}', op, [bools(*a), bools(*b)])
    for dt in [np.uint8, np.uint32, np.uint64]:
        n = np.dtype(dt).name
        case(f'BitShift_left_{n}', 'BitShift', [ints(dt, 0, 16, 3, 4), ints(dt, 0, 5, 4)], dict(direction='LEFT'))
        case(f'BitShift_right_{n}', 'BitShift', [ints(dt, 0, 250, 3, 4), ints(dt, 0, 5, 3, 4)], dict(direction='RIGHT'))

    for dt, mk in [('f32', f32), ('i64', lambda *s: ints(np.int64, -9, 9, *s)),
                   ('u8', lambda *s: ints(np.uint8, 0, 9, *s)), ('f16', lambda *s: f32(*s).astype(np.float16))]:
        case(f'Where_{dt}', 'Where', [bools(3, 4), mk(3, 4), mk(3, 4)])
    case('Where_bcast3', 'Where', [bools(2, 1, 4), f32(3, 1), f32(4)])
    case('Where_scalar', 'Where', [bools(3, 4), np.array(1.5, np.float32), f32(3, 4)])

    x = f32(3, 4, 5)
    case('Clip_both', 'Clip', [x, np.array(-0.5, np.float32), np.array(0.7, np.float32)])
    case('Clip_min_only', 'Clip', [x, np.array(-0.5, np.float32)])
    case('Clip_max_only', 'Clip', [x, None, np.array(0.3, np.float32)])
    case('Clip_none', 'Clip', [x])
    case('Clip_min_gt_max', 'Clip', [x, np.array(0.5, np.float32), np.array(-0.5, np.float32)])
    case('Clip_int32', 'Clip', [ints(np.int32, -20, 20, 4, 5), np.array(-5, np.int32), np.array(7, np.int32)])
    case('Clip_int64', 'Clip', [ints(np.int64, -20, 20, 4, 5), None, np.array(7, np.int64)])
    case('Clip_uint8', 'Clip', [ints(np.uint8, 0, 255, 4, 5), np.array(10, np.uint8), np.array(100, np.uint8)])
    case('Clip_f64', 'Clip', [f64(4, 5), np.array(-0.5, np.float64), np.array(0.5, np.float64)])

    # Cast: every pair that has a defined value on the chosen inputs.
    src = {
        'f32': (uniform(-100, 100, 3, 4), np.float32), 'f64': (uniform(-100, 100, 3, 4, dtype=np.float64), np.float64),
        'f16': (uniform(-100, 100, 3, 4).astype(np.float16), np.float16),
        'i32': (ints(np.int32, -100, 100, 3, 4), np.int32), 'i64': (ints(np.int64, -100, 100, 3, 4), np.int64),
        'i8': (ints(np.int8, -100, 100, 3, 4), np.int8), 'u8': (ints(np.uint8, 0, 200, 3, 4), np.uint8),
        'bool': (bools(3, 4), np.bool_), 'u16': (ints(np.uint16, 0, 1000, 3, 4), np.uint16),
        'i16': (ints(np.int16, -1000, 1000, 3, 4), np.int16), 'u32': (ints(np.uint32, 0, 1000, 3, 4), np.uint32),
        'u64': (ints(np.uint64, 0, 1000, 3, 4), np.uint64),
    }
    targets = {'f32': 1, 'f64': 11, 'f16': 10, 'i32': 6, 'i64': 7, 'i8': 3, 'u8': 2, 'bool': 9, 'i16': 5, 'u16': 4,
               'u32': 12, 'u64': 13}
    for s, (arr, _) in src.items():
        for t, code in targets.items():
            if s == t:
                continue
            a = arr
            if s in ('f32', 'f64', 'f16', 'i32', 'i64', 'i16') and t in ('u8', 'u16', 'u32', 'u64', 'i8'):
                a = np.abs(arr).astype(arr.dtype)  # in range of the target: out-of-range casts are UB in C++
                if t in ('u8', 'i8'):
                    a = (a % 100).astype(arr.dtype)
            case(f'Cast_{s}_to_{t}', 'Cast', [a], dict(to=code))
    for s in ['f32', 'f64']:
        chain(f'Cast_{s}_to_bf16_roundtrip',
              [dict(op='Cast', inputs=['x0'], outputs=['b'], attrs=dict(to=16)),
               dict(op='Cast', inputs=['b'], outputs=['y0'], attrs=dict(to=1))],
              {'x0': src[s][0] * np.float32(1.37)}, ['y0'])
    case('Cast_f32_to_f16_rounding', 'Cast', [np.array([65504, 65520, 1e-8, -3e-5, 0.1, 2049, 2051, np.inf, -np.inf], np.float32)], dict(to=10))
    case('CastLike_f32_i64', 'CastLike', [uniform(-50, 50, 3, 4), i64(1)])
    case('CastLike_i32_f64', 'CastLike', [ints(np.int32, -50, 50, 3, 4), np.array([1.0])])


def activation_cases():
    x = f32(2, 3, 4, 5) * 2
    case('Sigmoid', 'Sigmoid', [x])
    case('Sigmoid_f64', 'Sigmoid', [f64(3, 4)])
    case('Relu', 'Relu', [x])
    case('Relu_f64', 'Relu', [f64(3, 4)])
    case('Relu_int32', 'Relu', [ints(np.int32, -9, 9, 3, 4)], opset=17)
    case('Relu_int8', 'Relu', [ints(np.int8, -9, 9, 3, 4)], opset=17)
    case('LeakyRelu', 'LeakyRelu', [x])
    case('LeakyRelu_alpha', 'LeakyRelu', [x], dict(alpha=0.3))
    case('Elu', 'Elu', [x])
    case('Elu_alpha', 'Elu', [x], dict(alpha=0.5))
    case('Selu', 'Selu', [x])
    case('Selu_custom', 'Selu', [x], dict(alpha=1.5, gamma=2.0))
    case('Celu', 'Celu', [x])
    case('Celu_alpha', 'Celu', [x], dict(alpha=2.0))
    case('Softplus', 'Softplus', [x * 10])
    case('Softsign', 'Softsign', [x])
    case('HardSigmoid', 'HardSigmoid', [x])
    case('HardSigmoid_custom', 'HardSigmoid', [x], dict(alpha=0.3, beta=0.4))
    case('HardSwish', 'HardSwish', [x * 3])
    case('Mish', 'Mish', [x * 3], opset=18)
    case('Gelu_none', 'Gelu', [x * 2], opset=20)
    case('Gelu_tanh', 'Gelu', [x * 2], dict(approximate='tanh'), opset=20)
    case('PRelu_channel', 'PRelu', [x, f32(3, 1, 1)])
    case('PRelu_scalar', 'PRelu', [x, f32(1)])
    case('PRelu_full', 'PRelu', [x, f32(2, 3, 4, 5)])
    case('PRelu_last', 'PRelu', [x, f32(5)])
    case('PRelu_int32', 'PRelu', [ints(np.int32, -9, 9, 3, 4), ints(np.int32, 0, 3, 4)])
    case('ThresholdedRelu', 'ThresholdedRelu', [x])
    case('ThresholdedRelu_alpha', 'ThresholdedRelu', [x], dict(alpha=0.5))
    case('Shrink', 'Shrink', [x])
    case('Shrink_bias', 'Shrink', [x], dict(bias=0.2, lambd=1.0))
    case('Shrink_int32', 'Shrink', [ints(np.int32, -9, 9, 3, 4)], dict(bias=1.0, lambd=2.0))
    case('Identity', 'Identity', [x])
    case('Identity_int64', 'Identity', [ints(np.int64, -9, 9, 3, 4)])
    case('Dropout', 'Dropout', [x])
    case('Dropout_mask', 'Dropout', [x], n_out=2)
    case('Dropout_ratio_mask', 'Dropout', [x, np.array(0.3, np.float32), np.array(False)], n_out=2)
    case('Dropout_training_ratio0', 'Dropout', [x, np.array(0.0, np.float32), np.array(True)], n_out=2)


def reduction_cases():
    x = f32(2, 3, 4, 5)
    axes_variants = [('a1', [1]), ('aneg1', [-1]), ('a02', [0, 2]), ('aneg13', [-1, -3]), ('all', None)]
    reduce_ops = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2',
                  'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']
    for op in reduce_ops:
        data = x
        if op == 'ReduceLogSum':
            data = np.abs(x) + 0.1
        if op == 'ReduceProd':
            data = uniform(0.5, 1.5, 2, 3, 4, 5) * np.where(bools(2, 3, 4, 5), 1, -1).astype(np.float32)
        for tag, axes in axes_variants:
            for keep in (0, 1):
                ins = [data] if axes is None else [data, i64(*axes)]
                case(f'{op}_{tag}_k{keep}', op, ins, dict(keepdims=keep), opset=18)
        case(f'{op}_noop', op, [data], dict(noop_with_empty_axes=1), opset=18)
        case(f'{op}_empty_axes_input', op, [data, np.zeros(0, np.int64)], opset=18)
        case(f'{op}_f64', op, [np.abs(f64(3, 4)) + 0.1, i64(1)], opset=18)
        case(f'{op}_rank1', op, [np.abs(f32(7)) + 0.1], dict(keepdims=0), opset=18)
    for op in ['ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceMean', 'ReduceL1', 'ReduceSumSquare']:
        for dt in [np.int32, np.int64]:
            case(f'{op}_{np.dtype(dt).name}', op, [ints(dt, -4, 5, 3, 4, 2), i64(1)], opset=18)
    case('ReduceMax_uint8', 'ReduceMax', [ints(np.uint8, 0, 255, 3, 4), i64(0)], opset=18)
    case('ReduceSum_axes_int32_input', 'ReduceSum', [x, i64(1, 2)], opset=18)

    for op in ['ArgMax', 'ArgMin']:
        for axis in [0, 1, -1, 3]:
            for keep in (0, 1):
                case(f'{op}_ax{axis}_k{keep}'.replace('-', 'm'), op, [f32(2, 3, 4, 5)], dict(axis=axis, keepdims=keep))
        ties = small_floats(4, 6)
        case(f'{op}_ties_first', op, [ties], dict(axis=1))
        case(f'{op}_ties_last', op, [ties], dict(axis=1, select_last_index=1))
        case(f'{op}_ties_last_ax0', op, [ties], dict(axis=0, select_last_index=1, keepdims=0))
        case(f'{op}_int32', op, [ints(np.int32, -3, 4, 4, 6)], dict(axis=-1))
        case(f'{op}_int64', op, [ints(np.int64, -3, 4, 4, 6)], dict(axis=0))
        case(f'{op}_f64', op, [f64(4, 6)], dict(axis=1))
        case(f'{op}_uint8', op, [ints(np.uint8, 0, 9, 4, 6)], dict(axis=1))

    for dt, mk in [('f32', f32), ('f64', f64), ('i32', lambda *s: ints(np.int32, -9, 9, *s)),
                   ('i64', lambda *s: ints(np.int64, -9, 9, *s))]:
        for axis in [0, 1, -1]:
            for excl in (0, 1):
                for rev in (0, 1):
                    case(f'CumSum_{dt}_ax{axis}_e{excl}_r{rev}'.replace('-', 'm'), 'CumSum',
                         [mk(3, 4, 5), np.array(axis, np.int64)], dict(exclusive=excl, reverse=rev))
    case('CumSum_axis_int32', 'CumSum', [f32(3, 4), np.array(1, np.int32)])
    case('CumSum_rank1', 'CumSum', [f32(7), np.array(0, np.int64)], dict(reverse=1))

    for axis in [-1, 1, 0]:
        for largest in (0, 1):
            for k in (1, 3):
                case(f'TopK_ax{axis}_l{largest}_k{k}'.replace('-', 'm'), 'TopK', [f32(3, 4, 5), i64(k)],
                     dict(axis=axis, largest=largest), n_out=2)
    case('TopK_ties', 'TopK', [small_floats(4, 8), i64(5)], n_out=2)
    case('TopK_ties_smallest', 'TopK', [small_floats(4, 8), i64(5)], dict(largest=0), n_out=2)
    case('TopK_int64', 'TopK', [ints(np.int64, -9, 9, 4, 8), i64(3)], n_out=2)
    case('TopK_int32', 'TopK', [ints(np.int32, -9, 9, 4, 8), i64(3)], dict(axis=0), n_out=2)
    case('TopK_f64', 'TopK', [f64(4, 8), i64(8)], n_out=2)
    case('TopK_k0', 'TopK', [f32(4, 8), i64(0)], n_out=2)


def softmax_cases():
    for op in ['Softmax', 'LogSoftmax', 'Hardmax']:
        for axis in [-1, 0, 1, 2]:
            data = small_floats(2, 3, 4) if op == 'Hardmax' else f32(2, 3, 4) * 3
            case(f'{op}_ax{axis}'.replace('-', 'm'), op, [data], dict(axis=axis))
        case(f'{op}_default', op, [f32(3, 7) * 3])
        if op != 'Hardmax':  # ORT has no f64 Hardmax
            case(f'{op}_f64', op, [f64(3, 7)])
        case(f'{op}_rank1', op, [f32(9)])
    case('Softmax_large', 'Softmax', [f32(4, 50) * 30])


def matmul_cases():
    shapes = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)),
              ((2, 1, 3, 4), (3, 4, 5)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)), ((1, 4), (4, 1)),
              ((2, 3, 4), (4,)), ((5,), (2, 5, 3)), ((0, 4), (4, 3)), ((3, 0), (0, 2)), ((17, 33), (33, 9))]
    for a, b in shapes:
        case(f'MatMul_{shape_tag(a)}_{shape_tag(b)}', 'MatMul', [f32(*a), f32(*b)])
    for dt in [np.int32, np.int64, np.uint32, np.uint64]:
        n = np.dtype(dt).name
        case(f'MatMul_{n}', 'MatMul', [ints(dt, 0, 9, 2, 3, 4), ints(dt, 0, 9, 4, 5)])
    case('MatMul_f64', 'MatMul', [f64(2, 3, 4), f64(4, 5)])
    m, k, n = 3, 4, 5
    for ta in (0, 1):
        for tb in (0, 1):
            a = f32(k, m) if ta else f32(m, k)
            b = f32(n, k) if tb else f32(k, n)
            case(f'Gemm_tA{ta}_tB{tb}', 'Gemm', [a, b, f32(m, n)], dict(transA=ta, transB=tb))
    a, b = f32(m, k), f32(k, n)
    for tag, c in [('cN', f32(n)), ('c1N', f32(1, n)), ('cM1', f32(m, 1)), ('cscalar', f32()), ('c1', f32(1))]:
        case(f'Gemm_{tag}', 'Gemm', [a, b, c])
    case('Gemm_noC', 'Gemm', [a, b])
    case('Gemm_alpha_beta', 'Gemm', [a, b, f32(m, n)], dict(alpha=0.5, beta=2.0))
    case('Gemm_beta0', 'Gemm', [a, b, f32(m, n)], dict(beta=0.0))
    case('Gemm_all', 'Gemm', [f32(k, m), f32(n, k), f32(n)], dict(alpha=1.5, beta=-0.5, transA=1, transB=1))
    case('Gemm_f64', 'Gemm', [f64(m, k), f64(k, n), f64(n)], dict(alpha=0.7))


def conv_cases():
    # 2-D Conv variants: [name, X shape, W shape, attrs, bias]
    v = [
        ('basic', (1, 3, 7, 7), (4, 3, 3, 3), {}, True),
        ('nobias', (2, 3, 6, 5), (4, 3, 3, 3), {}, False),
        ('pads', (1, 2, 6, 6), (3, 2, 3, 3), dict(pads=[1, 1, 1, 1]), True),
        ('pads_asym', (1, 2, 6, 7), (3, 2, 3, 2), dict(pads=[1, 0, 2, 1]), True),
        ('strides', (1, 2, 9, 8), (3, 2, 3, 3), dict(strides=[2, 3]), True),
        ('dilations', (1, 2, 9, 9), (3, 2, 3, 3), dict(dilations=[2, 3]), True),
        ('group2', (1, 4, 6, 6), (6, 2, 3, 3), dict(group=2), True),
        ('depthwise', (2, 4, 6, 6), (4, 1, 3, 3), dict(group=4, pads=[1, 1, 1, 1]), True),
        ('pointwise', (2, 5, 4, 4), (3, 5, 1, 1), {}, True),
        ('pointwise_stride', (1, 5, 5, 5), (3, 5, 1, 1), dict(strides=[2, 2]), False),
        ('same_upper', (1, 2, 7, 6), (3, 2, 3, 4), dict(auto_pad='SAME_UPPER', strides=[2, 2]), True),
        ('same_lower', (1, 2, 7, 6), (3, 2, 3, 4), dict(auto_pad='SAME_LOWER', strides=[2, 2]), True),
        ('same_upper_s1', (1, 2, 5, 5), (3, 2, 4, 4), dict(auto_pad='SAME_UPPER'), False),
        ('same_lower_s1', (1, 2, 5, 5), (3, 2, 4, 4), dict(auto_pad='SAME_LOWER'), False),
        ('valid', (1, 2, 7, 6), (3, 2, 3, 3), dict(auto_pad='VALID', strides=[2, 1]), True),
        ('kernel_shape', (1, 2, 6, 6), (3, 2, 3, 3), dict(kernel_shape=[3, 3]), True),
        ('all', (2, 4, 11, 10), (6, 2, 3, 2), dict(group=2, strides=[2, 1], dilations=[1, 2], pads=[2, 1, 0, 3]), True),
        ('big', (1, 16, 14, 14), (32, 16, 3, 3), dict(pads=[1, 1, 1, 1]), True),
        ('window_wider_than_pads', (1, 1, 3, 3), (1, 1, 5, 5), dict(pads=[2, 2, 2, 2]), False),
    ]
    for name, xs, ws, attrs, bias in v:
        ins = [f32(*xs), f32(*ws)] + ([f32(ws[0])] if bias else [])
        case(f'Conv2d_{name}', 'Conv', ins, attrs, tol=3e-5 if name == 'big' else None)
    case('Conv1d', 'Conv', [f32(2, 3, 10), f32(4, 3, 3), f32(4)], dict(pads=[1, 2], strides=[2]))
    case('Conv1d_dil_group', 'Conv', [f32(1, 4, 12), f32(4, 2, 3)], dict(dilations=[3], group=2))
    case('Conv1d_same', 'Conv', [f32(1, 3, 9), f32(2, 3, 4)], dict(auto_pad='SAME_UPPER', strides=[2]))
    case('Conv3d', 'Conv', [f32(1, 2, 5, 6, 4), f32(3, 2, 3, 3, 2), f32(3)], dict(pads=[1, 0, 1, 1, 1, 0]))
    case('Conv3d_strides_dil', 'Conv', [f32(1, 2, 7, 7, 6), f32(4, 1, 2, 3, 2)], dict(strides=[2, 1, 2], dilations=[1, 2, 2], group=2))
    case('Conv3d_same_lower', 'Conv', [f32(1, 2, 5, 5, 5), f32(2, 2, 2, 2, 2)], dict(auto_pad='SAME_LOWER', strides=[2, 2, 2]))

    # ConvTranspose: W is [C, M/group, k...]
    t = [
        ('basic', (1, 3, 4, 4), (3, 2, 3, 3), {}, True),
        ('strides', (1, 2, 3, 4), (2, 3, 3, 3), dict(strides=[2, 2]), True),
        ('output_padding', (1, 2, 3, 3), (2, 3, 3, 3), dict(strides=[2, 3], output_padding=[1, 2]), False),
        ('pads', (1, 2, 4, 4), (2, 3, 3, 3), dict(strides=[2, 2], pads=[1, 0, 1, 2]), True),
        ('dilations', (1, 2, 4, 3), (2, 2, 3, 2), dict(dilations=[2, 3]), True),
        ('group2', (1, 4, 3, 3), (4, 3, 2, 2), dict(group=2, strides=[2, 2]), True),
        ('output_shape', (1, 2, 3, 3), (2, 3, 3, 3), dict(strides=[2, 2], output_shape=[7, 8]), True),
        ('same_upper', (1, 2, 3, 4), (2, 3, 3, 3), dict(strides=[2, 2], auto_pad='SAME_UPPER'), True),
        ('same_lower', (1, 2, 3, 4), (2, 3, 3, 3), dict(strides=[2, 2], auto_pad='SAME_LOWER'), True),
        ('valid', (1, 2, 3, 4), (2, 3, 3, 3), dict(strides=[2, 1], auto_pad='VALID'), True),
        ('all', (2, 4, 3, 4), (4, 2, 3, 2), dict(group=2, strides=[2, 3], dilations=[2, 1], pads=[1, 1, 0, 2], output_padding=[1, 0]), True),
    ]
    for name, xs, ws, attrs, bias in t:
        ins = [f32(*xs), f32(*ws)] + ([f32(ws[1] * attrs.get('group', 1))] if bias else [])
        case(f'ConvTranspose2d_{name}', 'ConvTranspose', ins, attrs)
    case('ConvTranspose1d', 'ConvTranspose', [f32(2, 3, 5), f32(3, 2, 3), f32(2)], dict(strides=[2], pads=[1, 0]))
    case('ConvTranspose3d', 'ConvTranspose', [f32(1, 2, 3, 3, 2), f32(2, 2, 2, 3, 2), f32(2)], dict(strides=[2, 1, 2]))


def pool_cases():
    x = f32(2, 3, 9, 8)
    common = [
        ('k3', dict(kernel_shape=[3, 3])),
        ('k3s2', dict(kernel_shape=[3, 3], strides=[2, 2])),
        ('k2s2', dict(kernel_shape=[2, 2], strides=[2, 2])),
        ('pads', dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])),
        ('pads_asym', dict(kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 2, 1])),
        ('ceil', dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
        ('ceil_pads', dict(kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)),
        ('same_upper', dict(kernel_shape=[3, 2], strides=[2, 2], auto_pad='SAME_UPPER')),
        ('same_lower', dict(kernel_shape=[3, 2], strides=[2, 2], auto_pad='SAME_LOWER')),
        ('valid', dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad='VALID')),
        ('dilations', dict(kernel_shape=[2, 3], dilations=[2, 2])),
        ('dilations_pads_ceil', dict(kernel_shape=[2, 2], dilations=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)),
    ]
    for name, attrs in common:
        case(f'MaxPool2d_{name}', 'MaxPool', [x], attrs)
        case(f'MaxPool2d_{name}_indices', 'MaxPool', [x], attrs, n_out=2)
        avg_attrs = dict(attrs)
        opset = 19 if 'dilations' in attrs else 17
        case(f'AveragePool2d_{name}', 'AveragePool', [x], avg_attrs, opset=opset)
        if 'pads' in attrs or 'auto_pad' in attrs:
            case(f'AveragePool2d_{name}_incpad', 'AveragePool', [x], dict(attrs, count_include_pad=1), opset=opset)
        if 'dilations' not in attrs:
            case(f'LpPool2d_{name}', 'LpPool', [x], attrs, opset=18)
    case('MaxPool2d_storage_order', 'MaxPool', [x], dict(kernel_shape=[3, 2], strides=[2, 2], storage_order=1), n_out=2)
    case('MaxPool2d_storage_order_pads', 'MaxPool', [x], dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], storage_order=1), n_out=2)
    case('MaxPool1d', 'MaxPool', [f32(2, 3, 11)], dict(kernel_shape=[3], strides=[2], pads=[1, 1]), n_out=2)
    case('MaxPool1d_ceil', 'MaxPool', [f32(2, 3, 10)], dict(kernel_shape=[3], strides=[2], ceil_mode=1))
    case('MaxPool3d', 'MaxPool', [f32(1, 2, 5, 6, 7)], dict(kernel_shape=[2, 3, 2], strides=[2, 2, 1], pads=[0, 1, 1, 1, 0, 0]), n_out=2)
    case('MaxPool2d_int8', 'MaxPool', [ints(np.int8, -100, 100, 1, 2, 6, 6)], dict(kernel_shape=[2, 2], strides=[2, 2]))
    case('MaxPool2d_uint8', 'MaxPool', [ints(np.uint8, 0, 255, 1, 2, 6, 6)], dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    case('MaxPool2d_f64', 'MaxPool', [f64(1, 2, 6, 6)], dict(kernel_shape=[3, 3], strides=[2, 2]))
    case('AveragePool1d', 'AveragePool', [f32(2, 3, 11)], dict(kernel_shape=[3], strides=[2], pads=[1, 1]))
    case('AveragePool1d_incpad_ceil', 'AveragePool', [f32(2, 3, 10)], dict(kernel_shape=[3], strides=[2], pads=[1, 1], ceil_mode=1, count_include_pad=1))
    case('AveragePool3d', 'AveragePool', [f32(1, 2, 5, 6, 7)], dict(kernel_shape=[2, 3, 2], strides=[2, 2, 1], pads=[0, 1, 1, 1, 0, 0]))
    case('AveragePool3d_incpad', 'AveragePool', [f32(1, 2, 5, 6, 7)], dict(kernel_shape=[3, 3, 3], pads=[1, 1, 1, 1, 1, 1], count_include_pad=1))
    case('LpPool2d_p1', 'LpPool', [x], dict(kernel_shape=[3, 3], p=1), opset=18)
    case('LpPool2d_p3', 'LpPool', [x], dict(kernel_shape=[2, 2], strides=[2, 2], p=3), opset=18)
    for op in ['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']:
        case(f'{op}_2d', op, [x])
        case(f'{op}_1d', op, [f32(2, 3, 7)])
        case(f'{op}_3d', op, [f32(1, 2, 3, 4, 5)])
    case('GlobalLpPool_p1', 'GlobalLpPool', [x], dict(p=1))
    for size in (1, 3, 5):  # ORT only takes odd sizes
        case(f'LRN_size{size}', 'LRN', [f32(2, 7, 4, 5)], dict(size=size))
    case('LRN_custom', 'LRN', [f32(2, 7, 4, 5)], dict(size=3, alpha=0.01, beta=0.5, bias=2.0))


def normalization_cases():
    x = f32(2, 3, 4, 5)
    var = uniform(0.5, 2, 3)
    case('BatchNormalization', 'BatchNormalization', [x, f32(3), f32(3), f32(3), var], opset=15)
    case('BatchNormalization_eps', 'BatchNormalization', [x, f32(3), f32(3), f32(3), var], dict(epsilon=0.1), opset=15)
    case('BatchNormalization_rank2', 'BatchNormalization', [f32(4, 3), f32(3), f32(3), f32(3), var], opset=15)
    case('BatchNormalization_rank3', 'BatchNormalization', [f32(2, 3, 7), f32(3), f32(3), f32(3), var], opset=15)
    case('BatchNormalization_f64', 'BatchNormalization',
         [f64(2, 3, 4), f64(3), f64(3), f64(3), var.astype(np.float64)], opset=15)
    case('InstanceNormalization', 'InstanceNormalization', [x * 3 + 1, f32(3), f32(3)])
    case('InstanceNormalization_3d', 'InstanceNormalization', [f32(2, 3, 7), f32(3), f32(3)], dict(epsilon=0.01))
    case('InstanceNormalization_5d', 'InstanceNormalization', [f32(1, 2, 3, 4, 2), f32(2), f32(2)])
    for axis in [-1, -2, 1, 0, 3]:
        shape = x.shape[axis:] if axis >= 0 else x.shape[axis:]
        case(f'LayerNormalization_ax{axis}'.replace('-', 'm'), 'LayerNormalization', [x * 2 + 1, f32(*shape), f32(*shape)],
             dict(axis=axis))
    case('LayerNormalization_noB', 'LayerNormalization', [x, f32(5)])
    case('LayerNormalization_stats', 'LayerNormalization', [x, f32(4, 5), f32(4, 5)], dict(axis=-2, epsilon=1e-3), n_out=3)
    case('LayerNormalization_mean_only', 'LayerNormalization', [x, f32(5), f32(5)], outputs=['y0', 'y1', ''])
    case('LayerNormalization_invstd_only', 'LayerNormalization', [x, f32(5), f32(5)], outputs=['y0', '', 'y2'])
    case('LayerNormalization_scale_bcast', 'LayerNormalization', [x, f32(1, 5), f32(5)], dict(axis=-2))
    case('LayerNormalization_f64', 'LayerNormalization', [f64(3, 8), f64(8), f64(8)])
    for groups in (1, 3, 6):
        case(f'GroupNormalization_g{groups}', 'GroupNormalization', [f32(2, 6, 4, 5) * 2 + 1, f32(6), f32(6)],
             dict(num_groups=groups), opset=21)
    case('GroupNormalization_3d', 'GroupNormalization', [f32(2, 4, 7), f32(4), f32(4)], dict(num_groups=2, epsilon=1e-2), opset=21)


# ---- writing -----------------------------------------------------------------------------------

def attr_json(v):
    if isinstance(v, bool) or isinstance(v, (int, np.integer)):
        return {'type': 'int', 'value': int(v)}
    if isinstance(v, (float, np.floating)):
        return {'type': 'float', 'value': float(np.float32(v))}
    if isinstance(v, str):
        return {'type': 'string', 'value': v}
    if isinstance(v, (list, tuple)):
        if all(isinstance(e, (int, np.integer)) for e in v):
            return {'type': 'ints', 'value': [int(e) for e in v]}
        if all(isinstance(e, (int, float, np.number)) for e in v):
            return {'type': 'floats', 'value': [float(np.float32(e)) for e in v]}
        if all(isinstance(e, str) for e in v):
            return {'type': 'strings', 'value': list(v)}
    raise ValueError(f'unsupported attribute value {v!r}')


def array_json(name, a, file):
    code = NP_TO_ONNX[a.dtype]
    return {'name': name, 'dtype': KILN_NAME[code], 'dims': list(a.shape), 'file': file}


def half_cases():
    """f16 through ops that compute in f32 (the interpreter widens and narrows around them)."""
    h = lambda *s: f32(*s).astype(np.float16)
    tol = 4e-3
    case('Add_f16', 'Add', [h(3, 4), h(4)], tol=tol)
    case('Mul_f16', 'Mul', [h(3, 4), h(3, 4)], tol=tol)
    case('Relu_f16', 'Relu', [h(3, 4)], tol=tol)
    case('Sigmoid_f16', 'Sigmoid', [h(3, 4)], tol=tol)
    case('Softmax_f16', 'Softmax', [h(3, 8)], tol=tol)
    case('MatMul_f16', 'MatMul', [h(3, 8), h(8, 5)], tol=1e-2)
    case('ReduceMean_f16', 'ReduceMean', [h(3, 8), i64(1)], opset=18, tol=tol)
    case('LayerNormalization_f16', 'LayerNormalization', [h(3, 8), h(8), h(8)], tol=1e-2)
    case('Conv_f16', 'Conv', [h(1, 2, 5, 5), h(3, 2, 3, 3)], tol=1e-2)
    case('MaxPool_f16', 'MaxPool', [h(1, 2, 5, 5)], dict(kernel_shape=[2, 2]), tol=tol)
    case('Gelu_f16', 'Gelu', [h(3, 4)], opset=20, tol=tol)
    case('Where_f16_cond', 'Where', [bools(3, 4), h(3, 4), h(4)])


def write_case(root, c, index):
    d = os.path.join(root, c['name'])
    os.makedirs(d, exist_ok=True)
    nodes = [helper.make_node(n['op'], n['inputs'], n['outputs'], name=f"{n['op']}_{i}", **n['attrs'])
             for i, n in enumerate(c['nodes'])]
    inputs = [helper.make_tensor_value_info(k, NP_TO_ONNX[a.dtype], list(a.shape)) for k, a in c['inputs'].items()]
    outputs = []
    for o in c['outputs']:
        vi = onnx.ValueInfoProto()
        vi.name = o  # untyped: ORT (and kiln's importer) infer it
        outputs.append(vi)
    graph = helper.make_graph(nodes, c['name'], inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', c['opset'])], producer_name='op_cases.py')
    model.ir_version = IR_VERSION[c['opset']]
    onnx.save(model, os.path.join(d, 'model.onnx'))
    save = np.savez_compressed if index % 3 == 2 else np.savez
    save(os.path.join(d, 'in.npz'), **c['inputs'])
    spec = {'name': c['name'], 'opset': c['opset'], 'tol': c['tol'], 'inputs': [], 'outputs': [],
            'nodes': [{'op': n['op'], 'domain': '', 'name': f"{n['op']}_{i}", 'inputs': n['inputs'],
                       'outputs': n['outputs'], 'attrs': {k: attr_json(v) for k, v in n['attrs'].items()}}
                      for i, n in enumerate(c['nodes'])]}
    for k, (name, a) in enumerate(c['inputs'].items()):
        a = np.asarray(a).copy(order='C')  # (ascontiguousarray would make scalars 1-D)
        a.tofile(os.path.join(d, f'in_{k}.bin'))
        spec['inputs'].append(array_json(name, a, f'in_{k}.bin'))
    spec['outputs'] = [{'name': o} for o in c['outputs']]
    with open(os.path.join(d, 'case.json'), 'w') as f:
        json.dump(spec, f, indent=1)
    return d


def finish_case(d):
    """Adds ORT's outputs to case.json; returns None or ORT's error message."""
    err = os.path.join(d, 'ort_error.txt')
    if os.path.exists(err):
        with open(err) as f:
            return f.read().strip()
    with open(os.path.join(d, 'case.json')) as f:
        spec = json.load(f)
    out = np.load(os.path.join(d, 'ort_out.npz'))
    for k, o in enumerate(spec['outputs']):
        a = np.asarray(out[o['name']]).copy(order='C')
        a.tofile(os.path.join(d, f'out_{k}.bin'))
        o.update(array_json(o['name'], a, f'out_{k}.bin'))
    with open(os.path.join(d, 'case.json'), 'w') as f:
        json.dump(spec, f, indent=1)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('out_dir')
    ap.add_argument('--filter', default='', help='only cases whose name matches this regex')
    ap.add_argument('--no-ort', action='store_true', help='write models and inputs only')
    args = ap.parse_args()

    for family in [elementwise_cases, activation_cases, reduction_cases, softmax_cases, matmul_cases, conv_cases,
                   pool_cases, normalization_cases, half_cases]:
        family()
    cases = [c for c in CASES if re.search(args.filter, c['name'])]
    if os.path.isdir(args.out_dir):
        shutil.rmtree(args.out_dir)
    os.makedirs(args.out_dir)
    dirs = [write_case(args.out_dir, c, i) for i, c in enumerate(cases)]
    if args.no_ort:
        print(f'op_cases: wrote {len(dirs)} cases (no ORT outputs) to {args.out_dir}')
        return 0
    # Two ORT processes, each over half the cases: starting ORT once per case would dominate.
    batch = os.path.join(ROOT, 'tests', 'reference', 'ort_batch.js')
    log = open(os.path.join(args.out_dir, 'ort_log.txt'), 'w')  # ORT prints its refusals too
    procs = [subprocess.Popen(['node', batch] + dirs[i::2], stderr=log) for i in range(2)]
    if any(p.wait() != 0 for p in procs):
        print('op_cases: ONNX Runtime failed to start', file=sys.stderr)
        return 2
    ran, refused = [], {}
    for c, d in zip(cases, dirs):
        err = finish_case(d)
        if err is None:
            ran.append(c['name'])
        else:
            refused[c['name']] = err
            shutil.rmtree(d)
    with open(os.path.join(args.out_dir, 'index.json'), 'w') as f:
        json.dump({'cases': ran, 'ort_refused': refused}, f, indent=1)
    print(f'op_cases: {len(ran)} cases in {args.out_dir}; ORT refused {len(refused)}')
    for name, err in refused.items():
        print(f'  refused {name}: {err[:200]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
