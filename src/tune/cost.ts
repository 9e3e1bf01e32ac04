// The cost model: a kernel choice's counted work (bytes through memory, SIMD instructions; the
// kernel table's `work`) over this machine's rates (a target's probe) gives an estimate in ms, the
// larger of the two times (a roofline). The tuner ranks each layer's candidates by it and measures
// only the best few with the default; choices without a count are ranked after those with one.
import type { Op } from '../ir/core.js';
import type { TargetCaps } from '../lower/caps.js';
import type { Choice } from '../lower/plan.js';
import { kernelDef } from '../lower/kernels/index.js';
import type { Work } from '../lower/table.js';

/** A machine's rates as the target's code sees them (a target's probe measures them). */
export interface MachineRates {
  /** Streaming reads from memory, bytes per ms. */
  readonly bytesPerMs: number;
  /** SIMD instructions (128-bit multiplies, adds, loads) per ms. */
  readonly opsPerMs: number;
}

export const estimateMs = (w: Work, r: MachineRates): number => Math.max(w.bytes / r.bytesPerMs, w.ops / r.opsPerMs);

export interface Ranked<C> {
  readonly cand: C;
  /** The estimate, ms, when the kernel counts its work. */
  readonly estimateMs?: number;
}

/** One kernel choice's estimate for an op, ms; undefined when the kernel counts no work. */
export function estimateChoice(op: Op, kernel: string, choice: Choice, caps: TargetCaps, rates: MachineRates): number | undefined {
  const w = kernelDef(kernel)?.work?.(op, choice, caps);
  return w ? estimateMs(w, rates) : undefined;
}

/** Candidates ordered by estimate (stable; those without one keep their order after the rest). */
export function rankByCost<C extends { kernel: string; choice: Choice }>(op: Op, cands: readonly C[], caps: TargetCaps, rates: MachineRates): Ranked<C>[] {
  const ranked = cands.map((cand, i) => {
    const e = estimateChoice(op, cand.kernel, cand.choice, caps, rates);
    return { cand, i, ...(e !== undefined ? { estimateMs: e } : {}) };
  });
  ranked.sort((a, b) => (a.estimateMs ?? Infinity) - (b.estimateMs ?? Infinity) || a.i - b.i);
  return ranked.map(({ cand, estimateMs: e }) => ({ cand, ...(e !== undefined ? { estimateMs: e } : {}) }));
}
