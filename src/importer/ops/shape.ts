// Converters for constants, shape and data-movement ops, and reductions. Attributes that later
// opsets turned into inputs (axes, pads, split, starts...) become constant operands.
import { dense, int, ints, str } from '../../ir/attributes.js';
import type { Value } from '../../ir/core.js';
import { Tensor } from '../../ir/tensor.js';
import type { NodeContext } from '../node-context.js';
import { converter, type Converter, type OpConverter } from '../registry.js';

/** `axes` from an attribute (old opsets) or input i (new opsets). */
function axesOperand(c: NodeContext, fromInputSince: number, i: number): Value | undefined {
  if (c.opset >= fromInputSince) return c.input(i);
  return c.has('axes') ? c.i64(c.ints('axes')) : undefined;
}

function reduce(onnxOp: string, op: string, axesInputSince: number): OpConverter {
  const convert: Converter = (c) => {
    const x = c.need(0);
    const axes = axesOperand(c, axesInputSince, 1);
    const attrs = { keepdims: int(c.int('keepdims', 1)), ...(c.opset >= 18 || c.has('noop_with_empty_axes') ? { noop_with_empty_axes: int(c.int('noop_with_empty_axes', 0)) } : {}) };
    return [c.op1(`nn.${op}`, [x, axes], attrs)];
  };
  return converter(onnxOp, convert);
}

function constantValue(c: NodeContext): Tensor {
  const t = c.tensor('value');
  if (t) return t;
  if (c.has('value_float')) return Tensor.from('f32', [], [c.float('value_float')]);
  if (c.has('value_floats')) return Tensor.from('f32', [c.floats('value_floats').length], c.floats('value_floats'));
  if (c.has('value_int')) return Tensor.from('i64', [], [BigInt(c.int('value_int'))]);
  if (c.has('value_ints')) return Tensor.from('i64', [c.ints('value_ints').length], c.ints('value_ints').map(BigInt));
  if (c.has('value_string') || c.has('value_strings')) c.unsupported('string tensors');
  if (c.has('sparse_value')) c.unsupported('Constant with sparse_value');
  return c.fail("Constant needs one of 'value', 'value_float(s)', 'value_int(s)'");
}

export const SHAPE_CONVERTERS: OpConverter[] = [
  converter('Constant', (c) => [c.constant(constantValue(c), c.node.output?.[0] ?? undefined)]),
  converter('ConstantOfShape', (c) => {
    const t = c.tensor('value');
    return [c.op1('nn.constant_of_shape', [c.need(0)], t ? { value: dense(t) } : {})];
  }),
  converter('Flatten', (c) => [c.op1('nn.flatten', [c.need(0)], { axis: int(c.int('axis', 1)) })]),
  converter('Reshape', {
    1: (c) => [c.op1('nn.reshape', [c.need(0), c.i64(c.ints('shape'))])],
    5: (c) => [c.op1('nn.reshape', [c.need(0), c.need(1)], c.has('allowzero') ? { allowzero: int(c.int('allowzero')) } : {})],
  }),
  converter('Transpose', (c) => [c.op1('nn.transpose', [c.need(0)], c.has('perm') ? { perm: ints(c.ints('perm')) } : {})]),
  converter('Concat', (c) => {
    const xs = (c.node.input ?? []).map((_, i) => c.input(i)).filter((v): v is Value => v !== undefined);
    return [c.op1('nn.concat', xs, { axis: int(c.int('axis', c.opset < 4 ? 1 : undefined)) })];
  }),
  converter('Split', {
    1: (c) => {
      const x = c.need(0);
      const split = c.opset < 2 && c.input(1) ? c.input(1) : c.has('split') ? c.i64(c.ints('split')) : undefined;
      return c.op('nn.split', [x, split], { axis: int(c.int('axis', 0)) }, c.numOutputs);
    },
    13: (c) => {
      const attrs = { axis: int(c.int('axis', 0)), ...(c.has('num_outputs') ? { num_outputs: int(c.int('num_outputs')) } : {}) };
      return c.op('nn.split', [c.need(0), c.input(1)], attrs, c.numOutputs);
    },
  }),
  converter('Slice', {
    1: (c) => {
      const starts = c.ints('starts'), ends = c.ints('ends');
      return [c.op1('nn.slice', [c.need(0), c.i64(starts), c.i64(ends), c.has('axes') ? c.i64(c.ints('axes')) : undefined])];
    },
    10: (c) => {
      let axes = c.input(3);
      const steps = c.input(4);
      if (!axes && steps) {
        const n = c.need(1).type.shape[0];
        if (typeof n !== 'number') c.unsupported('Slice with steps but no axes and a dynamic number of starts');
        axes = c.i64([...Array(n).keys()]);
      }
      return [c.op1('nn.slice', [c.need(0), c.need(1), c.need(2), axes, steps])];
    },
  }),
  converter('Squeeze', { 1: (c) => [c.op1('nn.squeeze', [c.need(0), axesOperand(c, 13, 1)])], 13: (c) => [c.op1('nn.squeeze', [c.need(0), c.input(1)])] }),
  converter('Unsqueeze', {
    1: (c) => [c.op1('nn.unsqueeze', [c.need(0), c.i64(c.ints('axes'))])],
    13: (c) => [c.op1('nn.unsqueeze', [c.need(0), c.need(1)])],
  }),
  converter('Pad', {
    1: (c) => {
      const pads = c.has('pads') ? c.ints('pads') : c.ints('paddings');
      const x = c.need(0);
      const mode = c.string('mode', 'constant');
      return [c.op1('nn.pad', [x, c.i64(pads), c.scalar(x.type.elementType, c.float('value', 0))], { mode: str(mode) })];
    },
    11: (c) => {
      const x = c.need(0);
      const value = c.input(2);
      const axes = c.input(3);
      const operands = [x, c.need(1), value ?? (axes ? c.scalar(x.type.elementType, 0) : undefined), axes];
      return [c.op1('nn.pad', operands, { mode: str(c.string('mode', 'constant')) })];
    },
  }),
  converter('Gather', (c) => [c.op1('nn.gather', [c.need(0), c.need(1)], { axis: int(c.int('axis', 0)) })]),
  converter('Shape', (c) => {
    const attrs: Record<string, ReturnType<typeof int>> = {};
    if (c.has('start')) attrs['start'] = int(c.int('start'));
    if (c.has('end')) attrs['end'] = int(c.int('end'));
    return [c.op1('nn.shape', [c.need(0)], attrs)];
  }),
  converter('Size', (c) => [c.op1('nn.size', [c.need(0)])]),
  converter('Expand', (c) => [c.op1('nn.expand', [c.need(0), c.need(1)])]),
  converter('Tile', {
    1: (c) => c.unsupported('Tile before opset 6 (tiles and axis inputs)'),
    6: (c) => [c.op1('nn.tile', [c.need(0), c.need(1)])],
  }),
  reduce('ReduceMean', 'reduce_mean', 18),
  reduce('ReduceMax', 'reduce_max', 18),
  reduce('ReduceMin', 'reduce_min', 18),
  reduce('ReduceSum', 'reduce_sum', 13),
];
