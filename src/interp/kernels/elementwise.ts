// Reference kernels for element-wise ops: unary maps, broadcasting binary and variadic ops,
// comparisons, where, clip and cast.
import type { InterpretFn, OpContext } from '../../ir/opdef.js';
import { Tensor } from '../../ir/tensor.js';
import { ELEMENT_TYPES, type ElementType } from '../../ir/types.js';
import { broadcastIndex, broadcastShapes, fromF64, isFloat, toF64 } from '../../tensor-math/numeric.js';

/** A unary map; `f` gets the op context for attributes (read once, before the loop). */
export function unaryKernel(make: (c: OpContext, et: ElementType) => (x: number) => number): InterpretFn {
  return (c, [x]) => {
    const f = make(c, x!.elementType);
    const v = toF64(x!);
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = f(v[i]!);
    return [fromF64(c.op.results[0]!.type.elementType, x!.shape, out)];
  };
}

/** Numpy-broadcasting n-ary op folding f over the inputs; `resultType` defaults to the first input's. */
export function broadcastKernel(f: (a: number, b: number, et: ElementType) => number, finish?: (acc: number, n: number) => number, resultType?: ElementType): InterpretFn {
  return (c, xs) => {
    const shape = broadcastShapes(xs.map((x) => x.shape));
    const n = shape.reduce((a, b) => a * b, 1);
    const et = xs[0]!.elementType;
    const maps = xs.map((x) => (x.shape.length === shape.length && x.shape.every((d, k) => d === shape[k]) ? undefined : broadcastIndex(x.shape, shape)));
    const rt = resultType ?? c.op.results[0]!.type.elementType;
    // Integer add/sub/mul/div/max/min are exact and wrap modulo the width (64-bit ones in BigInt):
    // going through doubles would round int64 values past 2^53 and overflowing products.
    const exact = finish ? undefined : EXACT_INT.get(f);
    if (exact && isWrappingInt(rt) && xs.every((x) => x.elementType === rt)) return [exactIntKernel(exact, xs, maps, shape, rt)];
    const vals = xs.map((x) => toF64(x));
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let acc = vals[0]![maps[0] ? maps[0][i]! : i]!;
      for (let k = 1; k < xs.length; k++) acc = f(acc, vals[k]![maps[k] ? maps[k]![i]! : i]!, et);
      out[i] = finish ? finish(acc, xs.length) : acc;
    }
    return [fromF64(resultType ?? c.op.results[0]!.type.elementType, shape, out)];
  };
}

const intDiv = (a: number, b: number) => (b === 0 ? 0 : Math.trunc(a / b));

export const ARITH = {
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
  div: (a: number, b: number, et: ElementType) => (isFloat(et) ? a / b : intDiv(a, b)),
  pow: (a: number, b: number) => Math.pow(a, b),
  max: (a: number, b: number) => (Number.isNaN(a) || a >= b ? a : b),
  min: (a: number, b: number) => (Number.isNaN(a) || a <= b ? a : b),
} as const;

/** Exact integer forms of ARITH's ops (division truncates; by zero gives 0 as intDiv does). */
const EXACT_INT = new Map<unknown, (a: bigint, b: bigint) => bigint>([
  [ARITH.add, (a, b) => a + b],
  [ARITH.sub, (a, b) => a - b],
  [ARITH.mul, (a, b) => a * b],
  [ARITH.div, (a, b) => (b === 0n ? 0n : a / b)],
  [ARITH.max, (a, b) => (a >= b ? a : b)],
  [ARITH.min, (a, b) => (a <= b ? a : b)],
]);

const isWrappingInt = (et: ElementType) => ELEMENT_TYPES[et].kind !== 'float' && et !== 'bool';

/** Folds an exact integer op over broadcast inputs and wraps the result modulo 2^bits (two's complement for signed types). */
function exactIntKernel(f: (a: bigint, b: bigint) => bigint, xs: readonly Tensor[], maps: readonly (Int32Array | undefined)[], shape: number[], et: ElementType): Tensor {
  const out = Tensor.zeros(et, shape);
  const bits = 8 * ELEMENT_TYPES[et].bytes;
  const wrap = et.startsWith('u') ? (v: bigint) => BigInt.asUintN(bits, v) : (v: bigint) => BigInt.asIntN(bits, v);
  const big = bits === 64;
  const src = xs.map((x) => x.data as unknown as ArrayLike<number | bigint>);
  const d = out.data as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < out.size; i++) {
    let acc = BigInt(src[0]![maps[0] ? maps[0][i]! : i]!);
    for (let k = 1; k < xs.length; k++) acc = f(acc, BigInt(src[k]![maps[k] ? maps[k]![i]! : i]!));
    const w = wrap(acc);
    d[i] = big ? w : Number(w);
  }
  return out;
}

export const COMPARE = {
  equal: (a: number, b: number) => (a === b ? 1 : 0),
  less: (a: number, b: number) => (a < b ? 1 : 0),
  less_or_equal: (a: number, b: number) => (a <= b ? 1 : 0),
  greater: (a: number, b: number) => (a > b ? 1 : 0),
  greater_or_equal: (a: number, b: number) => (a >= b ? 1 : 0),
} as const;

