// Kernels for products with a constant weight (MatMul / Gemm after legalize-gemm), one entry per
// kernel kind. The weight format comes from the IR encoding (matmulFormat); each entry takes the
// formats and batch sizes it is fast for, and packs the weight from the IR's compressed form.
import type { Op } from '../../ir/core.js';
import { broadcastShapes } from '../../tensor-math/numeric.js';
import { Tensor, f32ToF16 } from '../../ir/tensor.js';
import { isHalfExact } from '../../tensor-math/half.js';
import { allF32, compressNK, constMatmul, opContext, indexArray, matmulFormat, nonzeros, weightNK, type ConstMatmul } from '../linear-facts.js';
import type { TargetCaps } from '../caps.js';
import type { Choice, Format } from '../plan.js';
import type { KernelDef, Packed, Work } from '../table.js';
import { CACHED_BYTES, gemmSchedules, gemmWork, packPanels, rereads, tileOf } from './gemm.js';

const MATMUL_OPS = ['nn.gemm', 'sparse.gemm', 'nn.matmul', 'sparse.matmul'];

/** The facts of an op that `applies` accepted. */
const facts = (op: Op): ConstMatmul => {
  const f = constMatmul(op);
  if (typeof f === 'string') throw new Error(`internal: ${op.name}: ${f}`);
  return f;
};

/** Rows (batch) below which a product is a matrix-vector product: kernels vectorise over K, not over rows. */
export const GEMV_ROWS = 4;

type Sched = Record<string, number | string | boolean>;

/**
 * An entry for a constant-weight product. It applies when the weight's stored format is `kind` (a
 * dense kernel reads any weight, dense) and `when` holds; its space is the formats it can read the
 * weight in (the stored one first) times its schedules (the default first).
 */
function constKernel(d: {
  name: string; summary: string; kind: Format['kind'];
  when?: (f: ConstMatmul, format: Format, caps: TargetCaps) => true | string;
  schedules: (f: ConstMatmul, format: Format) => Sched[];
  /** Other encodings of the stored format it reads (index widths). */
  variants?: (f: ConstMatmul, stored: Format) => Format[];
  scratch?: (f: ConstMatmul, choice: Choice) => number;
  why: (f: ConstMatmul) => string;
  pack: (f: ConstMatmul, format: Format, choice: Choice) => Packed;
  /** Counted work of a choice (the cost model's input). */
  work: (f: ConstMatmul, format: Format, choice: Choice) => Work;
}): KernelDef {
  /** The format it reads by default, and why. */
  const own = (f: ConstMatmul) => {
    const stored = matmulFormat(f);
    if (d.kind !== 'dense' || stored.format.kind === 'dense') return stored;
    return { format: { kind: 'dense' } as Format, why: `weight stored #${f.encoding!.kind}, read dense` };
  };
  const space = (f: ConstMatmul): Choice[] => {
    const first = own(f).format;
    return [first, ...(d.variants?.(f, first) ?? [])].flatMap((format) => d.schedules(f, format).map((schedule) => ({ format, schedule })));
  };
  return {
    name: d.name, summary: d.summary, ops: MATMUL_OPS,
    applies(op, caps) {
      const f = constMatmul(op);
      if (typeof f === 'string') return f;
      const { format } = matmulFormat(f);
      if (d.kind !== 'dense' && format.kind !== d.kind) return `the weight runs as ${format.kind}`;
      return d.when ? d.when(f, format, caps) : true;
    },
    space: (op) => space(facts(op)),
    default(op) {
      const f = facts(op);
      return { ...space(f)[0]!, why: `${own(f).why}; ${d.why(f)}` };
    },
    shape(op, c) {
      const f = facts(op);
      return { dims: { M: f.M, K: f.K, N: f.N }, scratchBytes: d.scratch ? d.scratch(f, c) : 0 };
    },
    pack: (op, c) => d.pack(facts(op), c.format, c),
    work: (op, c) => d.work(facts(op), c.format, c),
  };
}

