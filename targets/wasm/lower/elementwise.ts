// Element-wise ops (unary, broadcasting binary and variadic, comparisons, where, cast, clip,
// prelu, pow, inference batch norm) as map kernels over any element type.
import type { Value } from '../../../src/ir/core.js';
import { OpContext } from '../../../src/ir/opdef.js';
import { getOpDef } from '../../../src/dialects/index.js';
import { isFloat } from '../../../src/tensor-math/numeric.js';
import type { Expr } from '../emit.js';
import { mapKernel, selectKernel, type IntNum, type Num } from '../kernels/map.js';
import { ACTIVATIONS } from './activations.js';
import { batchNormTrainKernel } from '../kernels/reduce.js';
import { elemBytes, isIntType } from '../dtype.js';
import { describe, shapeOf, sizeOf, wasmType, WasmCompileError, type Lowering } from './context.js';

type X = (i: number) => Expr;
interface MapOp {
  expr: (n: Num, x: X, c: OpContext, arity: number) => Expr;
  /** Expressible on f32x4 lanes (no host math, no integer rules). */
  simd: boolean;
}

const UNARY: Record<string, MapOp> = {
  relu: { simd: true, expr: (n, x) => ACTIVATIONS['relu']!(n, () => x(0), []) },
  neg: { simd: true, expr: (n, x) => n.neg(x(0)) },
  abs: { simd: true, expr: (n, x) => n.abs(x(0)) },
  sqrt: { simd: true, expr: (n, x) => n.sqrt(x(0)) },
  floor: { simd: true, expr: (n, x) => n.floor(x(0)) },
  ceil: { simd: true, expr: (n, x) => n.ceil(x(0)) },
  reciprocal: { simd: true, expr: (n, x) => n.div(n.c(1), x(0)) },
  leaky_relu: { simd: true, expr: (n, x, c) => ACTIVATIONS['leaky_relu']!(n, () => x(0), [c.float('alpha')]) },
  hard_sigmoid: { simd: true, expr: (n, x, c) => n.max(n.c(0), n.min(n.c(1), n.add(n.mul(x(0), n.c(c.float('alpha'))), n.c(c.float('beta'))))) },
  hard_swish: { simd: true, expr: (n, x) => ACTIVATIONS['hard_swish']!(n, () => x(0), []) },
  softsign: { simd: true, expr: (n, x) => n.div(x(0), n.add(n.c(1), n.abs(x(0)))) },
  exp: { simd: true, expr: (n, x) => n.host('exp', x(0)) },
  log: { simd: false, expr: (n, x) => n.host('log', x(0)) },
  tanh: { simd: false, expr: (n, x) => n.host('tanh', x(0)) },
  erf: { simd: true, expr: (n, x) => n.host('erf', x(0)) },
  sigmoid: { simd: true, expr: (n, x) => ACTIVATIONS['sigmoid']!(n, () => x(0), []) },
  softplus: { simd: false, expr: (n, x) => n.select(n.gt(x(0), n.c(0)), n.add(x(0), n.host('log', n.add(n.c(1), n.host('exp', n.neg(x(0)))))), n.host('log', n.add(n.c(1), n.host('exp', x(0))))) },
  elu: { simd: true, expr: (n, x, c) => n.select(n.ge(x(0), n.c(0)), x(0), n.mul(n.c(c.float('alpha')), n.sub(n.host('exp', x(0)), n.c(1)))) },
  selu: { simd: true, expr: (n, x, c) => n.select(n.gt(x(0), n.c(0)), n.mul(n.c(c.float('gamma')), x(0)), n.mul(n.c(c.float('gamma') * c.float('alpha')), n.sub(n.host('exp', x(0)), n.c(1)))) },
  gelu: { simd: false, expr: (n, x, c) => ACTIVATIONS[c.string('approximate') === 'tanh' ? 'gelu_tanh' : 'gelu']!(n, () => x(0), []) },
  not: { simd: false, expr: (n, x) => n.select(n.eq(x(0), n.c(0)), n.c(1), n.c(0)) },
  cast: { simd: true, expr: (_n, x) => x(0) },
  identity: { simd: true, expr: (_n, x) => x(0) },
  // Inference dropout never gets here (legalize-dropout); listed so the op is supported and training mode refused by name.
  dropout: { simd: true, expr: (_n, x) => x(0) },
};

const fold = (f: (n: Num, a: Expr, b: Expr, x: X, k: number) => Expr) => (n: Num, x: X, _c: OpContext, arity: number) => {
  let acc = x(0);
  for (let k = 1; k < arity; k++) acc = f(n, acc, x(k), x, k);
  return acc;
};

