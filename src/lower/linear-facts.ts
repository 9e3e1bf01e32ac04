// What the linear kernels need to know about a MatMul / Gemm / Conv in canonical form (after the
// legalize-* passes): sizes, the constant weight as an [outputs, inputs] matrix, and the format the
// weight's IR encoding gives a kernel. One owner for "which format runs": weightFormat.
import type { Op, Value } from '../ir/core.js';
import { csr, nm, bsr, type Encoding } from '../ir/encodings.js';
import { OpContext } from '../ir/opdef.js';
import { Tensor } from '../ir/tensor.js';
import { compress, type Compressed } from '../ir/sparse-data.js';
import { getOpDef } from '../dialects/index.js';
import { constData } from '../pass/helpers.js';
import { toF64 } from '../tensor-math/numeric.js';
import type { Format } from './plan.js';

export const shapeOf = (v: Value): number[] => v.type.shape as number[];
export const sizeOf = (v: Value): number => shapeOf(v).reduce((a, b) => a * b, 1);
export const opContext = (op: Op): OpContext => new OpContext(op, getOpDef(op.name)!);

/** Whether every operand and result of an op is f32 (what the f32 kernels read and write). */
export const allF32 = (op: Op): boolean => [...op.operands, ...op.results].every((v) => v.type.elementType === 'f32');

/** The encoding a sparse op's weight is stored with (operand 1), if any. */
export const weightEncoding = (op: Op): Encoding | undefined => (op.name.startsWith('sparse.') ? op.operand(1).type.encoding : undefined);

/** A product with a constant weight, canonical (no transA, alpha 1, beta folded into a constant row bias). */
export interface ConstMatmul {
  readonly x: Value;
  readonly y: Value;
  readonly M: number;
  readonly K: number;
  readonly N: number;
  /** The weight as stored is [N, K] (Gemm transB) rather than [K, N]. */
  readonly transB: boolean;
  readonly weight: Tensor;
  readonly encoding: Encoding | undefined;
  /** A constant bias of one row (or a scalar), added by the kernel. */
  readonly bias: Value | undefined;
}

/** A C that broadcasts as one row over [M, N] (what the product kernels add as a bias): [N], [1, N] or a scalar. */
export const isRowBias = (c: Tensor, n: number): boolean => (c.size === n || c.size === 1) && c.shape.slice(0, -1).every((d) => d === 1);

/** The facts of a constant-weight f32 product, or why it is not one. */
export function constMatmul(op: Op): ConstMatmul | string {
  if (!allF32(op)) return 'not all f32';
  const x = op.operand(0), wv = op.operand(1), y = op.result(0);
  const weight = constData(wv);
  if (!weight || weight.shape.length !== 2) return 'the weight is not a constant matrix';
  if (x.type.rank < 2) return 'x has rank < 2';
  if (sizeOf(x) === 0 || sizeOf(y) === 0 || weight.size === 0) return 'an empty product';
  const gemm = op.name.endsWith('.gemm');
  const c = opContext(op);
  if (gemm && (c.int('transA') !== 0 || c.float('alpha') !== 1)) return 'Gemm with transA or alpha (legalize-gemm folds them)';
  const bias = op.operands.length > 2 ? op.operand(2) : undefined;
  if (bias) {
    const t = constData(bias);
    const N = gemm && c.int('transB') ? weight.shape[0]! : weight.shape[1]!;
    if (!t || !isRowBias(t, N) || (gemm && c.float('beta') !== 1)) return gemm ? 'a C that is not a constant row (legalize-gemm adds it after)' : 'a bias that is not a constant row';
  }
  const transB = gemm && c.int('transB') === 1;
  const xs = shapeOf(x);
  const K = xs[xs.length - 1]!;
  return { x, y, M: sizeOf(x) / K, K, N: transB ? weight.shape[0]! : weight.shape[1]!, transB, weight, encoding: weightEncoding(op), bias };
}

/** The format a product's weight runs in: its IR encoding when a kernel reads it, else why not. */
export function matmulFormat(f: ConstMatmul): { format: Format; why: string } {
  const e = f.encoding;
  if (!e) return { format: { kind: 'dense' }, why: 'dense weight' };
  if (e.kind === 'csr') return { format: { kind: 'csr', indexBits: f.K <= 65536 ? 16 : 32 }, why: 'weight stored #csr' };
  if (e.kind === 'bsr') {
    // The block is given over the stored weight: [N, K] with transB, else [K, N].
    const block: [number, number] = f.transB ? [e.block[0], e.block[1]] : [e.block[1], e.block[0]];
    return { format: { kind: 'bsr', block, indexBits: f.K / block[1] <= 65536 ? 16 : 32 }, why: `weight stored #bsr, ${block[0]}x${block[1]} blocks over [outputs, inputs]` };
  }
  const reduction = f.transB ? 1 : 0;
  if (e.axis === reduction) return { format: { kind: 'nm', n: e.n, m: e.m, axis: 1 }, why: `weight stored #nm ${e.n}:${e.m} along its reduction axis` };
  return { format: { kind: 'csr', indexBits: f.K <= 65536 ? 16 : 32 }, why: `weight stored #nm along axis ${e.axis}, its output axis, which no N:M kernel reads (groups must run along the inputs): read as csr` };
}

/** The weight as an f32 [N, K] matrix (outputs as rows). */
export function weightNK(f: ConstMatmul): Float32Array {
  const w = toF64(f.weight), { K, N } = f;
  const out = new Float32Array(N * K);
  if (f.transB) out.set(w);
  else for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) out[n * K + k] = w[k * N + n]!;
  return out;
}

/** The IR's compressed form of the [N, K] weight in a sparse format. */
export function compressNK(f: ConstMatmul, format: Format): Compressed {
  const t = new Tensor('f32', [f.N, f.K], weightNK(f));
  switch (format.kind) {
    case 'csr': return compress(t, csr(format.indexBits));
    case 'bsr': return compress(t, bsr([format.block[0], format.block[1]], format.indexBits));
    case 'nm': return compress(t, nm(format.n, format.m, 1));
    case 'dense': throw new Error('internal: compressNK of a dense format');
  }
}

/** Column indices in 16 or 32 bits. */
export const indexArray = (crd: ArrayLike<number>, bits: 16 | 32): Uint16Array | Int32Array => (bits === 16 ? Uint16Array.from(crd) : Int32Array.from(crd));

const NONZEROS = new WeakMap<Tensor, number>();

/** Nonzero entries of a constant weight (counted once per tensor). */
export function nonzeros(t: Tensor): number {
  let n = NONZEROS.get(t);
  if (n === undefined) {
    n = 0;
    for (const v of toF64(t)) if (v !== 0) n++;
    NONZEROS.set(t, n);
  }
  return n;
}