/** Comparisons of two broadcast inputs; bigint-exact for 64-bit integers. */
export function compareKernel(f: (a: number, b: number) => number): InterpretFn {
  return (c, [a, b]) => {
    if (a!.data instanceof BigInt64Array || a!.data instanceof BigUint64Array) {
      const shape = broadcastShapes([a!.shape, b!.shape]);
      const ia = broadcastIndex(a!.shape, shape), ib = broadcastIndex(b!.shape, shape);
      const out = Tensor.zeros('bool', shape);
      const da = a!.data, db = b!.data as BigInt64Array;
      for (let i = 0; i < out.size; i++) {
        const x = da[ia[i]!]!, y = db[ib[i]!]!;
        out.data[i] = f(x < y ? -1 : x > y ? 1 : 0, 0);
      }
      return [out];
    }
    return broadcastKernel(f, undefined, 'bool')(c, [a!, b!]);
  };
}

export const whereKernel: InterpretFn = (_c, [cond, a, b]) => {
  const shape = broadcastShapes([cond!.shape, a!.shape, b!.shape]);
  const ic = broadcastIndex(cond!.shape, shape), ia = broadcastIndex(a!.shape, shape), ib = broadcastIndex(b!.shape, shape);
  const out = Tensor.zeros(a!.elementType, shape);
  const d = out.data as unknown as { [i: number]: unknown };
  const da = a!.data as unknown as ArrayLike<unknown>, db = b!.data as unknown as ArrayLike<unknown>;
  for (let i = 0; i < out.size; i++) d[i] = cond!.data[ic[i]!] ? da[ia[i]!] : db[ib[i]!];
  return [out];
};

export const clipKernel: InterpretFn = (c, [x, lo, hi]) => {
  const l = lo && lo.size ? toF64(lo)[0]! : -Infinity;
  const h = hi && hi.size ? toF64(hi)[0]! : Infinity;
  return unaryKernel(() => (v) => (Number.isNaN(v) ? v : Math.min(Math.max(v, l), h)))(c, [x!]);
};

export const castKernel: InterpretFn = (c, [x]) => {
  const to = c.op.results[0]!.type.elementType;
  if (to === x!.elementType) return [x!];
  const from = ELEMENT_TYPES[x!.elementType], into = ELEMENT_TYPES[to];
  if ((from.kind === 'int' || from.kind === 'uint') && (into.kind === 'int' || into.kind === 'uint')) {
    // Integer to integer: exact, wrapping modulo 2^width (64-bit values never pass through doubles).
    const out = Tensor.zeros(to, x!.shape);
    const bits = into.bytes * 8, wide = into.bytes === 8;
    for (let i = 0; i < x!.size; i++) {
      const v = BigInt(x!.data[i]!);
      const w = into.kind === 'uint' ? BigInt.asUintN(bits, v) : BigInt.asIntN(bits, v);
      out.data[i] = wide ? w : Number(w);
    }
    return [out];
  }
  return [fromF64(to, x!.shape, toF64(x!))];
};

export const identityKernel: InterpretFn = (_c, [x]) => [x!];

/** PRelu: the slope broadcasts to x. */
export const preluKernel: InterpretFn = (c, [x, slope]) => {
  const v = toF64(x!), s = toF64(slope!);
  const idx = broadcastIndex(slope!.shape, x!.shape);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! < 0 ? v[i]! * s[idx[i]!]! : v[i]!;
  return [fromF64(x!.elementType, x!.shape, out)];
};

/** erf to double precision: Taylor series near 0, a continued fraction for erfc further out. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated bottom-up
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** The unary maps of the nn dialect, by op name (without the prefix). */
export const UNARY: Readonly<Record<string, (c: OpContext, et: ElementType) => (x: number) => number>> = {
  relu: () => (x) => (x > 0 || Number.isNaN(x) ? x : 0),
  leaky_relu: (c) => { const a = c.float('alpha'); return (x) => (x >= 0 ? x : a * x); },
  elu: (c) => { const a = c.float('alpha'); return (x) => (x >= 0 ? x : a * (Math.exp(x) - 1)); },
  selu: (c) => { const a = c.float('alpha'), g = c.float('gamma'); return (x) => (x > 0 ? g * x : g * a * (Math.exp(x) - 1)); },
  sigmoid: () => (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  hard_sigmoid: (c) => { const a = c.float('alpha'), b = c.float('beta'); return (x) => Math.max(0, Math.min(1, a * x + b)); },
  hard_swish: () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
  tanh: () => Math.tanh,
  softplus: () => softplus,
  softsign: () => (x) => x / (1 + Math.abs(x)),
  gelu: (c) => c.string('approximate') === 'tanh'
    ? (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
    : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  sqrt: () => Math.sqrt,
  exp: () => Math.exp,
  log: () => Math.log,
  erf: () => erf,
  reciprocal: () => (x) => 1 / x,
  floor: () => Math.floor,
  ceil: () => Math.ceil,
  neg: () => (x) => -x,
  abs: () => Math.abs,
  not: () => (x) => (x ? 0 : 1),
};