const NARY: Record<string, MapOp> = {
  add: { simd: true, expr: fold((n, a, b) => n.add(a, b)) },
  sum: { simd: true, expr: fold((n, a, b) => n.add(a, b)) },
  mean: { simd: true, expr: (n, x, c, arity) => n.div(fold((n2, a, b) => n2.add(a, b))(n, x, c, arity), n.c(arity)) },
  sub: { simd: true, expr: (n, x) => n.sub(x(0), x(1)) },
  mul: { simd: true, expr: fold((n, a, b) => n.mul(a, b)) },
  pow: { simd: false, expr: (n, x) => n.host('pow', x(0), x(1)) },
  prelu: { simd: true, expr: (n, x) => n.select(n.lt(x(0), n.c(0)), n.mul(x(0), x(1)), x(0)) },
  equal: { simd: false, expr: (n, x) => n.select(n.eq(x(0), x(1)), n.c(1), n.c(0)) },
  less: { simd: false, expr: (n, x) => n.select(n.lt(x(0), x(1)), n.c(1), n.c(0)) },
  less_or_equal: { simd: false, expr: (n, x) => n.select(n.le(x(0), x(1)), n.c(1), n.c(0)) },
  greater: { simd: false, expr: (n, x) => n.select(n.gt(x(0), x(1)), n.c(1), n.c(0)) },
  greater_or_equal: { simd: false, expr: (n, x) => n.select(n.ge(x(0), x(1)), n.c(1), n.c(0)) },
  where: { simd: false, expr: (n, x) => n.select(n.ne(x(0), n.c(0)), x(1), x(2)) },
};

// Variadic max/min: wasm's max/min return NaN when either side is NaN, as the interpreter's fold
// does; they differ from it only in the sign of a zero tie (max(-0, 0)), which compares equal.
NARY['max'] = { simd: true, expr: fold((n, a, b) => n.max(a, b)) };
NARY['min'] = { simd: true, expr: fold((n, a, b) => n.min(a, b)) };

/**
 * Integer arithmetic computed exactly on i64 and wrapped on store (the interpreter does the same
 * with exact integers), so int64 values beyond 2^53 and overflowing products are not rounded
 * through doubles.
 */
const foldInt = (f: (n: IntNum, a: Expr, b: Expr) => Expr) => (n: IntNum, x: X, arity: number): Expr => {
  let acc = x(0);
  for (let k = 1; k < arity; k++) acc = f(n, acc, x(k));
  return acc;
};
const INT_OPS: Record<string, (n: IntNum, x: X, arity: number) => Expr> = {
  add: foldInt((n, a, b) => n.add(a, b)),
  sum: foldInt((n, a, b) => n.add(a, b)),
  sub: (n, x) => n.sub(x(0), x(1)),
  mul: foldInt((n, a, b) => n.mul(a, b)),
  div: (n, x) => n.div(() => x(0), () => x(1)),
  max: (n, x, arity) => n.max(Array.from({ length: arity }, (_, k) => () => x(k))),
  min: (n, x, arity) => n.min(Array.from({ length: arity }, (_, k) => () => x(k))),
};

