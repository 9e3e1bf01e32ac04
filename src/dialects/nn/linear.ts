// nn dialect: ops with weights that contract a reduction axis: Conv, ConvTranspose, Gemm, MatMul.
import type { AttrSpec, OpContext, OpDef } from '../../ir/opdef.js';
import { broadcast, list, requireEqualDims, requireRank, result, sameElementType, windowAttrs, windowOut, type MaybeDim } from '../infer.js';
import { opaqueMask } from '../../analysis/transfer.js';
import { weightedMask } from '../../analysis/weighted.js';
import { convKernel, convTransposeKernel, gemmKernel, matmulKernel } from '../../interp/kernels/linear.js';

const spatial = (c: OpContext) => Math.max(0, c.rank(0) - 2);
const ones = (c: OpContext) => new Array<number>(spatial(c)).fill(1);

export const WINDOW_ATTRS: Record<string, AttrSpec> = {
  auto_pad: { type: 'string', default: 'NOTSET', oneOf: ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'], doc: 'padding rule; NOTSET uses pads' },
  dilations: { type: 'ints', default: ones, doc: 'one per spatial dim' },
  pads: { type: 'ints', default: (c) => new Array<number>(2 * spatial(c)).fill(0), doc: 'begin pads of each spatial dim, then end pads' },
  strides: { type: 'ints', default: ones, doc: 'one per spatial dim' },
};

function kernelShape(c: OpContext): number[] {
  if (c.hasAttr('kernel_shape')) return c.ints('kernel_shape');
  const w = c.shape(1).slice(2);
  return w.map((d) => (typeof d === 'number' ? d : c.fail(`kernel_shape is needed when the weight shape is symbolic`)));
}

/** Activations a producing op can apply in its epilogue (set by fuse-activation). */
export const EPILOGUE_ACTIVATIONS = ['none', 'relu', 'clip', 'leaky_relu', 'sigmoid', 'hard_swish', 'gelu', 'gelu_tanh'] as const;
export type EpilogueActivation = (typeof EPILOGUE_ACTIVATIONS)[number];

/** The fused activation attributes of conv, conv_transpose, gemm and matmul. */
export const EPILOGUE_ATTRS: Record<string, AttrSpec> = {
  activation: { type: 'string', default: 'none', oneOf: [...EPILOGUE_ACTIVATIONS], doc: 'element-wise activation applied to the result (fused by fuse-activation)' },
  activation_params: { type: 'floats', default: [], doc: 'clip: [min, max]; leaky_relu: [alpha]' },
};

function verifyEpilogue(c: OpContext): void {
  const act = c.string('activation');
  const n = c.floats('activation_params').length;
  const need = act === 'clip' ? 2 : act === 'leaky_relu' ? 1 : 0;
  if (n !== need) c.fail(`activation '${act}' takes ${need} activation_params, got ${n}`);
}

/** Attributes shared by Conv and ConvTranspose. */
const convAttrs: Record<string, AttrSpec> = {
  ...WINDOW_ATTRS,
  group: { type: 'int', default: 1, doc: 'number of groups; input and output channels split evenly among them' },
  kernel_shape: { type: 'ints', default: (c) => kernelShape(c), doc: 'taken from the weight when absent' },
};

function checkConvOperands(c: OpContext, what: string): void {
  requireRank(c, 0, (r) => r >= 3, 'rank >= 3 (N, C, spatial...)');
  requireRank(c, 1, c.rank(0), `the input's rank ${c.rank(0)}`);
  for (let i = 1; i < c.numOperands; i++) {
    if (c.elementType(i) !== c.elementType(0)) c.fail(`operand #${i} has element type ${c.elementType(i)}, expected ${c.elementType(0)}`);
  }
  if (c.int('group') < 1) c.fail(`group must be >= 1, got ${c.int('group')}`);
  if (c.numOperands > 2) requireRank(c, 2, 1, `rank 1 (one bias per ${what} channel)`);
}

export const LINEAR_OPS: OpDef[] = [
  {
    name: 'nn.conv',
    onnx: 'Conv',
    summary: 'N-d convolution (cross-correlation) of x [N, C, D...] with w [M, C/group, K...], plus optional bias [M].',
    operands: [{ name: 'x', types: 'float' }, { name: 'w', types: 'float' }, { name: 'b', types: 'float', optional: true }],
    results: [{ name: 'y', types: 'float' }],
    attrs: { ...convAttrs, ...EPILOGUE_ATTRS },
    verify: (c) => {
      checkConvOperands(c, 'output');
      verifyEpilogue(c);
      const g = c.int('group');
      const [m, cg] = c.shape(1);
      requireEqualDims(c, c.shape(0)[1], typeof cg === 'number' ? cg * g : undefined, `input channels must equal w.shape[1] * group (${cg} * ${g})`);
      if (typeof m === 'number' && m % g !== 0) c.fail(`output channels ${m} are not divisible by group ${g}`);
      if (c.numOperands > 2) requireEqualDims(c, c.shape(2)[0], m, 'bias length must equal output channels');
      const k = c.ints('kernel_shape');
      c.shape(1).slice(2).forEach((d, i) => requireEqualDims(c, d, k[i], `kernel_shape[${i}] must match the weight`));
    },
    infer: (c) => {
      const x = c.shape(0);
      const w = windowAttrs(c, spatial(c), c.ints('kernel_shape'));
      return [result(c.elementType(0), [x[0], c.shape(1)[0], ...x.slice(2).map((d, i) => windowOut(c, w, i, d))])];
    },
    example: '%y = nn.conv(%x, %w, %b) {pads = [1, 1, 1, 1], strides = [1, 1]} : tensor<1x64x56x56xf32>',
    interpret: convKernel,
    mask: weightedMask,
  },
  {
    name: 'nn.conv_transpose',
    onnx: 'ConvTranspose',
    summary: 'Transposed convolution of x [N, C, D...] with w [C, M/group, K...], plus optional bias [M].',
    operands: [{ name: 'x', types: 'float' }, { name: 'w', types: 'float' }, { name: 'b', types: 'float', optional: true }],
    results: [{ name: 'y', types: 'float' }],
    attrs: {
      ...convAttrs,
      output_padding: { type: 'ints', default: (c) => new Array<number>(spatial(c)).fill(0), doc: 'extra size added to one side of each spatial output dim' },
      output_shape: { type: 'ints', doc: 'explicit spatial output shape; pads are then computed' },
      ...EPILOGUE_ATTRS,
    },
    verify: (c) => {
      checkConvOperands(c, 'output');
      verifyEpilogue(c);
      requireEqualDims(c, c.shape(0)[1], c.shape(1)[0], 'input channels must equal w.shape[0]');
      const m = c.shape(1)[1];
      if (c.numOperands > 2) requireEqualDims(c, c.shape(2)[0], typeof m === 'number' ? m * c.int('group') : undefined, 'bias length must equal output channels');
    },
    infer: (c) => {
      const x = c.shape(0);
      const n = spatial(c);
      const m = c.shape(1)[1];
      const outC = typeof m === 'number' ? m * c.int('group') : undefined;
      if (c.hasAttr('output_shape')) {
        const os = c.ints('output_shape');
        if (os.length !== n && os.length !== n + 2) c.fail(`output_shape has ${os.length} values, expected ${n} (one per spatial dim)`);
        if (os.some((v) => v < 0)) c.fail(`output_shape values must be >= 0, got ${list(os)}`);
        return [result(c.elementType(0), [x[0], outC, ...os.slice(os.length - n)])];
      }
      const w = windowAttrs(c, n, c.ints('kernel_shape'));
      const op = c.ints('output_padding');
      if (op.length !== n) c.fail(`attribute 'output_padding' has ${op.length} values, expected ${n} (for ${n} spatial dims)`);
      if (op.some((v) => v < 0)) c.fail(`attribute 'output_padding' values must be >= 0, got ${list(op)}`);
      const dims = x.slice(2).map((d, i): MaybeDim => {
        if (typeof d !== 'number') return undefined;
        if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return d * w.strides[i]!;
        const pads = w.autoPad === 'VALID' ? 0 : w.pads[i]! + w.pads[i + n]!;
        const out = w.strides[i]! * (d - 1) + op[i]! + (w.kernel[i]! - 1) * w.dilations[i]! + 1 - pads;
        if (out < 1) c.fail(`output dim ${i + 2} would be ${out}: pads ${w.pads[i]} + ${w.pads[i + n]} are larger than the unpadded output ${out + pads}`);
        return out;
      });
      return [result(c.elementType(0), [x[0], outC, ...dims])];
    },
    example: '%y = nn.conv_transpose(%x, %w) {strides = [2, 2]} : tensor<1x16x32x32xf32>',
    interpret: convTransposeKernel,
    mask: opaqueMask,
  },
  {
    name: 'nn.gemm',
    onnx: 'Gemm',
    summary: 'alpha * op(a) @ op(b) + beta * c, where op transposes when transA/transB is 1; c broadcasts to [M, N].',
    operands: [{ name: 'a', types: 'numeric' }, { name: 'b', types: 'numeric' }, { name: 'c', types: 'numeric', optional: true }],
    results: [{ name: 'y', types: 'numeric' }],
    attrs: {
      alpha: { type: 'float', default: 1, doc: 'scale of the product' },
      beta: { type: 'float', default: 1, doc: 'scale of c' },
      transA: { type: 'int', default: 0, doc: '1 to transpose a' },
      transB: { type: 'int', default: 0, doc: '1 to transpose b' },
      ...EPILOGUE_ATTRS,
    },
    verify: (c) => {
      for (let i = 1; i < c.numOperands; i++) sameElementType(c, 0, i);
      verifyEpilogue(c);
      requireRank(c, 0, 2, 'rank 2');
      requireRank(c, 1, 2, 'rank 2');
      for (const t of ['transA', 'transB']) if (c.int(t) !== 0 && c.int(t) !== 1) c.fail(`${t} must be 0 or 1, got ${c.int(t)}`);
      const [, ka] = c.int('transA') ? [...c.shape(0)].reverse() : c.shape(0);
      const [kb] = c.int('transB') ? [...c.shape(1)].reverse() : c.shape(1);
      requireEqualDims(c, ka, kb, 'reduction dims of a and b differ');
    },
    infer: (c) => {
      const m = c.int('transA') ? c.shape(0)[1] : c.shape(0)[0];
      const n = c.int('transB') ? c.shape(1)[0] : c.shape(1)[1];
      if (c.numOperands > 2) {
        const b = broadcast(c, [[m, n], c.shape(2)]);
        if (b.length !== 2) c.fail(`c ${c.type(2)} does not broadcast to [${m}, ${n}]`);
      }
      return [result(c.elementType(0), [m, n])];
    },
    example: '%y = nn.gemm(%x, %w, %b) {transB = 1} : tensor<1x1000xf32>',
    interpret: gemmKernel,
    mask: weightedMask,
  },
  {
    name: 'nn.matmul',
    onnx: 'MatMul',
    summary: 'Matrix product with numpy semantics: batch dims broadcast, 1-d operands are promoted and the added dim removed; an optional bias is added along the last dim (set by fuse-bias).',
    operands: [{ name: 'a', types: 'numeric' }, { name: 'b', types: 'numeric' }, { name: 'bias', types: 'numeric', optional: true }],
    results: [{ name: 'y', types: 'numeric' }],
    attrs: { ...EPILOGUE_ATTRS },
    verify: (c) => {
      for (let i = 1; i < c.numOperands; i++) sameElementType(c, 0, i);
      if (c.rank(0) < 1 || c.rank(1) < 1) c.fail('operands must have rank >= 1');
      if (c.numOperands > 2) {
        requireRank(c, 2, 1, 'rank 1 (one bias per output column)');
        requireEqualDims(c, c.shape(2)[0], c.rank(1) === 1 ? 1 : c.shape(1)[c.rank(1) - 1], 'bias length must equal the output columns');
      }
      verifyEpilogue(c);
    },
    infer: (c) => {
      const a = c.rank(0) === 1 ? [1, ...c.shape(0)] : [...c.shape(0)];
      const b = c.rank(1) === 1 ? [...c.shape(1), 1] : [...c.shape(1)];
      requireEqualDims(c, a[a.length - 1], b[b.length - 2], 'reduction dims of a and b differ');
      const batch = broadcast(c, [a.slice(0, -2), b.slice(0, -2)]);
      const out: MaybeDim[] = [...batch];
      if (c.rank(0) !== 1) out.push(a[a.length - 2]);
      if (c.rank(1) !== 1) out.push(b[b.length - 1]);
      return [result(c.elementType(0), out)];
    },
    example: '%y = nn.matmul(%x, %w) : tensor<1x128x768xf32>',
    interpret: matmulKernel,
    mask: weightedMask,
  },
];
