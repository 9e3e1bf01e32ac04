// The wasm renders of the product kernels (src/lower/kernels/matmul.ts): each places the packed
// weight the kernel table built and emits the kernel; epilogues the kernel does not fuse run after it.
import type { Op, Value } from '../../../src/ir/core.js';
import { formatName, type Format, type PlannedCall } from '../../../src/lower/plan.js';
import { kernelDef } from '../../../src/lower/kernels/index.js';
import { constMatmul, opContext, type ConstMatmul } from '../../../src/lower/linear-facts.js';
import { productShape } from '../../../src/lower/kernels/matmul.js';
import type { Packed } from '../../../src/lower/table.js';
import { constData } from '../../../src/pass/helpers.js';
import { broadcastIndex, broadcastShapes, sizeOf as prod, toF64 } from '../../../src/tensor-math/numeric.js';
import { none } from '../emit.js';
import type { Activation } from '../kernels/activation.js';
import { panelGemm } from '../kernels/gemm.js';
import { panelColumns, tileOf } from '../../../src/lower/kernels/gemm.js';
import { bsrMatmul, csrMatmulBatched, denseGemv, denseMatmul, nm24Gemv, nm24Masks, nm24XMasks, nmMatmul, sellGemv } from '../kernels/matmul.js';
import { typedMatmul, type TypedRef } from '../kernels/typed.js';
import { describe, shapeOf, wasmType, WasmCompileError, type LowerContext, type Step } from './context.js';
import { epilogue, epilogueExpr, postActivation, postMap, type Epilogue } from './epilogue.js';

/** Renders one kernel call. */
export type Render = (pc: PlannedCall, lc: LowerContext) => void;

/** Places a kernel's packed arrays; returns their addresses by name. */
export function placePacked(lc: LowerContext, p: Packed): Record<string, number> {
  return Object.fromEntries(Object.entries(p.arrays).map(([k, a]) => [k, lc.put(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))]));
}

/** The call's packed weight (from the kernel table) with its addresses. */
export function packFor(pc: PlannedCall, lc: LowerContext): { at: Record<string, number>; packed: Packed } {
  const def = kernelDef(pc.call.kernel);
  if (!def?.pack) throw new WasmCompileError(`wasm target: internal: kernel ${pc.call.kernel} has no packing`);
  const packed = def.pack(pc.op, pc.call);
  return { at: placePacked(lc, packed), packed };
}

/** A step of a call: kernel name and format from the plan. */
export const stepOf = (pc: PlannedCall, rest: Omit<Step, 'op' | 'kernel' | 'format' | 'schedule'>): Step =>
  ({ op: pc.op, kernel: pc.call.kernel, format: formatName(pc.call.format), schedule: pc.call.schedule as Record<string, number | string>, ...rest });


interface ConstProduct {
  f: ConstMatmul;
  ep: Epilogue;
  /** What the kernel fuses: relu / clip when no other map follows. */
  act: Activation;
  /** The bias address (one row, N values) when the product has one. */
  bias: { bias?: number };
  /** The bias padded to whole panels, for the panel GEMM. */
  biasPanels?: number;
  at: Record<string, number>;
  packed: Packed;
}

/** Shared by every constant-weight product: facts, epilogue, the bias row and the packed weight. */
function constProduct(pc: PlannedCall, lc: LowerContext): ConstProduct {
  const f = constMatmul(pc.op);
  if (typeof f === 'string') throw new WasmCompileError(`wasm target: internal: ${describe(pc.op)}: ${f}`);
  const ep = epilogue(pc.op, opContext(pc.op));
  let bias: { bias?: number } = {};
  let biasPanels: number | undefined;
  if (f.bias) {
    const bv = toF64(constData(f.bias)!);
    // The panel GEMM loads the bias a panel at a time: padded with zeros to whole panels.
    const cols = pc.call.kernel === 'dense_gemm' ? panelColumns(f.N, tileOf(pc.call).nr) : f.N;
    const at = lc.putF32(Array.from({ length: cols }, (_, n) => (n < f.N ? bv[bv.length === 1 ? 0 : n]! : 0)));
    if (pc.call.kernel === 'dense_gemm') biasPanels = at;
    else bias = { bias: at };
  }
  const { at, packed } = packFor(pc, lc);
  // nm24_gemv also reads the swizzle masks (a table of the wasm kernel, not of the format).
  if (pc.call.kernel === 'nm24_gemv') at['masks'] = lc.put(pc.call.schedule['expand'] === 'x table' ? nm24XMasks() : nm24Masks());
  return { f, ep, act: ep.post ? { kind: 'none' } : ep.act, bias, ...(biasPanels !== undefined ? { biasPanels } : {}), at, packed };
}

/** A constant-weight product: the kernel, then the epilogue it does not fuse. */
function constRender(emit: (p: ConstProduct) => Step['emit']): Render {
  return (pc, lc) => {
    const p = constProduct(pc, lc);
    lc.step(stepOf(pc, { packed: [pc.op.operand(1), ...(p.f.bias ? [p.f.bias] : [])], emit: emit(p) }));
    postActivation(pc.op, lc, p.f.y, p.ep, true);
  };
}

