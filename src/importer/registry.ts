// The converter table type: one entry per ONNX op type, with per-opset variants. The importer
// picks the variant with the largest opset not above the model's.
import type { Value } from '../ir/core.js';
import type { NodeContext } from './node-context.js';

/** Converts one node; returns a value per node output (undefined for outputs it does not produce). */
export type Converter = (c: NodeContext) => readonly (Value | undefined)[];

export interface OpConverter {
  readonly opType: string;
  /** Opset version a variant applies from -> the variant. */
  readonly versions: Readonly<Record<number, Converter>>;
}

export function converter(opType: string, versions: Record<number, Converter> | Converter): OpConverter {
  return { opType, versions: typeof versions === 'function' ? { 1: versions } : versions };
}

/** The variant for an opset, or undefined when the op only exists in later opsets. */
export function pickVersion(conv: OpConverter, opset: number): { since: number; convert: Converter } | undefined {
  let best: number | undefined;
  for (const v of Object.keys(conv.versions).map(Number)) if (v <= opset && (best === undefined || v > best)) best = v;
  return best === undefined ? undefined : { since: best, convert: conv.versions[best]! };
}
