// Converters for Conv, ConvTranspose, Gemm, MatMul, pooling, normalisation, Softmax family, Dropout.
import { float, int, ints, str, type Attr } from '../../ir/attributes.js';
import type { Value } from '../../ir/core.js';
import type { NodeContext } from '../node-context.js';
import { converter, type OpConverter } from '../registry.js';

/** Copies the named attributes that the node has, by kind. */
function pass(c: NodeContext, spec: Record<string, 'int' | 'ints' | 'float' | 'string'>): Record<string, Attr> {
  const out: Record<string, Attr> = {};
  for (const [name, kind] of Object.entries(spec)) {
    if (!c.has(name)) continue;
    if (kind === 'int') out[name] = int(c.int(name));
    else if (kind === 'ints') out[name] = ints(c.ints(name));
    else if (kind === 'float') out[name] = float(c.float(name));
    else {
      const s = c.string(name);
      if (name === 'auto_pad' && s === '') continue;
      out[name] = str(s);
    }
  }
  return out;
}

const WINDOW = { auto_pad: 'string', dilations: 'ints', kernel_shape: 'ints', pads: 'ints', strides: 'ints' } as const;

/** Outputs that are requested (non-empty names) beyond the first must be supported by the op. */
function requireOnlyFirstOutput(c: NodeContext, why: string): void {
  if (c.numOutputs > 1) c.unsupported(`${c.opType} with ${c.numOutputs} outputs (${why})`);
}

function softmaxOld(op: string): (c: NodeContext) => Value[] {
  // Before opset 13, Softmax flattens x to 2-d at `axis` (default 1) and normalises each row.
  return (c) => {
    const x = c.need(0);
    const r = x.type.rank;
    let axis = c.int('axis', 1);
    if (axis < 0) axis += r;
    if (axis === r - 1) return [c.op1(op, [x], { axis: int(-1) })];
    const flat = c.op1('nn.flatten', [x], { axis: int(axis) });
    const y = c.op1(op, [flat], { axis: int(1) });
    const shape = c.op1('nn.shape', [x]);
    return [c.op1('nn.reshape', [y, shape])];
  };
}

export const LINEAR_POOL_NORM_CONVERTERS: OpConverter[] = [
  converter('Conv', (c) => [c.op1('nn.conv', [c.need(0), c.need(1), c.input(2)], pass(c, { ...WINDOW, group: 'int' }))]),
  converter('ConvTranspose', (c) => [
    c.op1('nn.conv_transpose', [c.need(0), c.need(1), c.input(2)], pass(c, { ...WINDOW, group: 'int', output_padding: 'ints', output_shape: 'ints' })),
  ]),
  converter('Gemm', (c) => {
    let cc = c.input(2);
    const beta = c.float('beta', 1);
    if (cc && beta === 0) cc = undefined;
    // ONNX (as onnxruntime reads it) transposes for any nonzero transA/transB; the IR holds 0 or 1.
    const trans = Object.fromEntries(['transA', 'transB'].filter((t) => c.has(t)).map((t) => [t, int(c.int(t) !== 0 ? 1 : 0)]));
    return [c.op1('nn.gemm', [c.need(0), c.need(1), cc], { ...pass(c, { alpha: 'float', beta: 'float' }), ...trans })];
  }),
  converter('MatMul', (c) => [c.op1('nn.matmul', [c.need(0), c.need(1)])]),
  converter('MaxPool', (c) => {
    const outs = c.op('nn.max_pool', [c.need(0)], pass(c, { ...WINDOW, ceil_mode: 'int', storage_order: 'int' }), Math.max(1, c.numOutputs));
    return outs;
  }),
  converter('AveragePool', (c) => {
    requireOnlyFirstOutput(c, 'AveragePool has one output');
    return [c.op1('nn.average_pool', [c.need(0)], pass(c, { ...WINDOW, ceil_mode: 'int', count_include_pad: 'int' }))];
  }),
  converter('GlobalAveragePool', (c) => [c.op1('nn.global_average_pool', [c.need(0)])]),
  converter('GlobalMaxPool', (c) => [c.op1('nn.global_max_pool', [c.need(0)])]),
  converter('BatchNormalization', {
    1: (c) => {
      if (c.numOutputs > 1) c.unsupported('BatchNormalization in training mode before opset 14 (outputs saved_mean/saved_var)');
      if (c.opset < 9 && c.has('spatial') && c.int('spatial') === 0) c.unsupported('BatchNormalization with spatial = 0');
      return [c.op1('nn.batch_normalization', [c.need(0), c.need(1), c.need(2), c.need(3), c.need(4)], pass(c, { epsilon: 'float', momentum: 'float' }))];
    },
    14: (c) => {
      const training = c.int('training_mode', 0);
      if (!training && c.numOutputs > 1) c.fail('running_mean/running_var outputs need training_mode = 1');
      return c.op('nn.batch_normalization', [c.need(0), c.need(1), c.need(2), c.need(3), c.need(4)], pass(c, { epsilon: 'float', momentum: 'float', training_mode: 'int' }), Math.max(1, c.numOutputs));
    },
  }),
  converter('InstanceNormalization', (c) => [c.op1('nn.instance_normalization', [c.need(0), c.need(1), c.need(2)], pass(c, { epsilon: 'float' }))]),
  converter('LayerNormalization', (c) => c.op('nn.layer_normalization', [c.need(0), c.need(1), c.input(2)], pass(c, { axis: 'int', epsilon: 'float', stash_type: 'int' }), Math.max(1, c.numOutputs))),
  converter('LRN', (c) => [c.op1('nn.lrn', [c.need(0)], pass(c, { alpha: 'float', beta: 'float', bias: 'float', size: 'int' }))]),
  converter('Softmax', { 1: softmaxOld('nn.softmax'), 13: (c) => [c.op1('nn.softmax', [c.need(0)], pass(c, { axis: 'int' }))] }),
  converter('LogSoftmax', { 1: softmaxOld('nn.log_softmax'), 13: (c) => [c.op1('nn.log_softmax', [c.need(0)], pass(c, { axis: 'int' }))] }),
  converter('Dropout', {
    1: (c) => {
      if (c.opset < 7 && c.has('is_test') && c.int('is_test') === 0) c.unsupported('Dropout in training mode (is_test = 0)');
      const outs = c.op('nn.dropout', [c.need(0)], {}, Math.max(1, c.numOutputs));
      return outs;
    },
    12: (c) => {
      const training = c.input(2);
      const ratio = c.input(1) ?? (training ? c.scalar(c.need(0).type.elementType, 0.5) : undefined);
      const outs = c.op('nn.dropout', [c.need(0), ratio, training], pass(c, { seed: 'int' }), Math.max(1, c.numOutputs));
      return outs;
    },
  }),
];