const io = (p: ConstProduct, addr: (v: Value) => number) => ({ x: addr(p.f.x), y: addr(p.f.y), ...p.bias, M: p.f.M, K: p.f.K, N: p.f.N, act: p.act });
const sched = (pc: PlannedCall, k: string) => pc.call.schedule[k];

const CONST_RENDERS: Record<string, (pc: PlannedCall) => (p: ConstProduct) => Step['emit']> = {
  bsr_matmul: (pc) => (p) => (mod, name, addr) => {
    const fm = pc.call.format as Extract<Format, { kind: 'bsr' }>;
    bsrMatmul(mod, name, { ...io(p, addr), rowPtr: p.at['rowPtr']!, cols: p.at['cols']!, colBytes: fm.indexBits === 16 ? 2 : 4, vals: p.at['vals']!, bn: fm.block[0], bk: fm.block[1] });
  },
  nm24_gemv: (pc) => (p) => (mod, name, addr, scratch) =>
    nm24Gemv(mod, name, { ...io(p, addr), vals: p.at['vals']!, pats: p.at['pats']!, masks: p.at['masks']!, packed: sched(pc, 'packed') === true, chunk: sched(pc, 'chunk') as number, ...(sched(pc, 'expand') === 'x table' ? { table: scratch } : {}) }),
  nm_matmul: (pc) => (p) => (mod, name, addr) => {
    const fm = pc.call.format as Extract<Format, { kind: 'nm' }>;
    nmMatmul(mod, name, { ...io(p, addr), vals: p.at['vals']!, idx: p.at['idx']!, posBytes: sched(pc, 'positionBytes') as 1 | 2 | 4, n: fm.n, m: fm.m });
  },
  sell_gemv: () => (p) => (mod, name, addr) => sellGemv(mod, name, { ...io(p, addr), slices: p.packed.sizes!['slices']!, lens: p.at['lens']!, rows: p.at['rows']!, steps: p.at['steps']!, colBytes: p.packed.sizes!['offsetBytes'] as 1 | 2 | 4 }),
  csr_matmul_batched: (pc) => (p) => (mod, name, addr, scratch) => {
    const fm = pc.call.format as Extract<Format, { kind: 'csr' }>;
    csrMatmulBatched(mod, name, { ...io(p, addr), rowPtr: p.at['rowPtr']!, cols: p.at['cols']!, vals: p.at['vals']!, colBytes: fm.indexBits === 16 ? 2 : 4, scratch, tile: sched(pc, 'tile') as number });
  },
  dense_gemv: (pc) => (p) => (mod, name, addr) => denseGemv(mod, name, { ...io(p, addr), w: p.at['w']!, packed: sched(pc, 'layout') === 'packed 4x4', half: sched(pc, 'values') === 'f16' }),
  dense_gemm: (pc) => (p) => (mod, name, addr) => {
    const t = tileOf(pc.call), f = p.f;
    panelGemm(mod, name, { a: addr(f.x), aRow: f.K, aR: f.K, aK: 1, b: p.at['w']!, y: addr(f.y), yRow: f.N, M: f.M, K: f.K, N: f.N, ...t, ...(p.biasPanels !== undefined ? { biasCol: p.biasPanels } : {}), act: p.act });
    return [mod.call(name, [mod.i32.const(0), mod.i32.const(0), mod.i32.const(0)], none)];
  },
  dense_matmul: (pc) => (p) => (mod, name, addr) => {
    denseMatmul(mod, name, { ...io(p, addr), w: p.at['w']!, rowBlock: sched(pc, 'rowBlock') as number });
    return [mod.call(name, [mod.i32.const(0), mod.i32.const(0), mod.i32.const(0)], none)];
  },
};

/**
 * Products of two run-time operands (numpy matmul broadcasting over batch dims, 1-d operands
 * promoted): the dense kernel once per output matrix; the bias and the activation after it.
 */
const runtimeMatmul: Render = (pc, lc) => {
  const op = pc.op, a = op.operand(0), bv = op.operand(1), y = op.result(0);
  const { M, K, N, batchA, batchB } = productShape(op);
  const ep = epilogue(op, opContext(op));
  const rowBlock = pc.call.schedule['rowBlock'] as number;
  if (prod(batchB) === 1) {
    // One weight matrix: every row of every batch of A is a row of one product.
    const rows = prod(batchA) * M;
    lc.step(stepOf(pc, {
      emit: (mod, name, addr) => {
        denseMatmul(mod, name, { x: addr(a), w: addr(bv), y: addr(y), M: rows, K, N, act: { kind: 'none' }, rowBlock });
        return [mod.call(name, [mod.i32.const(0), mod.i32.const(0), mod.i32.const(0)], none)];
      },
    }));
  } else {
    const batch = broadcastShapes([batchA, batchB]);
    const ia = broadcastIndex(batchA, batch), ib = broadcastIndex(batchB, batch);
    lc.step(stepOf(pc, {
      emit: (mod, name, addr) => {
        denseMatmul(mod, name, { x: addr(a), w: addr(bv), y: addr(y), M, K, N, act: { kind: 'none' }, rowBlock });
        return Array.from({ length: prod(batch) }, (_, i) => mod.call(name, [mod.i32.const(4 * ia[i]! * M * K), mod.i32.const(4 * ib[i]! * K * N), mod.i32.const(4 * i * M * N)], none));
      },
    }));
  }
  const bias = op.operands.length > 2 ? op.operand(2) : undefined;
  if (bias) postMap(op, lc, y, (n, v, e) => n.add(v(), e!()), bias);
  postActivation(op, lc, y, ep, false);
};

