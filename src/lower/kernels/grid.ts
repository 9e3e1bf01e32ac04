// Kernels for data-parallel targets (WebGPU). Products and convolutions are sums, one per output,
// so a grid needs no synchronisation between outputs; sparse weights are never densified: N:M ones
// in their compressed form, others in CSR over their [outputs, inputs] rows. Listed in a target's
// caps.kernels to be selected for it.
//
// A product's schedule (what the autotuner searches on the adapter):
// - lanes: invocations sharing one output's sum (1, 4, 16, 64), each taking every lanes-th term, then
//   added through workgroup memory: many lanes when the outputs are too few to fill a GPU;
// - rows: rows of x per invocation (1, 2, 4), so each weight read serves that many outputs;
// - order (CSR): rows in stored order, or sorted by length so that a workgroup's rows end together;
// - tile (dense): a workgroup computes a 32 x 32 block of outputs (4 x 4 per invocation), its A and
//   B panels staged in workgroup memory, for products with many rows (batches, attention);
// - values (dense constant weight): f16 where every value is exactly an f16 (after --weight-dtype
//   f16), two to a word, read with unpack2x16float: half the bytes, no feature needed.
import type { Op } from '../../ir/core.js';
import { compress, type Compressed } from '../../ir/sparse-data.js';
import { csr } from '../../ir/encodings.js';
import { f32ToF16, Tensor } from '../../ir/tensor.js';
import { toF64 } from '../../tensor-math/numeric.js';
import { allF32, compressNK, constMatmul, matmulFormat, sizeOf, weightNK, type ConstMatmul } from '../linear-facts.js';
import type { Choice, Format, Schedule } from '../plan.js';
import type { KernelDef, Packed } from '../table.js';
import { convFacts, type ConvFacts } from './conv.js';
import { halfExact, packKN, productShape } from './matmul.js';

const PRODUCT_OPS = ['nn.gemm', 'sparse.gemm', 'nn.matmul', 'sparse.matmul'];
const CONV_OPS = ['nn.conv', 'sparse.conv'];
const GRID = { outputs: 'one per invocation', workgroup: 64 };
const DENSE: Format = { kind: 'dense' };
const CSR: Format = { kind: 'csr', indexBits: 32 };

/** Invocations a GPU wants in flight before more lanes per output stop paying (a few per core of a large GPU). */
export const GRID_TARGET_INVOCATIONS = 16384;
/** Outputs of one tiled workgroup along each side, and per invocation. */
export const TILE = 32, TILE_PER = 4;

export interface GridSchedule {
  readonly lanes: number;
  readonly rows: number;
  readonly order?: 'rows' | 'by length';
  readonly tile?: number;
}

/** A product schedule read back from a choice (tiled ones have tile set). */
export function gridSchedule(s: Schedule): GridSchedule {
  return {
    lanes: Number(s['lanes'] ?? 1), rows: Number(s['rows'] ?? 1),
    ...(s['order'] ? { order: s['order'] as 'rows' | 'by length' } : {}), ...(s['tile'] ? { tile: Number(s['tile']) } : {}),
  };
}

const schedule = (lanes: number, rows: number, order?: 'rows' | 'by length'): Schedule => ({ lanes, rows, ...(order ? { order } : {}), workgroup: 64 });

/**
 * The untuned lanes and rows for M x N outputs of `terms` terms each: rows of x share weight reads
 * (up to 4), and lanes split a sum until the grid has GRID_TARGET_INVOCATIONS invocations, each
 * keeping at least 8 terms.
 */
export function defaultGrid(M: number, N: number, terms: number): { lanes: number; rows: number } {
  const rows = M >= 4 ? 4 : M >= 2 ? 2 : 1;
  const outputs = Math.ceil(M / rows) * N;
  let lanes = 1;
  while (lanes < 64 && outputs * lanes < GRID_TARGET_INVOCATIONS && terms / (lanes * 4) >= 8) lanes *= 4;
  return { lanes, rows };
}

/** Every lanes x rows schedule that makes sense for M rows and `terms` terms per output. */
function gridSpace(M: number, terms: number, orders: readonly ('rows' | 'by length' | undefined)[] = [undefined]): Schedule[] {
  const out: Schedule[] = [];
  for (const lanes of [1, 4, 16, 64].filter((l) => l === 1 || l <= Math.max(4, terms))) {
    for (const rows of [1, 2, 4].filter((r) => r === 1 || r <= M)) for (const o of orders) out.push(schedule(lanes, rows, o));
  }
  return out;
}

