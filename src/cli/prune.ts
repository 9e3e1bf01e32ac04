// `sparsec prune model.onnx -o pruned.onnx`: the prune pass (passes/prune.ts) on the imported model,
// its zeros written back into the model's initializers (every other byte of the model kept), and
// per-layer and total sparsity printed.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { importOnnx } from '../importer/import.js';
import { decodeModel, onnx, tensorFromProto, tensorToProto } from '../onnx/proto.js';
import { checkOptionValue } from '../pass/define.js';
import { runPipeline } from '../pass/manager.js';
import { constData } from '../pass/helpers.js';
import type { Tensor } from '../ir/tensor.js';
import prune, { prunableLayers } from '../../passes/prune.js';
import { CliError, type Io, type ParsedArgs } from './command.js';
import { writeFileWhole } from './io.js';
import { namesOption } from './options.js';

export interface PruneRow {
  readonly layer: string;
  readonly kind: string;
  readonly weight: string;
  readonly shape: readonly number[];
  readonly before: number;
  readonly after: number;
}

/** The pass options from the command line (checked as the pass checks them). */
function passOptions(args: ParsedArgs, io: Io): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const key of ['method', 'scope', 'criterion']) if (args.options[key] !== undefined) o[key] = args.options[key];
  for (const key of ['sparsity', 'ratio', 'n', 'm']) if (args.options[key] !== undefined) o[key] = args.options[key];
  for (const key of ['only', 'exclude']) {
    const v = namesOption(args, key);
    if (v.length) o[key] = v;
  }
  const schedule = args.options['schedule'] as string | undefined;
  if (schedule !== undefined) o['per-layer'] = scheduleEntries(schedule, io);
  for (const [k, v] of Object.entries(o)) {
    try {
      checkOptionValue('prune', k, prune.options[k as keyof typeof prune.options], v);
    } catch (e) {
      throw new CliError(`--${k}: ${(e as Error).message.replace(/^pass prune: option '[^']+' /, '')}`);
    }
  }
  if (o['method'] === 'nm' && Number(o['n'] ?? 2) > Number(o['m'] ?? 4)) throw new CliError(`--n ${String(o['n'])} is more than --m ${String(o['m'] ?? 4)}: N:M keeps n of every m`);
  return o;
}

/**
 * A per-layer schedule file: { "layers": { "<layer or pattern>": 0.9 | { "sparsity": 0.9 } } } (what
 * sensitivity will write), as the pass's LAYER=FRACTION entries.
 */
function scheduleEntries(file: string, io: Io): string[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(resolve(io.cwd, file), 'utf8'));
  } catch (e) {
    throw new CliError(`--schedule ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(e as Error).message})`}`);
  }
  const layers = (data as { layers?: unknown } | null)?.layers;
  if (!layers || typeof layers !== 'object' || Array.isArray(layers)) throw new CliError(`--schedule ${file}: expected { "layers": { "<layer>": <sparsity from 0 to 1> } }`);
  return Object.entries(layers as Record<string, unknown>).map(([name, v]) => {
    const s = typeof v === 'number' ? v : (v as { sparsity?: unknown } | null)?.sparsity;
    if (typeof s !== 'number' || !(s >= 0 && s <= 1)) throw new CliError(`--schedule ${file}: layer '${name}': expected a sparsity from 0 to 1 (a number, or { "sparsity": n }), got ${JSON.stringify(v)}`);
    return `${name}=${s}`;
  });
}

const sparsityOf = (t: Tensor) => (t.size ? 1 - t.countNonzero() / t.size : 0);

export async function runPrune(args: ParsedArgs, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  const output = args.options['output'] as string | undefined;
  if (output === undefined) throw new CliError('prune writes a model: give -o FILE');
  const options = passOptions(args, io);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(resolve(io.cwd, file)));
  } catch (e) {
    throw new CliError(`cannot read '${file}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const { module } = importOnnx(bytes, { file, baseDir: dirname(resolve(io.cwd, file)) });
  const layers = prunableLayers(module, (options['only'] as string[]) ?? [], (options['exclude'] as string[]) ?? []);
  const model = decodeModel(bytes, file);
  // weights in external files are read in and written inline: their paths are relative to the input's folder, not the output's
  const baseDir = dirname(resolve(io.cwd, file));
  model.graph?.initializer?.forEach((t, i) => {
    if (t.dataLocation === 1) model.graph!.initializer![i] = tensorToProto(tensorFromProto(t, { what: `${file}: initializer '${t.name ?? ''}'`, baseDir }), t.name ?? '');
  });
  const inits = new Map((model.graph?.initializer ?? []).map((t, i) => [t.name ?? '', i]));
  for (const l of layers) {
    if (!inits.has(l.weight.name ?? '')) throw new CliError(`layer '${l.name}': its weight is not an initializer of the model (sparsec prune writes initializers)`);
  }
  const before = new Map(layers.map((l) => [l, sparsityOf(l.cand.weight)]));
  // what the pass may change: the weights, and (channels) their biases; written back where it did
  const touched = layers.flatMap((l) => [l.weight, ...(l.op.operands[2] ? [l.op.operands[2]] : [])]);
  const original = new Map(touched.map((v) => [v, constData(v)]));
  runPipeline(module, [{ pass: prune, options }], { log: () => undefined });
  for (const v of touched) {
    const t = constData(v);
    if (t && t !== original.get(v) && v.name && inits.has(v.name)) model.graph!.initializer![inits.get(v.name)!] = tensorToProto(t, v.name);
  }
  const rows: PruneRow[] = layers.map((l) => {
    const t = constData(l.weight)!;
    return { layer: l.name, kind: l.op.name.replace('nn.', ''), weight: l.weight.name!, shape: t.shape, before: before.get(l)!, after: sparsityOf(t) };
  });
  writeFileWhole(output, onnx.ModelProto.encode(model).finish(), io);
  const total = rows.reduce((a, r) => a + r.shape.reduce((p, q) => p * q, 1), 0);
  const zeros = (k: 'before' | 'after') => rows.reduce((a, r) => a + r[k] * r.shape.reduce((p, q) => p * q, 1), 0);
  const summary = { layers: rows, total: { weights: total, before: total ? zeros('before') / total : 0, after: total ? zeros('after') / total : 0 } };
  if (args.options['json'] === true) {
    io.out(JSON.stringify(summary, null, 2) + '\n');
    return 0;
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const width = Math.max(5, ...rows.map((r) => r.layer.length));
  io.out(`${'layer'.padEnd(width)}  kind    shape               sparsity\n`);
  for (const r of rows) io.out(`${r.layer.padEnd(width)}  ${r.kind.padEnd(6)}  ${r.shape.join('x').padEnd(18)}  ${pct(r.before)} -> ${pct(r.after)}\n`);
  io.out(`${'total'.padEnd(width)}  ${String(rows.length).padEnd(6)}  ${`${total} weights`.padEnd(18)}  ${pct(summary.total.before)} -> ${pct(summary.total.after)}\n`);
  io.out(`wrote ${output}\n`);
  return 0;
}
