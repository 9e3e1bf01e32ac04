// An ONNX conformance test folder run through a compile target: inputs fixed to the data's shapes,
// compiled, loaded, run, compared. Its own module, so that the interpreter's runs (and `sparsec run`,
// which reads test data) do not load a target.
import { basename, join } from 'node:path';
import type { Tensor } from '../ir/tensor.js';
import type { Func } from '../ir/core.js';
import { importForData, nameInputs, orderInputs, type NamedTensor } from '../importer/specialise.js';
import { graphInputNames, importOnnxFile } from '../importer/import.js';
import type { Model, Target } from '../../targets/index.js';
import { compareTensors, describeMismatch, type Tolerance } from '../interp/compare.js';
import { dataSets, readTensors, type Status, type TestResult } from './conformance.js';

/** A conformance test through a compile target. */
export async function runTestCompiled(dir: string, tol: Tolerance, target: Target): Promise<TestResult> {
  const t0 = performance.now();
  const name = basename(dir);
  const model = join(dir, 'model.onnx');
  const base = { name, dir, ops: [] as string[], float32: true };
  const done = (r: Partial<TestResult> & { status: Status }): TestResult => ({ ...base, ...r, ms: performance.now() - t0 });
  const sets = dataSets(dir);
  if (sets.length === 0) return done({ status: 'failed', reason: 'no test_data_set_* folder' });
  let inputs: NamedTensor[];
  let graphInputs: string[];
  try {
    graphInputs = graphInputNames(model);
    inputs = nameInputs(graphInputs, readTensors(sets[0]!, 'input'));
    base.float32 = [...inputs, ...readTensors(sets[0]!, 'output')].every((x) => x.tensor.elementType === 'f32');
  } catch (e) {
    return done({ status: 'unsupported', reason: `test data: ${(e as Error).message}` });
  }
  let compiled: Model;
  let specialised: string[] | undefined;
  const shapes = Object.fromEntries(inputs.map((x) => [x.name, [...x.tensor.shape]]));
  const build = async (imported: { module: { funcs: readonly Func[] }; opTypes: Map<string, number> }) => {
    base.ops = [...imported.opTypes.keys()].sort();
    const artifact = target.compile(target.plan(imported.module.funcs[0]!));
    return target.instantiate((name) => artifact.files[name]);
  };
  try {
    const imported = importForData(model, () => inputs, { shapes, requireStatic: true });
    specialised = imported.specialised.length ? imported.specialised : undefined;
    try {
      compiled = await build(imported);
    } catch (e) {
      // A flag fed as a scalar input (Dropout's ratio...) may decide what the model does; the
      // interpreter sees its value, a compiled model does not: compile specialised on the scalars.
      const scalars = inputs.filter((x) => x.tensor.size === 1);
      if (!target.isUnsupported(e) || scalars.length === 0) throw e;
      const bind = new Map([...scalars, ...inputs.filter((x) => specialised?.includes(x.name))].map((x) => [x.name, x.tensor]));
      compiled = await build(importOnnxFile(model, { shapes, bind }));
      specialised = [...bind.keys()];
    }
  } catch (e) {
    const msg = (e as Error).message.replace(`${model}: `, '');
    return done({ status: target.isUnsupported(e) ? 'unsupported' : 'failed', reason: msg });
  }
  try {
    return done(await check(compiled, sets, graphInputs, tol, specialised));
  } finally {
    compiled.dispose?.();
  }
}

/** Runs every data set of a test through the compiled model and compares its outputs. */
async function check(compiled: Model, sets: string[], graphInputs: string[], tol: Tolerance, specialised: string[] | undefined): Promise<Partial<TestResult> & { status: Status }> {
  let worst = 0;
  for (const set of sets) {
    const ins = nameInputs(graphInputs, readTensors(set, 'input'));
    const outs = readTensors(set, 'output');
    let got: Tensor[];
    try {
      got = await compiled.run(orderInputs(compiled.inputs.map((i) => i.name), ins));
    } catch (e) {
      return { status: 'failed', reason: (e as Error).message };
    }
    for (let i = 0; i < got.length; i++) {
      const cmp = compareTensors(got[i]!, outs[i]!.tensor, tol);
      if (!cmp.ok) return { status: 'failed', reason: `output #${i}: ${describeMismatch(cmp.mismatch!, outs[i]!.tensor.shape)}` };
      worst = Math.max(worst, cmp.worstRatio);
    }
  }
  return { status: 'passed', worstRatio: worst, ...(specialised ? { specialised } : {}) };
}
