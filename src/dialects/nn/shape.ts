// nn dialect: constants and data-movement ops (reshape, transpose, concat, split, slice, pad,
// gather...). Shape operands that are constants give static result shapes; others leave them open.
import type { OpContext, OpDef } from '../../ir/opdef.js';
import type { Dim } from '../../ir/types.js';
import { list, normAxis, product, productDim, requireRank, result, sameElementType, type MaybeDim } from '../infer.js';
import { concatMask, movementMask, opaqueMask, padMask, splitMask } from '../../analysis/transfer.js';
import type { ChannelMap } from '../../ir/opdef.js';
import { concatKernel, constantKernel, constantOfShapeKernel, expandKernel, flattenKernel, gatherKernel, padKernel, reduceKernel, reshapeKernel, shapeKernel, sizeKernel, sliceKernel, splitKernel, squeezeKernel, tileKernel, transposeKernel, unsqueezeKernel } from '../../interp/kernels/shape.js';

const staticDims = (d: readonly (string | number | undefined)[]): number[] | undefined => (d.every((x) => typeof x === 'number') ? (d as number[]) : undefined);

/** Flatten at axis 1 maps channel c to a block of features; other axes move the channel axis. */
const flattenMask = movementMask((c): ChannelMap[] => {
  const x = staticDims(c.shape(0));
  const axis = c.int('axis') < 0 ? c.int('axis') + c.rank(0) : c.int('axis');
  if (!x || axis !== 1 || x.length < 2) return [{ kind: 'opaque' }];
  return [{ kind: 'block', size: x.slice(2).reduce((a, b) => a * b, 1) }];
});

/** Reshape keeps channels when dims 0 and 1 stay, and maps a channel to a block when [N, C, rest] becomes [N, C * rest]. */
const reshapeMask = movementMask((c): ChannelMap[] => {
  const x = staticDims(c.shape(0)), y = staticDims(c.op.results[0]!.type.shape);
  const opaque: ChannelMap[] = [{ kind: 'opaque' }, { kind: 'opaque' }];
  if (!x || !y || x.length < 2 || y.length < 2 || x[0] !== y[0]) return opaque;
  const rest = x.slice(2).reduce((a, b) => a * b, 1);
  if (y[1] === x[1]) return [{ kind: 'same', axis: 1 }, { kind: 'opaque' }];
  if (y.length === 2 && y[1] === x[1]! * rest) return [{ kind: 'block', size: rest }, { kind: 'opaque' }];
  return opaque;
});

const transposeMask = movementMask((c): ChannelMap[] => {
  const p = c.ints('perm');
  return [p[0] === 0 && p[1] === 1 ? { kind: 'same', axis: 1 } : { kind: 'opaque' }];
});

/** Slice along axis 1 with step 1 selects a channel range; slicing other axes keeps the facts. */
const sliceMask = movementMask((c): ChannelMap[] => {
  const rest = c.op.operands.slice(1).map(() => ({ kind: 'opaque' }) as ChannelMap);
  const x = c.shape(0);
  const starts = ints(c, 1), axes = c.has(3) ? ints(c, 3) : starts?.map((_, i) => i), steps = c.has(4) ? ints(c, 4) : starts?.map(() => 1);
  if (!starts || !axes || !steps || x.length < 2) return [{ kind: 'opaque' }, ...rest];
  const k = axes.findIndex((a) => (a < 0 ? a + x.length : a) === 1);
  if (k < 0) return [{ kind: 'same', axis: 1 }, ...rest];
  const n = c.op.results[0]!.type.shape[1], d = x[1];
  if (steps[k] !== 1 || typeof n !== 'number' || typeof d !== 'number') return [{ kind: 'opaque' }, ...rest];
  const s = starts[k]!;
  return [{ kind: 'slice', start: Math.min(Math.max(s < 0 ? s + d : s, 0), d), count: n }, ...rest];
});