/** Values a format stores for the weight: its nonzeros (CSR), its nonzero blocks' values (BSR), n of every m (N:M), all (dense). */
function storedValues(f: ConstMatmul, format: Format): number {
  if (format.kind === 'dense') return f.K * f.N;
  if (format.kind === 'nm') return (f.K * f.N * format.n) / format.m;
  if (format.kind === 'csr') return nonzeros(f.weight);
  const [bn, bk] = format.block;
  return compressNK(f, format).crd.length * bn * bk;
}

const indexBytes = (format: Format): number => (format.kind === 'csr' || format.kind === 'bsr' ? format.indexBits / 8 : 0);

/**
 * Counted work of each kernel (per call; see the kernels for the loops): SIMD instructions of the
 * inner loops, and bytes of the weight as stored, re-read per row when it does not fit the caches.
 */
const WORK = {
  bsr(f: ConstMatmul, format: Format): Work {
    const [bn, bk] = format.kind === 'bsr' ? format.block : [1, 1];
    const blocks = storedValues(f, format) / (bn * bk), perInput = bn % 4 === 0 ? 1 + 3 * (bn / 4) : 3 * bn;
    return { ops: f.M * blocks * (bk * (1 + perInput) + 3), bytes: rereads(blocks * (4 * bn * bk + indexBytes(format)), f.M) };
  },
  nm24(f: ConstMatmul, _fm: Format, c: Choice): Work {
    const pairs = (f.N * f.K) / 8, table = c.schedule['expand'] === 'x table', chunks = f.K / 8 / (c.schedule['chunk'] as number);
    // the x table: 36 vectors per pair of groups, built once per row of x (6 instructions each); a table
    // beyond a quarter of the cache is read from further out (counted as 2 more); each chunk after the
    // first re-reads and writes each output (8 instructions per output)
    const build = table ? f.M * (f.K / 8) * 36 * 6 : 0;
    const perPair = table ? (nm24TableBytes(f.K / 8 / chunks) > CACHED_BYTES / 4 ? 7 : 5) : 13;
    return { ops: f.M * pairs * (perPair + 0.5) + build + f.M * f.N * 8 * (chunks - 1), bytes: rereads(pairs * (table ? 18 : 17), f.M) };
  },
  nm(f: ConstMatmul, format: Format, c: Choice): Work {
    const kept = storedValues(f, format);
    return { ops: 6 * f.M * kept, bytes: rereads(kept * (4 + (c.schedule['positionBytes'] as number)), f.M) };
  },
  sell(f: ConstMatmul, format: Format, c: Choice): Work {
    const steps = storedValues(f, format) / 4, deltas = c.schedule['columns'] === 'u8 deltas', off = deltas ? 1 : 4 * f.K <= 65536 ? 2 : 4;
    return { ops: (deltas ? 20 : 18) * f.M * steps, bytes: rereads(steps * (16 + 4 * off), f.M) };
  },
  csrBatched(f: ConstMatmul, format: Format, c: Choice): Work {
    const mp = Math.ceil(f.M / 4) * 4, tile = c.schedule['tile'] as number, passes = Math.ceil(mp / tile), nnz = storedValues(f, format);
    // A tile's transposed activations and results (read at random rows) beyond a quarter of the cache: each nonzero's block comes from memory.
    const spills = 4 * tile * (f.K + f.N) > CACHED_BYTES / 4 ? nnz * passes * 4 * tile : 0;
    return { ops: nnz * passes * (4 + 3 * (tile / 4)) + 4 * f.M * (f.K + f.N), bytes: rereads(nnz * (4 + indexBytes(format)), passes) + 8 * mp * (f.K + f.N) + spills };
  },
  gemv(f: ConstMatmul, _fm: Format, c: Choice): Work {
    // f16 values: per row and 8 inputs a load, two widenings, 3 instructions each to convert, two multiply-adds
    if (c.schedule['values'] === 'f16') return { ops: (12 * f.M * f.N * f.K) / 8, bytes: rereads(2 * f.K * f.N, f.M) };
    return { ops: (13 * f.M * f.N * f.K) / 16, bytes: rereads(4 * f.K * f.N, f.M) };
  },
  matmul(f: ConstMatmul, _fm: Format, c: Choice): Work {
    const rb = c.schedule['rowBlock'] as number, blocks = Math.ceil(f.M / rb);
    return { ops: (blocks * f.K * f.N * (1 + 4 * rb)) / 4, bytes: rereads(4 * f.K * f.N, blocks) + 4 * f.M * f.N * 2 };
  },
  gemm(f: ConstMatmul, _fm: Format, c: Choice): Work {
    return gemmWork(f.M, f.K, f.N, tileOf(c));
  },
};

