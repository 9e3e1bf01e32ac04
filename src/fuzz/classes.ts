// The fuzzer's input classes. Each turns a seed into one input, runs it through the library the way
// the CLI would, and says how it ended (verdict.ts). The oracle: the reference interpreter on the
// imported model; passes and compiled code must agree with it, and bad input must get a clear error.
import { readFileSync } from 'node:fs';
import { cloneModule } from '../ir/clone.js';
import type { Module } from '../ir/core.js';
import { parseModule } from '../ir/parser.js';
import { printModule } from '../ir/printer.js';
import type { Tensor } from '../ir/tensor.js';
import { verifyOrThrow } from '../ir/verifier.js';
import { importOnnx } from '../importer/import.js';
import { interpret } from '../interp/interpret.js';
import { runPipeline } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { passRegistry } from '../pass/registry.js';
import { randomInputs } from '../pass/semantics.js';
import { randomModule } from '../testing/random-module.js';
import { rng } from '../util/random.js';
import { compileWasm } from '../../targets/wasm/compile.js';
import { instantiate } from '../../targets/wasm/runtime.js';
import { pick, randomNet, type Rng } from './gen-net.js';
import { mutateBytes, mutateModel, mutateText } from './mutate.js';
import { runLoaderCase } from './loader-class.js';
import { classifyError, compareOutputs, decodeInputs, encodeInputs, nonFiniteIn, type CaseInput, type CaseResult } from './verdict.js';

/** Pipelines a compiled case runs before lowering (never a lossy option such as nm-layout{force}). */
export const PIPELINES = [
  '',
  'canonicalize',
  'canonicalize,fold-batchnorm,fuse-bias,fuse-activation',
  'canonicalize,fold-batchnorm,mask-propagation,channel-elimination',
  'nm-layout',
  'nm-layout{n=1,m=2}',
  'sparsify',
  'sparsify{max-density=1}',
  'sparsify{max-density=1,blocks=4x4,min-fill=0}',
  'canonicalize,fold-batchnorm,mask-propagation,channel-elimination,fuse-bias,fuse-activation{ops=relu+clip},nm-layout,sparsify{max-density=0.55}',
];

export interface FuzzClass {
  readonly name: string;
  readonly summary: string;
  run(seed: number): Promise<CaseResult>;
}

/** Runs one stage; a thrown error ends the case with its classification. */
async function stage<T>(name: string, f: () => T | Promise<T>): Promise<{ ok: T } | { end: CaseResult }> {
  try {
    return { ok: await f() };
  } catch (e) {
    return { end: classifyError(e, name) };
  }
}

/**
 * The full path for a module that verifies: interpreter (the oracle), the pipeline (its result must
 * agree with the oracle), the wasm target (must agree too, or refuse clearly).
 */
export async function checkModule(module: Module, inputs: readonly Tensor[], pipeline: string, input: CaseInput, detail: string): Promise<CaseResult> {
  const end = (r: CaseResult): CaseResult => ({ ...r, detail: `${detail}: ${r.detail}`, input });
  // Whether Inf or NaN appears anywhere in the reference run: then a zero weight's product with it
  // is kernel-defined (docs/sparsity.md), and compareOutputs accepts NaN or Inf results.
  let nonFinite = inputs.some(nonFiniteIn);
  const want = await stage('interpret', () => interpret(module, inputs, { onResults: (_op, rs) => void (nonFinite ||= rs.some(nonFiniteIn)) }));
  if ('end' in want) return end(want.end);
  const m = cloneModule(module);
  const passes = await stage('passes', () => runPipeline(m, parsePipeline(pipeline, passRegistry()), { log: () => undefined, reproducerDir: '.tmp/fuzz-reproducers' }));
  if ('end' in passes) return end(passes.end);
  const after = await stage('interpret after passes', () => interpret(m, inputs));
  if ('end' in after) return end(after.end);
  for (const op of module.walk()) {
    const v = op.attrs.get('value');
    if (op.name === 'nn.constant' && v?.kind === 'dense') nonFinite ||= nonFiniteIn(v.value);
  }
  const bad = compareOutputs(after.ok, want.ok, `pipeline '${pipeline}' changed the results`, nonFinite);
  if (bad) return end({ verdict: 'wrong-output', stage: 'passes', detail: bad });
  const compiled = await stage('compile', () => compileWasm(m.funcs[0]!));
  if ('end' in compiled) return end(compiled.end);
  const got = await stage('run compiled', async () => (await instantiate(compiled.ok.wasm, compiled.ok.manifest)).run(inputs));
  if ('end' in got) return end(got.end);
  const wrong = compareOutputs(got.ok, want.ok, 'compiled wasm differs from the interpreter', nonFinite);
  if (wrong) return end({ verdict: 'wrong-output', stage: 'run compiled', detail: wrong });
  return { verdict: 'ok', detail, input };
}

