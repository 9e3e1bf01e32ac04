// Timing candidates against each other on this machine: interleaved rounds (every candidate once per
// round, in a rotating order, so drift and background load hit all alike), each sample the mean of
// enough runs to last `sampleMs`, summarised as a median with a robust noise estimate.
import { performance } from 'node:perf_hooks';

export interface Timing {
  /** Median time of one run, ms. */
  readonly median: number;
  /** Robust spread of the samples (1.4826 x median absolute deviation), ms. */
  readonly noise: number;
  readonly samples: number;
}

export interface TimeOptions {
  /** Rounds over all candidates (default 9). */
  readonly rounds?: number;
  /** How long one sample of one candidate lasts at least (default 2 ms). */
  readonly sampleMs?: number;
  /**
   * How long each candidate runs before it is timed (default 60 ms). V8 first runs wasm from its
   * baseline compiler and tiers hot functions up in the background: a model of microseconds ran
   * 17.7 us a run in its first 20 ms, 9.5 us after 60 ms and 7.3 us after 200 ms (digits MLP).
   */
  readonly warmMs?: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs each candidate `reps` times and returns the mean time of one run, ms. */
function sample(run: () => void, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (performance.now() - t0) / reps;
}

const summary = (s: readonly number[]): Timing => {
  const m = median(s);
  return { median: m, noise: 1.4826 * median(s.map((x) => Math.abs(x - m))), samples: s.length };
};

/** Times synchronous runners against each other (after one warm-up each); one Timing per runner. */
export function timeInterleaved(runners: readonly (() => void)[], opts: TimeOptions = {}): Timing[] {
  const rounds = opts.rounds ?? 9, sampleMs = opts.sampleMs ?? 2, warmMs = opts.warmMs ?? 60;
  // Warm-up, and how many runs make a sample of each.
  const reps = runners.map((run) => {
    const once = Math.max(sample(run, 1), sample(run, 1), 1e-4);
    for (let t0 = performance.now(); performance.now() - t0 < warmMs;) sample(run, Math.max(1, Math.ceil(1 / once)));
    return Math.max(1, Math.ceil(sampleMs / Math.max(sample(run, 1), 1e-4)));
  });
  const samples = runners.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < runners.length; k++) {
      const i = (k + r) % runners.length;
      samples[i]!.push(sample(runners[i]!, reps[i]!));
    }
  }
  return samples.map(summary);
}

/** The mean of `reps` runs of a timer (each resolving to its own time, ms). */
async function sampleTimer(timer: () => Promise<number>, reps: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < reps; i++) sum += await timer();
  return sum / reps;
}

/**
 * Times asynchronous timers against each other (a GPU's runs, each resolving to its time from the
 * device's clock) in the same interleaved rounds; one Timing per timer.
 */
export async function timeInterleavedAsync(timers: readonly (() => Promise<number>)[], opts: TimeOptions = {}): Promise<Timing[]> {
  const rounds = opts.rounds ?? 9, sampleMs = opts.sampleMs ?? 2, warmMs = opts.warmMs ?? 60;
  const reps: number[] = [];
  for (const t of timers) {
    for (let t0 = performance.now(), n = 0; n < 2 || (performance.now() - t0 < warmMs && n < 50); n++) await t();
    reps.push(Math.max(1, Math.min(50, Math.ceil(sampleMs / Math.max(await t(), 1e-3)))));
  }
  const samples = timers.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < timers.length; k++) {
      const i = (k + r) % timers.length;
      samples[i]!.push(await sampleTimer(timers[i]!, reps[i]!));
    }
  }
  return samples.map(summary);
}

/**
 * The candidate to keep: the fastest, when it beats the default (index 0) by more than the noise of
 * both (a 2-sigma margin on the difference, and at least 2%); otherwise the default.
 */
export function pickFastest(timings: readonly Timing[]): number {
  const d = timings[0]!;
  let best = 0;
  timings.forEach((t, i) => {
    if (t.median < timings[best]!.median) best = i;
  });
  if (best === 0) return 0;
  const b = timings[best]!;
  const margin = Math.max(2 * Math.hypot(d.noise, b.noise), 0.02 * d.median);
  return d.median - b.median > margin ? best : 0;
}