/** Wider column indices than the stored ones (the autotuner may trade bytes for simpler loads). */
const widerIndices = (_f: ConstMatmul, stored: Format): Format[] =>
  (stored.kind === 'csr' || stored.kind === 'bsr') && stored.indexBits === 16 ? [{ ...stored, indexBits: 32 }] : [];

/** Block shapes (outputs x inputs) a BSR weight may be re-blocked to at compile time. */
const BSR_BLOCKS: readonly (readonly [number, number])[] = [[1, 4], [4, 1], [2, 2], [4, 4], [8, 1], [1, 8], [2, 4], [4, 2]];

/** The stored BSR weight in wider indices, and re-blocked to every other shape that tiles it (the zeros a coarser block stores cost bytes; a finer one, pointers). */
const bsrVariants = (f: ConstMatmul, stored: Format): Format[] => {
  if (stored.kind !== 'bsr') return [];
  const same = (b: readonly [number, number]) => b[0] === stored.block[0] && b[1] === stored.block[1];
  const reblocked = BSR_BLOCKS.filter((b) => !same(b) && f.N % b[0] === 0 && f.K % b[1] === 0)
    .map((b): Format => ({ kind: 'bsr', block: [b[0], b[1]], indexBits: f.K / b[1] <= 65536 ? 16 : 32 }));
  return [...widerIndices(f, stored), ...reblocked];
};

/** Block sizes of rows that share each weight load, up to the rows there are (the default first). */
const rowBlocks = (rows: number, first: number): number[] => [first, ...[1, 2, 4, 8].filter((b) => b !== first && b <= Math.max(rows, 1))];

const gemv = (f: ConstMatmul): true | string => (f.M < GEMV_ROWS ? true : `${f.M} rows: a batched kernel`);
const batched = (f: ConstMatmul): true | string => (f.M >= GEMV_ROWS ? true : `${f.M} rows: a matrix-vector kernel`);

/** BSR: per block row, block columns and blocks stored k-major ([bk][bn]) so a block's outputs are lanes. */
function packBsr(f: ConstMatmul, format: Format): Packed {
  if (format.kind !== 'bsr') throw new Error('internal: bsr pack');
  const [bn, bk] = format.block;
  const c = compressNK(f, format);
  const blocks = c.crd.length, v = c.val.data as Float32Array, vals = new Float32Array(v.length);
  for (let b = 0; b < blocks; b++) for (let i = 0; i < bn; i++) for (let j = 0; j < bk; j++) vals[b * bn * bk + j * bn + i] = v[b * bn * bk + i * bk + j]!;
  return { arrays: { rowPtr: c.pos, cols: indexArray(c.crd, format.indexBits), vals } };
}

/** Bytes of the 2:4 kernel's x table for a chunk of pairs of groups: 36 vectors of 16 bytes per pair. */
export const nm24TableBytes = (pairs: number): number => pairs * 36 * 16;

/** Outputs from which the 2:4 kernel reads x from a table by default (below, building it costs more than it saves). */
const NM24_TABLE_OUTPUTS = 64;

/**
 * Chunk sizes (pairs of groups) for the x table: 16, 32 and 64 where they divide K / 8 and split it,
 * and the whole; the default first: 64 (a 36 KiB table) where it splits K / 8, else the whole.
 */
const nm24Chunks = (K: number): number[] => {
  const G2 = K / 8, split = [16, 32, 64].filter((c) => G2 % c === 0 && c < G2), first = split.includes(64) ? 64 : G2;
  return [first, ...[...split, G2].filter((c) => c !== first)];
};

/** The six pairs of positions a 2:4 group can keep, in pattern order (pattern p keeps NM24_PAIRS[p]). */
export const NM24_PAIRS: readonly (readonly [number, number])[] = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]];