/** Imports ONNX bytes and, when they import and run, checks the whole path on the given inputs (or seeded random ones). */
export async function checkOnnx(bytes: Uint8Array, pipeline: string, inputs: readonly Tensor[] | undefined, detail: string, base?: string): Promise<CaseResult> {
  const input: CaseInput = { kind: 'onnx', ...(base ? { base, splice: spliceFrom(seedModel(base), bytes) } : { data: Buffer.from(bytes).toString('base64') }), pipeline, ...(inputs ? { inputs: encodeInputs(inputs) } : {}) };
  const imported = await stage('import', () => importStatic(bytes));
  if ('end' in imported) return { ...imported.end, detail: `${detail}: ${imported.end.detail}`, input };
  const module = imported.ok;
  const ins = inputs ?? randomInputs(module, 1);
  const text = await stage('print', () => parseModule(printModule(module)));
  if ('end' in text) return { ...text.end, verdict: 'internal-error', detail: `${detail}: the imported IR does not print and parse back: ${text.end.detail}`, input };
  return checkModule(module, ins, pipeline, input, detail);
}

/** Imports a model with its named dims fixed to 2 (as `--shape` would), so that it can be compiled. */
function importStatic(bytes: Uint8Array): Module {
  const first = importOnnx(bytes, { file: 'fuzz.onnx' });
  const f = first.module.funcs[0]!;
  if (f.args.every((a) => a.type.isStatic)) return first.module;
  const shapes: Record<string, number[]> = {};
  f.args.forEach((a, i) => {
    const name = f.argAttrs[i]?.get('name');
    if (name?.kind === 'string') shapes[name.value] = a.type.shape.map((d) => (typeof d === 'number' ? d : 2));
  });
  return importOnnx(bytes, { file: 'fuzz.onnx', shapes }).module;
}

/** A random net (with probability `pNet`) or an example model, mutated, then checked like any model. */
function checkMutant(seed: number, pNet: number, mutate: (r: Rng, b: Uint8Array) => { bytes: Uint8Array; how: string }, what: string): Promise<CaseResult> {
  const r = rng(seed);
  const example = r() < pNet ? undefined : pick(r, SEED_MODELS);
  const { bytes, how } = mutate(r, example ? seedModel(example) : randomNet(r).model);
  return checkOnnx(bytes, pick(r, PIPELINES), undefined, `${what} (${how})`, example);
}

const SEED_MODELS = ['mlp-sparse90.onnx', 'mlp-2of4.onnx', 'resnet-pruned.onnx', 'squeezenet-pruned.onnx'];
const modelCache = new Map<string, Uint8Array>();
function seedModel(name: string): Uint8Array {
  let b = modelCache.get(name);
  if (!b) modelCache.set(name, (b = new Uint8Array(readFileSync(new URL(`../../examples/${name}`, import.meta.url)))));
  return b;
}

/** A mutant of an example model as one splice of the example (compact for the corpus). */
function spliceFrom(base: Uint8Array, bytes: Uint8Array): [number, number, string] {
  let p = 0;
  while (p < base.length && p < bytes.length && base[p] === bytes[p]) p++;
  let q = 0;
  while (q < base.length - p && q < bytes.length - p && base[base.length - 1 - q] === bytes[bytes.length - 1 - q]) q++;
  return [p, base.length - p - q, Buffer.from(bytes.subarray(p, bytes.length - q)).toString('base64')];
}

