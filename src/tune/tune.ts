// Tuning a kernel plan by measurement: for each kernel call with more than one choice (every choice
// of every kernel that applies, from the kernel table), the op alone is compiled with each choice,
// checked against the interpreter, and timed against the others on this machine; a choice replaces
// the default only when it is faster beyond the noise. The calls are then selected again with the
// picks. A time budget bounds the whole; calls left when it runs out keep their defaults.
import { performance } from 'node:perf_hooks';
import type { Op } from '../ir/core.js';
import { interpret } from '../interp/interpret.js';
import { compareTensors } from '../interp/compare.js';
import { randomArgs, randomInputs } from '../pass/semantics.js';
import { candidates, sameChoice, select } from '../lower/select.js';
import { formatName, type Choice, type ChoiceSource, type KernelPlan } from '../lower/plan.js';
import type { Model, Target } from '../../targets/target.js';
import type { Tensor } from '../ir/tensor.js';
import { isolate, isolatedPlan } from './isolate.js';
import { lookup, opSignature, type Lookup, type TuneRecord } from './db.js';
import { pickFastest, type TimeOptions, type Timing } from './measure.js';
import { runnerOf, timeRunners, type Runner } from './runner.js';
import { rankByCost } from './cost.js';
import { UserError } from '../util/errors.js';

export interface TuneRow {
  readonly op: string;
  readonly loc?: string;
  readonly default: string;
  readonly chosen: string;
  readonly defaultMs: number;
  readonly chosenMs: number;
  /** The fastest candidate other than the default, ms (what the default was measured against). */
  readonly fastestOtherMs: number;
  readonly noiseMs: number;
  /** Candidates measured (the default and the cost model's best few), of how many in the space. */
  readonly candidates: number;
  readonly considered: number;
}

export interface TuneResult {
  readonly plan: KernelPlan;
  readonly rows: readonly TuneRow[];
  /** Records of what was measured now (to append to the database). */
  readonly records: readonly TuneRecord[];
  /** Calls whose choice came from the database (no measuring). */
  readonly fromDb: number;
  /** Calls with a choice that the budget left untuned. */
  readonly skipped: number;
  readonly elapsedMs: number;
  /**
   * The whole model, default plan against tuned plan, timed side by side (when measuring and some
   * layer's choice differs from its default). `kept: 'default'` when the tuned plan measured slower:
   * its changes were dropped.
   */
  readonly endToEnd?: EndToEnd;
}

export interface EndToEnd {
  readonly defaultMs: number;
  readonly tunedMs: number;
  readonly noiseMs: number;
  readonly kept: 'tuned' | 'default';
}

export interface TuneOptions extends TimeOptions {
  readonly budgetMs: number;
  /** Measure what the database lacks (default true); false: database choices only. */
  readonly measure?: boolean;
  /** The tuning database: choices found there are taken without measuring; measured ones become records. */
  readonly db?: Lookup;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** What is being measured now, for a status line on a terminal (layer k of n, candidate, elapsed / budget). */
  readonly status?: (line: string) => void;
  /** Candidates measured per layer besides the default: the cost model's best (default 4; all when the target has no probe). */
  readonly top?: number;
}

interface Pick { kernel: string; choice: Choice; why: string; source: ChoiceSource }

/** Runs a model once (synchronously where it can). */
const runOnce = async (model: Model, inputs: readonly Tensor[]): Promise<Tensor[]> => (model.runSync ? model.runSync(inputs) : model.run(inputs));

