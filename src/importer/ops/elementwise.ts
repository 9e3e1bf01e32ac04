// Converters for element-wise ONNX ops: activations, arithmetic (with the pre-opset-7 `broadcast`
// and `axis` attributes), comparisons, Where, Clip, Cast and CastLike.
import { float, str, typeAttr, type Attr } from '../../ir/attributes.js';
import type { Value } from '../../ir/core.js';
import { Tensor } from '../../ir/tensor.js';
import { ELEMENT_TYPES, intRange } from '../../ir/types.js';
import { elementTypeOf } from '../../onnx/proto.js';
import type { NodeContext } from '../node-context.js';
import { converter, type OpConverter } from '../registry.js';

const unary = (onnxOp: string, op: string, attrs: (c: NodeContext) => Record<string, Attr> = () => ({})): OpConverter =>
  converter(onnxOp, (c) => [c.op1(`nn.${op}`, [c.need(0)], attrs(c))]);

/** Before opset 7, `broadcast = 1` with `axis` aligns b's dims with a's starting at axis. */
function legacyBroadcast(c: NodeContext, a: Value, b: Value): Value {
  if (c.opset >= 7 || !c.int('broadcast', 0) || !c.has('axis')) return b;
  const axis = c.int('axis');
  const ra = a.type.rank, rb = b.type.rank;
  const ax = axis < 0 ? axis + ra : axis;
  const trailing = ra - ax - rb;
  if (trailing <= 0) return b;
  return c.op1('nn.reshape', [b, c.i64([...b.type.shape.map((d) => (typeof d === 'number' ? d : -1)), ...new Array<number>(trailing).fill(1)])]);
}

const binary = (onnxOp: string, op: string): OpConverter =>
  converter(onnxOp, (c) => {
    const a = c.need(0);
    return [c.op1(`nn.${op}`, [a, legacyBroadcast(c, a, c.need(1))])];
  });

const variadic = (onnxOp: string, op: string): OpConverter =>
  converter(onnxOp, (c) => {
    const xs = (c.node.input ?? []).map((_, i) => c.input(i)).filter((v): v is Value => v !== undefined);
    if (xs.length === 0) c.fail('needs at least one input');
    return [xs.length === 1 && op !== 'mean' ? xs[0]! : c.op1(`nn.${op}`, xs)];
  });

const alpha = (name: string, d: number) => (c: NodeContext): Record<string, Attr> => ({ [name]: float(c.float(name, d)) });

/** The lowest / highest value of an element type, as a scalar constant for an absent clip bound. */
function bound(c: NodeContext, x: Value, high: boolean): Value {
  const et = x.type.elementType;
  const r = intRange(et);
  const v = r ? Number(high ? r.max : r.min) : high ? Infinity : -Infinity;
  return c.constant(Tensor.from(et, [], [ELEMENT_TYPES[et].bytes === 8 && r ? (high ? r.max : r.min) : v]));
}

export const ELEMENTWISE_CONVERTERS: OpConverter[] = [
  ...([['Relu', 'relu'], ['Sigmoid', 'sigmoid'], ['Tanh', 'tanh'], ['Sqrt', 'sqrt'], ['Exp', 'exp'], ['Log', 'log'], ['Erf', 'erf'],
    ['Neg', 'neg'], ['Abs', 'abs'], ['Reciprocal', 'reciprocal'], ['Floor', 'floor'], ['Ceil', 'ceil'], ['Softplus', 'softplus'],
    ['Softsign', 'softsign'], ['HardSwish', 'hard_swish'], ['Not', 'not']] as const).map(([o, n]) => unary(o, n)),
  unary('LeakyRelu', 'leaky_relu', alpha('alpha', 0.01)),
  unary('Elu', 'elu', alpha('alpha', 1)),
  unary('Selu', 'selu', (c) => ({ alpha: float(c.float('alpha', 1.67326319217681884765625)), gamma: float(c.float('gamma', 1.05070102214813232421875)) })),
  unary('HardSigmoid', 'hard_sigmoid', (c) => ({ alpha: float(c.float('alpha', 0.2)), beta: float(c.float('beta', 0.5)) })),
  unary('Gelu', 'gelu', (c): Record<string, Attr> => (c.has('approximate') ? { approximate: str(c.string('approximate')) } : {})),
  converter('Identity', (c) => [c.need(0)]),
  binary('Add', 'add'),
  binary('Sub', 'sub'),
  binary('Mul', 'mul'),
  binary('Div', 'div'),
  binary('Pow', 'pow'),
  binary('Equal', 'equal'),
  binary('Less', 'less'),
  binary('LessOrEqual', 'less_or_equal'),
  binary('Greater', 'greater'),
  binary('GreaterOrEqual', 'greater_or_equal'),
  converter('Where', (c) => [c.op1('nn.where', [c.need(0), c.need(1), c.need(2)])]),
  variadic('Max', 'max'),
  variadic('Min', 'min'),
  variadic('Sum', 'sum'),
  variadic('Mean', 'mean'),
  converter('PRelu', (c) => {
    const x = c.need(0);
    let slope = c.need(1);
    // Opset < 7 (and some exporters): a 1-d slope of length C applies per channel (axis 1).
    if (slope.type.rank === 1 && x.type.rank > 2 && slope.type.shape[0] !== 1 && slope.type.shape[0] === x.type.shape[1]) {
      slope = c.op1('nn.reshape', [slope, c.i64([-1, ...new Array<number>(x.type.rank - 2).fill(1)])]);
    }
    return [c.op1('nn.prelu', [x, slope])];
  }),
  converter('Clip', {
    1: (c) => {
      const x = c.need(0);
      const et = x.type.elementType;
      return [c.op1('nn.clip', [x, c.scalar(et, c.float('min', -Infinity)), c.scalar(et, c.float('max', Infinity))])];
    },
    11: (c) => {
      const x = c.need(0);
      const lo = c.input(1), hi = c.input(2);
      if (!lo && !hi) return [x];
      return [c.op1('nn.clip', [x, lo ?? bound(c, x, false), ...(hi ? [hi] : [])])];
    },
  }),
  converter('Cast', (c) => {
    const to = elementTypeOf(c.int('to'), `Cast 'to'`);
    const x = c.need(0);
    return [x.type.elementType === to ? x : c.op1('nn.cast', [x], { to: typeAttr(to) })];
  }),
  converter('CastLike', (c) => {
    const x = c.need(0), like = c.need(1);
    const to = like.type.elementType;
    return [x.type.elementType === to ? x : c.op1('nn.cast', [x], { to: typeAttr(to) })];
  }),
];
