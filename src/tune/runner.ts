// How a compiled model is timed on its target: runs in this thread (wasm) or the device's own timer
// (WebGPU), several side by side in interleaved rounds. The tuner's candidates and the sensitivity
// sweep's pruned layers and models are timed through it.
import type { Model, Target } from '../../targets/target.js';
import type { Tensor } from '../ir/tensor.js';
import { UserError } from '../util/errors.js';
import { timeInterleaved, timeInterleavedAsync, type TimeOptions, type Timing } from './measure.js';

/** How a compiled candidate is timed: runs in this thread (wasm), or the device's timer (WebGPU). */
export type Runner = { readonly run: () => void } | { readonly time: () => Promise<number> };

export async function runnerOf(model: Model, inputs: readonly Tensor[], target: Target): Promise<Runner> {
  if (model.runSync) {
    const run = model.runSync.bind(model);
    return { run: () => void run(inputs) };
  }
  if (model.timer) return { time: await model.timer(inputs) };
  throw new UserError(`the ${target.name} target's models cannot be timed: they neither run synchronously nor time themselves`);
}

/** Candidates timed side by side: synchronous runs, or the device's timer. */
export async function timeRunners(runners: readonly Runner[], opts: TimeOptions): Promise<Timing[]> {
  const sync = runners.flatMap((r) => ('run' in r ? [r.run] : []));
  if (sync.length === runners.length) return timeInterleaved(sync, opts);
  return timeInterleavedAsync(runners.map((r) => ('time' in r ? r.time : async () => Promise.reject(new Error('internal: a synchronous runner among timers')))), opts);
}