/**
 * 2:4 for matrix-vector products: every group keeps exactly two slots in position order (a missing
 * value is a stored 0), one pattern per pair of groups (p0 * 6 + p1: a byte, or for the x table the
 * u16 offset 16 * pattern of its vector). The inputs are split in chunks of `chunk` pairs, one after
 * the other; within a chunk, with N % 4 == 0 (`packed`), blocks of four outputs interleaved
 * ([N/4][chunk][4 rows] of 4 values and of one pattern), else row after row.
 */
function packNm24(f: ConstMatmul, format: Format, choice: Choice): Packed {
  const c = compressNK(f, format);
  const G = f.K / 4, G2 = G / 2, groups = f.N * G, v = c.val.data as Float32Array;
  const vals = new Float32Array(2 * groups), pats = new Uint8Array(groups / 2);
  for (let i = 0; i < groups; i++) {
    const kept = [0, 1].filter((t) => v[2 * i + t] !== 0).map((t) => [c.crd[2 * i + t]!, v[2 * i + t]!] as [number, number]);
    for (let j = 0; kept.length < 2; j++) if (!kept.some(([q]) => q === j)) kept.push([j, 0]);
    kept.sort((a, b) => a[0] - b[0]);
    vals[2 * i] = kept[0]![1];
    vals[2 * i + 1] = kept[1]![1];
    const pat = NM24_PAIRS.findIndex(([a, b]) => a === kept[0]![0] && b === kept[1]![0]);
    pats[i >> 1] = i % 2 === 0 ? pat * 6 : pats[i >> 1]! + pat;
  }
  const table = choice.schedule['expand'] === 'x table', packed = choice.schedule['packed'] === true;
  const C = choice.schedule['chunk'] as number;
  const outV = new Float32Array(vals.length), outP = table ? new Uint16Array(pats.length) : new Uint8Array(pats.length);
  // source pair (row n, pair q) -> its place: chunk, then the block of four rows (packed) or the row
  for (let n = 0; n < f.N; n++) for (let q = 0; q < G2; q++) {
    const ch = Math.floor(q / C), qc = q % C, src = n * G2 + q;
    const dst = ch * f.N * C + (packed ? (n - (n % 4)) * C + qc * 4 + (n % 4) : n * C + qc);
    outV.set(vals.subarray(4 * src, 4 * src + 4), 4 * dst);
    outP[dst] = table ? 16 * pats[src]! : pats[src]!;
  }
  return { arrays: { vals: outV, pats: outP } };
}

/** Bytes per position within an N:M group: one while m <= 256, else two or four. */
export const nmPositionBytes = (m: number): 1 | 2 | 4 => (m <= 256 ? 1 : m <= 65536 ? 2 : 4);

function packNm(f: ConstMatmul, format: Format, choice: Choice): Packed {
  if (format.kind !== 'nm') throw new Error('internal: nm pack');
  const c = compressNK(f, format);
  const pb = choice.schedule['positionBytes'] as 1 | 2 | 4;
  const idx = pb === 1 ? Uint8Array.from(c.crd) : pb === 2 ? Uint16Array.from(c.crd) : Int32Array.from(c.crd);
  return { arrays: { vals: c.val.data as Float32Array, idx } };
}

/**
 * Sliced ELL for a few rows: four outputs per slice (lanes), rows sorted by length, padded to the
 * slice's longest. Each step holds four values, then the lanes' columns: as byte offsets into x (u16
 * while 4 K fits, else i32), or with `columns: 'u8 deltas'` as one byte per lane, the distance from the
 * lane's previous column (a gap over 255 takes extra steps of value 0 and distance 255): 20 bytes a
 * step instead of 24.
 */
