// Checks a pass pipeline end to end: import an ONNX model, run the pipeline, run the result in the
// interpreter, and compare with onnxruntime-node running the original model on the same input.
import { importOnnx } from '../importer/import.js';
import { interpret } from '../interp/interpret.js';
import { runPipeline, type PassRecord } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { passRegistry } from '../pass/registry.js';
import { randomInputs } from '../pass/semantics.js';
import { runOrt } from './ort.js';

export const STANDARD_PIPELINE = 'canonicalize,fold-batchnorm,fuse-bias,fuse-activation';

export interface PipelineCheck {
  /** Normwise relative error against onnxruntime: max |ours - ort| / max |ort|. */
  relError: number;
  opsBefore: number;
  opsAfter: number;
  records: PassRecord[];
}

export async function checkPipelineAgainstOrt(bytes: Uint8Array, label: string, pipeline = STANDARD_PIPELINE): Promise<PipelineCheck> {
  const { module } = importOnnx(bytes, { file: label });
  const opsBefore = module.funcs[0]!.ops.length;
  const records = runPipeline(module, parsePipeline(pipeline, passRegistry()), { log: () => undefined });
  const f = module.funcs[0]!;
  const inputs = randomInputs(module, 5, 1);
  const ours = interpret(f, inputs);
  const names = f.argAttrs.map((a) => (a.get('name') as { value: string }).value);
  const theirs = Object.values(await runOrt(bytes, Object.fromEntries(names.map((n, i) => [n, inputs[i]!]))));
  let rel = 0;
  ours.forEach((t, i) => {
    let d = 0, m = 0;
    for (let k = 0; k < t.size; k++) {
      d = Math.max(d, Math.abs((t.get(k) as number) - (theirs[i]!.get(k) as number)));
      m = Math.max(m, Math.abs(theirs[i]!.get(k) as number));
    }
    rel = Math.max(rel, d / Math.max(m, 1e-30));
  });
  return { relError: rel, opsBefore, opsAfter: f.ops.length, records };
}
