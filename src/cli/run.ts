// `sparsec run`: the reference interpreter on a model or IR file and a folder of input_N.pb files.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readTensors } from '../conformance/conformance.js';
import { argNames, importForData, nameInputs, orderInputs } from '../importer/specialise.js';
import type { Func } from '../ir/core.js';
import { parseModule } from '../ir/parser.js';
import { verifyOrThrow } from '../ir/verifier.js';
import { compareTensors, describeMismatch } from '../interp/compare.js';
import { interpret } from '../interp/interpret.js';
import { encodeTensor } from '../onnx/proto.js';
import { CliError, type Io, type ParsedArgs } from './command.js';
import { DEFAULT_TARGET, loadTarget, type Model } from '../../targets/index.js';
import { readInput } from './io.js';
import { tolerance } from './options.js';

export async function runRun(args: ParsedArgs, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  const data = args.options['data'] as string | undefined;
  if (!data) throw new CliError('run needs --data DIR (a folder with input_N.pb files)');
  const dir = resolve(io.cwd, data);
  try {
    readdirSync(dir);
  } catch {
    throw new CliError(`cannot read the data folder '${data}'`);
  }
  const tol = tolerance(args.options, { rtol: 1e-3, atol: 1e-7 });
  const rawInputs = readTensors(dir, 'input');
  let f: Func | undefined;
  let inputs = rawInputs;
  let compiled: Model | undefined;
  const asDir = resolve(io.cwd, file);
  if (existsSync(join(asDir, 'manifest.json'))) compiled = await loadCompiled(asDir, file);
  else if (file.endsWith('.onnx')) {
    const path = resolve(io.cwd, file);
    const r = importForData(path, () => rawInputs);
    inputs = nameInputs(r.inputNames, rawInputs);
    if (r.specialised.length) io.err(`note: specialised on the values of ${r.specialised.join(', ')}\n`);
    f = r.module.funcs[0]!;
  } else {
    const m = parseModule(readInput(file, io), { file });
    verifyOrThrow(m, file);
    f = m.func('main') ?? m.funcs[0]!;
  }
  const fn = f;
  const names = compiled ? compiled.inputs.map((i) => i.name) : argNames(fn!);
  const named = inputs.map((x, i) => ({ name: x.name || names[i] || '', tensor: x.tensor }));
  let ordered;
  try {
    ordered = orderInputs(names, named);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const t0 = performance.now();
  const outs = compiled ? await compiled.run(ordered) : interpret(fn!, ordered);
  const ms = performance.now() - t0;
  const outNames = compiled ? compiled.outputs.map((o) => o.name) : fn!.resultAttrs.map((a, i) => { const n = a.get('name'); return n?.kind === 'string' ? n.value : `output_${i}`; });
  const outDir = args.options['out'] as string | undefined;
  if (outDir) mkdirSync(resolve(io.cwd, outDir), { recursive: true });
  outs.forEach((t, i) => {
    io.out(`output #${i} '${outNames[i]}': ${t.elementType}[${t.shape.join('x')}]\n`);
    if (outDir) writeFileSync(join(resolve(io.cwd, outDir), `output_${i}.pb`), encodeTensor(t, outNames[i]));
  });
  io.out(`ran in ${(ms / 1000).toFixed(2)} s${outDir ? `; wrote ${outs.length} output file(s) to ${outDir}` : ''}\n`);
  if (!args.options['check']) return 0;
  const want = readTensors(dir, 'output');
  if (want.length !== outs.length) throw new CliError(`the model has ${outs.length} output(s), the data folder has ${want.length} output_N.pb file(s)`);
  let failed = 0;
  outs.forEach((t, i) => {
    const c = compareTensors(t, want[i]!.tensor, tol);
    if (c.ok) io.out(`check output #${i} '${outNames[i]}': ok (max abs error ${c.maxAbsError.toExponential(2)}, max rel error ${c.maxRelError.toExponential(2)})\n`);
    else {
      failed++;
      io.err(`sparsec: error: output #${i} '${outNames[i]}' does not match: ${describeMismatch(c.mismatch!, want[i]!.tensor.shape)}\n`);
    }
  });
  return failed ? 1 : 0;
}

/** A folder `sparsec compile` wrote: its manifest names the target (wasm when it names none), which loads it. */
async function loadCompiled(dir: string, shown: string): Promise<Model> {
  const manifestText = readFileSync(join(dir, 'manifest.json'), 'utf8');
  let manifest: { target?: unknown } | null;
  try {
    manifest = JSON.parse(manifestText) as typeof manifest;
  } catch (e) {
    throw new CliError(`cannot read ${join(shown, 'manifest.json')}: ${(e as Error).message}`);
  }
  const name = manifest?.target ?? DEFAULT_TARGET;
  if (typeof name !== 'string') throw new CliError(`${join(shown, 'manifest.json')}: target must be a target's name, got ${JSON.stringify(name)}`);
  const target = await loadTarget(name);
  // The manifest is read once: the target gets the text already read.
  return target.instantiate((f) => {
    if (f === 'manifest.json') return manifestText;
    try {
      return new Uint8Array(readFileSync(join(dir, f)));
    } catch {
      return undefined;
    }
  });
}