const label = (kernel: string, c: Choice) => `${kernel} ${formatName(c.format)}${Object.keys(c.schedule).length ? ` ${Object.entries(c.schedule).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`;

/** The measured choice for one op, or undefined when it has only one. */
async function tuneOp(op: Op, current: { kernel: string; choice: Choice }, target: Target, opts: TuneOptions, status: (what: string) => void, deadline: number): Promise<{ pick: Pick; row: TuneRow } | undefined> {
  const all = candidates(op, target.caps).applicable.flatMap((k) => k.space(op, target.caps).map((choice) => ({ kernel: k.name, choice })));
  const same = (c: { kernel: string; choice: Choice }) => c.kernel === current.kernel && sameChoice(c.choice, current.choice);
  const others = all.filter((c) => !same(c));
  if (!others.length) return undefined;
  // The cost model ranks the others; only the best few are compiled and measured with the default.
  const rates = await target.probe?.();
  const ranked = rates ? rankByCost(op, others, target.caps, rates).map((r) => r.cand) : others;
  const cands = [current, ...ranked.slice(0, rates ? opts.top ?? 4 : ranked.length)];
  const m = isolate(op);
  const inputs = randomInputs(m, 7, 1);
  const want = interpret(m, inputs);
  const runners: Runner[] = [];
  const models: Model[] = [];
  const kept: typeof cands = [];
  let timings: Timing[];
  try {
    for (const [ci, c] of cands.entries()) {
      // a space measured whole (no cost model) stops taking candidates when the budget is spent
      if (!rates && kept.length >= 2 && performance.now() > deadline) break;
      status(`checking candidate ${ci + 1} of ${cands.length} (${all.length} in the space)`);
      const plan = isolatedPlan(op, target.caps, { ...c, why: 'measured' });
      const artifact = target.compile(plan);
      const model = await target.instantiate((name) => artifact.files[name]);
      models.push(model);
      const got = await runOnce(model, inputs);
      const bad = got.find((t, i) => compareTensors(t, want[i]!, { rtol: 1e-4, atol: 1e-5 }).mismatch);
      if (bad) {
        opts.log?.(`tune: ${label(c.kernel, c.choice)} disagrees with the interpreter on ${op.name}${op.loc ? ` "${op.loc}"` : ''}; left out (please report this)`);
        continue;
      }
      kept.push(c);
      runners.push(await runnerOf(model, inputs, target));
    }
    if (kept[0] !== current) throw new Error(`internal: the default choice of ${op.name} disagrees with the interpreter`);
    status(`timing ${kept.length} candidates side by side`);
    timings = await timeRunners(runners, opts);
  } finally {
    for (const m of models) m.dispose?.();
  }
  const best = pickFastest(timings);
  const row: TuneRow = {
    op: op.name, ...(op.loc ? { loc: op.loc } : {}), default: label(current.kernel, current.choice), chosen: label(kept[best]!.kernel, kept[best]!.choice),
    defaultMs: timings[0]!.median, chosenMs: timings[best]!.median, fastestOtherMs: Math.min(...timings.slice(1).map((t) => t.median)), noiseMs: Math.max(timings[0]!.noise, timings[best]!.noise), candidates: kept.length, considered: all.length,
  };
  const why = best > 0
    ? `tuned: ${row.chosenMs.toFixed(4)} ms against the default's ${row.defaultMs.toFixed(4)} ms (noise ${row.noiseMs.toFixed(4)} ms, ${kept.length} candidates)`
    : `tuned: the default is fastest within the noise (${row.defaultMs.toFixed(4)} ms, fastest other ${row.fastestOtherMs.toFixed(4)} ms, noise ${row.noiseMs.toFixed(4)} ms, ${kept.length} candidates)`;
  return { row, pick: { ...kept[best]!, why, source: 'tuned' } };
}

/** A database record's choice when it is still a candidate for the op (the kernel table may have changed). */
function recorded(op: Op, rec: TuneRecord, target: Target): Pick | undefined {
  const k = candidates(op, target.caps).applicable.find((d) => d.name === rec.choice.kernel);
  const choice = k?.space(op, target.caps).find((c) => sameChoice(c, rec.choice));
  return choice ? { kernel: rec.choice.kernel, choice, source: 'database', why: `from the tuning database: ${rec.timeMs.toFixed(4)} ms against the default's ${rec.defaultMs.toFixed(4)} ms (measured ${rec.at})` } : undefined;
}

