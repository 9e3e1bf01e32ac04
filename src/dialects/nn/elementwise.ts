// nn dialect: element-wise ops (activations, arithmetic with numpy broadcasting, casts).
import type { AttrSpec, OpDef, TypeClass } from '../../ir/opdef.js';
import { isElementType } from '../../ir/types.js';
import { broadcast, result, sameAs, sameElementType } from '../infer.js';
import { elementwiseMask } from '../../analysis/transfer.js';
import { ARITH, broadcastKernel, castKernel, clipKernel, COMPARE, compareKernel, identityKernel, preluKernel, UNARY, unaryKernel, whereKernel } from '../../interp/kernels/elementwise.js';

function unary(name: string, onnx: string, summary: string, types: TypeClass = 'float', attrs: Record<string, AttrSpec> = {}): OpDef {
  return {
    name: `nn.${name}`,
    onnx,
    summary,
    operands: [{ name: 'x', types }],
    results: [{ name: 'y', types }],
    attrs,
    infer: (c) => [sameAs(c.type(0))],
    example: `%y = nn.${name}(%x) : tensor<1x64xf32>`,
    interpret: name === 'identity' ? identityKernel : unaryKernel(UNARY[name]!),
    mask: elementwiseMask,
  };
}

function binary(name: string, onnx: string, summary: string, types: TypeClass = 'numeric', sameTypes = true): OpDef {
  return {
    name: `nn.${name}`,
    onnx,
    summary: `${summary} (numpy broadcasting).`,
    operands: [{ name: 'a', types }, { name: 'b', types }],
    results: [{ name: 'c', types }],
    attrs: {},
    verify: (c) => (sameTypes ? sameElementType(c, 0, 1) : undefined),
    infer: (c) => [result(c.elementType(0), broadcast(c, [c.shape(0), c.shape(1)]))],
    example: `%c = nn.${name}(%a, %b) : tensor<1x64xf32>`,
    interpret: broadcastKernel(ARITH[name as keyof typeof ARITH]),
    mask: elementwiseMask,
  };
}

function variadic(name: string, onnx: string, summary: string): OpDef {
  return {
    name: `nn.${name}`,
    onnx,
    summary: `${summary} (numpy broadcasting).`,
    operands: [{ name: 'inputs', types: 'numeric', variadic: true }],
    results: [{ name: 'y', types: 'numeric' }],
    attrs: {},
    verify: (c) => {
      for (let i = 1; i < c.numOperands; i++) sameElementType(c, 0, i);
    },
    infer: (c) => [result(c.elementType(0), broadcast(c, c.op.operands.map((_, i) => c.shape(i))))],
    example: `%y = nn.${name}(%a, %b, %c) : tensor<1x64xf32>`,
    mask: elementwiseMask,
    interpret: name === 'mean' ? broadcastKernel(ARITH.add, (acc, n) => acc / n) : broadcastKernel(ARITH[name === 'sum' ? 'add' : (name as 'max' | 'min')]),
  };
}

const alpha = (d: number, doc: string): AttrSpec => ({ type: 'float', default: d, doc });

