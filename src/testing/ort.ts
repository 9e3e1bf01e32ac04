// onnxruntime-node as the reference for differential tests and `npm start`: runs a model on
// sparsec Tensors and returns sparsec Tensors.
import ort from 'onnxruntime-node';
import { Tensor } from '../ir/tensor.js';
import type { ElementType } from '../ir/types.js';

const ORT_TYPES: Partial<Record<ElementType, string>> = {
  f32: 'float32', f64: 'float64', i64: 'int64', i32: 'int32', i16: 'int16', i8: 'int8', u8: 'uint8', u16: 'uint16', u32: 'uint32', u64: 'uint64', bool: 'bool', f16: 'float16',
};

function toOrt(t: Tensor): ort.Tensor {
  const type = ORT_TYPES[t.elementType];
  if (!type) throw new Error(`onnxruntime has no type for ${t.elementType}`);
  const data = t.elementType === 'bool' ? new Uint8Array(t.data as Uint8Array) : t.data;
  return new ort.Tensor(type as 'float32', data as Float32Array, [...t.shape]);
}

function fromOrt(t: ort.Tensor): Tensor {
  const et = (Object.entries(ORT_TYPES).find(([, v]) => v === t.type)?.[0]) as ElementType | undefined;
  if (!et) throw new Error(`unsupported onnxruntime output type ${t.type}`);
  const z = Tensor.zeros(et, t.dims as number[]);
  (z.data as unknown as { set(a: ArrayLike<unknown>): void }).set(t.data as ArrayLike<unknown>);
  return z;
}

/** Runs a model (bytes or path) in onnxruntime-node (CPU, one thread) with inputs by name. */
export async function runOrt(model: Uint8Array | string, inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await ort.InferenceSession.create(model as Uint8Array, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) feeds[k] = toOrt(v);
    const out = await session.run(feeds);
    const res: Record<string, Tensor> = {};
    for (const name of session.outputNames) res[name] = fromOrt(out[name]!);
    return res;
  } finally {
    await session.release();
  }
}
