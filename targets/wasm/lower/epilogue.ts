// Epilogues of the linear kernels: relu and clip go into the kernels; other activations, and a bias
// a kernel does not take, run as an in-place map over the result after it.
import type { Op, Value } from '../../../src/ir/core.js';
import type { OpContext } from '../../../src/ir/opdef.js';
import type { Expr } from '../emit.js';
import type { Activation } from '../kernels/activation.js';
import { mapKernel, type Num } from '../kernels/map.js';
import { ACTIVATIONS } from '../../../src/lower/exprs.js';
import { describe, shapeOf, sizeOf, WasmCompileError, type LowerContext } from './context.js';

export interface Epilogue {
  act: Activation;
  post?: (n: Num, v: () => Expr) => Expr;
}

/** The fused epilogue: relu and clip go into the kernels; the others run as a map after them. */
export function epilogue(op: Op, c: OpContext): Epilogue {
  const a = c.def.attrs['activation'] ? c.string('activation') : 'none';
  const p = a === 'none' ? [] : c.floats('activation_params');
  if (a === 'none') return { act: { kind: 'none' } };
  if (a === 'relu') return { act: { kind: 'relu' } };
  if (a === 'clip') return { act: { kind: 'clip', lo: p[0]!, hi: p[1]! } };
  const f = ACTIVATIONS[a];
  if (!f) throw new WasmCompileError(`wasm target: ${describe(op)}: fused activation '${a}' is not supported`);
  return { act: { kind: 'none' }, post: (n, v) => f(n, v, p) };
}

/** The epilogue as a map expression (for products whose result is finished after the kernel). */
export const epilogueExpr = (ep: Epilogue) => (n: Num, v: () => Expr): Expr =>
  (ep.post ? ep.post(n, v) : ep.act.kind === 'clip' ? ACTIVATIONS['clip']!(n, v, [ep.act.lo, ep.act.hi]) : ACTIVATIONS[ep.act.kind]!(n, v, []));

/** A map over y in place: y = f(y[, extra operand broadcast to y]). */
export function postMap(op: Op, lc: LowerContext, y: Value, f: (n: Num, v: () => Expr, extra: (() => Expr) | undefined) => Expr, extra?: Value): void {
  const out = shapeOf(y);
  const index = extra === undefined ? undefined : lc.inputIndex(extra, out);
  lc.step({
    op, kernel: 'epilogue', format: 'dense',
    emit: (mod, name, addr) => mapKernel(mod, name, {
      inputs: [{ addr: addr(y), et: 'f32', index: 'same' }, ...(extra ? [{ addr: addr(extra), et: 'f32' as const, index: index! }] : [])],
      out: { addr: addr(y), et: 'f32' }, size: sizeOf(y), simd: false,
      expr: (n, x) => f(n, () => x(0), extra ? () => x(1) : undefined),
    }),
  });
}

/** The activation after a kernel that did not apply it (none, when it did). */
export function postActivation(op: Op, lc: LowerContext, y: Value, ep: Epilogue, fused: boolean): void {
  if (ep.post || (!fused && ep.act.kind !== 'none')) postMap(op, lc, y, epilogueExpr(ep));
}