export const ELEMENTWISE_OPS: OpDef[] = [
  unary('relu', 'Relu', 'max(x, 0).', 'numeric'),
  unary('leaky_relu', 'LeakyRelu', 'x if x >= 0 else alpha * x.', 'float', { alpha: alpha(0.01, 'slope for x < 0') }),
  unary('elu', 'Elu', 'x if x >= 0 else alpha * (exp(x) - 1).', 'float', { alpha: alpha(1, 'scale for x < 0') }),
  unary('selu', 'Selu', 'gamma * (x if x > 0 else alpha * (exp(x) - 1)).', 'float', {
    alpha: alpha(1.67326319217681884765625, 'scale for x <= 0'),
    gamma: alpha(1.05070102214813232421875, 'overall scale'),
  }),
  unary('sigmoid', 'Sigmoid', '1 / (1 + exp(-x)).'),
  unary('hard_sigmoid', 'HardSigmoid', 'max(0, min(1, alpha * x + beta)).', 'float', { alpha: alpha(0.2, 'slope'), beta: alpha(0.5, 'offset') }),
  unary('hard_swish', 'HardSwish', 'x * max(0, min(1, x / 6 + 1 / 2)).'),
  unary('tanh', 'Tanh', 'Hyperbolic tangent.'),
  unary('softplus', 'Softplus', 'log(exp(x) + 1).'),
  unary('softsign', 'Softsign', 'x / (1 + |x|).'),
  unary('gelu', 'Gelu', 'Gaussian error linear unit; approximate = "tanh" uses the tanh formula.', 'float', {
    approximate: { type: 'string', default: 'none', oneOf: ['none', 'tanh'], doc: 'exact (erf) or tanh approximation' },
  }),
  unary('sqrt', 'Sqrt', 'Square root.'),
  unary('exp', 'Exp', 'e^x.'),
  unary('log', 'Log', 'Natural logarithm.'),
  unary('erf', 'Erf', 'Gauss error function.'),
  unary('reciprocal', 'Reciprocal', '1 / x.'),
  unary('floor', 'Floor', 'Round toward -inf.'),
  unary('ceil', 'Ceil', 'Round toward +inf.'),
  unary('neg', 'Neg', '-x.', 'numeric'),
  unary('abs', 'Abs', '|x|.', 'numeric'),
  unary('identity', 'Identity', 'Returns its input.', 'any'),
  {
    name: 'nn.clip',
    onnx: 'Clip',
    summary: 'Limits x to [min, max]; an absent bound does not limit. Bounds are scalars of the input type.',
    operands: [{ name: 'x', types: 'numeric' }, { name: 'min', types: 'numeric', optional: true }, { name: 'max', types: 'numeric', optional: true }],
    results: [{ name: 'y', types: 'numeric' }],
    attrs: {},
    verify: (c) => {
      for (let i = 1; i < c.numOperands; i++) {
        sameElementType(c, 0, i);
        if (c.rank(i) !== 0 && !(c.rank(i) === 1 && c.shape(i)[0] === 1)) c.fail(`bound operand #${i} must be a scalar, got ${c.type(i)}`);
      }
    },
    infer: (c) => [sameAs(c.type(0))],
    example: '%y = nn.clip(%x, %lo, %hi) : tensor<1x64xf32>',
    interpret: clipKernel,
    mask: elementwiseMask,
  },
  {
    name: 'nn.cast',
    onnx: 'Cast',
    summary: 'Converts each element to the element type `to`.',
    operands: [{ name: 'x' }],
    results: [{ name: 'y' }],
    attrs: { to: { type: 'type', required: true, doc: 'the element type of the result' } },
    verify: (c) => {
      const to = c.raw('to');
      if (to?.kind !== 'type' || typeof to.value !== 'string' || !isElementType(to.value)) c.fail(`attribute 'to' must be an element type such as f32`);
    },
    infer: (c) => {
      const to = c.raw('to');
      return [result(to?.kind === 'type' && typeof to.value === 'string' ? to.value : undefined, c.shape(0))];
    },
    example: '%y = nn.cast(%x) {to = f32} : tensor<4xf32>',
    interpret: castKernel,
    mask: elementwiseMask,
  },
  binary('add', 'Add', 'a + b'),
  binary('sub', 'Sub', 'a - b'),
  binary('mul', 'Mul', 'a * b'),
  binary('div', 'Div', 'a / b (integer division truncates)'),
  binary('pow', 'Pow', 'a ^ b; the result has the element type of a', 'numeric', false),
  {
    name: 'nn.prelu',
    onnx: 'PRelu',
    summary: 'x if x >= 0 else slope * x; slope broadcasts to x (one slope per channel, typically).',
    operands: [{ name: 'x', types: 'numeric' }, { name: 'slope', types: 'numeric' }],
    results: [{ name: 'y', types: 'numeric' }],
    attrs: {},
    verify: (c) => {
      sameElementType(c, 0, 1);
      const b = broadcast(c, [c.shape(0), c.shape(1)]);
      if (b.length !== c.rank(0) || b.some((d, i) => d !== undefined && c.shape(0)[i] !== undefined && d !== c.shape(0)[i])) {
        c.fail(`slope ${c.type(1)} does not broadcast to x ${c.type(0)}`);
      }
    },
    infer: (c) => [sameAs(c.type(0))],
    example: '%y = nn.prelu(%x, %slope) : tensor<1x64x8x8xf32>',
    interpret: preluKernel,
    mask: elementwiseMask,
  },
  ...(['equal', 'less', 'less_or_equal', 'greater', 'greater_or_equal'] as const).map((name): OpDef => ({
    name: `nn.${name}`,
    onnx: name.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(''),
    summary: `a ${{ equal: '==', less: '<', less_or_equal: '<=', greater: '>', greater_or_equal: '>=' }[name]} b, as bool (numpy broadcasting).`,
    operands: [{ name: 'a', types: 'any' }, { name: 'b', types: 'any' }],
    results: [{ name: 'c', types: 'bool' }],
    attrs: {},
    verify: (c) => sameElementType(c, 0, 1),
    infer: (c) => [result('bool', broadcast(c, [c.shape(0), c.shape(1)]))],
    example: `%c = nn.${name}(%a, %b) : tensor<1x64xbool>`,
    interpret: compareKernel(COMPARE[name]),
    mask: elementwiseMask,
  })),
  unary('not', 'Not', 'Logical not.', 'bool'),
  {
    name: 'nn.where',
    onnx: 'Where',
    summary: 'a where cond is true, else b (numpy broadcasting of all three).',
    operands: [{ name: 'cond', types: 'bool' }, { name: 'a' }, { name: 'b' }],
    results: [{ name: 'y' }],
    attrs: {},
    verify: (c) => sameElementType(c, 1, 2),
    infer: (c) => [result(c.elementType(1), broadcast(c, [c.shape(0), c.shape(1), c.shape(2)]))],
    example: '%y = nn.where(%cond, %a, %b) : tensor<4xf32>',
    interpret: whereKernel,
    mask: elementwiseMask,
  },
  variadic('max', 'Max', 'Element-wise maximum of the inputs'),
  variadic('min', 'Min', 'Element-wise minimum of the inputs'),
  variadic('sum', 'Sum', 'Element-wise sum of the inputs'),
  variadic('mean', 'Mean', 'Element-wise mean of the inputs'),
];