/** Any element type: the typed kernel takes Gemm's full form. */
const typedRender: Render = (pc, lc) => {
  const op = pc.op, c = opContext(op), gemm = op.name.endsWith('.gemm');
  typedMatmulStep(op, lc, {
    transA: gemm && c.int('transA') === 1, transB: gemm && c.int('transB') === 1,
    alpha: gemm ? c.float('alpha') : 1, beta: gemm ? c.float('beta') : 1,
    ...(op.operands.length > 2 ? { cOperand: op.operand(2) } : {}), ep: epilogue(op, c),
  });
};

export const PRODUCT_RENDERS: Record<string, Render> = {
  ...Object.fromEntries(Object.entries(CONST_RENDERS).map(([k, r]) => [k, ((pc, lc) => constRender(r(pc))(pc, lc)) as Render])),
  matmul_runtime: runtimeMatmul,
  matmul_typed: typedRender,
};

export const typedRef = (op: Op, v: Value, addr: (v: Value) => number): TypedRef => ({ addr: addr(v), et: wasmType(v, op) });

/**
 * MatMul / Gemm in any element type (and empty products): one typed kernel over the operands as
 * stored (a constant weight is read from its raw bytes), transposes as strides, batch broadcasting
 * through a table, beta * C or the bias as the starting value, the epilogue in f64.
 */
function typedMatmulStep(op: Op, lc: LowerContext, g: { transA: boolean; transB: boolean; alpha: number; beta: number; cOperand?: Value; ep: Epilogue }): void {
  const a = op.operand(0), bv = op.operand(1), y = op.result(0);
  let as = shapeOf(a), bs = shapeOf(bv);
  if (as.length === 1) as = [1, as[0]!];
  if (bs.length === 1) bs = [bs[0]!, 1];
  const ar = as[as.length - 2]!, ac = as[as.length - 1]!, br = bs[bs.length - 2]!, bc = bs[bs.length - 1]!;
  const M = g.transA ? ac : ar, K = g.transA ? ar : ac, N = g.transB ? br : bc;
  if ((g.transB ? bc : br) !== K) throw new WasmCompileError(`wasm target: ${describe(op)}: inner dimensions ${K} and ${g.transB ? bc : br} differ`);
  const batchA = as.slice(0, -2), batchB = bs.slice(0, -2);
  const batch = broadcastShapes([batchA, batchB]);
  const nb = prod(batch);
  let table: number | undefined;
  if (nb > 1) {
    const ia = broadcastIndex(batchA, batch), ib = broadcastIndex(batchB, batch);
    const pairs = new Int32Array(2 * nb);
    for (let t = 0; t < nb; t++) { pairs[2 * t] = ia[t]!; pairs[2 * t + 1] = ib[t]!; }
    table = lc.putI32(pairs);
  }
  // Gemm: beta * C broadcast to [M, N] (left out when beta is 0, as the interpreter does); MatMul: its bias per column.
  const gemm = op.name.endsWith('.gemm');
  const c = g.cOperand && (!gemm || g.beta !== 0) ? g.cOperand : undefined;
  let si = 0, sj = 0;
  if (c) {
    const cs = shapeOf(c);
    const [r, cc] = cs.length >= 2 ? cs.slice(-2) as [number, number] : [1, cs[0] ?? 1];
    si = r === 1 ? 0 : cc;
    sj = cc === 1 ? 0 : 1;
  }
  const act = epilogueExpr(g.ep);
  lc.step({
    op, kernel: 'matmul_typed', format: 'dense',
    schedule: { compute: 'f64', loops: 'batch, row, column, k', ...(nb > 1 ? { batches: nb } : {}) },
    emit: (mod, name, addr) => typedMatmul(mod, name, {
      a: typedRef(op, a, addr), b: typedRef(op, bv, addr), y: typedRef(op, y, addr),
      ...(c ? { init: { ...typedRef(op, c, addr), si, sj, scale: gemm ? g.beta : 1 } } : {}),
      M, K, N, alpha: gemm ? g.alpha : 1,
      aRow: g.transA ? 1 : ac, aCol: g.transA ? ac : 1, bRow: g.transB ? 1 : bc, bCol: g.transB ? bc : 1,
      batches: nb, ...(table !== undefined ? { batchTable: table } : {}), act,
    }),
  });
}

