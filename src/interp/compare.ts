// Compares computed tensors with expected ones: |got - want| <= atol + rtol * |want| for floats
// (NaN matches NaN, infinities must be equal), exact equality for integers and bools.
import type { Tensor } from '../ir/tensor.js';
import { ELEMENT_TYPES } from '../ir/types.js';

export interface Tolerance {
  rtol: number;
  atol: number;
}

export interface Mismatch {
  /** Why it does not match (shape, type, values). */
  reason: string;
  /** Flat index of the worst element, with its values. */
  index?: number;
  got?: number | bigint | boolean;
  want?: number | bigint | boolean;
}

export interface Comparison {
  ok: boolean;
  /** Largest |got - want| / (atol + rtol * |want|) over the elements (<= 1 passes). */
  worstRatio: number;
  /** Largest |got - want| / max(|want|, tiny). */
  maxRelError: number;
  maxAbsError: number;
  mismatch?: Mismatch;
}

export function compareTensors(got: Tensor, want: Tensor, tol: Tolerance): Comparison {
  const base = { worstRatio: Infinity, maxRelError: Infinity, maxAbsError: Infinity };
  if (got.elementType !== want.elementType) return { ok: false, ...base, mismatch: { reason: `element type ${got.elementType}, expected ${want.elementType}` } };
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
    return { ok: false, ...base, mismatch: { reason: `shape [${got.shape.join(', ')}], expected [${want.shape.join(', ')}]` } };
  }
  const float = ELEMENT_TYPES[got.elementType].kind === 'float';
  let worst = 0, worstAt = -1, maxRel = 0, maxAbs = 0;
  for (let i = 0; i < got.size; i++) {
    const g = got.get(i), w = want.get(i);
    if (!float) {
      if (g !== w) return { ok: false, worstRatio: Infinity, maxRelError: Infinity, maxAbsError: Infinity, mismatch: { reason: 'values differ', index: i, got: g, want: w } };
      continue;
    }
    const gn = g as number, wn = w as number;
    if (Number.isNaN(wn) || Number.isNaN(gn)) {
      if (Number.isNaN(wn) && Number.isNaN(gn)) continue;
      return { ok: false, worstRatio: Infinity, maxRelError: Infinity, maxAbsError: Infinity, mismatch: { reason: 'NaN mismatch', index: i, got: gn, want: wn } };
    }
    if (!Number.isFinite(wn) || !Number.isFinite(gn)) {
      if (gn === wn) continue;
      return { ok: false, worstRatio: Infinity, maxRelError: Infinity, maxAbsError: Infinity, mismatch: { reason: 'infinity mismatch', index: i, got: gn, want: wn } };
    }
    const d = Math.abs(gn - wn);
    const ratio = d / (tol.atol + tol.rtol * Math.abs(wn));
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(wn), 1e-30));
    if (ratio > worst) [worst, worstAt] = [ratio, i];
  }
  const ok = worst <= 1;
  return {
    ok,
    worstRatio: worst,
    maxRelError: maxRel,
    maxAbsError: maxAbs,
    ...(ok ? {} : { mismatch: { reason: `values differ beyond rtol ${tol.rtol}, atol ${tol.atol}`, index: worstAt, got: got.get(worstAt), want: want.get(worstAt) } }),
  };
}

/** `[3, 1] (flat 7): got 0.5, expected 0.25` for a mismatch. */
export function describeMismatch(m: Mismatch, shape: readonly number[]): string {
  if (m.index === undefined) return m.reason;
  const pos: number[] = [];
  let r = m.index;
  for (let k = shape.length - 1; k >= 0; k--) {
    pos.unshift(r % shape[k]!);
    r = Math.floor(r / shape[k]!);
  }
  return `${m.reason}: worst element [${pos.join(', ')}] got ${String(m.got)}, expected ${String(m.want)}`;
}

/** Normwise relative error: max |got - want| / max |want| (shapes must match). */
export function normwiseRelError(got: Tensor, want: Tensor): number {
  if (got.size !== want.size) return Infinity;
  let d = 0, m = 0;
  for (let i = 0; i < got.size; i++) {
    const w = Number(want.get(i));
    d = Math.max(d, Math.abs(Number(got.get(i)) - w));
    m = Math.max(m, Math.abs(w));
  }
  return d / Math.max(m, 1e-30);
}