/** A product with a constant weight in a sparse format, or why not. */
function sparseProduct(op: Op): ConstMatmul | string {
  const f = constMatmul(op);
  if (typeof f === 'string') return f;
  return matmulFormat(f).format.kind === 'dense' ? 'dense weight' : f;
}

/** Row lengths of a CSR [N, K] weight, from its row starts. */
const rowLengths = (rowPtr: ArrayLike<number>, N: number): number[] => Array.from({ length: N }, (_, n) => rowPtr[n + 1]! - rowPtr[n]!);

/** Rows sorted by length (longest first, stable), so that neighbouring invocations have equal work. */
export const rowsByLength = (lengths: readonly number[]): Int32Array => Int32Array.from(lengths.map((_, n) => n).sort((a, b) => lengths[b]! - lengths[a]! || a - b));

const CSR_OF = new WeakMap<Tensor, Map<boolean, Compressed>>();

/** A product's [N, K] weight in CSR, compressed once per weight (selection, the tuner and the pack all ask). */
function csrOf(f: ConstMatmul): Compressed {
  let byLayout = CSR_OF.get(f.weight);
  if (!byLayout) CSR_OF.set(f.weight, (byLayout = new Map()));
  let c = byLayout.get(f.transB);
  if (!c) byLayout.set(f.transB, (c = compressNK(f, CSR)));
  return c;
}

/** The CSR arrays of a product's [N, K] weight: row starts, column indices, values (and the row order when sorted). */
function packCsrProduct(f: ConstMatmul, s: GridSchedule): Packed {
  const c = csrOf(f);
  const arrays: Packed['arrays'] = { rowPtr: c.pos, cols: c.crd, vals: c.val.data as Float32Array };
  return { arrays: s.order === 'by length' ? { ...arrays, order: rowsByLength(rowLengths(c.pos, f.N)) } : arrays };
}

/** Whether sorting a CSR weight's rows by length pays: the longest row is over twice the mean. */
function unevenRows(f: ConstMatmul): boolean {
  const len = rowLengths(csrOf(f).pos, f.N);
  const longest = len.reduce((a, b) => Math.max(a, b), 0);
  return longest > 2 * Math.max(1, len.reduce((a, b) => a + b, 0) / f.N);
}

/** Terms per output of a sparse product (stored values per row). */
const sparseTerms = (f: ConstMatmul, format: Format): number => Math.max(1, format.kind === 'nm' ? (f.K * format.n) / format.m : csrOf(f).val.size / f.N);

const choiceOf = (format: Format, s: Schedule = GRID) => ({ format, schedule: s });

/** A product with a constant N:M weight along its inputs (K a multiple of m), or why not. */
function nmProduct(op: Op): ConstMatmul | string {
  const f = sparseProduct(op);
  if (typeof f === 'string') return f;
  const fm = matmulFormat(f).format;
  if (fm.kind !== 'nm') return `the weight runs as ${fm.kind}`;
  return f.K % fm.m === 0 ? f : `K = ${f.K} is not a multiple of ${fm.m}`;
}

/** A kernel's applies from the facts it needs: true when they are there, else why not. */
const appliesWhen = (facts: (op: Op) => ConstMatmul | string) => (op: Op): true | string => {
  const f = facts(op);
  return typeof f === 'string' ? f : true;
};

/** A product's sizes, its only specialisation (the grid kernels need no scratch). */
const dimsOf = (d: { M: number; K: number; N: number }) => ({ dims: { M: d.M, K: d.K, N: d.N }, scratchBytes: 0 });

const laneWhy = (g: { lanes: number; rows: number }) => `${g.rows} row(s) of x per invocation, ${g.lanes} lane(s) per output`;

const NM_PRODUCT: KernelDef = {
  name: 'nm_product_grid', summary: 'Product with an N:M weight along its inputs, read in its own compressed form (n values and n positions per group of m): lanes of a workgroup share each output\'s groups, rows of x share each weight read.', ops: PRODUCT_OPS,
  applies: appliesWhen(nmProduct),
  space(op) {
    const f = nmProduct(op) as ConstMatmul, fm = matmulFormat(f).format;
    return gridSpace(f.M, sparseTerms(f, fm)).map((s) => choiceOf(fm, s));
  },
  default(op) {
    const f = nmProduct(op) as ConstMatmul, fm = matmulFormat(f);
    const g = defaultGrid(f.M, f.N, sparseTerms(f, fm.format));
    return { ...choiceOf(fm.format, schedule(g.lanes, g.rows)), why: `${fm.why}; its values and positions, ${laneWhy(g)}` };
  },
  shape: (op) => dimsOf(nmProduct(op) as ConstMatmul),
  pack(op, c) {
    const comp = compressNK(nmProduct(op) as ConstMatmul, c.format);
    return { arrays: { vals: comp.val.data as Float32Array, pos: Int32Array.from(comp.crd) } };
  },
};

