// What lowering an op produces: steps (one kernel each, emitted once addresses are known) and
// data (weights in the layout the kernels read, index tables, constants), placed from address 16 up.
import { UserError } from '../../../src/util/errors.js';
import type { Func, Op, Value } from '../../../src/ir/core.js';
import { constData } from '../../../src/pass/helpers.js';
import { broadcastIndex } from '../../../src/tensor-math/numeric.js';
import type { Tensor } from '../../../src/ir/tensor.js';
import type { binaryen } from '../emit.js';
import { isWasmType, type WasmElementType } from '../dtype.js';

export class WasmCompileError extends UserError {
  override name = 'WasmCompileError';
}

export interface Step {
  op: Op;
  kernel: string;
  /** The weight format (dense, csr, bsr, nm...) with its sizes, for the manifest. */
  format: string;
  /** The kernel's schedule parameters (tile sizes, unroll factors, loop order), for the manifest and the autotuner. */
  schedule?: Record<string, number | string>;
  /** Constant operands the lowering packed into its own layout (their raw data is never read). */
  packed?: Value[];
  /** Emits the kernel function(s) `name*`; returns the calls `run` makes, or nothing for one call of `name`. */
  emit(mod: binaryen.Module, name: string, addr: (v: Value) => number, scratch: number): void | number[];
}

/**
 * n rounded up to a multiple of 16. Plain number math, never bitwise: addresses and sizes may pass
 * 2^31 (bitwise operators work on 32-bit signed integers and would wrap them).
 */
export { align16 } from '../../../src/lower/memory.js';
import { align16 } from '../../../src/lower/memory.js';

export function describe(op: Op): string {
  return `${op.name}${op.loc ? ` "${op.loc}"` : ''}`;
}

export function wasmType(v: Value, where: Op | undefined): WasmElementType {
  const et = v.type.elementType;
  if (!isWasmType(et)) throw new WasmCompileError(`wasm target: ${where ? describe(where) : 'an input'} has element type ${et}, which the wasm target does not support`);
  return et;
}

export { shapeOf, sizeOf } from '../../../src/lower/linear-facts.js';
import { shapeOf, sizeOf } from '../../../src/lower/linear-facts.js';

export class LowerContext {
  readonly segments: { offset: number; data: Uint8Array }[] = [];
  readonly steps: Step[] = [];
  /** Next free data address. */
  top = 16;
  private readonly constants = new Map<Value, number>();
  constructor(readonly func: Func) {}

  private frozen = false;
  /** After this, data can no longer be placed (the memory plan starts where it ends). */
  freeze(): void {
    this.frozen = true;
  }
  put(data: Uint8Array): number {
    if (this.frozen) throw new WasmCompileError('wasm target: internal: data placed after the memory plan');
    const offset = this.top;
    this.segments.push({ offset, data });
    this.top = align16(this.top + data.byteLength);
    return offset;
  }
  putF32(a: ArrayLike<number>): number {
    return this.put(new Uint8Array(Float32Array.from(a).buffer));
  }
  putI32(a: ArrayLike<number>): number {
    return this.put(new Uint8Array(Int32Array.from(a).buffer));
  }
  /** The data address of a constant value's raw bytes (placed on first use), or undefined for a computed value. */
  constAddr(v: Value): number | undefined {
    const known = this.constants.get(v);
    if (known !== undefined) return known;
    const t = constData(v);
    if (!t) return undefined;
    wasmType(v, v.definingOp);
    const a = this.put(t.bytes().slice());
    this.constants.set(v, a);
    return a;
  }
  /** Whether a value is constant data (placed or not); never places anything. */
  isConstant(v: Value): boolean {
    return this.constants.has(v) || constData(v) !== undefined;
  }
  /** How a map kernel reads an input against the output shape: element i, element 0, or a broadcast table. */
  inputIndex(v: Value, out: readonly number[]): 'same' | 'scalar' | number {
    const s = shapeOf(v);
    if (s.length === out.length && s.every((d, k) => d === out[k])) return 'same';
    if (sizeOf(v) === 1) return 'scalar';
    return this.putI32(broadcastIndex(s, out));
  }
  /** Gives a value computed at compile time (shape, size...) a data address, as if it were a constant. */
  bindConstant(v: Value, t: Tensor): void {
    this.constants.set(v, this.put(t.bytes().slice()));
  }
  step(s: Step): void {
    this.steps.push(s);
  }
}

export type Lowering = (op: Op, lc: LowerContext) => void;
