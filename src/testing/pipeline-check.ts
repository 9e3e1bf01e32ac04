// Checks a pass pipeline end to end: import an ONNX model, run the pipeline, run the result in the
// interpreter, and compare with onnxruntime-node running the original model on the same input.
import { importOnnx } from '../importer/import.js';
import { interpret } from '../interp/interpret.js';
import { runPipeline, type PassRecord } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { passRegistry } from '../pass/registry.js';
import { randomInputs } from '../pass/semantics.js';
import { runOrt } from './ort.js';
import { normwiseRelError } from '../interp/compare.js';

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
  const rel = Math.max(...ours.map((t, i) => normwiseRelError(t, theirs[i]!)));
  return { relError: rel, opsBefore, opsAfter: f.ops.length, records };
}
