// The wasm target (first slice): lowers a function whose ops are dense / CSR matrix products and
// simple element-wise ops to one WebAssembly SIMD module with a static memory plan: weights in
// data segments (in the layout the kernels read), activations packed in an arena by liveness.
import type { Func, Op, Value } from '../../src/ir/core.js';
import { OpContext } from '../../src/ir/opdef.js';
import { getOpDef } from '../../src/dialects/index.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { toF64 } from '../../src/interp/numeric.js';
import { binaryen } from './emit.js';
import { csrMatmul, csrMatmulBatched, denseMatmul, elementwise, type Activation } from './kernels.js';

export class WasmCompileError extends Error {
  override name = 'WasmCompileError';
}

export interface TensorSlot {
  name: string;
  shape: number[];
  dtype: 'float32';
  offset: number;
}

export interface Manifest {
  inputs: TensorSlot[];
  outputs: TensorSlot[];
  memoryBytes: number;
  /** Peak bytes of the activation arena. */
  arenaBytes: number;
  weightBytes: number;
  kernels: { op: string; loc?: string; kernel: string; format: string }[];
}

export const SUPPORTED_WASM_OPS = ['nn.gemm', 'sparse.gemm', 'nn.matmul', 'sparse.matmul', 'nn.relu', 'nn.add', 'nn.sub', 'nn.mul', 'nn.identity', 'nn.dropout', 'nn.flatten', 'nn.reshape'];

const align16 = (n: number) => (n + 15) & ~15;
const bytesOf = (v: Value) => 4 * (v.type.shape as number[]).reduce((a, b) => a * b, 1);

function constOf(v: Value): Tensor | undefined {
  const op = v.definingOp;
  if (op?.name !== 'nn.constant') return undefined;
  const a = op.attrs.get('value');
  return a?.kind === 'dense' ? a.value : undefined;
}

function describe(op: Op): string {
  return `${op.name}${op.loc ? ` "${op.loc}"` : ''}`;
}

