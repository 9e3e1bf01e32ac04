// The wasm target (first slice): lowers a function whose ops are dense / CSR matrix products and
// simple element-wise ops to one WebAssembly SIMD module with a static memory plan: weights in
// data segments (in the layout the kernels read), activations packed in an arena by liveness.
import type { Func, Op, Value } from '../../src/ir/core.js';
import { OpContext } from '../../src/ir/opdef.js';
import { getOpDef } from '../../src/dialects/index.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { toF64 } from '../../src/interp/numeric.js';
import { constData } from '../../src/pass/helpers.js';
import { binaryen } from './emit.js';
import { binaryKernel, depthwiseConv, softmaxKernel, im2col, weightTimesCols, windowPool, csrMatmul, csrMatmulBatched, declareHostMath, denseMatmul, gatherKernel, unaryKernel, type Activation, type BinaryKind, type UnaryKind } from './kernels.js';
import { Tensor as T } from '../../src/ir/tensor.js';
import { broadcastIndex } from '../../src/interp/numeric.js';
import { convGeometry } from '../../src/interp/kernels/linear.js';
import { visitPoolWindows } from '../../src/interp/kernels/pool-norm.js';

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

const UNARY_OPS: Record<string, UnaryKind> = {
  'nn.relu': 'relu', 'nn.neg': 'neg', 'nn.abs': 'abs', 'nn.sqrt': 'sqrt', 'nn.floor': 'floor', 'nn.ceil': 'ceil', 'nn.reciprocal': 'reciprocal',
  'nn.leaky_relu': 'leaky_relu', 'nn.clip': 'clip', 'nn.exp': 'exp', 'nn.log': 'log', 'nn.tanh': 'tanh', 'nn.erf': 'erf', 'nn.sigmoid': 'sigmoid',
  'nn.softplus': 'softplus', 'nn.softsign': 'softsign', 'nn.hard_sigmoid': 'hard_sigmoid', 'nn.hard_swish': 'hard_swish', 'nn.elu': 'elu', 'nn.selu': 'selu', 'nn.gelu': 'gelu',
};
const BINARY_OPS: Record<string, BinaryKind> = { 'nn.add': 'add', 'nn.sub': 'sub', 'nn.mul': 'mul', 'nn.div': 'div', 'nn.max': 'max', 'nn.min': 'min', 'nn.sum': 'add' };
/** Data movement: compiled to copies driven by index tables computed at compile time. */
const MOVEMENT_OPS = ['nn.identity', 'nn.dropout', 'nn.flatten', 'nn.reshape', 'nn.squeeze', 'nn.unsqueeze', 'nn.transpose', 'nn.slice', 'nn.gather', 'nn.concat', 'nn.expand', 'nn.tile', 'nn.pad', 'nn.split'];

export const SUPPORTED_WASM_OPS = ['nn.gemm', 'sparse.gemm', 'nn.matmul', 'sparse.matmul', 'nn.conv', 'sparse.conv', 'nn.max_pool', 'nn.average_pool', 'nn.global_average_pool', 'nn.global_max_pool', 'nn.softmax', 'nn.log_softmax', ...Object.keys(UNARY_OPS), ...Object.keys(BINARY_OPS), ...MOVEMENT_OPS];

