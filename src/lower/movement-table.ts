// Data movement (reshape, transpose, slice, gather with constant indices, concat, pad, expand,
// tile, split) as element tables, for every target: the op is run in the interpreter on element
// numbers, which gives, for every output element, the element it copies. Targets turn the tables
// into block copies (wasm, where they are long runs) or a gather (WebGPU).
import type { Op, Value } from '../ir/core.js';
import { OpContext } from '../ir/opdef.js';
import { getOpDef } from '../dialects/index.js';
import { Tensor } from '../ir/tensor.js';
import { constData } from '../pass/helpers.js';

const shapeOf = (v: Value): number[] => v.type.shape as number[];
const sizeOf = (v: Value): number => shapeOf(v).reduce((a, b) => a * b, 1);

/** Views that keep the element order: a plain copy, no table. */
export const ORDER_PRESERVING = new Set(['nn.flatten', 'nn.reshape', 'nn.squeeze', 'nn.unsqueeze']);

/** The movement ops the element tables serve (order-preserving ones as copies). */
export const MOVEMENT_OPS = ['nn.flatten', 'nn.reshape', 'nn.squeeze', 'nn.unsqueeze', 'nn.transpose', 'nn.slice', 'nn.gather', 'nn.concat', 'nn.expand', 'nn.tile', 'nn.pad', 'nn.split'];

/** Tables longer than this many elements are refused (they are built in memory at compile time). */
export const MAX_TABLE = 1 << 24;

export interface ElementSources {
  /** The data operands by position (a concat may list one value twice; each place is numbered), with the first number of each. */
  readonly data: readonly { readonly operand: number; readonly base: number; readonly size: number }[];
  /** Per result, per element: the number of the element it copies, or a negative number for padding. */
  readonly results: readonly Tensor[];
  /** Nn.pad's value: a constant, or an operand known at run time only; undefined when nothing is padded or it is 0 by default. */
  readonly pad?: { readonly value: number } | { readonly operand: Value };
}

/** The element tables of a movement op, or why it has none (an operand that decides the shape is not constant, too many elements). */
export function elementSources(op: Op): ElementSources | string {
  // Data operands by position: a concat may list one value twice, and each place copies it.
  const dataOps = op.name === 'nn.concat' ? op.operands.map((_, i) => i) : [0];
  const total = dataOps.reduce((s0, i) => s0 + sizeOf(op.operand(i)), 0);
  if (total >= MAX_TABLE) return 'moves too many elements for compile-time index tables';
  const padV = op.name === 'nn.pad' && op.operands[2] && sizeOf(op.operands[2]) > 0 ? op.operands[2] : undefined;
  const runtimePad = padV !== undefined && !constData(padV);
  for (const [i, v] of op.operands.entries()) {
    if (!dataOps.includes(i) && !constData(v) && !(runtimePad && v === padV)) return `operand ${i} must be a constant (it decides the shape)`;
  }
  let offset = 0;
  const data: { operand: number; base: number; size: number }[] = [];
  const iota = op.operands.map((v, i) => {
    if (dataOps.includes(i)) {
      const n = sizeOf(v);
      data.push({ operand: i, base: offset, size: n });
      const t = Tensor.from('f64', shapeOf(v), Array.from({ length: n }, (_, k) => offset + k));
      offset += n;
      return t;
    }
    if (op.name === 'nn.pad' && v === op.operands[2]) return Tensor.from('f64', shapeOf(v), [-1]);
    return constData(v)!;
  });
  const def = getOpDef(op.name)!;
  let results: Tensor[];
  try {
    results = def.interpret!(new OpContext(op, def), iota);
  } catch (e) {
    return (e as Error).message;
  }
  const pad = padV === undefined ? undefined : runtimePad ? { operand: padV } : { value: Number(constData(padV)!.get(0)) };
  return { data, results, ...(pad ? { pad } : {}) };
}
