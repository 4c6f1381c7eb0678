#!/usr/bin/env python3
"""Op cases for the reference interpreter's data-movement, control-flow, sequence, quantize,
resize, RNN and einsum kernels (part B), in the format of tests/reference/op_cases.py: one
small ONNX model per case, random inputs, ONNX Runtime's outputs as the expected values.

    /usr/bin/python3 tests/reference/op_cases_b.py OUT_DIR [--filter REGEX] [--no-ort]

writes OUT_DIR/<case>/{model.onnx, in.npz, ort_out.npz, case.json, in_k.bin, out_k.bin} and
OUT_DIR/index.json exactly as op_cases.py does (it reuses op_cases.write_case/finish_case).
op_cases.py can also take these cases into its own table: call add_cases(case, chain) with its
case() and chain() functions, and patch_attr_json(op_cases) for the two extra attribute kinds.

case.json attributes use op_cases.py's encoding plus two kinds these ops need:
  {"type": "tensor", "value": {"dtype": "f32", "dims": [..], "values": [..]}}
  {"type": "graph",  "value": {"name": .., "inputs": [{"name", "dtype", "dims"}],
                               "nodes": [<node as in case.json>], "outputs": [names],
                               "output_info": [{"name", "dtype", "dims"}]}}
(tests/unit/reference/part_b_test.cpp reads them; run it with KILN_OP_CASES_B_DIR=OUT_DIR).

Models are written at opset 17 (python onnx 1.12's newest) unless the variant needs a newer
form (ScatterND/ScatterElements max/min, Split num_outputs, Pad axes, Resize antialias/axes/
keep_aspect_ratio_policy at 18; half_pixel_symmetric and f16 quantization at 19; blocked,
16-bit and output_dtype quantization at 21). For
every op here the opset-17 form equals kiln's canonical form, so case.json needs no upgrade.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

rng = np.random.default_rng(20240612)
case = chain = None  # op_cases.case / op_cases.chain, bound by add_cases()


# ---- input makers --------------------------------------------------------------------------------

def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def ints(dtype, lo, hi, *shape):
    return rng.integers(lo, hi, shape).astype(dtype)


def bools(*shape):
    return rng.random(shape) < 0.5


def i64(*values):
    return np.array(values, dtype=np.int64)


def arange(*shape, dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


TYPED = {
    'f32': lambda *s: f32(*s), 'f64': lambda *s: f32(*s).astype(np.float64),
    'f16': lambda *s: f32(*s).astype(np.float16), 'i64': lambda *s: ints(np.int64, -100, 100, *s),
    'i32': lambda *s: ints(np.int32, -100, 100, *s), 'i8': lambda *s: ints(np.int8, -100, 100, *s),
    'u8': lambda *s: ints(np.uint8, 0, 255, *s), 'bool': lambda *s: bools(*s),
    'u16': lambda *s: ints(np.uint16, 0, 1000, *s), 'i16': lambda *s: ints(np.int16, -1000, 1000, *s),
    'u32': lambda *s: ints(np.uint32, 0, 1000, *s), 'u64': lambda *s: ints(np.uint64, 0, 1000, *s),
}


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


# ---- shape ----------------------------------------------------------------------------------------

def shape_cases():
    x = f32(2, 3, 4)
    for tag, shape in [('0_m1', [0, -1]), ('m1', [-1]), ('4_0_m1', [4, 0, -1]), ('3_8', [3, 8]), ('0_0_2_2', [0, 0, 2, 2]),
                       ('1_m1_1', [1, -1, 1])]:
        case(f'Reshape_{tag}', 'Reshape', [x, i64(*shape)])
    case('Reshape_allowzero', 'Reshape', [f32(0, 3), i64(3, 0)], dict(allowzero=1))
    case('Reshape_to_scalar', 'Reshape', [f32(1, 1), np.zeros(0, np.int64)])
    for t in ['i64', 'bool', 'f16', 'u8', 'f64']:
        case(f'Reshape_{t}', 'Reshape', [TYPED[t](2, 6), i64(3, -1)])

    for axis in [0, 1, 2, 3, -1, -3]:
        case(f'Flatten_ax{axis}'.replace('-', 'm'), 'Flatten', [f32(2, 3, 4)], dict(axis=axis))

    y = f32(2, 3, 4, 5)
    case('Transpose_default', 'Transpose', [y])
    for perm in [[1, 0, 2, 3], [0, 2, 3, 1], [3, 1, 0, 2], [0, 1, 2, 3]]:
        case('Transpose_' + ''.join(map(str, perm)), 'Transpose', [y], dict(perm=perm))
    for t in ['f64', 'i8', 'bool', 'i64', 'f16', 'u16']:
        case(f'Transpose_{t}', 'Transpose', [TYPED[t](3, 4, 2)], dict(perm=[2, 0, 1]))

    z = f32(3, 1, 4, 1)
    case('Squeeze_all', 'Squeeze', [z])
    case('Squeeze_ax1', 'Squeeze', [z, i64(1)])
    case('Squeeze_axm1_1', 'Squeeze', [z, i64(-1, 1)])
    case('Unsqueeze_ax0', 'Unsqueeze', [f32(3, 4), i64(0)])
    case('Unsqueeze_axm1', 'Unsqueeze', [f32(3, 4), i64(-1)])
    case('Unsqueeze_ax1_3', 'Unsqueeze', [f32(3, 4), i64(3, 1)])
    case('Unsqueeze_scalar', 'Unsqueeze', [np.array(2.5, np.float32), i64(0, 1)])

    for axis in [0, 1, -1]:
        shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
        shapes[1][axis] = 1
        shapes[2][axis] = 0
        case(f'Concat_ax{axis}'.replace('-', 'm'), 'Concat', [f32(*s) for s in shapes], dict(axis=axis))
    case('Concat_one', 'Concat', [f32(2, 3)], dict(axis=0))
    case('Concat_i64', 'Concat', [TYPED['i64'](2), TYPED['i64'](3)], dict(axis=0))
    case('Concat_bool', 'Concat', [bools(2, 2), bools(2, 1)], dict(axis=1))

    s = f32(5, 6)
    case('Split_input', 'Split', [s, i64(2, 3)], n_out=2)
    case('Split_equal', 'Split', [f32(6, 4)], n_out=3)
    case('Split_axis1', 'Split', [s, i64(1, 2, 3)], dict(axis=1), n_out=3)
    case('Split_axism1_equal', 'Split', [s], dict(axis=-1), n_out=2)
    case('Split_zero_part', 'Split', [s, i64(0, 5)], n_out=2)
    case('Split_num_outputs_uneven', 'Split', [f32(7, 2)], dict(num_outputs=3), n_out=3, opset=18)
    case('Split_num_outputs_even', 'Split', [f32(2, 6)], dict(num_outputs=2, axis=1), n_out=2, opset=18)

    sx = arange(5, 6, 7)
    big, small = 2**63 - 1, -2**63
    slices = {
        'basic': [i64(1, 2), i64(4, 5), i64(0, 1)],
        'neg_step': [i64(-1), i64(small), i64(2), i64(-1)],
        'neg_step2': [i64(4, 5), i64(0, 1), i64(1, 2), i64(-2, -3)],
        'clamp': [i64(-100, 2), i64(100, big), i64(0, 2)],
        'steps': [i64(0, 1, 0), i64(5, 6, 7), None, i64(2, 3, 4)],
        'axes_neg': [i64(1), i64(-1), i64(-1)],
        'no_axes': [i64(1, 1), i64(3, 4)],
        'empty': [i64(3), i64(1), i64(0)],
        'empty_neg': [i64(1), i64(3), i64(0), i64(-1)],
        'rev_all': [i64(-1, -1, -1), i64(small, small, small), i64(0, 1, 2), i64(-1, -1, -1)],
        'neg_start_end': [i64(-4, -6), i64(-1, -2), i64(0, 2), i64(1, 2)],
    }
    for tag, ins in slices.items():
        case(f'Slice_{tag}', 'Slice', [sx] + ins)
    case('Slice_int32_indices', 'Slice', [sx, np.array([3], np.int32), np.array([0], np.int32), np.array([1], np.int32),
                                          np.array([-2], np.int32)])
    for t in ['i64', 'bool', 'f16']:
        case(f'Slice_{t}', 'Slice', [TYPED[t](4, 5), i64(3, 0), i64(0, 5), i64(0, 1), i64(-1, 2)])

    case('Expand_bcast', 'Expand', [f32(3, 1), i64(2, 3, 4)])
    case('Expand_smaller_shape', 'Expand', [f32(3, 4), i64(1, 1)])
    case('Expand_ones', 'Expand', [f32(1, 4), i64(3, 1)])
    case('Expand_scalar', 'Expand', [np.array(1.5, np.float32), i64(2, 2)])
    case('Expand_i64', 'Expand', [TYPED['i64'](2, 1, 3), i64(2, 4, 1)])
    case('Tile_basic', 'Tile', [f32(2, 3), i64(2, 3)])
    case('Tile_3d', 'Tile', [f32(2, 1, 3), i64(1, 4, 2)])
    case('Tile_zero', 'Tile', [f32(2, 3), i64(0, 1)])
    case('Tile_bool', 'Tile', [bools(2, 2), i64(2, 1)])
    case('Tile_i32', 'Tile', [TYPED['i32'](3), i64(3)])

    p2 = f32(3, 4)
    p4 = f32(1, 2, 4, 5)
    for mode in ['constant', 'reflect', 'edge', 'wrap']:
        case(f'Pad_{mode}_2d', 'Pad', [p2, i64(1, 2, 2, 1)], dict(mode=mode))
        case(f'Pad_{mode}_4d', 'Pad', [p4, i64(0, 0, 2, 3, 0, 0, 1, 2)], dict(mode=mode))
        case(f'Pad_{mode}_1d', 'Pad', [f32(5), i64(3, 2)], dict(mode=mode))
        case(f'Pad_{mode}_axes', 'Pad', [p4, i64(1, 2, 2, 1), None, i64(-1, 2)], dict(mode=mode), opset=18)
    case('Pad_constant_value', 'Pad', [p2, i64(1, 1, 1, 1), np.array(2.5, np.float32)])
    case('Pad_constant_negative', 'Pad', [p4, i64(0, 0, -1, 2, 0, 0, 1, -2)])
    case('Pad_constant_i64', 'Pad', [TYPED['i64'](3, 3), i64(1, 0, 0, 2), np.array(7, np.int64)])
    case('Pad_edge_i32', 'Pad', [TYPED['i32'](3, 3), i64(2, 1, 1, 2)], dict(mode='edge'))
    case('Pad_reflect_f64', 'Pad', [TYPED['f64'](4, 4), i64(1, 2, 3, 1)], dict(mode='reflect'))
    case('Pad_constant_bool', 'Pad', [bools(2, 3), i64(1, 1, 0, 0)])
    for mode in ['reflect', 'edge', 'wrap']:
        case(f'Pad_{mode}_negative', 'Pad', [p4, i64(0, 0, -1, 2, 0, 0, 1, -2)], dict(mode=mode))
    # Wrap and reflect pads wider than the axis: ONNX Runtime refuses reflect and returns garbage
    # for wrap, so only part_b_test.cpp checks them (numpy semantics).

    d = f32(2, 8, 3, 4)
    for mode in ['DCR', 'CRD']:
        case(f'DepthToSpace_{mode}', 'DepthToSpace', [d], dict(blocksize=2, mode=mode))
        case(f'DepthToSpace_{mode}_b3', 'DepthToSpace', [f32(1, 18, 2, 3)], dict(blocksize=3, mode=mode))
    case('DepthToSpace_default', 'DepthToSpace', [d], dict(blocksize=2))
    case('SpaceToDepth_b2', 'SpaceToDepth', [f32(2, 3, 4, 6)], dict(blocksize=2))
    case('SpaceToDepth_b3', 'SpaceToDepth', [f32(1, 2, 6, 3)], dict(blocksize=3))

    q = f32(2, 3, 4, 5)
    case('Shape', 'Shape', [q])
    for tag, attrs in [('start1', dict(start=1)), ('end_m1', dict(end=-1)), ('s1_e3', dict(start=1, end=3)),
                       ('sm2', dict(start=-2)), ('clamp', dict(start=-10, end=10)), ('empty', dict(start=3, end=1))]:
        case(f'Shape_{tag}', 'Shape', [q], attrs)
    case('Shape_scalar', 'Shape', [np.array(1.0, np.float32)])
    case('Size', 'Size', [q])
    case('Size_empty', 'Size', [f32(3, 0)])


# ---- gather / scatter -----------------------------------------------------------------------------

def gather_scatter_cases():
    x = f32(4, 5, 6)
    case('Gather_ax0', 'Gather', [x, i64(0, 3, -1, 2)])
    case('Gather_ax1_2d_idx', 'Gather', [x, ints(np.int64, -5, 5, 2, 3)], dict(axis=1))
    case('Gather_axm1', 'Gather', [x, i64(-6, 5, 0)], dict(axis=-1))
    case('Gather_scalar_idx', 'Gather', [x, np.array(-2, np.int64)], dict(axis=1))
    case('Gather_int32_idx', 'Gather', [x, ints(np.int32, -4, 4, 3)])
    case('Gather_empty_idx', 'Gather', [x, np.zeros(0, np.int64)], dict(axis=2))
    for t in ['i64', 'bool', 'f16', 'u8']:
        case(f'Gather_{t}', 'Gather', [TYPED[t](5, 3), i64(4, -5, 1)])

    for axis in [0, 1, -1]:
        case(f'GatherElements_ax{axis}'.replace('-', 'm'), 'GatherElements', [x, ints(np.int64, -4, 4, 3, 5, 2)],
             dict(axis=axis))
    case('GatherElements_i32', 'GatherElements', [TYPED['i32'](3, 3), ints(np.int32, -3, 3, 2, 3)], dict(axis=1))

    case('GatherND_full', 'GatherND', [x, ints(np.int64, -4, 4, 5, 3)])
    case('GatherND_partial', 'GatherND', [x, ints(np.int64, -4, 4, 2, 3, 1)])
    case('GatherND_k2', 'GatherND', [x, i64(0, 1, 3, -1, -4, 2).reshape(3, 2)])
    case('GatherND_batch1', 'GatherND', [x, ints(np.int64, -5, 5, 4, 2, 1)], dict(batch_dims=1))
    case('GatherND_batch1_k2', 'GatherND', [x, ints(np.int64, 0, 5, 4, 2)], dict(batch_dims=1))
    case('GatherND_batch2', 'GatherND', [f32(2, 3, 4, 5), ints(np.int64, 0, 4, 2, 3, 2, 1)], dict(batch_dims=2))

    data = f32(4, 5)
    perm_rows = np.stack([rng.permutation(4) for _ in range(5)], axis=1)  # unique per column
    case('ScatterElements_none', 'ScatterElements', [data, perm_rows[:3], f32(3, 5)])
    case('ScatterElements_neg_idx', 'ScatterElements', [data, perm_rows[:2] - 4, f32(2, 5)])
    perm_cols = np.stack([rng.permutation(5) for _ in range(4)])
    case('ScatterElements_ax1', 'ScatterElements', [data, perm_cols[:, :3], f32(4, 3)], dict(axis=1))
    dup = ints(np.int64, 0, 4, 6, 5)
    case('ScatterElements_add', 'ScatterElements', [data, dup, f32(6, 5)], dict(reduction='add'), opset=16)
    case('ScatterElements_mul', 'ScatterElements', [data, dup, f32(6, 5)], dict(reduction='mul'), opset=16)
    case('ScatterElements_max', 'ScatterElements', [data, dup, f32(6, 5)], dict(reduction='max'), opset=18)
    case('ScatterElements_min', 'ScatterElements', [data, dup, f32(6, 5)], dict(reduction='min'), opset=18)
    case('ScatterElements_i64', 'ScatterElements', [TYPED['i64'](4, 5), perm_rows[:2], TYPED['i64'](2, 5)])

    nd = f32(4, 3, 2)
    case('ScatterND_none_rows', 'ScatterND', [nd, i64(2, 0).reshape(2, 1), f32(2, 3, 2)])
    case('ScatterND_none_elems', 'ScatterND', [nd, i64(0, 1, 1, 3, 2, 0).reshape(2, 3), f32(2)])
    case('ScatterND_neg', 'ScatterND', [nd, i64(-1, -3).reshape(2, 1, 1), f32(2, 1, 3, 2)])
    dup_idx = i64(1, 3, 1, 0, 3).reshape(5, 1)
    for red, opset in [('add', 16), ('mul', 16), ('max', 18), ('min', 18)]:
        case(f'ScatterND_{red}', 'ScatterND', [nd, dup_idx, f32(5, 3, 2)], dict(reduction=red), opset=opset)
    case('ScatterND_i32', 'ScatterND', [TYPED['i32'](4, 3), i64(3, 1).reshape(2, 1), TYPED['i32'](2, 3)])

    nz = f32(3, 4)
    nz[nz < 0.3] = 0
    case('NonZero_f32', 'NonZero', [nz])
    case('NonZero_bool', 'NonZero', [bools(2, 3, 4)])
    case('NonZero_i32', 'NonZero', [ints(np.int32, -1, 2, 5)])
    case('NonZero_all_zero', 'NonZero', [np.zeros((2, 2), np.float32)])

    idx = i64(0, 3, -1, 5, -7, 2).reshape(2, 3)
    vals = np.array([0.5, 2.0], np.float32)
    for axis in [-1, 0, 1]:
        case(f'OneHot_ax{axis}'.replace('-', 'm'), 'OneHot', [idx, np.array(5, np.int64), vals], dict(axis=axis))
    case('OneHot_i64_values', 'OneHot', [i64(0, 2, 1), np.array(3, np.int64), i64(0, 7)])
    case('OneHot_i32_indices', 'OneHot', [np.array([[1, -1]], np.int32), np.array(3, np.int32), vals], dict(axis=1))

    t = f32(2, 4, 5)
    for upper in [0, 1]:
        case(f'Trilu_u{upper}', 'Trilu', [t], dict(upper=upper))
        for k in [-1, 0, 2, 9, -9]:
            case(f'Trilu_u{upper}_k{k}'.replace('-', 'm'), 'Trilu', [t, np.array(k, np.int64)], dict(upper=upper))
    case('Trilu_i64', 'Trilu', [TYPED['i64'](5, 3), np.array(1, np.int64)], dict(upper=0))
    case('Trilu_bool', 'Trilu', [bools(4, 4)])


# ---- generation -----------------------------------------------------------------------------------

def generation_cases():
    case('ConstantOfShape_default', 'ConstantOfShape', [i64(2, 3)])
    case('ConstantOfShape_f32', 'ConstantOfShape', [i64(3, 1, 2)],
         dict(value=numpy_helper.from_array(np.array([1.25], np.float32))))
    case('ConstantOfShape_i64', 'ConstantOfShape', [i64(4)], dict(value=numpy_helper.from_array(np.array([-7], np.int64))))
    case('ConstantOfShape_bool', 'ConstantOfShape', [i64(2, 2)], dict(value=numpy_helper.from_array(np.array([True]))))
    case('ConstantOfShape_i32_empty', 'ConstantOfShape', [i64(0, 3)],
         dict(value=numpy_helper.from_array(np.array([5], np.int32))))
    case('ConstantOfShape_scalar', 'ConstantOfShape', [np.zeros(0, np.int64)],
         dict(value=numpy_helper.from_array(np.array([3.0], np.float64))))

    for tag, (s, l, d, dt) in {'f32': (0.5, 4.2, 0.7, np.float32), 'f32_neg': (3.0, -2.0, -0.75, np.float32),
                               'f32_empty': (1.0, 0.0, 1.0, np.float32), 'f64': (-1.0, 1.0, 0.3, np.float64),
                               'i64': (-5, 11, 3, np.int64), 'i64_neg': (10, -3, -4, np.int64), 'i32': (2, 9, 2, np.int32),
                               'i16': (0, 5, 1, np.int16), 'i32_empty': (5, 5, 1, np.int32)}.items():
        case(f'Range_{tag}', 'Range', [np.array(s, dt), np.array(l, dt), np.array(d, dt)])

    for k in [0, 1, -2, 7]:
        case(f'EyeLike_k{k}'.replace('-', 'm'), 'EyeLike', [f32(4, 5)], dict(k=k))
    case('EyeLike_dtype_i64', 'EyeLike', [f32(3, 3)], dict(dtype=TensorProto.INT64))
    case('EyeLike_i32', 'EyeLike', [TYPED['i32'](2, 4)], dict(k=1))


# ---- resize ---------------------------------------------------------------------------------------

def resize_cases():
    x = f32(1, 2, 4, 5)
    up = np.array([1, 1, 2, 1.5], np.float32)
    down = np.array([1, 1, 0.6, 0.5], np.float32)
    odd = np.array([1, 1, 1.7, 2.3], np.float32)
    transforms = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric']
    for mode in ['nearest', 'linear', 'cubic']:
        for t in transforms:
            for tag, scales in [('up', up), ('down', down), ('odd', odd)]:
                case(f'Resize_{mode}_{t}_{tag}', 'Resize', [x, None, scales],
                     dict(mode=mode, coordinate_transformation_mode=t), tol=1e-4)
        case(f'Resize_{mode}_half_pixel_symmetric', 'Resize', [x, None, odd],
             dict(mode=mode, coordinate_transformation_mode='half_pixel_symmetric'), tol=1e-4, opset=19)
        case(f'Resize_{mode}_sizes', 'Resize', [x, None, None, i64(1, 2, 7, 3)], dict(mode=mode), tol=1e-4)
    for nm in ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']:
        for t in ['half_pixel', 'asymmetric', 'align_corners']:
            for tag, scales in [('up', np.array([1, 1, 2, 2.5], np.float32)), ('down', down)]:
                case(f'Resize_nearest_{nm}_{t}_{tag}', 'Resize', [x, None, scales],
                     dict(mode='nearest', nearest_mode=nm, coordinate_transformation_mode=t))
    for a in [-0.5, -0.75]:
        for exclude in [0, 1]:
            for tag, scales in [('up', up), ('down', down)]:
                case(f'Resize_cubic_a{abs(a)}_ex{exclude}_{tag}', 'Resize', [x, None, scales],
                     dict(mode='cubic', cubic_coeff_a=a, exclude_outside=exclude), tol=1e-4)
    roi = np.array([0, 0, 0.2, 0.1, 1, 1, 0.9, 1.1], np.float32)
    case('Resize_nearest_tf_crop_scales', 'Resize', [x, roi, np.array([1, 1, 1.5, 0.8], np.float32)],
         dict(mode='nearest', coordinate_transformation_mode='tf_crop_and_resize'))
    case('Resize_linear_tf_crop_scales', 'Resize', [x, roi, np.array([1, 1, 1.5, 0.8], np.float32)],
         dict(mode='linear', coordinate_transformation_mode='tf_crop_and_resize'), tol=1e-4)
    for mode in ['nearest', 'linear', 'cubic']:
        case(f'Resize_{mode}_tf_crop', 'Resize', [x, roi, None, i64(1, 2, 5, 6)],
             dict(mode=mode, coordinate_transformation_mode='tf_crop_and_resize', extrapolation_value=-3.5), tol=1e-4)
    for policy in ['not_larger', 'not_smaller']:
        case(f'Resize_nearest_{policy}', 'Resize', [x, None, None, i64(1, 2, 9, 6)],
             dict(mode='nearest', keep_aspect_ratio_policy=policy), opset=18)
        case(f'Resize_axes_{policy}', 'Resize', [x, None, None, i64(3, 8)],
             dict(mode='linear', axes=[2, 3], keep_aspect_ratio_policy=policy), tol=1e-4, opset=18)
    case('Resize_axes_scales', 'Resize', [x, None, np.array([2.5, 0.5], np.float32)],
         dict(mode='linear', axes=[3, 2]), tol=1e-4, opset=18)
    for mode in ['linear', 'cubic']:
        for tag, scales in [('down', np.array([1, 1, 0.5, 0.4], np.float32)), ('up', up)]:
            for exclude in [0, 1]:
                case(f'Resize_{mode}_antialias_{tag}_ex{exclude}', 'Resize', [f32(1, 2, 8, 10), None, scales],
                     dict(mode=mode, antialias=1, exclude_outside=exclude), tol=1e-4, opset=18)
    case('Resize_linear_antialias_align_corners', 'Resize', [f32(1, 2, 8, 10), None, np.array([1, 1, 0.5, 0.3], np.float32)],
         dict(mode='linear', antialias=1, coordinate_transformation_mode='align_corners'), tol=1e-4, opset=18)
    case('Resize_cubic_antialias_sizes', 'Resize', [f32(1, 2, 9, 7), None, None, i64(1, 2, 4, 3)],
         dict(mode='cubic', antialias=1), tol=1e-4, opset=18)
    case('Resize_nearest_u8', 'Resize', [TYPED['u8'](1, 1, 3, 4), None, up], dict(mode='nearest'))
    case('Resize_nearest_i32', 'Resize', [TYPED['i32'](1, 1, 3, 4), None, up], dict(mode='nearest'))
    case('Resize_linear_u8', 'Resize', [TYPED['u8'](1, 1, 3, 4), None, up], dict(mode='linear'))
    case('Resize_linear_i32', 'Resize', [TYPED['i32'](1, 1, 3, 4), None, odd], dict(mode='linear'))
    case('Resize_linear_3d', 'Resize', [f32(2, 3, 4), None, np.array([1, 2, 0.5], np.float32)],
         dict(mode='linear'), tol=1e-4)
    case('Resize_nearest_5d', 'Resize', [f32(1, 1, 2, 3, 4), None, np.array([1, 1, 2, 1.5, 0.5], np.float32)],
         dict(mode='nearest'))
    case('Resize_linear_5d', 'Resize', [f32(1, 2, 2, 3, 4), None, np.array([1, 1, 2, 1.5, 0.5], np.float32)],
         dict(mode='linear'), tol=1e-4)


# ---- recurrent ------------------------------------------------------------------------------------

def rnn_cases():
    seq, batch, inp, hid = 4, 3, 5, 6
    gates = {'LSTM': 4, 'GRU': 3, 'RNN': 1}
    lens = np.array([4, 2, 3], np.int32)
    for op, g in gates.items():
        outs = 3 if op == 'LSTM' else 2
        for direction in ['forward', 'reverse', 'bidirectional']:
            dirs = 2 if direction == 'bidirectional' else 1
            w = f32(dirs, g * hid, inp) * 0.5
            r = f32(dirs, g * hid, hid) * 0.5
            b = f32(dirs, 2 * g * hid) * 0.5
            h0 = f32(dirs, batch, hid)
            c0 = f32(dirs, batch, hid)
            p = f32(dirs, 3 * hid) * 0.5
            x = f32(seq, batch, inp)
            base = dict(hidden_size=hid, direction=direction)
            case(f'{op}_{direction}_plain', op, [x, w, r], base, n_out=outs, tol=1e-5)
            full = [x, w, r, b, lens, h0] + ([c0, p] if op == 'LSTM' else [])
            case(f'{op}_{direction}_full', op, full, base, n_out=outs, tol=1e-5)
            # layout=1 is not in ONNX Runtime's CPU kernels: part_b_test.cpp checks it against
            # layout 0 (checked here) on transposed data.
            case(f'{op}_{direction}_clip', op, [x * 3, w, r, b], dict(base, clip=0.7), n_out=outs, tol=1e-5)
        case(f'{op}_y_only', op, [f32(seq, batch, inp), f32(1, g * hid, inp), f32(1, g * hid, hid)],
             dict(hidden_size=hid), n_out=1, tol=1e-5)
        case(f'{op}_yh_only', op, [f32(seq, batch, inp), f32(1, g * hid, inp), f32(1, g * hid, hid)],
             dict(hidden_size=hid), outputs=['', 'y1'], tol=1e-5)
    w, r = f32(1, 3 * hid, inp) * 0.5, f32(1, 3 * hid, hid) * 0.5
    for lbr in [0, 1]:
        case(f'GRU_lbr{lbr}_bias', 'GRU', [f32(seq, batch, inp), w, r, f32(1, 6 * hid), lens, f32(1, batch, hid)],
             dict(hidden_size=hid, linear_before_reset=lbr), n_out=2, tol=1e-5)
        case(f'GRU_lbr{lbr}_bidir', 'GRU', [f32(seq, batch, inp), f32(2, 3 * hid, inp), f32(2, 3 * hid, hid), f32(2, 6 * hid)],
             dict(hidden_size=hid, linear_before_reset=lbr, direction='bidirectional'), n_out=2, tol=1e-5)
    case('RNN_relu', 'RNN', [f32(seq, batch, inp), f32(1, hid, inp) * 0.3, f32(1, hid, hid) * 0.3],
         dict(hidden_size=hid, activations=['Relu']), n_out=2, tol=1e-5)
    case('RNN_bidir_acts', 'RNN', [f32(seq, batch, inp), f32(2, hid, inp), f32(2, hid, hid)],
         dict(hidden_size=hid, direction='bidirectional', activations=['Sigmoid', 'LeakyRelu'], activation_alpha=[0.2]),
         n_out=2, tol=1e-5)
    case('GRU_acts', 'GRU', [f32(seq, batch, inp), w, r],
         dict(hidden_size=hid, activations=['HardSigmoid', 'Softsign'], activation_alpha=[0.3], activation_beta=[0.4]),
         n_out=2, tol=1e-5)
    case('LSTM_acts', 'LSTM', [f32(seq, batch, inp), f32(1, 4 * hid, inp), f32(1, 4 * hid, hid)],
         dict(hidden_size=hid, activations=['Sigmoid', 'Tanh', 'Softsign']), n_out=3, tol=1e-5)
    case('LSTM_input_forget', 'LSTM', [f32(seq, batch, inp), f32(1, 4 * hid, inp), f32(1, 4 * hid, hid), f32(1, 8 * hid)],
         dict(hidden_size=hid, input_forget=1), n_out=3, tol=1e-5)


# ---- control flow ---------------------------------------------------------------------------------

def control_flow_cases():
    F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL

    def one(name, op, inputs, attrs, arrays, outputs=('y0',)):
        """A control-flow node whose subgraphs read graph inputs that the node does not take."""
        chain(name, [dict(op=op, inputs=inputs, outputs=list(outputs), attrs=attrs)], arrays,
              [o for o in outputs if o])

    # If: both branches read outer values (a, b) directly.
    then_g = helper.make_graph([helper.make_node('Add', ['a', 'b'], ['t'])], 'then', [], [vi('t', F, [2, 3])])
    else_g = helper.make_graph([helper.make_node('Mul', ['a', 'b'], ['e'])], 'else', [], [vi('e', F, [2, 3])])
    for flag in [True, False]:
        one(f'If_{str(flag).lower()}', 'If', ['c'], dict(then_branch=then_g, else_branch=else_g),
            {'c': np.array(flag), 'a': f32(2, 3), 'b': f32(2, 3)})
    # An If nested in a branch.
    inner = helper.make_node('If', ['c2'], ['n'], then_branch=then_g, else_branch=else_g)
    outer_then = helper.make_graph([inner], 'outer_then', [], [vi('n', F, [2, 3])])
    outer_else = helper.make_graph([helper.make_node('Sub', ['a', 'b'], ['s'])], 'outer_else', [], [vi('s', F, [2, 3])])
    one('If_nested', 'If', ['c'], dict(then_branch=outer_then, else_branch=outer_else),
        {'c': np.array(True), 'c2': np.array(False), 'a': f32(2, 3), 'b': f32(2, 3)})

    # Loop: acc += step * i each trip (step captured); scan output is acc; stops at M or once
    # sum(acc) reaches the captured limit.
    body = helper.make_graph(
        [helper.make_node('Cast', ['i'], ['fi'], to=F),
         helper.make_node('Mul', ['step', 'fi'], ['inc']),
         helper.make_node('Add', ['acc', 'inc'], ['acc_out']),
         helper.make_node('ReduceSum', ['acc_out'], ['total'], keepdims=0),
         helper.make_node('Less', ['total', 'limit'], ['cond_out']),
         helper.make_node('Identity', ['acc_out'], ['scan'])],
        'body', [vi('i', I64, []), vi('cond', B, []), vi('acc', F, [3])],
        [vi('cond_out', B, []), vi('acc_out', F, [3]), vi('scan', F, [3])])
    step = np.abs(f32(3)) + 0.5

    def loop_arrays(m, cond, limit, acc0=None):
        arrays = {'step': step, 'limit': np.array(limit, np.float32),
                  'acc0': np.zeros(3, np.float32) if acc0 is None else acc0}
        if m is not None:
            arrays['m'] = np.array(m, np.int64)
        if cond is not None:
            arrays['cond0'] = np.array(cond)
        return arrays
    one('Loop_max_trip', 'Loop', ['m', '', 'acc0'], dict(body=body), loop_arrays(5, None, 1e9), ['y0', 'y1'])
    one('Loop_cond_stop', 'Loop', ['m', 'cond0', 'acc0'], dict(body=body), loop_arrays(100, True, 20.0), ['y0', 'y1'])
    one('Loop_no_max_trip', 'Loop', ['', 'cond0', 'acc0'], dict(body=body), loop_arrays(None, True, 30.0), ['y0', 'y1'])
    one('Loop_cond_false', 'Loop', ['m', 'cond0', 'acc0'], dict(body=body),
        loop_arrays(5, False, 1e9, np.ones(3, np.float32)), ['y0', 'y1'])
    one('Loop_zero_trips', 'Loop', ['m', '', 'acc0'], dict(body=body), loop_arrays(0, None, 1e9, np.ones(3, np.float32)),
        ['y0', 'y1'])

    # A Loop carrying a sequence: appends row i of a captured matrix each trip; stacked after.
    seq_body = helper.make_graph(
        [helper.make_node('Gather', ['rows', 'i'], ['row']), helper.make_node('SequenceInsert', ['s', 'row'], ['s_out']),
         helper.make_node('Identity', ['cond'], ['cond_out'])],
        'seq_body', [vi('i', I64, []), vi('cond', B, []), helper.make_tensor_sequence_value_info('s', F, None)],
        [vi('cond_out', B, []), helper.make_tensor_sequence_value_info('s_out', F, None)])
    chain('Loop_sequence_carried',
          [dict(op='SequenceEmpty', inputs=[], outputs=['empty'], attrs=dict(dtype=F)),
           dict(op='Loop', inputs=['m', '', 'empty'], outputs=['seq'], attrs=dict(body=seq_body)),
           dict(op='ConcatFromSequence', inputs=['seq'], outputs=['y0'], attrs=dict(axis=0, new_axis=1))],
          {'m': np.array(3, np.int64), 'rows': f32(4, 2)}, ['y0'])

    # Scan: running sum over rows (state) and row * captured scale + second input (scan output).
    scan_body = helper.make_graph(
        [helper.make_node('Add', ['s', 'row'], ['s_out']), helper.make_node('Mul', ['row', 'scale'], ['prod']),
         helper.make_node('Add', ['prod', 'col'], ['emit'])],
        'scan_body', [vi('s', F, [4]), vi('row', F, [4]), vi('col', F, [4])],
        [vi('s_out', F, [4]), vi('emit', F, [4])])
    for tag, attrs, a, b in [
        ('fwd', {}, f32(3, 4), f32(3, 4)),
        ('rev_in', dict(scan_input_directions=[1, 0]), f32(3, 4), f32(3, 4)),
        ('rev_out', dict(scan_output_directions=[1]), f32(3, 4), f32(3, 4)),
        ('axes', dict(scan_input_axes=[1, 0], scan_output_axes=[1]), f32(4, 3), f32(3, 4)),
        ('neg_axes', dict(scan_input_axes=[-1, 0], scan_output_axes=[-1], scan_input_directions=[0, 1]), f32(4, 3),
         f32(3, 4)),
    ]:
        one(f'Scan_{tag}', 'Scan', ['s0', 'a', 'b'], dict(body=scan_body, num_scan_inputs=2, **attrs),
            {'s0': np.zeros(4, np.float32), 'a': a, 'b': b, 'scale': f32(4)}, ['y0', 'y1'])


# ---- quantization ---------------------------------------------------------------------------------

def quantize_cases():
    x = f32(2, 3, 4) * 40
    # exact .5 ties: round half to even
    ties = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 126.5, 127.5, 300, -300], np.float32)
    case('QuantizeLinear_u8', 'QuantizeLinear', [x, np.array(0.5, np.float32), np.array(128, np.uint8)])
    case('QuantizeLinear_i8', 'QuantizeLinear', [x, np.array(0.7, np.float32), np.array(-3, np.int8)])
    case('QuantizeLinear_no_zp', 'QuantizeLinear', [x, np.array(0.3, np.float32)])
    case('QuantizeLinear_ties_i8', 'QuantizeLinear', [ties, np.array(1.0, np.float32), np.array(0, np.int8)])
    case('QuantizeLinear_ties_u8', 'QuantizeLinear', [ties, np.array(1.0, np.float32), np.array(1, np.uint8)])
    for axis in [0, 1, -1]:
        n = x.shape[axis]
        case(f'QuantizeLinear_axis{axis}'.replace('-', 'm'), 'QuantizeLinear',
             [x, np.abs(f32(n)) + 0.2, ints(np.uint8, 0, 255, n)], dict(axis=axis))
        case(f'QuantizeLinear_axis{axis}_i8'.replace('-', 'm'), 'QuantizeLinear',
             [x, np.abs(f32(n)) + 0.2, ints(np.int8, -20, 20, n)], dict(axis=axis))
    q8 = ints(np.uint8, 0, 255, 2, 3, 4)
    case('DequantizeLinear_u8', 'DequantizeLinear', [q8, np.array(0.05, np.float32), np.array(100, np.uint8)])
    case('DequantizeLinear_i8', 'DequantizeLinear', [ints(np.int8, -128, 127, 2, 3, 4), np.array(0.1, np.float32),
                                                     np.array(-5, np.int8)])
    case('DequantizeLinear_no_zp', 'DequantizeLinear', [q8, np.array(0.25, np.float32)])
    case('DequantizeLinear_i32', 'DequantizeLinear', [ints(np.int32, -100000, 100000, 7), np.array(0.001, np.float32)])
    for axis in [0, 1, -1]:
        n = q8.shape[axis]
        case(f'DequantizeLinear_axis{axis}'.replace('-', 'm'), 'DequantizeLinear',
             [q8, np.abs(f32(n)) + 0.01, ints(np.uint8, 0, 255, n)], dict(axis=axis))
    case('QDQ_roundtrip', 'QuantizeLinear', [x, np.array(0.5, np.float32), np.array(128, np.uint8)])
    chain('QDQ_chain',
          [dict(op='QuantizeLinear', inputs=['x0', 'x1', 'x2'], outputs=['q'], attrs=dict(axis=1)),
           dict(op='DequantizeLinear', inputs=['q', 'x1', 'x2'], outputs=['y0'], attrs=dict(axis=1))],
          {'x0': x, 'x1': np.abs(f32(3)) + 0.1, 'x2': ints(np.int8, -10, 10, 3)}, ['y0'])
    case('QuantizeLinear_f16', 'QuantizeLinear', [x.astype(np.float16), np.array(0.5, np.float16), np.array(3, np.int8)],
         opset=19)
    case('DequantizeLinear_f16_scale', 'DequantizeLinear', [q8, np.array(0.05, np.float16), np.array(100, np.uint8)],
         opset=19)
    case('QuantizeLinear_i16', 'QuantizeLinear', [x * 100, np.array(0.3, np.float32), np.array(-7, np.int16)], opset=21)
    case('QuantizeLinear_u16_axis', 'QuantizeLinear', [np.abs(x) * 100, np.abs(f32(3)) + 0.2, ints(np.uint16, 0, 999, 3)],
         dict(axis=1), opset=21)
    case('DequantizeLinear_i16', 'DequantizeLinear', [ints(np.int16, -30000, 30000, 7), np.array(0.01, np.float32),
                                                      np.array(12, np.int16)], opset=21)
    case('QuantizeLinear_output_dtype', 'QuantizeLinear', [x, np.array(0.5, np.float32)], dict(output_dtype=3), opset=21)
    # Blocked quantization (opset 21): 2-element blocks along axis 1.
    case('DequantizeLinear_blocked', 'DequantizeLinear',
         [ints(np.int8, -128, 127, 3, 4), np.abs(f32(3, 2)) + 0.1, ints(np.int8, -5, 5, 3, 2)],
         dict(axis=1, block_size=2), opset=21)
    case('QuantizeLinear_blocked', 'QuantizeLinear', [f32(3, 4) * 10, np.abs(f32(3, 2)) + 0.1, ints(np.int8, -5, 5, 3, 2)],
         dict(axis=1, block_size=2), opset=21)


# ---- sequences ------------------------------------------------------------------------------------

def sequence_cases():
    x = f32(5, 3)
    chain('SplitToSequence_default_concat',
          [dict(op='SplitToSequence', inputs=['x0'], outputs=['s'], attrs={}),
           dict(op='ConcatFromSequence', inputs=['s'], outputs=['y0'], attrs=dict(axis=1))],
          {'x0': x}, ['y0'])
    chain('SplitToSequence_keepdims0_stack',
          [dict(op='SplitToSequence', inputs=['x0'], outputs=['s'], attrs=dict(axis=1, keepdims=0)),
           dict(op='ConcatFromSequence', inputs=['s'], outputs=['y0'], attrs=dict(axis=-1, new_axis=1))],
          {'x0': x}, ['y0'])
    chain('SplitToSequence_scalar_split',
          [dict(op='SplitToSequence', inputs=['x0', 'x1'], outputs=['s'], attrs={}),
           dict(op='SequenceAt', inputs=['s', 'x2'], outputs=['y0'], attrs={}),
           dict(op='SequenceLength', inputs=['s'], outputs=['y1'], attrs={})],
          {'x0': x, 'x1': np.array(2, np.int64), 'x2': np.array(-1, np.int64)}, ['y0', 'y1'])
    chain('SplitToSequence_sizes',
          [dict(op='SplitToSequence', inputs=['x0', 'x1'], outputs=['s'], attrs=dict(axis=0)),
           dict(op='SequenceAt', inputs=['s', 'x2'], outputs=['y0'], attrs={})],
          {'x0': x, 'x1': i64(1, 4), 'x2': np.array(1, np.int64)}, ['y0'])
    chain('Sequence_construct_insert_at',
          [dict(op='SequenceConstruct', inputs=['x0', 'x1'], outputs=['s'], attrs={}),
           dict(op='SequenceInsert', inputs=['s', 'x2', 'x3'], outputs=['s2'], attrs={}),
           dict(op='SequenceAt', inputs=['s2', 'x4'], outputs=['y0'], attrs={}),
           dict(op='ConcatFromSequence', inputs=['s2'], outputs=['y1'], attrs=dict(axis=0)),
           dict(op='SequenceLength', inputs=['s2'], outputs=['y2'], attrs={})],
          {'x0': f32(2, 3), 'x1': f32(1, 3), 'x2': f32(3, 3), 'x3': np.array(1, np.int64), 'x4': np.array(1, np.int64)},
          ['y0', 'y1', 'y2'])
    chain('Sequence_insert_end_erase',
          [dict(op='SequenceConstruct', inputs=['x0', 'x1', 'x2'], outputs=['s'], attrs={}),
           dict(op='SequenceInsert', inputs=['s', 'x1'], outputs=['s2'], attrs={}),
           dict(op='SequenceErase', inputs=['s2', 'x3'], outputs=['s3'], attrs={}),
           dict(op='SequenceErase', inputs=['s3'], outputs=['s4'], attrs={}),
           dict(op='ConcatFromSequence', inputs=['s4'], outputs=['y0'], attrs=dict(axis=0, new_axis=1)),
           dict(op='SequenceLength', inputs=['s4'], outputs=['y1'], attrs={})],
          {'x0': f32(2), 'x1': f32(2), 'x2': f32(2), 'x3': np.array(-3, np.int64)}, ['y0', 'y1'])
    chain('Sequence_i64_elements',
          [dict(op='SequenceConstruct', inputs=['x0', 'x1'], outputs=['s'], attrs={}),
           dict(op='ConcatFromSequence', inputs=['s'], outputs=['y0'], attrs=dict(axis=1))],
          {'x0': TYPED['i64'](2, 2), 'x1': TYPED['i64'](2, 3)}, ['y0'])


# ---- einsum ---------------------------------------------------------------------------------------

def einsum_cases():
    eqs = {
        'matmul': ('ij,jk->ik', [(3, 4), (4, 5)]),
        'matmul_implicit': ('ij,jk', [(3, 4), (4, 5)]),
        'batched': ('bij,bjk->bik', [(2, 3, 4), (2, 4, 5)]),
        'attention': ('bhqd,bhkd->bhqk', [(2, 3, 4, 5), (2, 3, 6, 5)]),
        'transpose': ('ij->ji', [(3, 4)]),
        'permute3': ('abc->cab', [(2, 3, 4)]),
        'trace': ('ii->', [(4, 4)]),
        'trace_implicit': ('ii', [(4, 4)]),
        'diagonal': ('ii->i', [(4, 4)]),
        'batch_diagonal': ('bii->bi', [(2, 3, 3)]),
        'sum_all': ('ij->', [(3, 4)]),
        'row_sum': ('ij->i', [(3, 4)]),
        'outer': ('i,j->ij', [(3,), (4,)]),
        'dot': ('i,i', [(5,), (5,)]),
        'ellipsis_matmul': ('...ij,...jk->...ik', [(2, 3, 4), (2, 4, 5)]),
        'ellipsis_bcast': ('...ij,...jk->...ik', [(2, 1, 3, 4), (1, 5, 4, 2)]),
        'ellipsis_implicit': ('...ij,...jk', [(2, 3, 4), (2, 4, 5)]),
        'ellipsis_one_side': ('...ij,jk->...ik', [(2, 3, 3, 4), (4, 5)]),
        'ellipsis_middle': ('i...j->j...i', [(2, 3, 4, 5)]),
        'ellipsis_sum': ('...j->...', [(2, 3, 4)]),
        'three_operands': ('ij,jk,kl->il', [(2, 3), (3, 4), (4, 5)]),
        'bilinear': ('bn,anm,bm->ba', [(2, 3), (4, 3, 5), (2, 5)]),
        'contract_two': ('ijk,jkl->il', [(2, 3, 4), (3, 4, 5)]),
        'hadamard': ('ij,ij->ij', [(3, 4), (3, 4)]),
        'repeated_in_two': ('ij,ij->', [(3, 4), (3, 4)]),
        'spaces': ('ij , jk -> ik', [(2, 3), (3, 2)]),
        'upper_case': ('Ab,bC->AC', [(2, 3), (3, 4)]),
    }
    for tag, (eq, shapes) in eqs.items():
        case(f'Einsum_{tag}', 'Einsum', [f32(*s) for s in shapes], dict(equation=eq), tol=1e-5)
    case('Einsum_f64', 'Einsum', [f32(3, 4).astype(np.float64), f32(4, 2).astype(np.float64)], dict(equation='ij,jk->ik'))
    case('Einsum_i32', 'Einsum', [ints(np.int32, -9, 9, 3, 4), ints(np.int32, -9, 9, 4, 2)], dict(equation='ij,jk->ik'))
    case('Einsum_i64_trace', 'Einsum', [ints(np.int64, -9, 9, 3, 3)], dict(equation='ii->'))


FAMILIES = [shape_cases, gather_scatter_cases, generation_cases, resize_cases, rnn_cases, control_flow_cases,
            quantize_cases, sequence_cases, einsum_cases]


def add_cases(case_fn, chain_fn):
    """Adds every part-B case through op_cases.py's case()/chain() (its table, its writer)."""
    global case, chain
    case, chain = case_fn, chain_fn
    for family in FAMILIES:
        family()