function packSell(f: ConstMatmul, format: Format, choice: Choice): Packed {
  if (format.kind !== 'csr') throw new Error('internal: csr pack');
  const deltas = choice.schedule['columns'] === 'u8 deltas';
  const c = compressNK(f, format), rowPtr = c.pos, cols = c.crd, vals = c.val.data as Float32Array;
  // Per row, its (value, column) entries; with deltas, padded so that no gap exceeds 255.
  const entries = (n: number): [number, number][] => {
    const out: [number, number][] = [];
    let prev = 0;
    for (let j = rowPtr[n]!; j < rowPtr[n + 1]!; j++) {
      if (deltas) while (cols[j]! - prev > 255) out.push([0, (prev += 255)]);
      out.push([vals[j]!, cols[j]!]);
      prev = cols[j]!;
    }
    return out;
  };
  const rowEntries = Array.from({ length: f.N }, (_, n) => entries(n));
  const order = Array.from({ length: f.N }, (_, n) => n).sort((a, b) => rowEntries[b]!.length - rowEntries[a]!.length);
  const slices = Math.ceil(f.N / 4);
  const lens: number[] = [], rows: number[] = [], sv: number[] = [], sc: number[] = [];
  for (let s = 0; s < slices; s++) {
    const lanes = [0, 1, 2, 3].map((r) => order[s * 4 + r]);
    const l = Math.max(...lanes.map((n) => (n === undefined ? 0 : rowEntries[n]!.length)));
    lens.push(l);
    rows.push(...lanes.map((n) => n ?? -1));
    const last = [0, 0, 0, 0];
    for (let t = 0; t < l; t++) lanes.forEach((n, r) => {
      // past a row's end: value 0 at its last column (distance 0)
      const e = n !== undefined ? rowEntries[n]![t] : undefined;
      sv.push(e ? e[0] : 0);
      sc.push(e ? e[1] : last[r]!);
      if (e) last[r] = e[1];
    });
  }
  const nSteps = sv.length / 4;
  if (deltas) {
    const stream = new DataView(new ArrayBuffer(nSteps * 20));
    let q = 0;
    for (const l of lens) {
      // each slice's lanes start from column 0
      const prev = [0, 0, 0, 0];
      for (let t = 0; t < l; t++, q++) for (let r = 0; r < 4; r++) {
        stream.setFloat32(q * 20 + 4 * r, sv[4 * q + r]!, true);
        stream.setUint8(q * 20 + 16 + r, sc[4 * q + r]! - prev[r]!);
        prev[r] = sc[4 * q + r]!;
      }
    }
    return { arrays: { lens: Int32Array.from(lens), rows: Int32Array.from(rows), steps: new Uint8Array(stream.buffer) }, sizes: { slices, offsetBytes: 1 } };
  }
  // Each step: four values, then their columns as byte offsets (u16 while 4 * K fits).
  const offBytes = 4 * f.K <= 65536 ? 2 : 4, stepBytes = 16 + 4 * offBytes;
  const stream = new DataView(new ArrayBuffer(nSteps * stepBytes));
  for (let q = 0; q < nSteps; q++) for (let r = 0; r < 4; r++) {
    stream.setFloat32(q * stepBytes + 4 * r, sv[4 * q + r]!, true);
    if (offBytes === 2) stream.setUint16(q * stepBytes + 16 + 2 * r, 4 * sc[4 * q + r]!, true);
    else stream.setInt32(q * stepBytes + 16 + 4 * r, 4 * sc[4 * q + r]!, true);
  }
  return { arrays: { lens: Int32Array.from(lens), rows: Int32Array.from(rows), steps: new Uint8Array(stream.buffer) }, sizes: { slices, offsetBytes: offBytes } };
}

function packCsr(f: ConstMatmul, format: Format): Packed {
  if (format.kind !== 'csr') throw new Error('internal: csr pack');
  const c = compressNK(f, format);
  return { arrays: { rowPtr: c.pos, cols: indexArray(c.crd, format.indexBits), vals: c.val.data as Float32Array } };
}

/** [N, K] rows, or packed [N/4][K/4][4 rows][4 k] (K and N multiples of 4): one stream per block of four outputs. */
function packGemv(f: ConstMatmul, packed: boolean): Packed {
  const w = weightNK(f), { K, N } = f;
  if (!packed) return { arrays: { w } };
  const out = new Float32Array(K * N);
  let o = 0;
  for (let nb = 0; nb < N; nb += 4) for (let kb = 0; kb < K; kb += 4) for (let r = 0; r < 4; r++) for (let j = 0; j < 4; j++) out[o++] = w[(nb + r) * K + kb + j]!;
  return { arrays: { w: out } };
}