const align16 = (n: number) => (n + 15) & ~15;
const bytesOf = (v: Value) => 4 * (v.type.shape as number[]).reduce((a, b) => a * b, 1);


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
  const putI32 = (a: ArrayLike<number>) => put(new Uint8Array(Int32Array.from(a).buffer));
  // Constant data operands of element-wise and movement ops live with the weights.
  const constAddr = new Map<Value, number>();
  const addrOrConst = (addr: (v: Value) => number, v: Value) => {
    const t = constData(v);
    if (!t) return addr(v);
    if (!constAddr.has(v)) throw new WasmCompileError('wasm target: internal: constant operand without data');
    return constAddr.get(v)!;
  };
  for (const op of f.ops) {
    if (op.name !== 'nn.constant') continue;
    const t = constData(op.result(0))!;
    if (t.elementType === 'f32' && op.result(0).users.some((u) => UNARY_OPS[u.name] || BINARY_OPS[u.name] || MOVEMENT_OPS.includes(u.name))) constAddr.set(op.result(0), putF32(toF64(t)));
  }
  const weightStart = top;

  interface Step { op: Op; emit: (mod: binaryen.Module, name: string, addr: (v: Value) => number) => void | number[]; kernel: string; format: string; scratch?: number }
  let scratch = 0; // address of the shared scratch region, known after the arena is placed
  const steps: Step[] = [];
  for (const op of ops) {
    const c = new OpContext(op, getOpDef(op.name)!);
    const act = activation(op, c);
    if (op.name.endsWith('.gemm') || op.name.endsWith('.matmul')) {
      const x = op.operand(0), w = constData(op.operand(1));
      if (!w || w.shape.length !== 2 || x.type.rank !== 2) throw new WasmCompileError(`wasm target: ${describe(op)} needs a 2-d input and a constant 2-d weight`);
      if (op.name.endsWith('.gemm') && (c.int('transA') !== 0 || c.float('alpha') !== 1)) throw new WasmCompileError(`wasm target: ${describe(op)}: transA and alpha != 1 are not supported yet`);
      const transB = op.name.endsWith('.gemm') && c.int('transB') === 1;
      const [M, K] = x.type.shape as [number, number];
      const N = transB ? w.shape[0]! : w.shape[1]!;
      const wv = toF64(w);
      const at = (k: number, n: number) => (transB ? wv[n * K + k]! : wv[k * N + n]!);
      let bias: number | undefined;
      if (op.operands.length > 2) {
        const b = constData(op.operand(2));
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
    if (op.name === 'nn.conv' || op.name === 'sparse.conv') {
      const x = op.operand(0);
      const wt = constData(op.operand(1));
      if (x.type.rank !== 4 || !wt) throw new WasmCompileError(`wasm target: ${describe(op)}: only 2-d convolutions with constant weights are supported so far`);
      const [N, C, H, W] = x.type.shape as [number, number, number, number];
      const [, M, OH, OW] = y.type.shape as [number, number, number, number];
      const kernelShape = c.ints('kernel_shape');
      const [kh, kw] = kernelShape as [number, number];
      const g = convGeometry(c, [N, C, H, W], kernelShape);
      const G = c.int('group'), Cg = C / G, Mg = M / G, CK = Cg * kh * kw, P = OH * OW;
      const wv = toF64(wt); // [M, Cg, kh, kw] or its 2-d view [M, CK]: the same element order
      let bias: number | undefined;
      if (op.operands.length > 2) bias = putF32(toF64(constData(op.operand(2)) ?? (() => { throw new WasmCompileError(`wasm target: ${describe(op)}: the bias must be constant`); })()));
      const sparse = op.name === 'sparse.conv';
      if (G === C && Mg === 1) {
        // Depthwise: one direct kernel for all channels and images.
        const wd = putF32(wv);
        steps.push({ op, kernel: 'depthwise_conv', format: sparse ? 'dense (depthwise)' : 'dense', emit: (mod, name, addr) => depthwiseConv(mod, name, { x: addr(x), w: wd, ...(bias !== undefined ? { bias } : {}), y: addr(y), N, act, C, H, W, kh, kw, sh: g.strides[0]!, sw: g.strides[1]!, dh: g.dilations[0]!, dw: g.dilations[1]!, ph: g.pads[0]!, pw: g.pads[1]!, OH, OW }) });
        continue;
      }
      const groupW = Array.from({ length: G }, (_, gi) => {
        const rows = Array.from({ length: Mg }, (_, m) => Array.from({ length: CK }, (_, k) => wv[(gi * Mg + m) * CK + k]!));
        if (!sparse) return { dense: putF32(rows.flat()) };
        const rowPtr = [0], cols: number[] = [], vals: number[] = [];
        for (const r of rows) {
          r.forEach((v, k) => { if (v !== 0) { cols.push(k); vals.push(v); } });
          rowPtr.push(cols.length);
        }
        return { csr: { rowPtr: putI32(rowPtr), cols: putI32(cols), vals: putF32(vals) } };
      });
      const direct = kh === 1 && kw === 1 && G === 1 && g.strides.every((v) => v === 1) && g.pads.every((v) => v === 0);
      steps.push({
        op, kernel: direct ? 'conv1x1' : 'conv_im2col', format: sparse ? 'csr' : 'dense', scratch: direct ? 0 : 4 * CK * P,
        emit: (mod, name, addr) => {
          const out: number[] = [];
          for (let gi = 0; gi < G; gi++) {
            const colName = `${name}_col${gi}`, mmName = `${name}_mm${gi}`;
            if (!direct) im2col(mod, colName, { x: addr(x), col: scratch, cStart: gi * Cg, cCount: Cg, C, H, W, kh, kw, sh: g.strides[0]!, sw: g.strides[1]!, dh: g.dilations[0]!, dw: g.dilations[1]!, ph: g.pads[0]!, pw: g.pads[1]!, OH, OW });
            for (let n = 0; n < N; n++) {
              // 1x1 stride-1 convolutions read x directly: its image is the column matrix.
              weightTimesCols(mod, `${mmName}_${n}`, { ...groupW[gi]!, col: direct ? addr(x) + n * C * H * W * 4 : scratch, y: addr(y), ...(bias !== undefined ? { bias } : {}), M: Mg, CK, P, mStart: gi * Mg, act });
            }
            for (let n = 0; n < N; n++) {
              if (!direct) out.push(mod.call(colName, [mod.i32.const(n * C * H * W * 4)], binaryen.none));
              out.push(mod.call(`${mmName}_${n}`, [mod.i32.const(n * M * P * 4)], binaryen.none));
            }
          }
          return out;
        },
      });
      continue;
    }
    if (['nn.max_pool', 'nn.average_pool', 'nn.global_average_pool', 'nn.global_max_pool'].includes(op.name)) {
      if (op.results.length > 1) throw new WasmCompileError(`wasm target: ${describe(op)}: the indices result is not supported`);
      const x = op.operand(0);
      const xs = x.type.shape as number[];
      const global = op.name.startsWith('nn.global');
      const inPlane = xs.slice(2).reduce((a, b) => a * b, 1);
      const entries: number[][] = [];
      if (global) {
        for (let pl = 0; pl < xs[0]! * xs[1]!; pl++) entries.push(Array.from({ length: inPlane }, (_, k) => pl * inPlane + k));
      } else {
        const geom = convGeometry(c, xs, c.ints('kernel_shape'));
        visitPoolWindows(xs, geom, c.int('ceil_mode') === 1, (pl, _o, cells, withPad) => {
          entries.push([...cells.map((off) => pl * inPlane + off), ...new Array<number>(withPad - cells.length).fill(-1)]);
        });
      }
      const win = entries.reduce((a, e) => Math.max(a, e.length), 0);
      const table = putI32(entries.flatMap((e) => [...e, ...new Array<number>(win - e.length).fill(-2)]));
      const kind = op.name.includes('max') ? 'max' : 'avg';
      const countPad = op.name === 'nn.average_pool' && c.int('count_include_pad') === 1;
      steps.push({ op, kernel: `${kind}_pool`, format: 'dense', emit: (mod, name, addr) => windowPool(mod, name, { kind, x: addr(x), y: addr(y), table, outs: entries.length, win, countPad }) });
      continue;
    }
    if (op.name === 'nn.softmax' || op.name === 'nn.log_softmax') {
      const r = y.type.rank;
      const axis = c.int('axis') < 0 ? c.int('axis') + r : c.int('axis');
      if (axis !== r - 1) throw new WasmCompileError(`wasm target: ${describe(op)}: softmax over axis ${axis} (not the last) is not supported yet`);
      const len = y.type.shape[r - 1] as number;
      const log = op.name === 'nn.log_softmax';
      steps.push({ op, kernel: log ? 'log_softmax' : 'softmax', format: 'dense', emit: (mod, name, addr) => softmaxKernel(mod, name, { x: addr(op.operand(0)), y: addr(y), rows: size / len, len, log }) });
      continue;
    }
    if (UNARY_OPS[op.name]) {
      const kind = UNARY_OPS[op.name]!;
      let p1: number | undefined, p2: number | undefined;
      if (kind === 'leaky_relu' || kind === 'elu') p1 = c.float('alpha');
      if (kind === 'hard_sigmoid') [p1, p2] = [c.float('alpha'), c.float('beta')];
      if (kind === 'selu') [p1, p2] = [c.float('alpha'), c.float('gamma')];
      if (kind === 'clip') {
        const lo = op.operands.length > 1 ? constData(op.operand(1)) : undefined, hi = op.operands.length > 2 ? constData(op.operand(2)) : undefined;
        if ((op.operands.length > 1 && !lo) || (op.operands.length > 2 && !hi)) throw new WasmCompileError(`wasm target: ${describe(op)}: clip bounds must be constants`);
        [p1, p2] = [lo ? Number(lo.get(0)) : -3.4e38, hi ? Number(hi.get(0)) : 3.4e38];
      }
      const k2: UnaryKind = kind === 'gelu' && c.string('approximate') === 'tanh' ? 'gelu_tanh' : kind;
      steps.push({ op, kernel: k2, format: 'dense', emit: (mod, name, addr) => unaryKernel(mod, name, { kind: k2, x: addr(op.operand(0)), y: addr(y), size, ...(p1 !== undefined ? { p1 } : {}), ...(p2 !== undefined ? { p2 } : {}) }) });
      continue;
    }
    if (BINARY_OPS[op.name]) {
      if (op.operands.length === 1) {
        const idx = putI32(Array.from({ length: size }, (_, i) => i));
        steps.push({ op, kernel: 'copy', format: 'dense', emit: (mod, name, addr) => gatherKernel(mod, name, { x: addrOrConst(addr, op.operand(0)), y: addr(y), idx, size, fill: 0 }) });
        continue;
      }
      if (op.operands.length !== 2) throw new WasmCompileError(`wasm target: ${describe(op)} with ${op.operands.length} operands is not supported yet (two at most)`);
      const [a, b] = op.operands as [Value, Value];
      const outShape = y.type.shape as number[];
      const table = (v: Value) => ((v.type.shape as number[]).join('x') === outShape.join('x') ? undefined : putI32(broadcastIndex(v.type.shape as number[], outShape)));
      const ia = table(a), ib = table(b);
      const kind = BINARY_OPS[op.name]!;
      steps.push({ op, kernel: kind, format: 'dense', emit: (mod, name, addr) => binaryKernel(mod, name, { kind, a: addrOrConst(addr, a), b: addrOrConst(addr, b), y: addr(y), size, ...(ia !== undefined ? { ia } : {}), ...(ib !== undefined ? { ib } : {}) }) });
      continue;
    }
    // Data movement: run the op in the interpreter on element numbers to get, for every output
    // element, the element it copies (-1 where it is padding).
    const data = op.name === 'nn.concat' ? [...op.operands] : [op.operand(0)];
    const total = data.reduce((s0, v) => s0 + bytesOf(v) / 4, 0);
    if (total >= 1 << 24) throw new WasmCompileError(`wasm target: ${describe(op)} moves too many elements for compile-time index tables`);
    let offset = 0;
    const bases = new Map<Value, number>();
    const iotaInputs = op.operands.map((v) => {
      if (data.includes(v)) {
        const n = bytesOf(v) / 4;
        bases.set(v, offset);
        const t = T.from('f64', v.type.shape as number[], Array.from({ length: n }, (_, i) => offset + i));
        offset += n;
        return t;
      }
      const k = constData(v)!;
      if (op.name === 'nn.pad' && v === op.operand(2)) return T.from('f64', k.shape, [-1]);
      return k;
    });
    const def = getOpDef(op.name)!;
    const sentinelFill = op.name === 'nn.pad' && op.operands.length > 2 ? Number(constData(op.operand(2))!.get(0)) : 0;
    let outs: Tensor[];
    try {
      outs = def.interpret!(new OpContext(op, def), iotaInputs);
    } catch (e) {
      throw new WasmCompileError(`wasm target: ${describe(op)}: ${(e as Error).message}`);
    }
    op.results.forEach((r, ri) => {
      const src = outs[ri]!;
      // Per data operand: copy list for this result.
      for (const v of data) {
        const b0 = bases.get(v)!, n = bytesOf(v) / 4;
        const idx = Array.from({ length: src.size }, (_, i) => {
          const s0 = Math.round(Number(src.get(i)));
          return s0 >= b0 && s0 < b0 + n ? s0 - b0 : -1;
        });
        if (idx.every((x) => x < 0)) continue;
        // -1: padding (write the fill); -2: another operand's element (leave it).
        const table = putI32(idx.map((x, i) => (x >= 0 ? x : Math.round(Number(src.get(i))) < 0 ? -1 : -2)));
        // The first copy fills the rest (padding value or zero); later copies must not overwrite: merge by order below.
        steps.push({ op, kernel: 'gather', format: 'dense', emit: (mod, name, addr) => gatherKernel(mod, name, { x: addrOrConst(addr, v), y: addr(r), idx: table, size: src.size, fill: sentinelFill }) });
      }
    });
    if (data.length > 1 && op.name !== 'nn.concat') throw new WasmCompileError(`wasm target: ${describe(op)} with several data operands is not supported`);
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
  if (steps.some((s0) => ['exp', 'log', 'tanh', 'erf', 'sigmoid', 'softplus', 'elu', 'selu', 'gelu', 'gelu_tanh', 'softmax', 'log_softmax'].includes(s0.kernel))) declareHostMath(mod);
  mod.setMemory(pages, pages, 'memory', segments.map((s) => ({ offset: mod.i32.const(s.offset), data: s.data, passive: false })));
  const addr = (v: Value) => {
    const o = offsets.get(v);
    if (o === undefined) throw new WasmCompileError(`wasm target: internal: no address for a value of ${v.definingOp?.name ?? 'an input'}`);
    return o;
  };
  const calls: number[] = [];
  steps.forEach((s0, i) => {
    const own = s0.emit(mod, `k${i}`, addr);
    if (own) calls.push(...own);
    else calls.push(mod.call(`k${i}`, [], binaryen.none));
  });
  mod.addFunction('run', binaryen.none, binaryen.none, [], mod.block(null, calls));
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
