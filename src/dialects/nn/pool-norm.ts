// nn dialect: pooling, normalisation, softmax and dropout.
import type { OpContext, OpDef } from '../../ir/opdef.js';
import { list, normAxis, requireEqualDims, requireRank, result, sameAs, sameElementType, windowAttrs, windowOut, type MaybeDim } from '../infer.js';
import { WINDOW_ATTRS } from './linear.js';
import { couplingMask, firstOperandMask, opaqueMask, perChannelMask, poolMask } from '../../analysis/transfer.js';
import type { MaskTransfer } from '../../ir/opdef.js';
import { averagePoolKernel, batchNormKernel, instanceNormKernel, dropoutKernel, globalAveragePoolKernel, globalMaxPoolKernel, layerNormKernel, logSoftmaxKernel, lrnKernel, maxPoolKernel, softmaxKernel } from '../../interp/kernels/pool-norm.js';

const spatial = (c: OpContext) => Math.max(0, c.rank(0) - 2);

/** Ops that mix all channels when they work along axis 1, and are opaque otherwise (conservative). */
function axisDependent(couples: (c: OpContext) => boolean): MaskTransfer {
  return {
    map: (c) => (couples(c) ? couplingMask : opaqueMask).map!(c),
    forward: (c, i) => (couples(c) ? couplingMask : opaqueMask).forward(c, i),
    backward: (c, i, u) => (couples(c) ? couplingMask : opaqueMask).backward(c, i, u),
  };
}

function pool(name: string, onnx: string, summary: string, extra: OpDef['attrs'], indices: boolean): OpDef {
  return {
    name: `nn.${name}`,
    onnx,
    summary,
    operands: [{ name: 'x', types: 'numeric' }],
    results: indices ? [{ name: 'y', types: 'numeric' }, { name: 'indices', types: 'index', optional: true }] : [{ name: 'y', types: 'numeric' }],
    attrs: {
      ...WINDOW_ATTRS,
      ceil_mode: { type: 'int', default: 0, doc: '1 to round the output size up' },
      kernel_shape: { type: 'ints', required: true, doc: 'window size, one per spatial dim' },
      ...extra,
    },
    verify: (c) => requireRank(c, 0, (r) => r >= 3, 'rank >= 3 (N, C, spatial...)'),
    infer: (c) => {
      const x = c.shape(0);
      const w = windowAttrs(c, spatial(c), c.ints('kernel_shape'));
      const shape = [x[0], x[1], ...x.slice(2).map((d, i) => windowOut(c, w, i, d, c.int('ceil_mode') === 1))];
      return [result(c.elementType(0), shape), result('i64', shape)].slice(0, c.op.results.length);
    },
    example: `%y = nn.${name}(%x) {kernel_shape = [3, 3], strides = [2, 2]} : tensor<1x64x56x56xf32>`,
    interpret: indices ? maxPoolKernel : averagePoolKernel,
    mask: poolMask,
  };
}

function globalPool(name: string, onnx: string, summary: string): OpDef {
  return {
    name: `nn.${name}`,
    onnx,
    summary,
    operands: [{ name: 'x', types: 'numeric' }],
    results: [{ name: 'y', types: 'numeric' }],
    attrs: {},
    verify: (c) => requireRank(c, 0, (r) => r >= 3, 'rank >= 3 (N, C, spatial...)'),
    infer: (c) => [result(c.elementType(0), c.shape(0).map((d, i) => (i < 2 ? d : 1)))],
    example: `%y = nn.${name}(%x) : tensor<1x2048x1x1xf32>`,
    interpret: name === 'global_max_pool' ? globalMaxPoolKernel : globalAveragePoolKernel,
    mask: poolMask,
  };
}

function softmax(name: string, onnx: string, summary: string): OpDef {
  return {
    name: `nn.${name}`,
    onnx,
    summary,
    operands: [{ name: 'x', types: 'float' }],
    results: [{ name: 'y', types: 'float' }],
    attrs: { axis: { type: 'int', default: -1, doc: 'the axis normalised over' } },
    verify: (c) => void normAxis(c, c.int('axis'), c.rank(0)),
    infer: (c) => [sameAs(c.type(0))],
    example: `%y = nn.${name}(%x) {axis = -1} : tensor<1x1000xf32>`,
    interpret: name === 'log_softmax' ? logSoftmaxKernel : softmaxKernel,
    mask: axisDependent((c) => normAxis(c, c.int('axis'), c.rank(0)) === 1),
  };
}