/** The bytes of a saved ONNX input: inline, or an example model with a splice. */
export function onnxBytes(input: CaseInput): Uint8Array {
  if (input.data !== undefined) return new Uint8Array(Buffer.from(input.data, 'base64'));
  const base = seedModel(input.base!), [at, del, ins] = input.splice!;
  const add = Buffer.from(ins, 'base64');
  const out = new Uint8Array(base.length - del + add.length);
  out.set(base.subarray(0, at));
  out.set(add, at);
  out.set(base.subarray(at + del), at + add.length);
  return out;
}

export const FUZZ_CLASSES: readonly FuzzClass[] = [
  {
    name: 'net',
    summary: 'random valid nets in every wasm element type, odd and 0-size shapes, every format and pipeline, compiled and compared with the interpreter',
    async run(seed) {
      const r = rng(seed);
      const net = randomNet(r);
      return checkOnnx(net.model, pick(r, PIPELINES), net.inputs, net.summary);
    },
  },
  {
    name: 'onnx-mutant',
    summary: 'random nets and the example models with bytes flipped, cut, duplicated or inserted: a clear error or a correct result',
    run: (seed) => checkMutant(seed, 0.5, mutateBytes, 'mutated ONNX'),
  },
  {
    name: 'onnx-invalid',
    summary: 'models that decode but break ONNX rules (duplicate names, bad attributes and dims, wrong types, missing opset, cycles): a clear error or a correct result',
    run: (seed) => checkMutant(seed, 0.6, mutateModel, 'invalid ONNX'),
  },
  {
    name: 'ir-mutant',
    summary: 'random IR modules printed, then the text mutated: a clear error with line:col, or IR that verifies and runs through passes and wasm correctly',
    async run(seed) {
      const r = rng(seed);
      const text0 = printModule(randomModule(Math.floor(r() * 2 ** 31) + 1), { inlineLimit: pick(r, [0, 4, 16]) });
      const { text, how } = mutateText(r, text0);
      return checkIr(text, pick(r, PIPELINES), `mutated IR (${how})`);
    },
  },
  {
    name: 'pipeline',
    summary: 'pipeline strings, valid and mutated, on random modules: a clear error, or results the interpreter and wasm agree with',
    async run(seed) {
      const r = rng(seed);
      const valid = pick(r, PIPELINES.filter(Boolean));
      const { text, how } = r() < 0.7 ? mutateText(r, valid) : { text: valid, how: 'unchanged' };
      return checkIr(printModule(randomModule(Math.floor(r() * 2 ** 31) + 1)), text, `pipeline '${text}' (${how})`);
    },
  },
  {
    name: 'loader',
    summary: "a random net compiled and written as sparsec compile writes it, its model.mjs given bad sources (damaged, another model's or no model.wasm) or bad feeds: one clear Error, or the interpreter's results",
    run: runLoaderCase,
  },
];

/** Parses and verifies IR text, then checks the whole path with inputs seeded from 1 (named dims bound to 2). */
export async function checkIr(text: string, pipeline: string, detail: string): Promise<CaseResult> {
  const input: CaseInput = { kind: 'ir', data: text, pipeline };
  const parsed = await stage('parse', () => {
    const m = parseModule(text, { file: 'fuzz.ir' });
    verifyOrThrow(m, 'fuzz.ir');
    return m;
  });
  if ('end' in parsed) return { ...parsed.end, detail: `${detail}: ${parsed.end.detail}`, input };
  return checkModule(parsed.ok, randomInputs(parsed.ok, 1, 2), pipeline, input, detail);
}

/** Runs a saved input again (a finding, or a regression case in the corpus). */
export function replay(input: CaseInput, detail = 'replay'): Promise<CaseResult> {
  if (input.kind === 'onnx') return checkOnnx(onnxBytes(input), input.pipeline ?? '', input.inputs ? decodeInputs(input.inputs) : undefined, detail);
  return checkIr(input.data ?? '', input.pipeline ?? '', detail);
}

export function fuzzClass(name: string): FuzzClass {
  const c = FUZZ_CLASSES.find((k) => k.name === name);
  if (!c) throw new Error(`unknown fuzz class '${name}' (classes: ${FUZZ_CLASSES.map((k) => k.name).join(', ')})`);
  return c;
}