function lowerMap(def: MapOp, opName: string): Lowering {
  return (op, lc) => {
    const c = new OpContext(op, getOpDef(op.name)!);
    // legalize-dropout has replaced inference dropout by its input: one that remains is in training mode.
    if (opName === 'dropout') throw new WasmCompileError(`wasm target: ${describe(op)}: dropout in training mode is random; only inference is supported`);
    if (op.results.length !== 1) throw new WasmCompileError(`wasm target: ${describe(op)}: the extra results are not supported`);
    const y = op.result(0);
    const out = shapeOf(y);
    const outEt = wasmType(y, op);
    let operands = [...op.operands];
    let exprFn = def.expr;
    if (opName === 'clip') {
      // Bounds are optional operands (absent or empty: unbounded).
      const lo = operands[1] && sizeOf(operands[1]) > 0 ? operands[1] : undefined;
      const hi = operands[2] && sizeOf(operands[2]) > 0 ? operands[2] : undefined;
      operands = [operands[0]!, ...(lo ? [lo] : []), ...(hi ? [hi] : [])];
      exprFn = (n, x) => {
        let v = x(0);
        if (lo) v = n.max(v, x(1));
        if (hi) v = n.min(v, x(lo ? 2 : 1));
        return v;
      };
    }
    if (opName === 'div') {
      exprFn = isFloat(y.type.elementType) ? (n, x) => n.div(x(0), x(1)) : (n, x) => n.select(n.eq(x(1), n.c(0)), n.c(0), n.trunc(n.div(x(0), x(1))));
    }
    const inputs = operands.map((v) => ({ v, et: wasmType(v, op), index: lc.inputIndex(v, out) }));
    const simd = (def.simd || opName === 'clip') && (opName !== 'div' || isFloat(y.type.elementType));
    const arity = operands.length;
    if (opName === 'where') {
      const [cd, a, b] = inputs as [typeof inputs[0], typeof inputs[0], typeof inputs[0]];
      const ref = (x: typeof cd, addr: (v: Value) => number) => ({ addr: addr(x.v), et: x.et, index: x.index });
      lc.step({ op, kernel: 'select', format: 'dense', emit: (mod, name, addr) => selectKernel(mod, name, { cond: ref(cd, addr), a: ref(a, addr), b: ref(b, addr), y: addr(y), bytes: elemBytes(outEt), size: sizeOf(y) }) });
      return;
    }
    // Integer to integer casts (any widths) are exact too: sign- or zero-extended to i64, wrapped on store.
    const intFn = INT_OPS[opName] ?? (opName === 'cast' && inputs.every((x) => isIntType(x.et)) ? (_n: IntNum, x: X) => x(0) : undefined);
    const exactInt = intFn && isIntType(outEt) && inputs.every((x) => x.et === outEt || opName === 'cast');
    lc.step({
      op, kernel: opName === 'identity' ? 'copy' : opName, format: 'dense',
      emit: (mod, name, addr) => mapKernel(mod, name, {
        inputs: inputs.map((x) => ({ addr: addr(x.v), et: x.et, index: x.index })),
        out: { addr: addr(y), et: outEt },
        size: sizeOf(y),
        simd,
        expr: (n, x) => exprFn(n, x, c, arity),
        ...(exactInt ? { intExpr: (n: IntNum, x: X) => intFn(n, x, arity) } : {}),
      }),
    });
  };
}

/** Inference batch norm: x * k + (bias - mean * k) with k = scale / sqrt(var + eps), per channel (axis 1). */
const lowerBatchNorm: Lowering = (op, lc) => {
  const c = new OpContext(op, getOpDef(op.name)!);
  const x = op.operand(0), y = op.result(0);
  const [N, C] = shapeOf(x) as [number, number];
  const inner = sizeOf(x) / (N * C);
  if (c.int('training_mode') === 1) {
    for (const v of [...op.operands, ...op.results]) if (v.type.elementType !== 'f32') throw new WasmCompileError(`wasm target: ${describe(op)}: training mode supports f32 only`);
    const [rm, rv] = [op.results[1], op.results[2]];
    lc.step({
      op, kernel: 'batch_norm_training', format: 'dense',
      emit: (mod, name, addr) => batchNormTrainKernel(mod, name, {
        x: addr(x), y: addr(y), N, C, inner, eps: c.float('epsilon'), momentum: c.float('momentum'),
        scale: addr(op.operand(1)), bias: addr(op.operand(2)), mean: addr(op.operand(3)), variance: addr(op.operand(4)),
        ...(rm ? { runMean: addr(rm) } : {}), ...(rv ? { runVar: addr(rv) } : {}),
      }),
    });
    return;
  }
  if (op.results.length > 1) throw new WasmCompileError(`wasm target: ${describe(op)}: running statistics outputs need training_mode = 1`);
  const chan = lc.putI32(Array.from({ length: sizeOf(x) }, (_, i) => Math.floor(i / inner) % C));
  const eps = c.float('epsilon');
  const params = op.operands.slice(1);
  lc.step({
    op, kernel: 'batch_norm', format: 'dense',
    emit: (mod, name, addr) => mapKernel(mod, name, {
      inputs: [{ addr: addr(x), et: wasmType(x, op), index: 'same' }, ...params.map((v) => ({ addr: addr(v), et: wasmType(v, op), index: chan }))],
      out: { addr: addr(y), et: wasmType(y, op) },
      size: sizeOf(y),
      simd: false,
      expr: (n, v) => {
        const k = () => n.div(v(1), n.sqrt(n.add(v(4), n.c(eps))));
        return n.add(n.mul(v(0), k()), n.sub(v(2), n.mul(v(3), k())));
      },
    }),
  });
};

export const ELEMENTWISE_LOWERINGS: Record<string, Lowering> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([k, d]) => [`nn.${k}`, lowerMap(d, k)])),
  ...Object.fromEntries(Object.entries(NARY).map(([k, d]) => [`nn.${k}`, lowerMap(d, k)])),
  'nn.div': lowerMap({ simd: true, expr: (n, x) => n.div(x(0), x(1)) }, 'div'),
  'nn.clip': lowerMap({ simd: true, expr: (_n, x) => x(0) }, 'clip'),
  'nn.batch_normalization': lowerBatchNorm,
};
