// Element-wise expressions written once for every target: each op and each fused activation as a
// function of a `Num`, an arithmetic builder that a target implements over its own expressions
// (binaryen expressions for wasm, WGSL text for WebGPU). Integer rules, broadcasting and the loops
// belong to the targets' kernels.
import type { Value } from '../ir/core.js';
import type { OpContext } from '../ir/opdef.js';

/** Math functions beyond arithmetic: targets compile them in or call the host. */
export type MathFn = 'exp' | 'erf' | 'log' | 'tanh' | 'pow';

/** Arithmetic in a target's compute type, so one expression serves every target. */
export interface Num<E> {
  c(n: number): E;
  add(a: E, b: E): E; sub(a: E, b: E): E; mul(a: E, b: E): E; div(a: E, b: E): E;
  min(a: E, b: E): E; max(a: E, b: E): E;
  neg(a: E): E; abs(a: E): E; sqrt(a: E): E; floor(a: E): E; ceil(a: E): E; trunc(a: E): E;
  /** Comparisons give a condition that select takes (and or combines). */
  lt(a: E, b: E): E; le(a: E, b: E): E; gt(a: E, b: E): E; ge(a: E, b: E): E; eq(a: E, b: E): E; ne(a: E, b: E): E;
  select(cond: E, a: E, b: E): E;
  or(a: E, b: E): E;
  math(f: MathFn, ...args: E[]): E;
}

/** An activation of x (`x` builds a fresh reference each call) with its parameters. */
export type ActivationExpr = <E>(n: Num<E>, x: () => E, p: readonly number[]) => E;

/** Activations shared by the element-wise ops of the same name and by the epilogues fused into products and convolutions. */
export const ACTIVATIONS: Readonly<Record<string, ActivationExpr>> = {
  none: (_n, x) => x(),
  relu: (n, x) => n.max(x(), n.c(0)),
  clip: (n, x, p) => n.min(n.max(x(), n.c(p[0]!)), n.c(p[1]!)),
  leaky_relu: (n, x, p) => n.select(n.ge(x(), n.c(0)), x(), n.mul(x(), n.c(p[0]!))),
  // the interpreter's overflow-free form on both sides of 0
  sigmoid: (n, x) => n.select(n.ge(x(), n.c(0)), n.div(n.c(1), n.add(n.c(1), n.math('exp', n.neg(x())))), n.div(n.math('exp', x()), n.add(n.c(1), n.math('exp', x())))),
  hard_swish: (n, x) => n.mul(x(), n.max(n.c(0), n.min(n.c(1), n.add(n.div(x(), n.c(6)), n.c(0.5))))),
  gelu: (n, x) => n.mul(n.mul(n.c(0.5), x()), n.add(n.c(1), n.math('erf', n.mul(x(), n.c(Math.SQRT1_2))))),
  gelu_tanh: (n, x) => n.mul(n.mul(n.c(0.5), x()), n.add(n.c(1), n.math('tanh', n.mul(n.c(Math.sqrt(2 / Math.PI)), n.add(x(), n.mul(n.c(0.044715), n.mul(x(), n.mul(x(), x())))))))),
};

/** An element-wise op: its expression over operand references x(i). */
export interface MapExpr {
  readonly expr: <E>(n: Num<E>, x: (i: number) => E, c: OpContext, arity: number) => E;
  /** Lane-wise on 4 f32 lanes with the math a vector unit has (not log, tanh, pow; not integer rules). */
  readonly lanes: boolean;
}

/** Unary ops (nn.<name>), one operand. */
export const UNARY: Readonly<Record<string, MapExpr>> = {
  relu: { lanes: true, expr: (n, x) => ACTIVATIONS['relu']!(n, () => x(0), []) },
  neg: { lanes: true, expr: (n, x) => n.neg(x(0)) },
  abs: { lanes: true, expr: (n, x) => n.abs(x(0)) },
  sqrt: { lanes: true, expr: (n, x) => n.sqrt(x(0)) },
  floor: { lanes: true, expr: (n, x) => n.floor(x(0)) },
  ceil: { lanes: true, expr: (n, x) => n.ceil(x(0)) },
  reciprocal: { lanes: true, expr: (n, x) => n.div(n.c(1), x(0)) },
  leaky_relu: { lanes: true, expr: (n, x, c) => ACTIVATIONS['leaky_relu']!(n, () => x(0), [c.float('alpha')]) },
  hard_sigmoid: { lanes: true, expr: (n, x, c) => n.max(n.c(0), n.min(n.c(1), n.add(n.mul(x(0), n.c(c.float('alpha'))), n.c(c.float('beta'))))) },
  hard_swish: { lanes: true, expr: (n, x) => ACTIVATIONS['hard_swish']!(n, () => x(0), []) },
  softsign: { lanes: true, expr: (n, x) => n.div(x(0), n.add(n.c(1), n.abs(x(0)))) },
  exp: { lanes: true, expr: (n, x) => n.math('exp', x(0)) },
  log: { lanes: false, expr: (n, x) => n.math('log', x(0)) },
  tanh: { lanes: false, expr: (n, x) => n.math('tanh', x(0)) },
  erf: { lanes: true, expr: (n, x) => n.math('erf', x(0)) },
  sigmoid: { lanes: true, expr: (n, x) => ACTIVATIONS['sigmoid']!(n, () => x(0), []) },
  softplus: { lanes: false, expr: (n, x) => n.select(n.gt(x(0), n.c(0)), n.add(x(0), n.math('log', n.add(n.c(1), n.math('exp', n.neg(x(0)))))), n.math('log', n.add(n.c(1), n.math('exp', x(0))))) },
  elu: { lanes: true, expr: (n, x, c) => n.select(n.ge(x(0), n.c(0)), x(0), n.mul(n.c(c.float('alpha')), n.sub(n.math('exp', x(0)), n.c(1)))) },
  selu: { lanes: true, expr: (n, x, c) => n.select(n.gt(x(0), n.c(0)), n.mul(n.c(c.float('gamma')), x(0)), n.mul(n.c(c.float('gamma') * c.float('alpha')), n.sub(n.math('exp', x(0)), n.c(1)))) },
  gelu: { lanes: false, expr: (n, x, c) => ACTIVATIONS[c.string('approximate') === 'tanh' ? 'gelu_tanh' : 'gelu']!(n, () => x(0), []) },
  not: { lanes: false, expr: (n, x) => n.select(n.eq(x(0), n.c(0)), n.c(1), n.c(0)) },
  cast: { lanes: true, expr: (_n, x) => x(0) },
  identity: { lanes: true, expr: (_n, x) => x(0) },
  // Inference dropout never reaches a target (legalize-dropout); listed so the op is supported and training mode refused by name.
  dropout: { lanes: true, expr: (_n, x) => x(0) },
};

