// `sparsec tune`: measures every layer's choices on this machine (as `compile --tune`), adds the
// records to the tuning database, and reports per layer default against chosen with their times, then
// the whole model default against tuned, timed side by side.
import { DEFAULT_TARGET, loadTarget } from '../../targets/index.js';
import { planData } from '../lower/plan.js';
import type { Io, ParsedArgs } from './command.js';
import { budgetSeconds, loadForCompile, tuned } from './compile.js';

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));

export async function runTune(args: ParsedArgs, io: Io): Promise<number> {
  const seconds = budgetSeconds(args.options['budget'] as string | undefined);
  const target = await loadTarget((args.options['target'] as string | undefined) ?? DEFAULT_TARGET);
  const { module } = await loadForCompile(args, io);
  const base = target.plan(module.funcs[0]!);
  const { plan, result, path } = await tuned(base, target, args, seconds, io);
  const r = result!;
  const layers = r.rows.map((row) => ({ ...row, speedup: row.defaultMs / row.chosenMs }));
  const e = r.endToEnd;
  const report = {
    target: target.name, db: path, measured: r.rows.length, fromDatabase: r.fromDb, untuned: r.skipped, seconds: r.elapsedMs / 1000, layers,
    endToEnd: e ? { ...e, speedup: e.defaultMs / e.tunedMs } : null,
    plan: planData(plan).calls.map((c) => ({ op: c.op, ...(c.loc ? { loc: c.loc } : {}), kernel: c.kernel, source: c.source })),
  };
  if (args.options['json']) {
    io.out(JSON.stringify(report, null, 2) + '\n');
    return 0;
  }
  const cols = ['layer', 'op', 'default', 'chosen', 'default ms', 'chosen ms', 'speedup'];
  const cells = layers.map((l) => [l.loc ?? '-', l.op, l.default, l.chosen === l.default ? '(kept)' : l.chosen, l.defaultMs.toFixed(4), l.chosenMs.toFixed(4), `${l.speedup.toFixed(2)}x`]);
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  for (const row of [cols, ...cells]) io.out(row.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd() + '\n');
  const whole = !e ? 'no layer changed, so the model is the default one'
    : `default ${e.defaultMs.toFixed(4)} ms, tuned ${e.tunedMs.toFixed(4)} ms (${(e.defaultMs / e.tunedMs).toFixed(2)}x, noise ${e.noiseMs.toFixed(4)} ms)${e.kept === 'default' ? '; slower, so the defaults were kept' : ''}`;
  io.out(`end to end: ${whole}; ${report.measured} layer(s) measured, ${report.fromDatabase} from the database ${path}\n`);
  return 0;
}