/** Squeeze / unsqueeze of axes after the channel axis keep channels. */
const squeezeMask = movementMask((c): ChannelMap[] => {
  const y = c.op.results[0]!.type;
  const keeps = c.rank(0) >= 2 && y.rank >= 2 && c.shape(0)[0] === y.shape[0] && c.shape(0)[1] === y.shape[1] && (c.constInts(1) ?? []).every((a) => (a < 0 ? a + Math.max(c.rank(0), y.rank) : a) > 1);
  return [keeps ? { kind: 'same', axis: 1 } : { kind: 'opaque' }, { kind: 'opaque' }];
});


/** The constant integer operand i, or undefined when it is computed at run time. */
function ints(c: OpContext, i: number): number[] | undefined {
  return c.has(i) ? c.constInts(i) : undefined;
}

function reshapeDims(c: OpContext, x: readonly MaybeDim[], spec: number[], allowZero: boolean): MaybeDim[] {
  let infer = -1;
  const out: MaybeDim[] = spec.map((s, i) => {
    if (s === -1) {
      if (infer >= 0) c.fail('shape has more than one -1');
      infer = i;
      return undefined;
    }
    if (s === 0 && !allowZero) {
      if (i >= x.length) c.fail(`shape[${i}] = 0 copies a dim the input (rank ${x.length}) lacks`);
      return x[i];
    }
    if (s < 0) c.fail(`shape[${i}] = ${s} is negative`);
    return s;
  });
  const total = product(x);
  const known = product(out.filter((_, i) => i !== infer));
  if (infer >= 0) {
    if (total !== undefined && known !== undefined) {
      if (known === 0 || total % known !== 0) c.fail(`cannot reshape ${total} elements into ${list(spec)}`);
      out[infer] = total / known;
    } else if (known === 1 || (known !== undefined && x.length > 0 && total === undefined)) {
      // [N, 3, 4] -> [-1, 12] keeps N when the rest matches
      const rest = product(x.slice(1));
      if (rest !== undefined && known !== undefined && rest === known) out[infer] = x[0];
    }
  } else if (total !== undefined && known !== undefined && total !== known) {
    c.fail(`cannot reshape ${total} elements into ${list(spec)} (${known} elements)`);
  }
  return out;
}

function sliceDim(d: MaybeDim, start: number, end: number, step: number): MaybeDim {
  if (typeof d !== 'number') return undefined;
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = clamp(s, 0, d);
    e = clamp(e, 0, d);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = clamp(s, -1, d - 1);
  e = clamp(e, -1, d - 1);
  return Math.max(0, Math.ceil((e - s) / step));
}

function reduceAxes(c: OpContext, rank: number): number[] | undefined {
  if (c.numOperands < 2) return c.int('noop_with_empty_axes') ? [] : [...Array(rank).keys()];
  const a = ints(c, 1);
  if (!a) return undefined;
  if (a.length === 0) return c.int('noop_with_empty_axes') ? [] : [...Array(rank).keys()];
  return a.map((x) => normAxis(c, x, rank));
}

function reduce(name: string, onnx: string, summary: string): OpDef {
  return {
    name: `nn.${name}`,
    onnx,
    summary: `${summary} over axes (all when absent); keepdims = 1 keeps reduced dims as 1.`,
    operands: [{ name: 'x', types: 'numeric' }, { name: 'axes', types: 'index', optional: true }],
    results: [{ name: 'y', types: 'numeric' }],
    attrs: {
      keepdims: { type: 'int', default: 1, doc: '1 to keep reduced dims with size 1' },
      noop_with_empty_axes: { type: 'int', default: 0, doc: '1 to make empty axes a no-op instead of reducing all' },
    },
    infer: (c) => {
      const x = c.shape(0);
      const axes = reduceAxes(c, x.length);
      if (!axes) return [result(c.elementType(0), c.int('keepdims') ? x.map(() => undefined) : undefined)];
      const keep = c.int('keepdims') === 1;
      const out: MaybeDim[] = [];
      x.forEach((d, i) => {
        if (!axes.includes(i)) out.push(d);
        else if (keep) out.push(1);
      });
      return [result(c.elementType(0), out)];
    },
    interpret: reduceKernel(name.slice('reduce_'.length) as 'sum' | 'mean' | 'max' | 'min'),
    mask: opaqueMask,
    example: `%y = nn.${name}(%x, %axes) {keepdims = 1} : tensor<1x64x1x1xf32>`,
  };
}

