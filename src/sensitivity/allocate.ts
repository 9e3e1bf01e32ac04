// The per-layer sparsities that buy the most measured speed within a metric drop: a greedy walk over
// the measured per-layer curves. Every layer starts dense; each step raises one layer to a higher
// point of its ladder, the one with the most time saved per metric lost, while the summed drop stays
// within the limit; a saving within the measurements' noise is no saving. Drops are assumed to add
// up; the sweep then measures the whole profile and takes steps back while it does not (sweep.ts).

export interface CurvePoint {
  readonly sparsity: number;
  /** Metric lost against the unpruned model (positive: worse). */
  readonly drop: number;
  /** The layer's kernel time at this sparsity, ms, and its noise when measured. */
  readonly ms: number;
  readonly noise?: number;
}

export interface LayerPoints {
  readonly layer: string;
  /** Ascending sparsity; the first is the layer as it is (sparsity 0). */
  readonly points: readonly CurvePoint[];
}

export interface Step {
  readonly layer: string;
  readonly from: number;
  readonly to: number;
  /** ms saved and metric lost by this step (as the curves predict). */
  readonly savedMs: number;
  readonly drop: number;
}

export interface Allocation {
  /** The sparsity chosen for each layer. */
  readonly sparsity: Readonly<Record<string, number>>;
  /** In the order taken, so that the sweep can take them back. */
  readonly steps: readonly Step[];
  readonly predictedDrop: number;
  readonly predictedSavedMs: number;
}

/** Whether a step saves time for real: more than both times' noise (2 sigma of the difference) and 0.5% of the layer's dense time. */
const saves = (dense: CurvePoint, from: CurvePoint, to: CurvePoint) => from.ms - to.ms > Math.max(0.005 * dense.ms, 2 * Math.hypot(from.noise ?? 0, to.noise ?? 0));

export function allocate(layers: readonly LayerPoints[], maxDrop: number): Allocation {
  const at = new Map(layers.map((l) => [l.layer, 0]));
  const steps: Step[] = [];
  let drop = 0;
  for (;;) {
    let best: (Step & { rate: number; index: number }) | undefined;
    for (const l of layers) {
      const i = at.get(l.layer)!, cur = l.points[i]!;
      l.points.forEach((p, j) => {
        if (j <= i || !saves(l.points[0]!, cur, p)) return;
        const d = Math.max(0, p.drop) - Math.max(0, cur.drop);
        if (drop + Math.max(0, d) > maxDrop + 1e-12) return;
        const s = cur.ms - p.ms, rate = s / Math.max(d, 1e-9);
        if (!best || rate > best.rate || (rate === best.rate && p.sparsity > best.to)) best = { layer: l.layer, from: cur.sparsity, to: p.sparsity, savedMs: s, drop: d, rate, index: j };
      });
    }
    if (!best) break;
    at.set(best.layer, best.index);
    drop += Math.max(0, best.drop);
    steps.push({ layer: best.layer, from: best.from, to: best.to, savedMs: best.savedMs, drop: best.drop });
  }
  const sparsity = Object.fromEntries(layers.map((l) => [l.layer, l.points[at.get(l.layer)!]!.sparsity]));
  return { sparsity, steps, ...predict(layers, sparsity) };
}

/** What the curves predict for per-layer sparsities: the layers' drops added up, and the kernel time saved against dense. */
export function predict(layers: readonly LayerPoints[], sparsity: Readonly<Record<string, number>>): { predictedDrop: number; predictedSavedMs: number } {
  let drop = 0, saved = 0;
  for (const l of layers) {
    const p = l.points.find((q) => q.sparsity === (sparsity[l.layer] ?? 0)) ?? l.points[0]!;
    drop += Math.max(0, p.drop);
    saved += l.points[0]!.ms - p.ms;
  }
  return { predictedDrop: drop, predictedSavedMs: saved };
}

/** The allocation without its last `n` steps (what the sweep falls back to when the measured drop is over the limit). */
export function withoutLast(a: Allocation, n: number): Record<string, number> {
  const s = { ...a.sparsity };
  for (const step of a.steps.slice(a.steps.length - n).reverse()) s[step.layer] = step.from;
  return s;
}
