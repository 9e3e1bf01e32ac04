// Fused epilogues of the linear kernels (bias is separate): none, relu, clip.
import type { binaryen } from '../emit.js';
import type { Expr } from '../emit.js';

export type Activation = { kind: 'none' } | { kind: 'relu' } | { kind: 'clip'; lo: number; hi: number };

export function actVec(m: binaryen.Module, a: Activation, v: Expr): Expr {
  if (a.kind === 'relu') return m.f32x4.max(v, m.f32x4.splat(m.f32.const(0)));
  if (a.kind === 'clip') return m.f32x4.min(m.f32x4.max(v, m.f32x4.splat(m.f32.const(a.lo))), m.f32x4.splat(m.f32.const(a.hi)));
  return v;
}
export function actScalar(m: binaryen.Module, a: Activation, v: Expr): Expr {
  if (a.kind === 'relu') return m.f32.max(v, m.f32.const(0));
  if (a.kind === 'clip') return m.f32.min(m.f32.max(v, m.f32.const(a.lo)), m.f32.const(a.hi));
  return v;
}