const CSR_PRODUCT: KernelDef = {
  name: 'csr_product_grid', summary: 'Product with a sparse constant weight read as CSR rows (in stored order or sorted by length): lanes of a workgroup share each row\'s nonzeros, rows of x share each weight read.', ops: PRODUCT_OPS,
  applies: appliesWhen(sparseProduct),
  space(op) {
    const f = sparseProduct(op) as ConstMatmul;
    return gridSpace(f.M, sparseTerms(f, CSR), ['rows', 'by length']).map((s) => choiceOf(CSR, s));
  },
  default(op) {
    const f = sparseProduct(op) as ConstMatmul, uneven = unevenRows(f);
    const g = defaultGrid(f.M, f.N, sparseTerms(f, CSR));
    return { ...choiceOf(CSR, schedule(g.lanes, g.rows, uneven ? 'by length' : 'rows')), why: `${matmulFormat(f).why}; read as CSR rows${uneven ? ' sorted by length (their lengths are uneven)' : ''}, ${laneWhy(g)}` };
  },
  shape: (op) => dimsOf(sparseProduct(op) as ConstMatmul),
  pack: (op, c) => packCsrProduct(sparseProduct(op) as ConstMatmul, gridSchedule(c.schedule)),
};

/** M, K, N of a dense product (a constant weight or two run-time operands, batches aside). */
function denseDims(op: Op): { M: number; K: number; N: number; constant: boolean } {
  const f = constMatmul(op);
  if (typeof f !== 'string') return { M: f.M, K: f.K, N: f.N, constant: true };
  const s = productShape(op);
  return { M: s.M, K: s.K, N: s.N, constant: false };
}

const TILED: Schedule = { tile: TILE, per: `${TILE_PER}x${TILE_PER}`, workgroup: 64 };
/** A tiled product pays when both sides fill most of a tile. */
const tileWorth = (d: { M: number; N: number }) => d.M >= TILE && d.N >= TILE;

/** The f16 bits of a weight's values, two to a 32-bit word (the first in the low half). */
function halves(v: Float32Array): Int32Array {
  const out = new Int32Array(Math.ceil(v.length / 2));
  for (let i = 0; i < v.length; i++) out[i >> 1]! |= f32ToF16(v[i]!) << (16 * (i & 1));
  return out;
}

/** A constant weight whose every value is an f16 also runs with them stored as f16 (the default then). */
const withValues = (s: Schedule, half: boolean): Schedule[] => (half ? [{ ...s, values: 'f16' }, { ...s, values: 'f32' }] : [s]);

const DENSE_PRODUCT: KernelDef = {
  name: 'matmul_grid', summary: 'Dense product (constant weight, f32 or f16 values, or two run-time operands with numpy batch broadcasting, Gemm\'s transposes and scales): one sum per output split over lanes, or 32 x 32 tiles through workgroup memory.', ops: PRODUCT_OPS,
  applies(op) {
    if (!allF32(op)) return 'not all f32';
    if ([op.operand(0), op.operand(1), op.result(0)].some((v) => sizeOf(v) === 0)) return 'an empty product';
    return true;
  },
  space(op) {
    const d = denseDims(op), f = constMatmul(op), half = typeof f !== 'string' && halfExact(f);
    const grids = d.constant ? gridSpace(d.M, d.K) : [schedule(1, 1)];
    return [...grids, ...(d.M >= 8 && d.N >= 8 ? [TILED] : [])].flatMap((s) => withValues(s, half)).map((s) => choiceOf(DENSE, s));
  },
  default(op) {
    const d = denseDims(op), f = constMatmul(op), half = typeof f !== 'string' && halfExact(f);
    const what = `${typeof f === 'string' ? `${f}: both operands read at run time` : matmulFormat(f).format.kind === 'dense' ? 'dense weight' : 'weight read dense'}${half ? ', stored as f16 (every value is one)' : ''}`;
    const values = (s: Schedule) => withValues(s, half)[0]!;
    if (tileWorth(d)) return { ...choiceOf(DENSE, values(TILED)), why: `${what}; ${TILE} x ${TILE} output tiles through workgroup memory (${d.M} x ${d.N} outputs)` };
    const g = d.constant ? defaultGrid(d.M, d.N, d.K) : { lanes: 1, rows: 1 };
    return { ...choiceOf(DENSE, values(schedule(g.lanes, g.rows))), why: `${what}; ${laneWhy(g)}` };
  },
  shape: (op) => dimsOf(denseDims(op)),
  pack(op, c) {
    const f = constMatmul(op);
    if (typeof f === 'string') throw new Error(`internal: matmul_grid packs constant weights only (${f})`);
    // lanes of one output read along its row: [N, K]; otherwise neighbouring outputs read neighbouring words: [K, N]
    const w = gridSchedule(c.schedule).lanes > 1 && !c.schedule['tile'] ? weightNK(f) : packKN(f).arrays['w'] as Float32Array;
    const arrays: Packed['arrays'] = c.schedule['values'] === 'f16' ? { w16: halves(w) } : { w };
    return { arrays };
  },
};