export const SHAPE_OPS: OpDef[] = [
  {
    name: 'nn.constant',
    onnx: 'Constant',
    summary: 'A constant tensor: weights, biases, shapes. Large ones live in the resource table.',
    operands: [],
    results: [{ name: 'y' }],
    attrs: { value: { type: 'tensor', required: true, doc: 'the tensor (dense, resource or elided)' } },
    infer: (c) => {
      const v = c.raw('value');
      if (v?.kind === 'dense') return [result(v.value.elementType, v.value.shape)];
      if (v?.kind === 'elided') return [result(v.elementType, v.shape)];
      return c.fail(`attribute 'value' must be a tensor`);
    },
    example: '%w = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>',
    interpret: constantKernel,
  },
  {
    name: 'nn.flatten',
    onnx: 'Flatten',
    summary: 'Reshapes to 2-d: dims before axis multiply into the first, the rest into the second.',
    operands: [{ name: 'x' }],
    results: [{ name: 'y' }],
    attrs: { axis: { type: 'int', default: 1, doc: 'first dim of the second group (0..rank)' } },
    infer: (c) => {
      const x = c.shape(0);
      const a = normAxis(c, c.int('axis'), x.length, 'axis', true);
      return [result(c.elementType(0), [productDim(x.slice(0, a)), productDim(x.slice(a))])];
    },
    example: '%y = nn.flatten(%x) {axis = 1} : tensor<1x2048xf32>',
    interpret: flattenKernel,
    mask: flattenMask,
  },
  {
    name: 'nn.reshape',
    onnx: 'Reshape',
    summary: 'Gives x the shape in the `shape` operand: 0 copies the input dim (unless allowzero), -1 is inferred.',
    operands: [{ name: 'x' }, { name: 'shape', types: 'index' }],
    results: [{ name: 'y' }],
    attrs: { allowzero: { type: 'int', default: 0, doc: '1 to make 0 mean an empty dim instead of a copy' } },
    verify: (c) => requireRank(c, 1, 1, 'rank 1'),
    infer: (c) => {
      const spec = ints(c, 1);
      const n = c.shape(1)[0];
      if (!spec) return [result(c.elementType(0), typeof n === 'number' ? new Array<MaybeDim>(n).fill(undefined) : undefined)];
      return [result(c.elementType(0), reshapeDims(c, c.shape(0), spec, c.int('allowzero') === 1))];
    },
    example: '%y = nn.reshape(%x, %shape) : tensor<1x2048xf32>',
    interpret: reshapeKernel,
    mask: reshapeMask,
  },
  {
    name: 'nn.transpose',
    onnx: 'Transpose',
    summary: 'Permutes dims: result dim i is input dim perm[i] (reversed when perm is absent).',
    operands: [{ name: 'x' }],
    results: [{ name: 'y' }],
    attrs: { perm: { type: 'ints', default: (c) => [...Array(c.rank(0)).keys()].reverse(), doc: 'a permutation of 0..rank-1' } },
    verify: (c) => {
      const p = c.ints('perm');
      const sorted = [...p].sort((a, b) => a - b);
      if (p.length !== c.rank(0) || sorted.some((v, i) => v !== i)) c.fail(`perm ${list(p)} is not a permutation of 0..${c.rank(0) - 1}`);
    },
    infer: (c) => [result(c.elementType(0), c.ints('perm').map((i) => c.shape(0)[i]))],
    example: '%y = nn.transpose(%x) {perm = [0, 2, 3, 1]} : tensor<1x56x56x64xf32>',
    interpret: transposeKernel,
    mask: transposeMask,
  },
  {
    name: 'nn.concat',
    onnx: 'Concat',
    summary: 'Joins the inputs along axis; other dims must agree.',
    operands: [{ name: 'inputs', variadic: true }],
    results: [{ name: 'y' }],
    attrs: { axis: { type: 'int', required: true, doc: 'the axis joined along' } },
    infer: (c) => {
      const r = c.rank(0);
      const a = normAxis(c, c.int('axis'), r);
      const out: MaybeDim[] = [...c.shape(0)];
      for (let i = 1; i < c.numOperands; i++) {
        sameElementType(c, 0, i);
        const s = c.shape(i);
        if (s.length !== r) c.fail(`operand #${i} has rank ${s.length}, expected ${r}`);
        s.forEach((d, k) => {
          if (k === a) out[a] = typeof out[a] === 'number' && typeof d === 'number' ? out[a] + d : undefined;
          else if (typeof d === 'number' && typeof out[k] === 'number' && d !== out[k]) c.fail(`operand #${i} has dim ${k} = ${d}, expected ${out[k]}`);
        });
      }
      return [result(c.elementType(0), out)];
    },
    example: '%y = nn.concat(%a, %b) {axis = 1} : tensor<1x128x28x28xf32>',
    interpret: concatKernel,
    mask: concatMask,
  },
  {
    name: 'nn.split',
    onnx: 'Split',
    summary: 'Splits x along axis into the sizes of the `split` operand, or into equal parts (the last may be smaller).',
    operands: [{ name: 'x' }, { name: 'split', types: 'index', optional: true }],
    results: [{ name: 'outputs', variadic: true }],
    attrs: {
      axis: { type: 'int', default: 0, doc: 'the axis split along' },
      num_outputs: { type: 'int', doc: 'number of equal parts when split is absent (defaults to the result count)' },
    },
    infer: (c) => {
      const x = c.shape(0);
      const a = normAxis(c, c.int('axis'), x.length);
      const n = c.op.results.length;
      if (c.hasAttr('num_outputs') && c.int('num_outputs') !== n) c.fail(`num_outputs is ${c.int('num_outputs')} but the op has ${n} results`);
      let sizes: MaybeDim[] = new Array<MaybeDim>(n).fill(undefined);
      const given = ints(c, 1);
      const d = x[a];
      if (given) {
        if (given.length !== n) c.fail(`split has ${given.length} sizes but the op has ${n} results`);
        if (given.some((v) => v < 0)) c.fail(`split sizes must be >= 0, got ${list(given)}`);
        const sum = given.reduce((p, q) => p + q, 0);
        if (typeof d === 'number' && sum !== d) c.fail(`split sizes sum to ${sum}, dim ${a} is ${d}`);
        sizes = given;
      } else if (c.numOperands < 2 && typeof d === 'number') {
        const part = Math.ceil(d / n);
        sizes = sizes.map((_, i) => Math.max(0, Math.min(part, d - i * part)));
      }
      return sizes.map((s) => result(c.elementType(0), x.map((dd, i) => (i === a ? s : dd))));
    },
    example: '%a, %b = nn.split(%x) {axis = 1} : tensor<1x32x8x8xf32>, tensor<1x32x8x8xf32>',
    interpret: splitKernel,
    mask: splitMask,
  },
  {
    name: 'nn.slice',
    onnx: 'Slice',
    summary: 'Takes x[starts:ends:steps] along axes (all axes, step 1 when absent); bounds are clamped as in numpy.',
    operands: [
      { name: 'x' }, { name: 'starts', types: 'index' }, { name: 'ends', types: 'index' },
      { name: 'axes', types: 'index', optional: true }, { name: 'steps', types: 'index', optional: true },
    ],
    results: [{ name: 'y' }],
    attrs: {},
    verify: (c) => {
      // starts, ends, axes and steps share one index type (ONNX's Tind).
      for (let i = 2; i < c.numOperands; i++) sameElementType(c, 1, i);
    },
    infer: (c) => {
      const x = c.shape(0);
      const starts = ints(c, 1), ends = ints(c, 2);
      const axes = c.has(3) ? ints(c, 3) : starts?.map((_, i) => i);
      const steps = c.has(4) ? ints(c, 4) : starts?.map(() => 1);
      if (!starts || !ends || !axes || !steps) {
        const open = axes?.map((a) => normAxis(c, a, x.length));
        return [result(c.elementType(0), x.map((d, i) => (open && !open.includes(i) ? d : undefined)))];
      }
      if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
        c.fail(`starts, ends, axes and steps must have the same length (${starts.length}, ${ends.length}, ${axes.length}, ${steps.length})`);
      }
      const out: MaybeDim[] = [...x];
      axes.forEach((ax, k) => {
        const a = normAxis(c, ax, x.length);
        if (steps[k] === 0) c.fail('steps must not be 0');
        out[a] = sliceDim(x[a], starts[k]!, ends[k]!, steps[k]!);
      });
      return [result(c.elementType(0), out)];
    },
    example: '%y = nn.slice(%x, %starts, %ends, %axes) : tensor<1x16x8x8xf32>',
    interpret: sliceKernel,
    mask: sliceMask,
  },
  {
    name: 'nn.squeeze',
    onnx: 'Squeeze',
    summary: 'Removes the size-1 dims listed in axes (every size-1 dim when absent).',
    operands: [{ name: 'x' }, { name: 'axes', types: 'index', optional: true }],
    results: [{ name: 'y' }],
    attrs: {},
    infer: (c) => {
      const x = c.shape(0);
      if (c.numOperands < 2) return [result(c.elementType(0), x.filter((d) => d !== 1))];
      const axes = ints(c, 1)?.map((a) => normAxis(c, a, x.length));
      if (!axes) return [result(c.elementType(0), undefined)];
      axes.forEach((a) => typeof x[a] === 'number' && x[a] !== 1 && c.fail(`dim ${a} has size ${x[a]}, only size-1 dims can be squeezed`));
      const removed = new Set(axes);
      return [result(c.elementType(0), x.filter((_, i) => !removed.has(i)))];
    },
    example: '%y = nn.squeeze(%x, %axes) : tensor<1x64xf32>',
    interpret: squeezeKernel,
    mask: squeezeMask,
  },
  {
    name: 'nn.unsqueeze',
    onnx: 'Unsqueeze',
    summary: 'Inserts size-1 dims at the positions in axes (positions in the result).',
    operands: [{ name: 'x' }, { name: 'axes', types: 'index' }],
    results: [{ name: 'y' }],
    attrs: {},
    infer: (c) => {
      const x = c.shape(0);
      const raw = ints(c, 1);
      if (!raw) return [result(c.elementType(0), undefined)];
      const r = x.length + raw.length;
      const axes = raw.map((a) => normAxis(c, a, r));
      const inserted = new Set(axes);
      if (inserted.size !== axes.length) c.fail(`axes ${list(raw)} repeat a position`);
      const out: MaybeDim[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) out.push(inserted.has(i) ? 1 : x[k++]);
      return [result(c.elementType(0), out)];
    },
    example: '%y = nn.unsqueeze(%x, %axes) : tensor<1x64x1x1xf32>',
    interpret: unsqueezeKernel,
    mask: squeezeMask,
  },
  {
    name: 'nn.pad',
    onnx: 'Pad',
    summary: 'Pads x by `pads` (begins then ends, for each axis in axes or all); mode constant, reflect, edge or wrap.',
    operands: [{ name: 'x' }, { name: 'pads', types: 'index' }, { name: 'value', optional: true }, { name: 'axes', types: 'index', optional: true }],
    results: [{ name: 'y' }],
    attrs: { mode: { type: 'string', default: 'constant', oneOf: ['constant', 'reflect', 'edge', 'wrap'], doc: 'how padded values are chosen' } },
    verify: (c) => {
      if (c.numOperands > 2) {
        sameElementType(c, 0, 2);
        if (c.rank(2) > 1) c.fail(`pad value must be a scalar, got ${c.type(2)}`);
      }
    },
    infer: (c) => {
      const x = c.shape(0);
      const pads = ints(c, 1);
      const axes = c.has(3) ? ints(c, 3)?.map((a) => normAxis(c, a, x.length)) : x.map((_, i) => i);
      if (!pads || !axes) return [result(c.elementType(0), x.map(() => undefined))];
      if (pads.length !== 2 * axes.length) c.fail(`pads has ${pads.length} values, expected ${2 * axes.length} (2 per padded axis)`);
      const out: MaybeDim[] = [...x];
      axes.forEach((a, k) => {
        const d = x[a];
        out[a] = typeof d === 'number' ? d + pads[k]! + pads[k + axes.length]! : undefined;
        if (typeof out[a] === 'number' && (out[a] as number) < 0) c.fail(`padding makes dim ${a} negative`);
      });
      return [result(c.elementType(0), out)];
    },
    example: '%y = nn.pad(%x, %pads, %zero) {mode = "constant"} : tensor<1x3x230x230xf32>',
    interpret: padKernel,
    mask: padMask,
  },
  {
    name: 'nn.gather',
    onnx: 'Gather',
    summary: 'Picks entries of x along axis by the integer indices (negative counts from the end).',
    operands: [{ name: 'x' }, { name: 'indices', types: 'index' }],
    results: [{ name: 'y' }],
    attrs: { axis: { type: 'int', default: 0, doc: 'the axis indexed' } },
    verify: (c) => {
      // ONNX: an index outside [-d, d - 1] is an error; constant indices are checked here.
      const d = c.shape(0)[normAxis(c, c.int('axis'), c.rank(0))];
      const t = c.constant(1);
      if (typeof d !== 'number' || !t) return;
      for (let k = 0; k < t.size; k++) {
        const j = Number(t.get(k));
        if (j < -d || j >= d) c.fail(`index ${j} is out of range for axis ${c.int('axis')} of size ${d}`);
      }
    },
    infer: (c) => {
      const x = c.shape(0);
      const a = normAxis(c, c.int('axis'), x.length);
      return [result(c.elementType(0), [...x.slice(0, a), ...c.shape(1), ...x.slice(a + 1)])];
    },
    example: '%y = nn.gather(%table, %ids) {axis = 0} : tensor<1x128x768xf32>',
    interpret: gatherKernel,
    mask: opaqueMask,
  },
  {
    name: 'nn.shape',
    onnx: 'Shape',
    summary: 'The shape of x as an i64 vector, optionally only dims [start, end).',
    operands: [{ name: 'x' }],
    results: [{ name: 'y', types: 'index' }],
    attrs: {
      start: { type: 'int', default: 0, doc: 'first dim (negative counts from the end)' },
      end: { type: 'int', default: (c) => c.rank(0), doc: 'one past the last dim' },
    },
    infer: (c) => {
      const r = c.rank(0);
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      return [result('i64', [Math.max(0, clamp(c.int('end')) - clamp(c.int('start')))])];
    },
    example: '%s = nn.shape(%x) : tensor<4xi64>',
    interpret: shapeKernel,
  },
  {
    name: 'nn.size',
    onnx: 'Size',
    summary: 'The number of elements of x, as an i64 scalar.',
    operands: [{ name: 'x' }],
    results: [{ name: 'n', types: 'index' }],
    attrs: {},
    infer: () => [result('i64', [])],
    example: '%n = nn.size(%x) : tensor<i64>',
    interpret: sizeKernel,
  },
  {
    name: 'nn.constant_of_shape',
    onnx: 'ConstantOfShape',
    summary: 'A tensor of the shape given by the operand, filled with the one-element `value` (f32 0 when absent).',
    operands: [{ name: 'shape', types: 'index' }],
    results: [{ name: 'y' }],
    attrs: { value: { type: 'tensor', doc: 'one-element tensor giving the fill value and element type' } },
    verify: (c) => {
      requireRank(c, 0, 1, 'rank 1');
      const v = c.raw('value');
      if (v && !(v.kind === 'dense' && v.value.size === 1)) {
        const got = v.kind === 'dense' ? `a tensor of ${v.value.size} elements, shape ${list(v.value.shape)}` : `a ${v.kind} attribute`;
        c.fail(`attribute 'value' must be a one-element tensor, got ${got}`);
      }
    },
    infer: (c) => {
      const v = c.raw('value');
      const et = v?.kind === 'dense' ? v.value.elementType : 'f32';
      const s = ints(c, 0);
      if (s?.some((d) => d < 0)) c.fail(`shape values must be >= 0, got ${list(s)}`);
      const n = c.shape(0)[0];
      return [result(et, s ?? (typeof n === 'number' ? new Array<MaybeDim>(n).fill(undefined) : undefined))];
    },
    example: '%y = nn.constant_of_shape(%shape) {value = dense<0.0> : tensor<1xf32>} : tensor<1x64xf32>',
    interpret: constantOfShapeKernel,
    mask: opaqueMask,
  },
  {
    name: 'nn.expand',
    onnx: 'Expand',
    summary: 'Broadcasts x to the shape given by the operand (numpy rules; the result may be larger than the shape).',
    operands: [{ name: 'x' }, { name: 'shape', types: 'index' }],
    results: [{ name: 'y' }],
    attrs: {},
    infer: (c) => {
      const s = ints(c, 1);
      if (!s) return [result(c.elementType(0), undefined)];
      if (s.some((d) => d < 0)) c.fail(`shape values must be >= 0, got ${list(s)}`);
      const x = c.shape(0);
      const r = Math.max(x.length, s.length);
      const out: MaybeDim[] = [];
      for (let k = 0; k < r; k++) {
        const a = k - (r - x.length) >= 0 ? x[k - (r - x.length)] : 1;
        const b = k - (r - s.length) >= 0 ? s[k - (r - s.length)]! : 1;
        if (a === 1) out.push(b);
        else if (b === 1 || a === b) out.push(a);
        else if (typeof a === 'number') c.fail(`cannot expand dim ${k} of size ${a} to ${b}`);
        else out.push(undefined);
      }
      return [result(c.elementType(0), out)];
    },
    example: '%y = nn.expand(%x, %shape) : tensor<4x64xf32>',
    interpret: expandKernel,
    mask: opaqueMask,
  },
  {
    name: 'nn.tile',
    onnx: 'Tile',
    summary: 'Repeats x repeats[i] times along each dim i.',
    operands: [{ name: 'x' }, { name: 'repeats', types: 'index' }],
    results: [{ name: 'y' }],
    attrs: {},
    infer: (c) => {
      const r = ints(c, 1);
      const x = c.shape(0);
      if (!r) return [result(c.elementType(0), x.map(() => undefined))];
      if (r.length !== x.length) c.fail(`repeats has ${r.length} values, expected ${x.length} (one per dim of x)`);
      if (r.some((v) => v < 0)) c.fail(`repeats must be >= 0, got ${list(r)}`);
      return [result(c.elementType(0), x.map((d, i) => (typeof d === 'number' ? d * r[i]! : r[i] === 1 ? d : undefined)))];
    },
    example: '%y = nn.tile(%x, %repeats) : tensor<2x64xf32>',
    interpret: tileKernel,
    mask: opaqueMask,
  },
  reduce('reduce_mean', 'ReduceMean', 'Mean'),
  reduce('reduce_sum', 'ReduceSum', 'Sum'),
  reduce('reduce_max', 'ReduceMax', 'Maximum'),
  reduce('reduce_min', 'ReduceMin', 'Minimum'),
];