/** Checks that operand i is a vector with one entry per channel of x. */
function perChannel(c: OpContext, i: number, what: string): void {
  requireRank(c, i, 1, `rank 1 (${what}, one per channel)`);
  requireEqualDims(c, c.shape(i)[0], c.shape(0)[1], `${what} length must equal the channel count`);
}

/**
 * Checks that layer norm's operand i (scale or bias) fits the normalized dims x.shape[axis:]: its
 * shape, leading 1s dropped, must be those dims or their last few (it repeats along the others).
 */
function normalizedOperand(c: OpContext, i: number, what: string, normalized: readonly MaybeDim[], axis: number): void {
  const s = c.shape(i);
  let lead = 0;
  while (lead < s.length && s[lead] === 1) lead++;
  const tail = s.slice(lead);
  const want = normalized.slice(normalized.length - tail.length);
  const fits = s.length <= normalized.length && tail.every((d, k) => typeof d !== 'number' || typeof want[k] !== 'number' || d === want[k]);
  if (!fits) c.fail(`${what} shape ${list(s)} does not fit the normalized dims ${list(normalized)} (x dims from axis ${axis} on)`);
}

export const POOL_NORM_OPS: OpDef[] = [
  pool('max_pool', 'MaxPool', 'Max over sliding windows; optional second result holds the flat indices of the maxima.', {
    storage_order: { type: 'int', default: 0, doc: 'index order of the indices result: 0 row major, 1 column major' },
  }, true),
  pool('average_pool', 'AveragePool', 'Mean over sliding windows.', {
    count_include_pad: { type: 'int', default: 0, doc: '1 to count padded positions in the divisor' },
  }, false),
  globalPool('global_average_pool', 'GlobalAveragePool', 'Mean over all spatial positions; spatial dims become 1.'),
  globalPool('global_max_pool', 'GlobalMaxPool', 'Max over all spatial positions; spatial dims become 1.'),
  {
    name: 'nn.batch_normalization',
    onnx: 'BatchNormalization',
    summary: 'Inference-mode batch norm: scale * (x - mean) / sqrt(var + epsilon) + bias, per channel (axis 1).',
    operands: [
      { name: 'x', types: 'float' }, { name: 'scale', types: 'float' }, { name: 'bias', types: 'float' },
      { name: 'mean', types: 'float' }, { name: 'var', types: 'float' },
    ],
    results: [{ name: 'y', types: 'float' }, { name: 'running_mean', types: 'float', optional: true }, { name: 'running_var', types: 'float', optional: true }],
    attrs: {
      epsilon: { type: 'float', default: 1e-5, doc: 'added to the variance' },
      momentum: { type: 'float', default: 0.9, doc: 'running-statistics update factor (training mode)' },
      training_mode: { type: 'int', default: 0, doc: '1 to normalise with batch statistics and output running statistics' },
    },
    verify: (c) => {
      requireRank(c, 0, (r) => r >= 2, 'rank >= 2 (N, C, ...)');
      ['scale', 'bias', 'mean', 'var'].forEach((w, k) => perChannel(c, k + 1, w));
      // ONNX lets x, scale/bias and mean/var have three float types (T, T1, T2 since opset 15).
      sameElementType(c, 1, 2);
      sameElementType(c, 3, 4);
      if (c.op.results.length > 1 && c.int('training_mode') !== 1) c.fail('running_mean/running_var results need training_mode = 1');
    },
    infer: (c) => [sameAs(c.type(0)), sameAs(c.type(3)), sameAs(c.type(4))].slice(0, c.op.results.length),
    example: '%y = nn.batch_normalization(%x, %scale, %bias, %mean, %var) {epsilon = 1e-05} : tensor<1x64x56x56xf32>',
    interpret: batchNormKernel,
    mask: { forward: (c, i) => (c.int('training_mode') ? opaqueMask : perChannelMask).forward(c, i), backward: (c, i, u) => (c.int('training_mode') ? opaqueMask : perChannelMask).backward(c, i, u), map: (c) => (c.int('training_mode') ? opaqueMask : perChannelMask).map!(c) },
  },
  {
    name: 'nn.instance_normalization',
    onnx: 'InstanceNormalization',
    summary: 'Normalises each (sample, channel) plane over its spatial dims, then scale * y + bias per channel.',
    operands: [{ name: 'x', types: 'float' }, { name: 'scale', types: 'float' }, { name: 'bias', types: 'float' }],
    results: [{ name: 'y', types: 'float' }],
    attrs: { epsilon: { type: 'float', default: 1e-5, doc: 'added to the variance' } },
    verify: (c) => {
      requireRank(c, 0, (r) => r >= 3, 'rank >= 3 (N, C, spatial...)');
      sameElementType(c, 0, 1);
      sameElementType(c, 0, 2);
      perChannel(c, 1, 'scale');
      perChannel(c, 2, 'bias');
    },
    infer: (c) => [sameAs(c.type(0))],
    example: '%y = nn.instance_normalization(%x, %scale, %bias) : tensor<1x64x56x56xf32>',
    interpret: instanceNormKernel,
    mask: perChannelMask,
  },
  {
    name: 'nn.layer_normalization',
    onnx: 'LayerNormalization',
    summary: 'Normalises over the dims from axis on, then scales (and shifts); optional mean and 1/stddev results.',
    operands: [{ name: 'x', types: 'float' }, { name: 'scale', types: 'float' }, { name: 'bias', types: 'float', optional: true }],
    results: [{ name: 'y', types: 'float' }, { name: 'mean', types: 'float', optional: true }, { name: 'inv_std_dev', types: 'float', optional: true }],
    attrs: {
      axis: { type: 'int', default: -1, doc: 'first normalised dim' },
      epsilon: { type: 'float', default: 1e-5, doc: 'added to the variance' },
      stash_type: { type: 'int', default: 1, doc: 'ONNX element type of the statistics (1 = float)' },
    },
    verify: (c) => {
      const a = normAxis(c, c.int('axis'), c.rank(0));
      const normalized = c.shape(0).slice(a);
      sameElementType(c, 0, 1);
      normalizedOperand(c, 1, 'scale', normalized, a);
      if (c.numOperands > 2) {
        sameElementType(c, 0, 2);
        normalizedOperand(c, 2, 'bias', normalized, a);
      }
    },
    infer: (c) => {
      const a = normAxis(c, c.int('axis'), c.rank(0));
      const stat = result(c.elementType(0), c.shape(0).map((d, i) => (i < a ? d : 1)));
      return [sameAs(c.type(0)), stat, stat].slice(0, c.op.results.length);
    },
    example: '%y = nn.layer_normalization(%x, %gamma, %beta) {axis = -1} : tensor<1x128x768xf32>',
    interpret: layerNormKernel,
    mask: axisDependent((c) => normAxis(c, c.int('axis'), c.rank(0)) <= 1),
  },
  {
    name: 'nn.lrn',
    onnx: 'LRN',
    summary: 'Local response normalisation across `size` neighbouring channels.',
    operands: [{ name: 'x', types: 'float' }],
    results: [{ name: 'y', types: 'float' }],
    attrs: {
      alpha: { type: 'float', default: 1e-4, doc: 'scale' },
      beta: { type: 'float', default: 0.75, doc: 'exponent' },
      bias: { type: 'float', default: 1, doc: 'offset' },
      size: { type: 'int', required: true, doc: 'number of channels summed over' },
    },
    verify: (c) => {
      requireRank(c, 0, (r) => r >= 3, 'rank >= 3 (N, C, spatial...)');
      if (c.int('size') < 1) c.fail(`size must be >= 1, got ${c.int('size')}`);
    },
    infer: (c) => [sameAs(c.type(0))],
    example: '%y = nn.lrn(%x) {size = 5} : tensor<1x96x55x55xf32>',
    interpret: lrnKernel,
    mask: couplingMask,
  },
  softmax('softmax', 'Softmax', 'exp(x) / sum(exp(x)) along axis.'),
  softmax('log_softmax', 'LogSoftmax', 'log(softmax(x)) along axis.'),
  {
    name: 'nn.dropout',
    onnx: 'Dropout',
    summary: 'Identity at inference; in training mode zeroes elements with probability ratio. Optional bool mask result.',
    operands: [{ name: 'x', types: 'float' }, { name: 'ratio', types: 'float', optional: true }, { name: 'training_mode', types: 'bool', optional: true }],
    results: [{ name: 'y', types: 'float' }, { name: 'mask', types: 'bool', optional: true }],
    attrs: { seed: { type: 'int', doc: 'random seed (training mode)' } },
    infer: (c) => [sameAs(c.type(0)), result('bool', c.shape(0))].slice(0, c.op.results.length),
    example: '%y = nn.dropout(%x) : tensor<1x4096xf32>',
    interpret: dropoutKernel,
    mask: firstOperandMask,
  },
];
