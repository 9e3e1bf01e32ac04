// Runs ONNX test folders (model.onnx + test_data_set_*/input_N.pb, output_N.pb) through the
// importer and the interpreter and classifies each: passed, failed (with the worst element), or
// unsupported (with the missing feature).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Tensor } from '../ir/tensor.js';
import { importForData, nameInputs, orderInputs, type NamedTensor } from '../importer/specialise.js';
import { graphInputNames, importOnnxFile } from '../importer/import.js';
import type { Func } from '../ir/core.js';
import { compareTensors, describeMismatch, type Tolerance } from '../interp/compare.js';
import { interpret } from '../interp/interpret.js';
import { readTensorFile } from '../onnx/proto.js';
import { UnsupportedError } from '../util/errors.js';

export type Status = 'passed' | 'failed' | 'unsupported';

export interface TestResult {
  name: string;
  dir: string;
  status: Status;
  /** Failure or unsupported reason. */
  reason?: string;
  /** ONNX op types the model uses. */
  ops: string[];
  /** All inputs and outputs are f32. */
  float32: boolean;
  /** Worst |got - want| / (atol + rtol |want|) over all outputs (passed tests). */
  worstRatio?: number;
  /** Integer inputs bound to the test data at import because a result's rank depends on them. */
  specialised?: string[];
  ms: number;
}

/** Test folders under the given paths: a folder with model.onnx, or folders directly inside one. */
export function findTests(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p) || !statSync(p).isDirectory()) throw new Error(`'${p}' is not a folder`);
    if (existsSync(join(p, 'model.onnx'))) out.push(p);
    else for (const d of readdirSync(p).sort()) if (existsSync(join(p, d, 'model.onnx'))) out.push(join(p, d));
  }
  return out;
}

export function dataSets(dir: string): string[] {
  return readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort().map((d) => join(dir, d));
}

/** input_0.pb, input_1.pb, ... (or output_*) in numeric order. */
export function readTensors(dir: string, prefix: 'input' | 'output'): { tensor: Tensor; name: string }[] {
  const files = readdirSync(dir).filter((f) => new RegExp(`^${prefix}_\\d+\\.pb$`).test(f));
  files.sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
  return files.map((f) => readTensorFile(join(dir, f)));
}

export function runTest(dir: string, tol: Tolerance): TestResult {
  const t0 = performance.now();
  const name = basename(dir);
  const base = { name, dir, ops: [] as string[], float32: true };
  const done = (r: Partial<TestResult> & { status: Status }): TestResult => ({ ...base, ...r, ms: performance.now() - t0 });
  const sets = dataSets(dir);
  if (sets.length === 0) return done({ status: 'failed', reason: 'no test_data_set_* folder' });
  const model = join(dir, 'model.onnx');
  let imported;
  try {
    imported = importForData(model, () => readTensors(sets[0]!, 'input'));
  } catch (e) {
    const msg = (e as Error).message.replace(`${model}: `, '');
    return done({ status: e instanceof UnsupportedError ? 'unsupported' : 'failed', reason: msg });
  }
  try {
    const ins = readTensors(sets[0]!, 'input'), outs = readTensors(sets[0]!, 'output');
    base.float32 = [...ins, ...outs].every((x) => x.tensor.elementType === 'f32');
  } catch (e) {
    return done({ status: 'unsupported', reason: `test data: ${(e as Error).message}` });
  }
  base.ops = [...imported.opTypes.keys()].sort();
  const f = imported.module.funcs[0]!;
  const specialised = imported.specialised.length ? imported.specialised : undefined;
  let worst = 0;
  for (const set of sets) {
    let inputs: { tensor: Tensor; name: string }[], outputs: { tensor: Tensor; name: string }[];
    try {
      inputs = readTensors(set, 'input');
      outputs = readTensors(set, 'output');
    } catch (e) {
      return done({ status: 'unsupported', reason: `test data: ${(e as Error).message}` });
    }
    const argNames = f.argAttrs.map((a) => { const n = a.get('name'); return n?.kind === 'string' ? n.value : ''; });
    let ordered: Tensor[];
    try {
      ordered = orderInputs(argNames, nameInputs(imported.inputNames, inputs));
    } catch (e) {
      return done({ status: 'failed', reason: `${basename(set)}: ${(e as Error).message}` });
    }
    let got: Tensor[];
    try {
      got = interpret(f, ordered);
    } catch (e) {
      return done({ status: e instanceof UnsupportedError ? 'unsupported' : 'failed', reason: (e as Error).message });
    }
    if (got.length !== outputs.length) return done({ status: 'failed', reason: `${got.length} outputs, the test data has ${outputs.length}` });
    for (let i = 0; i < got.length; i++) {
      const cmp = compareTensors(got[i]!, outputs[i]!.tensor, tol);
      if (!cmp.ok) return done({ status: 'failed', reason: `output #${i}${outputs[i]!.name ? ` '${outputs[i]!.name}'` : ''}: ${describeMismatch(cmp.mismatch!, outputs[i]!.tensor.shape)}` });
      worst = Math.max(worst, cmp.worstRatio);
    }
  }
  return done({ status: 'passed', worstRatio: worst, ...(specialised ? { specialised } : {}) });
}

export interface Summary {
  passed: number;
  failed: number;
  unsupported: number;
  float32: { passed: number; total: number };
  /** ONNX op -> counts of tests using it. */
  ops: Map<string, Record<Status, number>>;
}

export function summarize(results: readonly TestResult[]): Summary {
  const s: Summary = { passed: 0, failed: 0, unsupported: 0, float32: { passed: 0, total: 0 }, ops: new Map() };
  for (const r of results) {
    s[r.status]++;
    if (r.float32) {
      s.float32.total++;
      if (r.status === 'passed') s.float32.passed++;
    }
    for (const op of r.ops) {
      const c = s.ops.get(op) ?? { passed: 0, failed: 0, unsupported: 0 };
      c[r.status]++;
      s.ops.set(op, c);
    }
  }
  return s;
}