/** The weight rows [M, Cg x kernel] of a convolution with a constant weight, dense or CSR. */
function packConvRows(f: ConvFacts, format: Format): Packed {
  const w = Float32Array.from(toF64(f.weight!));
  if (format.kind === 'dense') return { arrays: { w } };
  const c = compress(new Tensor('f32', [f.M, f.CK], w), csr(32));
  return { arrays: { rowPtr: c.pos, cols: c.crd, vals: c.val.data as Float32Array } };
}

/** A sparse weight (any encoding) is read as CSR rows; a dense or run-time one dense. */
const convGridFormat = (f: ConvFacts): Format => (f.weight && f.encoding ? CSR : DENSE);

/** Output positions per invocation of a convolution (1 where the schedule does not say). */
export const convPositions = (s: Schedule): number => Number(s['positions'] ?? 1);

/** Neighbouring positions per invocation: as many as keep GRID_TARGET_INVOCATIONS invocations (1, 2 or 4). */
function defaultPositions(outputs: number, P: number): number {
  for (const r of [4, 2]) if (r <= P && outputs / r >= GRID_TARGET_INVOCATIONS) return r;
  return 1;
}

const CONV: KernelDef = {
  name: 'conv_grid', summary: 'Convolution of any rank, groups, strides, dilations and pads: each invocation sums 1, 2 or 4 neighbouring output positions of one channel over the window, each weight read (a dense tap, or a sparse weight\'s CSR nonzero) serving them all.', ops: CONV_OPS,
  applies: (op) => (allF32(op) ? (sizeOf(op.result(0)) === 0 ? 'an empty convolution' : true) : 'not all f32'),
  space(op) {
    const f = convFacts(op), format = convGridFormat(f);
    return [1, 2, 4].filter((r) => r === 1 || r <= f.P).map((r) => choiceOf(format, { positions: r, workgroup: 64 }));
  },
  default(op) {
    const f = convFacts(op), format = convGridFormat(f), r = defaultPositions(sizeOf(op.result(0)), f.P);
    const what = !f.weight ? 'the weight is computed at run time' : format.kind === 'csr' ? `weight stored #${f.encoding!.kind}: its CSR rows` : 'dense weight';
    return { ...choiceOf(format, { positions: r, workgroup: 64 }), why: `${what}; ${r} position(s) per invocation` };
  },
  shape(op) {
    const f = convFacts(op);
    return { dims: { N: f.N, C: f.C, M: f.M, G: f.G, CK: f.CK, P: f.P }, scratchBytes: 0 };
  },
  pack(op, c: Choice) {
    const f = convFacts(op);
    if (!f.weight) throw new Error('internal: conv_grid packs constant weights only');
    return packConvRows(f, c.format);
  },
};

const CONV_TRANSPOSE: KernelDef = {
  name: 'conv_transpose_grid', summary: 'ConvTranspose of any rank as a gather: each invocation sums one output over the input positions and kernel taps that reach it.', ops: ['nn.conv_transpose'],
  applies: (op) => (allF32(op) ? true : 'not all f32'),
  space: () => [choiceOf(DENSE)],
  default: () => ({ ...choiceOf(DENSE), why: 'one output per invocation, gathering what the scatter would add' }),
  shape: () => ({ scratchBytes: 0 }),
};

export const GRID_KERNELS: readonly KernelDef[] = [NM_PRODUCT, CSR_PRODUCT, DENSE_PRODUCT, CONV, CONV_TRANSPOSE];