/** f16 bits of the weight, [N/4][K/8][4 rows][8 values] (K % 8 == 0, N % 4 == 0, every value exactly an f16). */
function packGemvHalf(f: ConstMatmul): Packed {
  const w = weightNK(f), { K, N } = f, out = new Uint16Array(K * N);
  let o = 0;
  for (let nb = 0; nb < N; nb += 4) for (let kb = 0; kb < K; kb += 8) for (let r = 0; r < 4; r++) for (let j = 0; j < 8; j++) out[o++] = f32ToF16(w[(nb + r) * K + kb + j]!);
  return { arrays: { w: out } };
}

const HALF_EXACT = new WeakMap<Tensor, boolean>();

/** Whether every value of the weight is a finite f16 exactly (storing it as f16 loses nothing); cached per weight. */
export function halfExact(f: ConstMatmul): boolean {
  let known = HALF_EXACT.get(f.weight);
  if (known === undefined) {
    known = f.weight.elementType === 'f32' && isHalfExact(f.weight.data as Float32Array);
    HALF_EXACT.set(f.weight, known);
  }
  return known;
}

/** The weight as a dense [K, N] matrix (inputs as rows). */
export function packKN(f: ConstMatmul): Packed {
  const w = weightNK(f), { K, N } = f, out = new Float32Array(K * N);
  for (let k = 0, i = 0; k < K; k++) for (let n = 0; n < N; n++) out[i++] = w[n * K + k]!;
  return { arrays: { w: out } };
}

