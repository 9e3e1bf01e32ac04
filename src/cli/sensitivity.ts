// `sparsec sensitivity model.onnx --data DIR [--labels FILE]`: the sweep (src/sensitivity/sweep.ts),
// its report written to a folder (report.html, report.json, and profile.json with --max-drop) and
// summed up on standard output (or as JSON).
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { graphInputs } from '../importer/import.js';
import { readEvalData } from '../sensitivity/data.js';
import { profileJson, renderHtml, type SensitivityReport } from '../sensitivity/report.js';
import { sweep } from '../sensitivity/sweep.js';
import { DEFAULT_TARGET, loadTarget } from '../../targets/index.js';
import { CliError, type Io, type ParsedArgs } from './command.js';
import { budgetSeconds, staticDims } from './compile.js';
import { progress, writeFileWhole } from './io.js';
import { listOption, namesOption, parseShapes } from './options.js';

const DEFAULT_LADDER = [0, 0.5, 0.7, 0.8, 0.9, 0.95];

/** --ladder 0.5,0.8,0.9: fractions in (0, 1], sorted, 0 added. */
function ladder(text: string | undefined): number[] {
  if (text === undefined) return DEFAULT_LADDER;
  const values = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (s.endsWith('%') ? Number(s.slice(0, -1)) / 100 : Number(s)));
  if (!values.length || values.some((v) => !(v >= 0 && v <= 1))) throw new CliError(`--ladder takes sparsities from 0 to 1 (or percentages), comma-separated, e.g. 0.5,0.8,0.9; got '${text}'`);
  return [...new Set([0, ...values])].sort((a, b) => a - b);
}

/** --max-drop 1% or 0.01: the metric drop allowed, as a fraction. */
function maxDrop(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (!(v >= 0 && v < 1) || text.trim() === '') throw new CliError(`--max-drop takes the metric drop allowed, e.g. 1% or 0.01; got '${text}'`);
  return v;
}

export async function runSensitivity(args: ParsedArgs, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  if (!file.endsWith('.onnx')) throw new CliError(`sensitivity prunes ONNX models: '${file}' is not a .onnx file`);
  const data = args.options['data'] as string | undefined;
  if (!data) throw new CliError('sensitivity needs --data DIR (a folder with input_N.pb files: one batch the metric is measured on)');
  const steps = ladder(args.options['ladder'] as string | undefined), drop = maxDrop(args.options['max-drop'] as string | undefined);
  const out = (args.options['output'] as string | undefined) ?? `${basename(file, '.onnx')}-sensitivity`;
  const path = resolve(io.cwd, file);
  const labels = args.options['labels'] as string | undefined;
  const evalData = readEvalData(data, labels, io.cwd);
  const shapes = parseShapes(listOption(args, 'shape'));
  const latencyImport = { shapes, dims: staticDims(graphInputs(path), shapes, { ...io, err: () => undefined }) };
  if (args.options['tune'] === true && args.options['no-measure'] === true) throw new CliError('--tune measures kernels, --no-measure does not: give one');
  const target = await loadTarget((args.options['target'] as string | undefined) ?? DEFAULT_TARGET);
  // the output folder is checked before minutes of sweeping
  try {
    mkdirSync(resolve(io.cwd, out), { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create the output folder '${out}': ${(e as NodeJS.ErrnoException).code === 'EEXIST' || (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'a file is in the way' : (e as Error).message}`);
  }
  const p = progress(io);
  let report: SensitivityReport;
  try {
    report = await sweep({
      path, data: evalData, target, ladder: steps, only: namesOption(args, 'only'), exclude: namesOption(args, 'exclude'),
      latency: args.options['no-measure'] === true ? 'cost model' : 'measured', latencyImport, ...(args.options['tune'] === true ? { tuneBudgetMs: 1000 * budgetSeconds((args.options['budget'] as string | undefined) ?? '10') } : {}), ...(drop !== undefined ? { maxDrop: drop } : {}),
      log: p.log, ...(p.status ? { status: p.status } : {}),
    });
  } finally {
    p.clear();
  }
  report = { ...report, model: file };
  const files: Record<string, string> = { 'report.json': JSON.stringify(report, null, 2) + '\n', 'report.html': renderHtml(report) };
  const profile = profileJson(report);
  if (profile) files['profile.json'] = profile;
  for (const [name, text] of Object.entries(files)) writeFileWhole(join(out, name), text, io);
  const wrote = `wrote ${Object.keys(files).map((f) => join(out, f)).join(', ')}\n`;
  if (args.options['json'] === true) {
    io.out(JSON.stringify(report, null, 2) + '\n');
    io.err(wrote);
  } else io.out(summary(report) + wrote);
  return 0;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const ms = (v: number | undefined) => (v === undefined ? '-' : v < 1 ? v.toFixed(4) : v.toFixed(2));

/** The sweep as text: per layer its metric and kernel time along the ladder, the whole-model curves, the profile. */
function summary(r: SensitivityReport): string {
  const lines = [`${r.model} on ${r.target} (${r.latency}): ${r.metric} ${pct(r.base.metric)} on ${r.rows} rows unpruned, ${ms(r.base.ms)} ms a run; ${r.seconds.toFixed(1)} s`];
  const width = Math.max(12, ...r.layers.map((l) => l.layer.length + 2));
  const cell = (s: string) => s.padStart(9);
  lines.push(`${'sparsity'.padEnd(width)}${r.ladder.map((s) => cell(`${(100 * s).toFixed(0)}%`)).join('')}`);
  for (const l of r.layers) {
    lines.push(`${l.layer.padEnd(width)}${l.points.map((p) => cell(pct(p.metric))).join('')}`);
    if (l.points.some((p) => p.ms !== undefined)) lines.push(`${'  kernel ms'.padEnd(width)}${l.points.map((p) => cell(ms(p.ms))).join('')}`);
  }
  for (const c of r.curves) {
    const name = c.scope === 'global' ? 'global' : 'layer-wise';
    lines.push(`${name.padEnd(width)}${cell(pct(r.base.metric))}${c.points.map((p) => cell(pct(p.metric))).join('')}`);
    lines.push(`${'  model ms'.padEnd(width)}${cell(ms(r.base.ms))}${c.points.map((p) => cell(ms(p.ms))).join('')}`);
  }
  const rec = r.recommendation;
  if (rec) {
    const a = rec.allocation;
    lines.push(`per-layer allocation: ${Object.entries(a.profile).map(([l, s]) => `${l} ${(100 * s).toFixed(0)}%`).join(', ')}: drop ${pct(a.drop)} measured (${pct(a.predictedDrop)} predicted${a.stepsBack ? `, ${a.stepsBack} step(s) taken back` : ''}), ${ms(a.ms)} ms a run`);
    lines.push(`profile within a drop of ${pct(rec.maxDrop)} (${rec.source}): ${Object.entries(rec.profile).map(([l, s]) => `${l} ${(100 * s).toFixed(1)}%`).join(', ')}`);
    lines.push(`  ${r.metric} ${pct(rec.metric)} (drop ${pct(rec.drop)}), ${rec.speedup !== undefined ? `${ms(rec.ms)} ms a run against ${ms(r.base.ms)}: ${rec.speedup.toFixed(2)}x` : 'no end-to-end time'}`);
  }
  return lines.join('\n') + '\n';
}