export async function tune(plan: KernelPlan, target: Target, opts: TuneOptions): Promise<TuneResult> {
  const start = performance.now();
  const picks = new Map<Op, Pick>();
  const rowOf = new Map<Op, TuneRow>();
  const rows: TuneRow[] = [];
  const records: TuneRecord[] = [];
  let skipped = 0, fromDb = 0;
  const tunable = plan.calls.filter((pc) => candidates(pc.op, target.caps).applicable.reduce((n, k) => n + k.space(pc.op, target.caps).length, 0) > 1);
  for (const [i, pc] of tunable.entries()) {
    const signature = opts.db ? opSignature(pc.op) : '';
    const rec = opts.db ? lookup(opts.db, signature) : undefined;
    const known = rec ? recorded(pc.op, rec, target) : undefined;
    if (known) {
      fromDb++;
      picks.set(pc.op, known);
      continue;
    }
    if (opts.measure === false) continue;
    if (performance.now() - start > opts.budgetMs) {
      skipped++;
      continue;
    }
    const current = { kernel: pc.call.kernel, choice: { format: pc.call.format, schedule: pc.call.schedule } };
    const where = `${pc.op.name}${pc.op.loc ? ` "${pc.op.loc}"` : ''}`;
    const status = (what: string) => opts.status?.(`tune: ${((performance.now() - start) / 1000).toFixed(1)} s of ${(opts.budgetMs / 1000).toFixed(0)} s, layer ${i + 1} of ${tunable.length}: ${what} (${where})`);
    const r = await tuneOp(pc.op, current, target, opts, status, start + opts.budgetMs);
    if (!r) continue;
    rows.push(r.row);
    rowOf.set(pc.op, r.row);
    picks.set(pc.op, r.pick);
    const chosen = r.pick;
    if (opts.db) {
      records.push({
        v: 1, signature, op: pc.op.name, ...(pc.op.loc ? { loc: pc.op.loc } : {}), target: opts.db.target, machine: opts.db.machine, sparsec: opts.db.sparsec,
        choice: { kernel: chosen.kernel, format: chosen.choice.format, schedule: chosen.choice.schedule },
        timeMs: r.row.chosenMs, defaultMs: r.row.defaultMs, noiseMs: r.row.noiseMs, at: new Date().toISOString(),
      });
    }
    const ms = (x: number) => `${x.toFixed(4)} ms`;
    const what = r.row.chosen === r.row.default
      ? `default kept (${r.row.default}): ${ms(r.row.defaultMs)}, fastest other ${ms(r.row.fastestOtherMs)}`
      : `${r.row.default} -> ${r.row.chosen}: ${ms(r.row.defaultMs)} -> ${ms(r.row.chosenMs)}`;
    opts.log?.(`tune ${i + 1}/${tunable.length}: ${where}: ${what} (${r.row.candidates} of ${r.row.considered} candidates measured, noise ${ms(r.row.noiseMs)}, ${((performance.now() - start) / 1000).toFixed(1)} s)`);
  }
  if (skipped) opts.log?.(`tune: budget spent; ${skipped} call(s) keep their defaults`);
  const tuned = select(plan.func, target.caps, (op) => picks.get(op));
  const changed = tuned.calls.some((pc, i) => pc.call.kernel !== plan.calls[i]!.call.kernel || !sameChoice(pc.call, plan.calls[i]!.call));
  if (opts.measure === false || !changed) return { plan: tuned, rows, records, fromDb, skipped, elapsedMs: performance.now() - start };
  // Per-layer wins need not add up (caches, memory layout): the tuned model must not be slower than the default one.
  const e = await wholeModel(plan, tuned, target, opts);
  opts.log?.(`tune: whole model: default ${e.defaultMs.toFixed(4)} ms, tuned ${e.tunedMs.toFixed(4)} ms (noise ${e.noiseMs.toFixed(4)} ms)${e.kept === 'default' ? ': the tuned plan is slower, so every layer keeps its default' : ''}`);
  if (e.kept === 'tuned') return { plan: tuned, rows, records, fromDb, skipped, elapsedMs: performance.now() - start, endToEnd: e };
  // Keep the defaults, and record them, so the next compile does not take the choices that lost.
  const why = `tuned: the default kept, because the whole model measured slower with this layer's other choice (${e.tunedMs.toFixed(4)} ms against ${e.defaultMs.toFixed(4)} ms)`;
  const byOp = new Map(plan.calls.map((pc) => [pc.op, pc.call]));
  const kept = select(plan.func, target.caps, (op) => {
    const d = byOp.get(op)!;
    return picks.has(op) ? { kernel: d.kernel, choice: { format: d.format, schedule: d.schedule }, why, source: 'tuned' } : undefined;
  });
  // Every layer whose choice was dropped gets a record of its default (newer than any record that
  // chose otherwise), whether its choice was measured now or came from the database.
  const at = new Date().toISOString();
  const reverted = opts.db ? plan.calls.filter((pc) => picks.has(pc.op)).map((pc): TuneRecord => {
    const d = pc.call, measured = rowOf.get(pc.op);
    const defaultMs = measured?.defaultMs ?? e.defaultMs;
    return {
      v: 1, signature: opSignature(pc.op), op: pc.op.name, ...(pc.op.loc ? { loc: pc.op.loc } : {}), target: opts.db!.target, machine: opts.db!.machine, sparsec: opts.db!.sparsec,
      choice: { kernel: d.kernel, format: d.format, schedule: d.schedule }, timeMs: defaultMs, defaultMs, noiseMs: measured?.noiseMs ?? e.noiseMs, at,
    };
  }) : [];
  return { plan: kept, rows, records: reverted, fromDb, skipped, elapsedMs: performance.now() - start, endToEnd: e };
}

/** The default and tuned plans compiled and timed side by side on the same inputs. */
async function wholeModel(base: KernelPlan, tuned: KernelPlan, target: Target, opts: TimeOptions): Promise<EndToEnd> {
  const inputs = randomArgs(base.func, 11, 1);
  const runners: Runner[] = [];
  const models: Model[] = [];
  let d: Timing, t: Timing;
  try {
    for (const plan of [base, tuned]) {
      const artifact = target.compile(plan);
      const model = await target.instantiate((name) => artifact.files[name]);
      models.push(model);
      runners.push(await runnerOf(model, inputs, target));
    }
    [d, t] = (await timeRunners(runners, opts)) as [Timing, Timing];
  } finally {
    for (const m of models) m.dispose?.();
  }
  return { defaultMs: d.median, tunedMs: t.median, noiseMs: Math.max(d.noise, t.noise), kept: t.median <= d.median ? 'tuned' : 'default' };
}