export const MATMUL_KERNELS: readonly KernelDef[] = [
  constKernel({
    name: 'bsr_matmul', work: WORK.bsr, summary: 'Block-sparse rows: each nonzero block multiplies a block of inputs into a block of outputs.', kind: 'bsr',
    schedules: (_f, fm) => [{ block: fm.kind === 'bsr' ? `${fm.block[0]}x${fm.block[1]}` : '', lanes: fm.kind === 'bsr' && fm.block[0] % 4 === 0 ? 'f32x4 over outputs' : 'scalar' }],
    variants: bsrVariants, why: () => 'the BSR kernel', pack: packBsr,
  }),
  constKernel({
    name: 'nm24_gemv', work: WORK.nm24, summary: '2:4 matrix-vector product: per pair of groups, the kept x values from a table built per chunk of inputs (or the kept values expanded by byte swizzles), one multiply-add.', kind: 'nm',
    when: (f, fm, caps) => (fm.kind !== 'nm' || fm.n !== 2 || fm.m !== 4 ? 'not 2:4' : f.K % 8 !== 0 ? `K = ${f.K} is not a multiple of 8` : caps.lanes !== 4 ? 'needs 4 lanes' : gemv(f)),
    // expand 'x table': for each pair of groups, the 36 vectors of the x values its patterns keep, built
    // once per row of x in scratch, in chunks of pairs small enough to stay in the first-level cache; a
    // row loads the one its pattern names (a u16 offset), one multiply-add per pair. 'values': the kept
    // values swizzled to their groups' lanes (one pattern byte, two swizzles). The table costs 36
    // vectors per pair and saves 8 instructions per output and pair: the default from 64 outputs.
    schedules: (f) => {
      const table = nm24Chunks(f.K).map((chunk) => ({ expand: 'x table', chunk })), values = { expand: 'values', chunk: f.K / 8 };
      return (f.N >= NM24_TABLE_OUTPUTS ? [...table, values] : [values, ...table]).map((s) => ({ outputsPerBlock: 4, lanes: 'f32x4 over a group', packed: f.N % 4 === 0, ...s }));
    },
    scratch: (_f, c) => (c.schedule['expand'] === 'x table' ? nm24TableBytes(c.schedule['chunk'] as number) : 0),
    why: (f) => `${f.M} row(s), K % 8 == 0: the 2:4 matrix-vector kernel, ${f.N >= NM24_TABLE_OUTPUTS ? `x from a table (${f.N} >= ${NM24_TABLE_OUTPUTS} outputs)` : `values expanded (${f.N} < ${NM24_TABLE_OUTPUTS} outputs)`}`, pack: packNm24,
  }),
  constKernel({
    name: 'nm_matmul', work: WORK.nm, summary: 'N:M product: n values and their positions per group of m inputs.', kind: 'nm',
    schedules: (_f, fm) => [{ accumulators: fm.kind === 'nm' ? fm.n : 1, positionBytes: fm.kind === 'nm' ? nmPositionBytes(fm.m) : 1 }],
    why: (f) => (f.M < GEMV_ROWS ? 'the general N:M kernel (not 2:4 with K % 8 == 0)' : `${f.M} rows: the general N:M kernel`), pack: packNm,
  }),
  constKernel({
    name: 'sell_gemv', work: WORK.sell, summary: 'CSR as sliced ELL for a few rows: four outputs per slice in lanes, rows sorted by length.', kind: 'csr', when: (f, _fm, caps) => (caps.lanes !== 4 ? 'needs 4 lanes' : gemv(f)),
    schedules: () => ['offsets', 'u8 deltas'].map((columns) => ({ sliceRows: 4, lanes: 'f32x4 over 4 rows', columns })),
    why: (f) => `${f.M} row(s): sliced ELL matrix-vector kernel`, pack: packSell,
  }),
  constKernel({
    name: 'csr_matmul_batched', work: WORK.csrBatched, summary: 'CSR for a batch of rows: x transposed so each nonzero multiplies a vector of rows.', kind: 'csr', when: batched,
    // Rows per tile: a multiple of 4, at most the batch rounded up to 4 (the default: up to 16; on a
    // BERT layer 32 took twice as long, its transposed tile of activations no longer fitting L2).
    schedules: (f) => {
      const mp = Math.ceil(f.M / 4) * 4, first = Math.min(16, mp);
      return [first, ...[4, 8, 16, 32].filter((t) => t !== first && t <= mp)].map((tile) => ({ lanes: 'f32x4 over the batch', tile }));
    },
    variants: widerIndices,
    // x transposed to [K, Mp] and the result [N, Mp], Mp = M rounded up to 4.
    scratch: (f) => 4 * Math.ceil(f.M / 4) * 4 * (f.K + f.N),
    why: (f) => `${f.M} rows: the batched CSR kernel`, pack: packCsr,
  }),
  constKernel({
    name: 'dense_gemv', work: WORK.gemv, summary: 'Dense matrix-vector product: dot products over K, four outputs per block; f16 values where the weight is exactly f16.', kind: 'dense', when: gemv,
    // f16 values (half the bytes; the default when every value is exactly an f16, as after
    // --weight-dtype f16) need K % 8 == 0 and N % 4 == 0: [N/4][K/8][4 rows][8 values]
    schedules: (f) => [
      ...(f.K % 8 === 0 && f.N % 4 === 0 && halfExact(f) ? [{ layout: 'packed 4x8', values: 'f16' }] : []),
      ...(f.K % 4 === 0 && f.N % 4 === 0 ? ['packed 4x4', 'rows'] : ['rows']).map((layout) => ({ layout, values: 'f32' })),
    ].map((s) => ({ outputsPerBlock: 4, lanes: 'f32x4 over K', ...s })),
    why: (f) => `${f.M} row(s): the matrix-vector kernel${f.K % 8 === 0 && f.N % 4 === 0 && halfExact(f) ? ', values as f16 (every one is exactly an f16)' : ''}`,
    pack: (f, _fm, c) => (c.schedule['values'] === 'f16' ? packGemvHalf(f) : packGemv(f, c.schedule['layout'] === 'packed 4x4')),
  }),
  constKernel({
    name: 'dense_gemm', work: WORK.gemm, summary: 'Dense product as a packed-panel GEMM: rows of x in register tiles times the weight packed into panels of columns.', kind: 'dense', when: batched,
    schedules: (f) => gemmSchedules(f.M, f.K, f.N),
    why: (f) => `${f.M} rows: the panel GEMM`, pack: (f, _fm, c) => ({ arrays: { w: packPanels(packKN(f).arrays['w'] as Float32Array, f.K, f.N, tileOf(c).nr) } }),
  }),
  constKernel({
    name: 'dense_matmul', work: WORK.matmul, summary: 'Dense product: rows of x times the [K, N] weight, outputs in lanes.', kind: 'dense', when: batched,
    schedules: (f) => rowBlocks(f.M, 4).map((rowBlock) => ({ rowBlock, lanes: 'f32x4 over outputs' })),
    why: (f) => `${f.M} rows: the dense matrix kernel`, pack: (f) => packKN(f),
  }),
];

