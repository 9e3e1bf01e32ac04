// Every ONNX op the importer converts, in one explicit table. Adding an op adds a line here.
import type { OpConverter } from '../registry.js';
import { ELEMENTWISE_CONVERTERS } from './elementwise.js';
import { LINEAR_POOL_NORM_CONVERTERS } from './linear-pool-norm.js';
import { SHAPE_CONVERTERS } from './shape.js';

export const CONVERTERS: ReadonlyMap<string, OpConverter> = (() => {
  const m = new Map<string, OpConverter>();
  for (const c of [...ELEMENTWISE_CONVERTERS, ...LINEAR_POOL_NORM_CONVERTERS, ...SHAPE_CONVERTERS]) {
    if (m.has(c.opType)) throw new Error(`converter for ${c.opType} is listed twice`);
    m.set(c.opType, c);
  }
  return m;
})();

export const SUPPORTED_ONNX_OPS: readonly string[] = [...CONVERTERS.keys()].sort();