# ---- case.json encoding of the attribute kinds op_cases.py does not know -------------------------

ONNX_TO_KILN = {1: 'f32', 2: 'u8', 3: 'i8', 4: 'u16', 5: 'i16', 6: 'i32', 7: 'i64', 8: 'string', 9: 'bool',
                10: 'f16', 11: 'f64', 12: 'u32', 13: 'u64'}


def value_info_json(v):
    t = v.type
    if t.HasField('sequence_type'):
        elem = t.sequence_type.elem_type.tensor_type
        return {'name': v.name, 'sequence': True, 'dtype': ONNX_TO_KILN[elem.elem_type]}
    tt = t.tensor_type
    dims = [d.dim_value if d.HasField('dim_value') else -1 for d in tt.shape.dim] if tt.HasField('shape') else None
    return {'name': v.name, 'dtype': ONNX_TO_KILN[tt.elem_type], 'dims': dims}


def node_json(n, attr_json):
    return {'op': n.op_type, 'domain': n.domain, 'name': n.name, 'inputs': list(n.input), 'outputs': list(n.output),
            'attrs': {a.name: attr_json(helper.get_attribute_value(a)) for a in n.attribute}}


def extra_attr_json(v, attr_json):
    """JSON for a TensorProto or GraphProto attribute value; None for anything else."""
    if isinstance(v, onnx.TensorProto):
        a = numpy_helper.to_array(v)
        return {'type': 'tensor', 'value': {'dtype': ONNX_TO_KILN[v.data_type], 'dims': list(a.shape),
                                            'values': a.reshape(-1).tolist()}}
    if isinstance(v, onnx.GraphProto):
        return {'type': 'graph', 'value': {'name': v.name, 'inputs': [value_info_json(i) for i in v.input],
                                           'nodes': [node_json(n, attr_json) for n in v.node],
                                           'outputs': [o.name for o in v.output],
                                           'output_info': [value_info_json(o) for o in v.output]}}
    return None