/** Batch dims of a product of two run-time operands: numpy broadcasting over all but the last two. */
export function productShape(op: Op): { M: number; K: number; N: number; batchA: number[]; batchB: number[] } {
  let as = op.operand(0).type.shape as number[], bs = op.operand(1).type.shape as number[];
  if (as.length === 1) as = [1, as[0]!];
  if (bs.length === 1) bs = [bs[0]!, 1];
  return { M: as[as.length - 2]!, K: as[as.length - 1]!, N: bs[bs.length - 1]!, batchA: as.slice(0, -2), batchB: bs.slice(0, -2) };
}

const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);

/** A Gemm in canonical form for the run-time kernel: no transposes, alpha 1, beta 1 (legalize-gemm makes it so). */
function plainGemm(op: Op): true | string {
  if (!op.name.endsWith('.gemm')) return true;
  const c = opContext(op);
  return c.int('transA') === 0 && c.int('transB') === 0 && c.float('alpha') === 1 && c.float('beta') === 1 ? true : 'Gemm with transposes or scales (legalize-gemm takes them out)';
}

/** Rows that share each weight load (the default: four, or the rows there are); batches of the broadcast batch dims. */
function runtimeSpace(op: Op): Choice[] {
  const s = productShape(op), oneB = prod(s.batchB) === 1, rows = oneB ? prod(s.batchA) * s.M : s.M;
  const batches = oneB ? 1 : prod(broadcastShapes([s.batchA, s.batchB]));
  return rowBlocks(rows, Math.min(4, rows)).map((rowBlock) => ({ format: { kind: 'dense' }, schedule: { rowBlock, lanes: 'f32x4 over outputs', ...(batches > 1 ? { batches } : {}) } }));
}

const RUNTIME: KernelDef = {
  name: 'matmul_runtime', summary: 'Dense product of operands known at run time, once per output matrix of the broadcast batch; bias and activation applied after.', ops: MATMUL_OPS,
  applies(op) {
    if (![...op.operands, ...op.results].every((v) => v.type.elementType === 'f32')) return 'not all f32';
    if ([op.operand(0), op.operand(1), op.result(0)].some((v) => (v.type.shape as number[]).includes(0))) return 'an empty product';
    return plainGemm(op);
  },
  space: (op) => runtimeSpace(op),
  default: (op) => ({ ...runtimeSpace(op)[0]!, why: constWhy(op) }),
  shape(op) {
    const s = productShape(op);
    return { dims: { M: s.M, K: s.K, N: s.N }, scratchBytes: 0 };
  },
};

/** Why a product is not a constant-weight one. */
const constWhy = (op: Op): string => {
  const f = constMatmul(op);
  return typeof f === 'string' ? `${f}: the run-time operand kernel` : 'the run-time operand kernel';
};

const TYPED_CHOICE: Choice = { format: { kind: 'dense' }, schedule: { compute: 'f64', loops: 'batch, row, column, k' } };

const TYPED: KernelDef = {
  name: 'matmul_typed', summary: 'Product in any element type (and empty products): f64 sums over the operands as stored, transposes as strides, Gemm scales and C.', ops: MATMUL_OPS,
  applies: (_op, caps) => (caps.f64 ? true : 'sums in f64, which the target lacks'),
  space: () => [TYPED_CHOICE],
  default: (op) => ({ ...TYPED_CHOICE, why: `${allF32(op) ? 'an empty product' : 'not all f32'}: the typed kernel` }),
  shape: () => ({ scratchBytes: 0 }),
};

export const PRODUCT_KERNELS: readonly KernelDef[] = [...MATMUL_KERNELS, RUNTIME, TYPED];
