// Element-wise ops (unary, broadcasting binary and variadic, comparisons, where, cast, clip,
// prelu, pow, inference batch norm) as map kernels over any element type.
import type { Value } from '../../../src/ir/core.js';
import { OpContext } from '../../../src/ir/opdef.js';
import { getOpDef } from '../../../src/dialects/index.js';
import { isFloat } from '../../../src/tensor-math/numeric.js';
import type { Expr } from '../emit.js';
import { mapKernel, selectKernel, type IntNum } from '../kernels/map.js';
import { batchNormExpr, mapOperands, NARY, UNARY, type MapExpr } from '../../../src/lower/exprs.js';
import { batchNormTrainKernel } from '../kernels/reduce.js';
import { elemBytes, isIntType } from '../dtype.js';
import { describe, shapeOf, sizeOf, wasmType, WasmCompileError, type Lowering } from './context.js';

type X = (i: number) => Expr;

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

function lowerMap(def: MapExpr, opName: string): Lowering {
  return (op, lc) => {
    const c = new OpContext(op, getOpDef(op.name)!);
    // legalize-dropout has replaced inference dropout by its input: one that remains is in training mode.
    if (opName === 'dropout') throw new WasmCompileError(`wasm target: ${describe(op)}: dropout in training mode is random; only inference is supported`);
    if (op.results.length !== 1) throw new WasmCompileError(`wasm target: ${describe(op)}: the extra results are not supported`);
    const y = op.result(0);
    const out = shapeOf(y);
    const outEt = wasmType(y, op);
    const mapped = mapOperands(opName, op.operands, def);
    const operands = mapped.operands;
    let exprFn: MapExpr['expr'] = mapped.expr;
    if (opName === 'div') {
      exprFn = isFloat(y.type.elementType) ? (n, x) => n.div(x(0), x(1)) : (n, x) => n.select(n.eq(x(1), n.c(0)), n.c(0), n.trunc(n.div(x(0), x(1))));
    }
    const inputs = operands.map((v) => ({ v, et: wasmType(v, op), index: lc.inputIndex(v, out) }));
    const simd = (def.lanes || opName === 'clip') && (opName !== 'div' || isFloat(y.type.elementType));
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
      expr: (n, v) => batchNormExpr(n, v, eps),
    }),
  });
};

export const ELEMENTWISE_LOWERINGS: Record<string, Lowering> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([k, d]) => [`nn.${k}`, lowerMap(d, k)])),
  ...Object.fromEntries(Object.entries(NARY).map(([k, d]) => [`nn.${k}`, lowerMap(d, k)])),
  'nn.div': lowerMap({ lanes: true, expr: (n, x) => n.div(x(0), x(1)) }, 'div'),
  'nn.clip': lowerMap({ lanes: true, expr: (_n, x) => x(0) }, 'clip'),
  'nn.batch_normalization': lowerBatchNorm,
};
