// Kernels for data-parallel targets (WebGPU): one invocation per output element, in a grid. Each
// output of a product or convolution is its own sum, so the grid needs no synchronisation; sparse
// weights are never densified: N:M ones in their compressed form, others in CSR over their
// [outputs, inputs] rows. Listed in a target's caps.kernels to be selected for it.
import type { Op } from '../../ir/core.js';
import { compress } from '../../ir/sparse-data.js';
import { csr } from '../../ir/encodings.js';
import { Tensor } from '../../ir/tensor.js';
import { toF64 } from '../../tensor-math/numeric.js';
import { allF32, compressNK, constMatmul, matmulFormat, sizeOf, type ConstMatmul } from '../linear-facts.js';
import type { Choice, Format } from '../plan.js';
import type { KernelDef, Packed } from '../table.js';
import { convFacts, type ConvFacts } from './conv.js';
import { packKN, productShape } from './matmul.js';

const PRODUCT_OPS = ['nn.gemm', 'sparse.gemm', 'nn.matmul', 'sparse.matmul'];
const CONV_OPS = ['nn.conv', 'sparse.conv'];
const GRID = { outputs: 'one per invocation', workgroup: 64 };
const DENSE: Format = { kind: 'dense' };
const CSR: Format = { kind: 'csr', indexBits: 32 };

/** A product with a constant weight in a sparse format, or why not. */
function sparseProduct(op: Op): ConstMatmul | string {
  const f = constMatmul(op);
  if (typeof f === 'string') return f;
  return matmulFormat(f).format.kind === 'dense' ? 'dense weight' : f;
}

/** The CSR arrays of a product's [N, K] weight: row starts, column indices, values. */
function packCsrProduct(f: ConstMatmul): Packed {
  const c = compressNK(f, CSR);
  return { arrays: { rowPtr: c.pos, cols: c.crd, vals: c.val.data as Float32Array } };
}

const choiceOf = (format: Format) => ({ format, schedule: GRID });

/** A product with a constant N:M weight along its inputs (K a multiple of m), or why not. */
function nmProduct(op: Op): ConstMatmul | string {
  const f = sparseProduct(op);
  if (typeof f === 'string') return f;
  const fm = matmulFormat(f).format;
  if (fm.kind !== 'nm') return `the weight runs as ${fm.kind}`;
  return f.K % fm.m === 0 ? f : `K = ${f.K} is not a multiple of ${fm.m}`;
}

const NM_PRODUCT: KernelDef = {
  name: 'nm_product_grid', summary: 'Product with an N:M weight along its inputs, read in its own compressed form (n values and n positions per group of m): each invocation sums one output over its row\'s groups.', ops: PRODUCT_OPS,
  applies(op) {
    const f = nmProduct(op);
    return typeof f === 'string' ? f : true;
  },
  space(op) {
    return [choiceOf(matmulFormat(nmProduct(op) as ConstMatmul).format)];
  },
  default(op) {
    const f = nmProduct(op) as ConstMatmul;
    return { ...choiceOf(matmulFormat(f).format), why: `${matmulFormat(f).why}; its values and positions, one output per invocation` };
  },
  shape(op) {
    const f = nmProduct(op) as ConstMatmul;
    return { dims: { M: f.M, K: f.K, N: f.N }, scratchBytes: 0 };
  },
  pack(op, c) {
    const comp = compressNK(nmProduct(op) as ConstMatmul, c.format);
    return { arrays: { vals: comp.val.data as Float32Array, pos: Int32Array.from(comp.crd) } };
  },
};

const CSR_PRODUCT: KernelDef = {
  name: 'csr_product_grid', summary: 'Product with a sparse constant weight read as CSR rows: each invocation sums one output over its row\'s nonzeros.', ops: PRODUCT_OPS,
  applies(op) {
    const f = sparseProduct(op);
    return typeof f === 'string' ? f : true;
  },
  space: () => [choiceOf(CSR)],
  default(op) {
    const f = sparseProduct(op) as ConstMatmul;
    return { ...choiceOf(CSR), why: `${matmulFormat(f).why}; read as CSR rows, one output per invocation` };
  },
  shape(op) {
    const f = sparseProduct(op) as ConstMatmul;
    return { dims: { M: f.M, K: f.K, N: f.N }, scratchBytes: 0 };
  },
  pack: (op) => packCsrProduct(sparseProduct(op) as ConstMatmul),
};

const DENSE_PRODUCT: KernelDef = {
  name: 'matmul_grid', summary: 'Dense product (constant weight as [K, N], or two run-time operands with numpy batch broadcasting, Gemm\'s transposes and scales as strides and factors): each invocation sums one output.', ops: PRODUCT_OPS,
  applies(op) {
    if (!allF32(op)) return 'not all f32';
    if ([op.operand(0), op.operand(1), op.result(0)].some((v) => sizeOf(v) === 0)) return 'an empty product';
    return true;
  },
  space: () => [choiceOf(DENSE)],
  default(op) {
    const f = constMatmul(op);
    return { ...choiceOf(DENSE), why: typeof f === 'string' ? `${f}: both operands read at run time` : `${matmulFormat(f).format.kind === 'dense' ? 'dense weight' : 'weight read dense'}, one output per invocation` };
  },
  shape(op) {
    const f = constMatmul(op);
    if (typeof f !== 'string') return { dims: { M: f.M, K: f.K, N: f.N }, scratchBytes: 0 };
    const s = productShape(op);
    return { dims: { M: s.M, K: s.K, N: s.N }, scratchBytes: 0 };
  },
  pack(op) {
    const f = constMatmul(op);
    if (typeof f === 'string') throw new Error(`internal: matmul_grid packs constant weights only (${f})`);
    return packKN(f);
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

const CONV: KernelDef = {
  name: 'conv_grid', summary: 'Convolution of any rank, groups, strides, dilations and pads: each invocation sums one output over its window (a sparse constant weight over its CSR row\'s nonzeros).', ops: CONV_OPS,
  applies: (op) => (allF32(op) ? (sizeOf(op.result(0)) === 0 ? 'an empty convolution' : true) : 'not all f32'),
  space: (op) => [choiceOf(convGridFormat(convFacts(op)))],
  default(op) {
    const f = convFacts(op), format = convGridFormat(f);
    return { ...choiceOf(format), why: !f.weight ? 'the weight is computed at run time' : format.kind === 'csr' ? `weight stored #${f.encoding!.kind}: its CSR rows` : 'dense weight' };
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