def patch_attr_json(op_cases):
    base = op_cases.attr_json

    def attr_json(v):
        extra = extra_attr_json(v, attr_json)
        return extra if extra is not None else base(v)
    op_cases.attr_json = attr_json


def main():
    import op_cases  # its writer and ORT runner; its own families are not added
    patch_attr_json(op_cases)
    add_cases(op_cases.case, op_cases.chain)
    return run(op_cases)


def run(op_cases):
    """op_cases.main() over the cases in op_cases.CASES (ours only)."""
    import argparse
    import json
    import re
    import shutil
    import subprocess
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('out_dir')
    ap.add_argument('--filter', default='', help='only cases whose name matches this regex')
    ap.add_argument('--no-ort', action='store_true', help='write models and inputs only')
    args = ap.parse_args()
    cases = [c for c in op_cases.CASES if re.search(args.filter, c['name'])]
    if os.path.isdir(args.out_dir):
        shutil.rmtree(args.out_dir)
    os.makedirs(args.out_dir)
    dirs = [op_cases.write_case(args.out_dir, c, i) for i, c in enumerate(cases)]
    if args.no_ort:
        print(f'op_cases_b: wrote {len(dirs)} cases (no ORT outputs) to {args.out_dir}')
        return 0
    batch = os.path.join(op_cases.ROOT, 'tests', 'reference', 'ort_batch.js')
    procs = [subprocess.Popen(['node', batch] + dirs[i::2]) for i in range(2)]
    if any(p.wait() != 0 for p in procs):
        print('op_cases_b: ONNX Runtime failed to start', file=sys.stderr)
        return 2
    ran, refused = [], {}
    for c, d in zip(cases, dirs):
        err = op_cases.finish_case(d)
        if err is None:
            ran.append(c['name'])
        else:
            refused[c['name']] = err
            shutil.rmtree(d)
    with open(os.path.join(args.out_dir, 'index.json'), 'w') as f:
        json.dump({'cases': ran, 'ort_refused': refused}, f, indent=1)
    print(f'op_cases_b: {len(ran)} cases in {args.out_dir}; ORT refused {len(refused)}')
    for name, err in refused.items():
        print(f'  refused {name}: {err[:200]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
