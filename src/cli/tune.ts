// `sparsec tune`: measures every layer's choices on this machine (as `compile --tune`), adds the
// records to the tuning database, and reports per layer default against chosen with their times, then
// the whole model default against tuned, timed side by side.
import { DEFAULT_TARGET, loadTarget } from '../../targets/index.js';
import { randomInputs } from '../pass/semantics.js';
import type { KernelPlan } from '../lower/plan.js';
import type { Tensor } from '../ir/tensor.js';
import type { Target } from '../../targets/target.js';
import { timeInterleaved } from '../tune/measure.js';
import { CliError, type Io, type ParsedArgs } from './command.js';
import { budgetSeconds, loadForCompile, tuned } from './compile.js';

/** One run of a whole plan, compiled and loaded here (synchronous, for timing). */
async function runner(target: Target, plan: KernelPlan): Promise<(inputs: readonly Tensor[]) => void> {
  const artifact = target.compile(plan);
  const model = await target.instantiate((name) => artifact.files[name]);
  if (!model.runSync) throw new CliError(`the ${target.name} target cannot be timed yet (no synchronous run)`);
  const run = model.runSync.bind(model);
  return (inputs) => void run(inputs);
}

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));

export async function runTune(args: ParsedArgs, io: Io): Promise<number> {
  const seconds = budgetSeconds(args.options['budget'] as string | undefined);
  const target = await loadTarget((args.options['target'] as string | undefined) ?? DEFAULT_TARGET);
  const { module } = await loadForCompile(args, io);
  const base = target.plan(module.funcs[0]!);
  const { plan, result, path } = await tuned(base, target, args, seconds, io);
  const r = result!;
  // The whole model, default against tuned, on the same inputs.
  const inputs = randomInputs(module, 11, 1);
  const [d, t] = timeInterleaved([await runner(target, base), await runner(target, plan)].map((run) => () => run(inputs)));
  const layers = r.rows.map((row) => ({ ...row, speedup: row.defaultMs / row.chosenMs }));
  const report = { target: target.name, db: path, measured: r.rows.length, fromDatabase: r.fromDb, untuned: r.skipped, seconds: r.elapsedMs / 1000, layers, endToEnd: { defaultMs: d!.median, tunedMs: t!.median, noiseMs: Math.max(d!.noise, t!.noise), speedup: d!.median / t!.median } };
  if (args.options['json']) {
    io.out(JSON.stringify(report, null, 2) + '\n');
    return 0;
  }
  const cols = ['layer', 'op', 'default', 'chosen', 'default ms', 'chosen ms', 'speedup'];
  const cells = layers.map((l) => [l.loc ?? '-', l.op, l.default, l.chosen === l.default ? '(kept)' : l.chosen, l.defaultMs.toFixed(4), l.chosenMs.toFixed(4), `${l.speedup.toFixed(2)}x`]);
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  for (const row of [cols, ...cells]) io.out(row.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd() + '\n');
  const e = report.endToEnd;
  io.out(`end to end: default ${e.defaultMs.toFixed(4)} ms, tuned ${e.tunedMs.toFixed(4)} ms (${e.speedup.toFixed(2)}x, noise ${e.noiseMs.toFixed(4)} ms); ${report.measured} layer(s) measured, ${report.fromDatabase} from the database ${path}\n`);
  return 0;
}
