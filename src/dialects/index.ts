// The op registry: every dialect's table, in one explicit list. Adding a dialect adds a line here.
import type { OpDef } from '../ir/opdef.js';
import { NN_OPS } from './nn/index.js';
import { SPARSE_OPS } from './sparse/index.js';

/** Builtin ops that belong to no dialect. */
export const BUILTIN_OPS: readonly OpDef[] = [
  {
    name: 'return',
    summary: "Ends a function; its operands are the function's results and must match its signature.",
    operands: [{ name: 'values', variadic: true, optional: true }],
    results: [],
    attrs: {},
    example: 'return %y, %aux',
  },
];

export const DIALECTS: Readonly<Record<string, readonly OpDef[]>> = {
  builtin: BUILTIN_OPS,
  nn: NN_OPS,
  sparse: SPARSE_OPS,
};

const REGISTRY = new Map<string, OpDef>();
for (const ops of Object.values(DIALECTS)) {
  for (const d of ops) {
    if (REGISTRY.has(d.name)) throw new Error(`op ${d.name} is defined twice`);
    REGISTRY.set(d.name, d);
  }
}

export function getOpDef(name: string): OpDef | undefined {
  return REGISTRY.get(name);
}

export function allOpDefs(): OpDef[] {
  return [...REGISTRY.values()];
}

/** The op defined for an ONNX op type, if any. */
export function opDefForOnnx(opType: string): OpDef | undefined {
  return allOpDefs().find((d) => d.onnx === opType);
}
