// The semantics check: a pass must not change what a module computes. Runs the interpreter on
// seeded random inputs before and after the pass and compares.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloneModule } from '../ir/clone.js';
import type { Func, Module } from '../ir/core.js';
import { Tensor } from '../ir/tensor.js';
import { ELEMENT_TYPES } from '../ir/types.js';
import { compareTensors, describeMismatch } from '../interp/compare.js';
import { interpret } from '../interp/interpret.js';
import { rng } from '../util/random.js';
import type { Pass } from './define.js';
import { runPipeline } from './manager.js';
import type { PipelineEntry } from './pipeline.js';

export interface SemanticsReport {
  /** False when the pass changed a result beyond the tolerance. */
  ok: boolean;
  /** Whether the pass changed the module at all. */
  changed: boolean;
  /** Largest |after - before| / (atol + rtol |before|) over all outputs. */
  worstRatio: number;
  message?: string;
}

/** Seeded inputs for a function's arguments (named dims set to `batch`). */
export function randomInputs(m: Module, seed = 1, batch = 2): Tensor[] {
  return randomArgs(m.func('main') ?? m.funcs[0]!, seed, batch);
}

/** Random arguments for a function (dynamic dims of size `batch`). */
export function randomArgs(f: Func, seed = 1, batch = 2): Tensor[] {
  const r = rng(seed);
  return f.args.map((a) => {
    const shape = a.type.shape.map((d) => (typeof d === 'number' ? d : batch));
    const n = shape.reduce((x, y) => x * y, 1);
    const kind = ELEMENT_TYPES[a.type.elementType].kind;
    const vals = Array.from({ length: n }, () => (kind === 'float' ? r() * 2 - 1 : kind === 'bool' ? r() < 0.5 : Math.floor(r() * 4)));
    return Tensor.from(a.type.elementType, shape, a.type.elementType === 'i64' || a.type.elementType === 'u64' ? vals.map((v) => BigInt(v as number)) : vals);
  });
}

/**
 * Runs `pass` (or a pipeline entry) on a copy of `module` and compares the interpreter's results
 * before and after on the given (or seeded random) inputs. One call for custom passes:
 * `expect(checkPassSemantics(myPass, module).ok).toBe(true)`.
 */
export function checkPassSemantics(pass: Pass | PipelineEntry, module: Module, opts: { inputs?: Tensor[]; before?: Tensor[]; rtol?: number; atol?: number; label?: string } = {}): SemanticsReport {
  const entry: PipelineEntry = 'pass' in pass ? pass : { pass, options: {} };
  const inputs = opts.inputs ?? randomInputs(module);
  const before = opts.before ?? interpret(module, inputs);
  const copy = cloneModule(module);
  const records = runPipeline(copy, [entry], { printIrAfterChange: true, log: () => undefined, reproducerDir: join(tmpdir(), 'sparsec-reproducers') });
  const changed = records[0]!.changed === true;
  if (!changed) return { ok: true, changed, worstRatio: 0 };
  const after = interpret(copy, inputs);
  let worst = 0;
  for (let i = 0; i < before.length; i++) {
    const c = compareTensors(after[i]!, before[i]!, { rtol: opts.rtol ?? 1e-4, atol: opts.atol ?? 1e-5 });
    if (!c.ok) {
      return { ok: false, changed, worstRatio: c.worstRatio, message: `pass ${entry.pass.name} changed output #${i}${opts.label ? ` of ${opts.label}` : ''}: ${describeMismatch(c.mismatch!, before[i]!.shape)}` };
    }
    worst = Math.max(worst, c.worstRatio);
  }
  return { ok: true, changed, worstRatio: worst };
}