const fold = (f: <E>(n: Num<E>, a: E, b: E) => E): MapExpr['expr'] => (n, x, _c, arity) => {
  let acc = x(0);
  for (let k = 1; k < arity; k++) acc = f(n, acc, x(k));
  return acc;
};

/** Ops of two or more operands (nn.<name>), broadcasting. */
export const NARY: Readonly<Record<string, MapExpr>> = {
  add: { lanes: true, expr: fold((n, a, b) => n.add(a, b)) },
  sum: { lanes: true, expr: fold((n, a, b) => n.add(a, b)) },
  mean: { lanes: true, expr: (n, x, c, arity) => n.div(fold((n2, a, b) => n2.add(a, b))(n, x, c, arity), n.c(arity)) },
  sub: { lanes: true, expr: (n, x) => n.sub(x(0), x(1)) },
  mul: { lanes: true, expr: fold((n, a, b) => n.mul(a, b)) },
  pow: { lanes: false, expr: (n, x) => n.math('pow', x(0), x(1)) },
  prelu: { lanes: true, expr: (n, x) => n.select(n.lt(x(0), n.c(0)), n.mul(x(0), x(1)), x(0)) },
  equal: { lanes: false, expr: (n, x) => n.select(n.eq(x(0), x(1)), n.c(1), n.c(0)) },
  less: { lanes: false, expr: (n, x) => n.select(n.lt(x(0), x(1)), n.c(1), n.c(0)) },
  less_or_equal: { lanes: false, expr: (n, x) => n.select(n.le(x(0), x(1)), n.c(1), n.c(0)) },
  greater: { lanes: false, expr: (n, x) => n.select(n.gt(x(0), x(1)), n.c(1), n.c(0)) },
  greater_or_equal: { lanes: false, expr: (n, x) => n.select(n.ge(x(0), x(1)), n.c(1), n.c(0)) },
  where: { lanes: false, expr: (n, x) => n.select(n.ne(x(0), n.c(0)), x(1), x(2)) },
  // Variadic max/min: NaN when either side is NaN, as the interpreter's fold does; a zero tie's sign
  // (max(-0, 0)) may differ, which compares equal.
  max: { lanes: true, expr: fold((n, a, b) => n.max(a, b)) },
  min: { lanes: true, expr: fold((n, a, b) => n.min(a, b)) },
};

/** Inference batch norm on operands x, scale, bias, mean, variance: x * k + (bias - mean * k), k = scale / sqrt(var + eps). */
export const batchNormExpr = <E>(n: Num<E>, v: (i: number) => E, eps: number): E => {
  const k = () => n.div(v(1), n.sqrt(n.add(v(4), n.c(eps))));
  return n.add(n.mul(v(0), k()), n.sub(v(2), n.mul(v(3), k())));
};

/** The operands an element-wise op reads and its expression over them: nn.clip drops absent or empty bounds (unbounded). */
export function mapOperands(opName: string, operands: readonly Value[], def: MapExpr): { operands: Value[]; expr: MapExpr['expr'] } {
  if (opName !== 'clip') return { operands: [...operands], expr: def.expr };
  const bound = (v: Value | undefined) => (v && (v.type.shape as number[]).reduce((a, b) => a * b, 1) > 0 ? v : undefined);
  const lo = bound(operands[1]), hi = bound(operands[2]);
  return {
    operands: [operands[0]!, ...(lo ? [lo] : []), ...(hi ? [hi] : [])],
    expr: (n, x) => {
      let v = x(0);
      if (lo) v = n.max(v, x(1));
      if (hi) v = n.min(v, x(lo ? 2 : 1));
      return v;
    },
  };
}