export function compileWasm(f: Func): { wasm: Uint8Array; manifest: Manifest } {
  for (const v of [...f.args, ...f.ops.flatMap((o) => o.results)]) {
    if (v.type.elementType !== 'f32' && !v.definingOp?.name.endsWith('constant')) throw new WasmCompileError(`wasm target: only f32 tensors are supported so far, ${v.definingOp ? describe(v.definingOp) : 'an input'} has ${v.type.elementType}`);
    if (!v.type.shape.every((d) => typeof d === 'number')) throw new WasmCompileError(`wasm target: shapes must be static (give --shape for named dims); ${v.definingOp ? describe(v.definingOp) : `input ${v.name ?? ''}`} has ${v.type}`);
  }
  const ops = f.ops.filter((o) => o.name !== 'nn.constant' && o.name !== 'return');
  for (const op of ops) if (!SUPPORTED_WASM_OPS.includes(op.name)) throw new WasmCompileError(`wasm target: ${describe(op)} is not supported yet (supported: ${SUPPORTED_WASM_OPS.join(', ')})`);

  // ---- weights: laid out for the kernels, appended to a data region ----
  const segments: { offset: number; data: Uint8Array }[] = [];
  let top = 16;
  const put = (data: Uint8Array) => {
    const offset = top;
    segments.push({ offset, data });
    top = align16(top + data.byteLength);
    return offset;
  };
  const putF32 = (a: ArrayLike<number>) => put(new Uint8Array(Float32Array.from(a).buffer));
  const weightStart = top;

  interface Step { op: Op; emit: (mod: binaryen.Module, name: string, addr: (v: Value) => number) => void; kernel: string; format: string; scratch?: number }
  let scratch = 0; // address of the shared scratch region, known after the arena is placed
  const steps: Step[] = [];
  for (const op of ops) {
    const c = new OpContext(op, getOpDef(op.name)!);
    const act = activation(op, c);
    if (op.name.endsWith('.gemm') || op.name.endsWith('.matmul')) {
      const x = op.operand(0), w = constOf(op.operand(1));
      if (!w || w.shape.length !== 2 || x.type.rank !== 2) throw new WasmCompileError(`wasm target: ${describe(op)} needs a 2-d input and a constant 2-d weight`);
      if (op.name.endsWith('.gemm') && (c.int('transA') !== 0 || c.float('alpha') !== 1)) throw new WasmCompileError(`wasm target: ${describe(op)}: transA and alpha != 1 are not supported yet`);
      const transB = op.name.endsWith('.gemm') && c.int('transB') === 1;
      const [M, K] = x.type.shape as [number, number];
      const N = transB ? w.shape[0]! : w.shape[1]!;
      const wv = toF64(w);
      const at = (k: number, n: number) => (transB ? wv[n * K + k]! : wv[k * N + n]!);
      let bias: number | undefined;
      if (op.operands.length > 2) {
        const b = constOf(op.operand(2));
        const beta = op.name.endsWith('.gemm') ? c.float('beta') : 1;
        if (!b || !(b.size === N || b.size === 1) || (b.shape.length === 2 && b.shape[0] !== 1)) throw new WasmCompileError(`wasm target: ${describe(op)}: the bias must be a constant vector of ${N}`);
        const bv = toF64(b);
        bias = putF32(Array.from({ length: N }, (_, n) => beta * bv[b.size === 1 ? 0 : n]!));
      }
      if (op.name.startsWith('sparse.')) {
        // CSR over [N, K]: outputs as rows, so each output is a sparse dot product.
        const rowPtr: number[] = [0], cols: number[] = [], vals: number[] = [];
        for (let n = 0; n < N; n++) {
          for (let k = 0; k < K; k++) if (at(k, n) !== 0) { cols.push(k); vals.push(at(k, n)); }
          rowPtr.push(cols.length);
        }
        const colBytes: 2 | 4 = K <= 65536 ? 2 : 4;
        const rp = put(new Uint8Array(Int32Array.from(rowPtr).buffer));
        const cl = put(colBytes === 2 ? new Uint8Array(Uint16Array.from(cols).buffer) : new Uint8Array(Int32Array.from(cols).buffer));
        const vl = putF32(vals);
        const csrArgs = (addr: (v: Value) => number) => ({ x: addr(x), y: addr(op.result(0)), ...(bias !== undefined ? { bias } : {}), rowPtr: rp, cols: cl, vals: vl, colBytes, M, K, N, act });
        if (M >= 4 && M % 4 === 0 && M <= 32) {
          steps.push({ op, kernel: 'csr_matmul_batched', format: `csr (${cols.length} nonzeros, u${colBytes * 8} indices)`, scratch: 4 * M * (K + N), emit: (mod, name, addr) => csrMatmulBatched(mod, name, { ...csrArgs(addr), scratch }) });
        } else {
          steps.push({ op, kernel: 'csr_matmul', format: `csr (${cols.length} nonzeros, u${colBytes * 8} indices)`, emit: (mod, name, addr) => csrMatmul(mod, name, csrArgs(addr)) });
        }
      } else {
        const wt = putF32(Array.from({ length: K * N }, (_, i) => at(Math.floor(i / N), i % N)));
        steps.push({ op, kernel: 'dense_matmul', format: 'dense', emit: (mod, name, addr) => denseMatmul(mod, name, { x: addr(x), w: wt, ...(bias !== undefined ? { bias } : {}), y: addr(op.result(0)), M, K, N, act }) });
      }
      continue;
    }
    const y = op.result(0);
    const size = bytesOf(y) / 4;
    if (op.name === 'nn.relu' || ['nn.identity', 'nn.dropout', 'nn.flatten', 'nn.reshape'].includes(op.name)) {
      if (op.name === 'nn.dropout' && op.results.length > 1) throw new WasmCompileError(`wasm target: ${describe(op)}: the dropout mask result is not supported`);
      const kind = op.name === 'nn.relu' ? 'relu' : 'copy';
      steps.push({ op, kernel: kind, format: 'dense', emit: (mod, name, addr) => elementwise(mod, name, { kind, a: addr(op.operand(0)), y: addr(y), size }) });
      continue;
    }
    // add / sub / mul: same shape, or one operand a constant repeating over the last dim.
    let [a, b] = [op.operand(0), op.operand(1)];
    if (constOf(a) && !constOf(b) && op.name !== 'nn.sub') [a, b] = [b, a];
    const bc = constOf(b);
    const aSize = bytesOf(a) / 4, bSize = bytesOf(b) / 4;
    if (aSize !== size || (bSize !== size && !(bc && size % bSize === 0 && bSize === (y.type.shape[y.type.rank - 1] as number)))) {
      throw new WasmCompileError(`wasm target: ${describe(op)}: only same-shape operands or a constant over the last dim are supported so far`);
    }
    const bAddr = bc ? putF32(toF64(bc)) : undefined;
    const kind = op.name.slice(3) as 'add' | 'sub' | 'mul';
    steps.push({ op, kernel: kind, format: 'dense', emit: (mod, name, addr) => elementwise(mod, name, { kind, a: addr(a), b: bAddr ?? addr(b), y: addr(y), size, bPeriod: bSize }) });
  }
  const weightBytes = top - weightStart;

  // ---- activations: inputs, then an arena packed by liveness; outputs live to the end ----
  const offsets = new Map<Value, number>();
  for (const a of f.args) {
    offsets.set(a, top);
    top = align16(top + bytesOf(a));
  }
  const arenaStart = top;
  const lastUse = new Map<Value, number>();
  steps.forEach((s, i) => s.op.operands.forEach((v) => lastUse.set(v, i)));
  for (const v of f.returnValues) lastUse.set(v, Infinity);
  const free: { off: number; size: number }[] = [];
  let arenaTop = arenaStart;
  steps.forEach((s, i) => {
    for (const r of s.op.results) {
      const size = align16(bytesOf(r));
      const k = free.findIndex((b) => b.size >= size);
      let off: number;
      if (k >= 0) {
        off = free[k]!.off;
        if (free[k]!.size > size) free[k] = { off: off + size, size: free[k]!.size - size };
        else free.splice(k, 1);
      } else {
        off = arenaTop;
        arenaTop += size;
      }
      offsets.set(r, off);
    }
    // Operands whose last use this is go back to the free list (after the step's outputs are placed).
    for (const v of new Set(s.op.operands)) {
      if (lastUse.get(v) === i && offsets.has(v) && !f.args.includes(v)) free.push({ off: offsets.get(v)!, size: align16(bytesOf(v)) });
    }
  });
  top = align16(arenaTop);
  scratch = top;
  top = align16(top + Math.max(0, ...steps.map((s) => s.scratch ?? 0)));
  for (const v of f.returnValues) if (!offsets.has(v)) throw new WasmCompileError('wasm target: returning an input or a constant directly is not supported yet');

  // ---- module ----
  const mod = new binaryen.Module();
  mod.setFeatures(binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.MutableGlobals);
  const pages = Math.ceil(top / 65536) + 1;
  mod.setMemory(pages, pages, 'memory', segments.map((s) => ({ offset: mod.i32.const(s.offset), data: s.data, passive: false })));
  const addr = (v: Value) => {
    const o = offsets.get(v);
    if (o === undefined) throw new WasmCompileError(`wasm target: internal: no address for a value of ${v.definingOp?.name ?? 'an input'}`);
    return o;
  };
  steps.forEach((s, i) => s.emit(mod, `k${i}`, addr));
  mod.addFunction('run', binaryen.none, binaryen.none, [], mod.block(null, steps.map((_, i) => mod.call(`k${i}`, [], binaryen.none))));
  mod.addFunctionExport('run', 'run');
  if (!mod.validate()) throw new WasmCompileError('wasm target: internal: the generated module does not validate');
  mod.optimize();
  const wasm = mod.emitBinary().slice(); // a copy: the view points into binaryen's heap, freed by dispose()
  mod.dispose();
  const slot = (v: Value, name: string): TensorSlot => ({ name, shape: v.type.shape as number[], dtype: 'float32', offset: addr(v) });
  const nameOf = (attrs: ReadonlyMap<string, { kind: string; value?: unknown }> | undefined, i: number, what: string) => {
    const n = attrs?.get('name');
    return n?.kind === 'string' ? String(n.value) : `${what}_${i}`;
  };
  return {
    wasm,
    manifest: {
      inputs: f.args.map((a, i) => slot(a, nameOf(f.argAttrs[i], i, 'input'))),
      outputs: f.returnValues.map((v, i) => slot(v, nameOf(f.resultAttrs[i], i, 'output'))),
      memoryBytes: pages * 65536,
      arenaBytes: top - arenaStart,
      weightBytes,
      kernels: steps.map((s) => ({ op: s.op.name, ...(s.op.loc ? { loc: s.op.loc } : {}), kernel: s.kernel, format: s.format })),
    },
  };
}

function activation(op: Op, c: OpContext): Activation {
  const a = c.def.attrs['activation'] ? c.string('activation') : 'none';
  if (a === 'none') return { kind: 'none' };
  if (a === 'relu') return { kind: 'relu' };
  if (a === 'clip') {
    const p = c.floats('activation_params');
    return { kind: 'clip', lo: p[0]!, hi: p[1]! };
  }
  throw new WasmCompileError(`wasm target: ${describe(op)}: fused activation '${a}' is not supported yet (relu, clip)`);
}
