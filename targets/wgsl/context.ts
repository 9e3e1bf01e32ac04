// What a WGSL kernel render works with: where each value lives (the activation buffer `mem`, from
// the memory plan, or the weight buffer `wts`, constants and packed weights), element offsets, and
// the list of dispatches. Every element is 32 bits on the GPU (wgsl.ts), so offsets count elements.
import type { Op, Value } from '../../src/ir/core.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { UnsupportedError } from '../../src/util/errors.js';
import { constData } from '../../src/pass/helpers.js';
import { gpuType, WGSL_HELPERS, type GpuType } from './wgsl.js';

export class WgslCompileError extends UnsupportedError {
  override name = 'WgslCompileError';
}

/** A model whose data does not fit WGSL (an int64 constant beyond i32): unsupported, with that reason. */
export class WgslRangeError extends UnsupportedError {
  override name = 'WgslRangeError';
}

export const describe = (op: Op): string => `${op.name}${op.loc ? ` "${op.loc}"` : ''}`;
export const shapeOf = (v: Value): number[] => v.type.shape as number[];
export const sizeOf = (v: Value): number => shapeOf(v).reduce((a, b) => a * b, 1);

/** Where a value's elements are: buffer and element offset, and their GPU type. */
export interface Ref {
  readonly buf: 'mem' | 'wts';
  readonly off: number;
  readonly t: GpuType;
}

export interface Dispatch {
  /** Index into the shader list. */
  readonly shader: number;
  /** Workgroups in x and y (64 invocations each). */
  readonly groups: readonly [number, number];
  readonly op: string;
  /** The op's location (its ONNX node name), where it has one. */
  readonly loc?: string;
  readonly kernel: string;
}

/** Threads per workgroup of every grid kernel. */
export const WORKGROUP = 64;

/** The GPU type of a value, or a compile error naming the op. */
export function typeOf(v: Value, op: Op): GpuType {
  const g = gpuType(v.type.elementType);
  if ('why' in g) throw new WgslCompileError(`webgpu target: ${describe(op)}: ${v.type.elementType}: ${g.why}`);
  return g.t;
}

/** A constant's elements as the 32-bit words the GPU reads (integers range-checked into i32). */
export function constWords(t: Tensor, what: string): Uint32Array {
  const g = gpuType(t.elementType);
  if ('why' in g) throw new WgslCompileError(`webgpu target: ${what}: ${g.why}`);
  const out = new Uint32Array(t.size);
  if (g.t === 'f32') {
    out.set(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));
    return out;
  }
  const ints = new Int32Array(out.buffer);
  for (let i = 0; i < t.size; i++) {
    const v = t.get(i);
    const n = typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v;
    if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) throw new WgslRangeError(`webgpu target: ${what}: ${t.elementType} value ${String(v)} is outside i32, which WGSL computes integers in`);
    ints[i] = n;
  }
  return out;
}

/**
 * The line of every shader that the loader replaces with the weight buffers' bindings and `wt(i)`,
 * the reader of weight word i: the weights may span several buffers, as many as the adapter's
 * binding size requires (known only when the model is loaded).
 */
export const WEIGHTS_MARK = '//! weights';

/** The shared header of every shader: the activation buffer, the weights' mark and the helper functions. */
export const HEADER = `@group(0) @binding(0) var<storage, read_write> mem: array<u32>;
${WEIGHTS_MARK}
${WGSL_HELPERS}`;

/** Kernels write weight reads as wts[index]; they become wt(index) calls (the weights may span several bindings). */
export function weightReads(code: string): string {
  let out = '', at = 0;
  for (let k = code.indexOf('wts[', at); k >= 0; k = code.indexOf('wts[', at)) {
    let depth = 0, j = k + 3;
    for (; j < code.length; j++) {
      if (code[j] === '[') depth++;
      else if (code[j] === ']' && --depth === 0) break;
    }
    out += `${code.slice(at, k)}wt(${weightReads(code.slice(k + 4, j))})`;
    at = j + 1;
  }
  return out + code.slice(at);
}

/** A grid shader: one invocation per element i < n (2-d grid of 64-wide workgroups), running `body`. */
export const gridShader = (n: number, body: string): string => `${HEADER}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = g.x + g.y * nw.x * ${WORKGROUP}u;
  if (i >= ${n}u) { return; }
${weightReads(body)}
}`;

/**
 * A shader of workgroups of 64 that share memory (\`decls\`, var<workgroup> arrays): the body sees the
 * global invocation g, the grid size nw, the workgroup wg and the index li within it, and must keep
 * every workgroupBarrier() in uniform control flow (no early return before one).
 */
export const computeShader = (decls: string, body: string): string => `${HEADER}
${decls}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
${weightReads(body)}
}`;

/** Workgroups for n invocations: x at most 65535, then rows. */
export function groupsFor(n: number): [number, number] {
  const g = Math.max(1, Math.ceil(n / WORKGROUP)), x = Math.min(g, 65535);
  return [x, Math.ceil(g / x)];
}

export class WgslContext {
  private readonly words: Uint32Array[] = [];
  private wordCount = 0;
  private readonly consts = new Map<Value, number>();
  private readonly shaderIndex = new Map<string, number>();
  readonly shaders: string[] = [];
  readonly dispatches: Dispatch[] = [];

  constructor(private readonly offsets: ReadonlyMap<Value, number>, readonly scratch: number) {}

  /** Appends words to the weight buffer; returns their element offset there. */
  put(w: Uint32Array | Float32Array | Int32Array): number {
    const at = this.wordCount;
    const u = w instanceof Uint32Array ? w : new Uint32Array(w.buffer, w.byteOffset, w.length);
    this.words.push(u);
    this.wordCount += u.length;
    return at;
  }

  /** Binds a value computed at compile time (a shape, a constant fill) to constant data. */
  bindConstant(v: Value, t: Tensor): void {
    this.consts.set(v, this.put(constWords(t, `the value of ${v.name ?? 'a computed value'}`)));
  }

  /** Where a value is: a constant (placed in the weight buffer on first use) or its slot in the memory plan. */
  ref(v: Value, op: Op): Ref {
    const t = typeOf(v, op);
    const known = this.consts.get(v);
    if (known !== undefined) return { buf: 'wts', off: known, t };
    const c = constData(v);
    if (c) {
      const off = this.put(constWords(c, `${describe(op)}: a constant operand`));
      this.consts.set(v, off);
      return { buf: 'wts', off, t };
    }
    const off = this.offsets.get(v);
    if (off === undefined) throw new Error(`internal: ${describe(op)}: operand has no slot in the memory plan`);
    return { buf: 'mem', off, t };
  }

  isConst(v: Value): boolean {
    return this.consts.has(v) || constData(v) !== undefined;
  }

  /** Adds a dispatch of `code` over n invocations (identical shaders are compiled once). */
  dispatch(op: Op, kernel: string, code: string, n: number): void {
    let s = this.shaderIndex.get(code);
    if (s === undefined) {
      s = this.shaders.length;
      this.shaders.push(code);
      this.shaderIndex.set(code, s);
    }
    this.dispatches.push({ shader: s, groups: groupsFor(n), op: op.name, ...(op.loc ? { loc: op.loc } : {}), kernel });
  }

  /** The weight buffer's contents. */
  weights(): Uint8Array {
    const out = new Uint32Array(Math.max(1, this.wordCount));
    let at = 0;
    for (const w of this.words) {
      out.set(w, at);
      at += w.length;
    }
    return new Uint8Array(out.buffer);
  }
}
