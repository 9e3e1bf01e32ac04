// The kernel table's entry type. One entry per kernel kind; selection (select.ts) asks each entry
// that names an op whether it applies, and takes its default choice unless a chooser (the
// autotuner) picks another from its space. Entries live in kernels/*.ts; KERNELS lists them.
import type { Op } from '../ir/core.js';
import type { TargetCaps } from './caps.js';
import type { Choice } from './plan.js';

/** Arrays a kernel reads, in its own layout (built from the IR's compressed forms), plus sizes it needs. */
export interface Packed {
  readonly arrays: Readonly<Record<string, Float32Array | Int32Array | Uint16Array | Uint8Array>>;
  readonly sizes?: Readonly<Record<string, number>>;
}

/** A choice's counted work for the cost model (src/tune/cost.ts): bytes through memory and SIMD instructions issued. */
export interface Work {
  readonly bytes: number;
  /** 128-bit (or scalar, counted alike) loads, arithmetic and stores of the inner loops. */
  readonly ops: number;
}

export interface KernelDef {
  readonly name: string;
  /** One line for docs and `--emit plan` readers. */
  readonly summary: string;
  /** The ops it computes (IR names). */
  readonly ops: readonly string[];
  /** True when it can compute this op on a target with these capabilities, else why not. */
  applies(op: Op, caps: TargetCaps): true | string;
  /** The formats and schedules it can run this op with (what an autotuner may search). */
  space(op: Op, caps: TargetCaps): Choice[];
  /** The untuned choice, with why. */
  default(op: Op, caps: TargetCaps): Choice & { why: string };
  /** The sizes it is specialised for, its scratch bytes and in-place operand, for a choice. */
  shape(op: Op, choice: Choice): { dims?: Record<string, number>; scratchBytes: number; inPlace?: number };
  /** What a choice costs, counted from its loops (kernels without a count are ranked after those with one). */
  work?(op: Op, choice: Choice, caps: TargetCaps): Work;
  /** The constant weight in the layout it reads (kernels without constant operands of their own have none). */
  pack?(op: Op, choice: Choice): Packed;
}
