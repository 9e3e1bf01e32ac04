// Products on WebGPU (matmul_grid, csr_product_grid, nm_product_grid of src/lower/kernels/grid.ts),
// by their schedule:
// - a grid: each invocation sums `rows` outputs of one column n (rows of x sharing each weight
//   read) over every lanes-th term; the first lane of an output then adds the others' parts from
//   workgroup memory. Terms are a dense row, a CSR row's nonzeros (rows in stored order or by length) or an
//   N:M row's kept values;
// - a tile: a workgroup computes 32 x 32 outputs, 4 x 4 per invocation, staging 32 x 16 panels of A
//   and 16 x 32 of B in workgroup memory (dense weights, or two run-time operands).
// Then the bias (or Gemm's beta C, after alpha) and the fused activation.
import type { Op } from '../../../src/ir/core.js';
import type { Format, PlannedCall } from '../../../src/lower/plan.js';
import { kernelDef } from '../../../src/lower/kernels/index.js';
import { gridSchedule, TILE, TILE_PER, type GridSchedule } from '../../../src/lower/kernels/grid.js';
import { constMatmul, opContext } from '../../../src/lower/linear-facts.js';
import { productShape } from '../../../src/lower/kernels/matmul.js';
import { ACTIVATIONS } from '../../../src/lower/exprs.js';
import { broadcastShapes } from '../../../src/tensor-math/numeric.js';
import { f32Lit, wgslNum } from '../wgsl.js';
import { computeShader, describe, shapeOf, sizeOf, WgslCompileError, WORKGROUP, type WgslContext } from '../context.js';
import { broadcastIndex, read } from './elementwise.js';

/** The fused activation of a product or convolution applied to `v` (an f32 expression). */
export function activation(op: Op, v: string): string {
  const c = opContext(op);
  const a = c.def.attrs['activation'] ? c.string('activation') : 'none';
  const f = ACTIVATIONS[a];
  if (!f) throw new WgslCompileError(`webgpu target: ${describe(op)}: fused activation '${a}' is not supported`);
  return f(wgslNum('f32'), () => v, a === 'none' ? [] : c.floats('activation_params'));
}

/** The call's packed arrays placed in the weight buffer: their element offsets by name. */
export function placePacked(pc: PlannedCall, cx: WgslContext): Record<string, number> {
  const p = kernelDef(pc.call.kernel)!.pack!(pc.op, pc.call);
  return Object.fromEntries(Object.entries(p.arrays).map(([k, a]) => [k, cx.put(a instanceof Uint16Array || a instanceof Uint8Array ? Int32Array.from(a) : a)]));
}

export const f32At = (buf: string, index: string): string => `bitcast<f32>(${buf}[${index}])`;
const u32At = (index: string): string => `bitcast<u32>(wts[${index}])`;

/**
 * A product's operands as the kernels read them: y[bt, m, n] = finish(sum over k of A(m, k) B(k, n)),
 * where `bt` indexes the broadcast batch (1 for a constant weight, whose x is flattened to M rows).
 */
interface Product {
  readonly M: number;
  readonly K: number;
  readonly N: number;
  readonly batch: number;
  /** Lines that define aBase and bBase from bt (run-time operands). */
  readonly batchLines: string[];
  /** Element (m, k) of A, and (k, n) of a dense B, as f32 expressions. */
  a(m: string, k: string): string;
  b?(k: string, n: string): string;
  /** The output value from the sum `v`, with m, n and mn = m * N + n defined. */
  finish(v: string): string;
  readonly yOff: number;
}

/** The product facts; `packed` are the call's weight arrays in the weight buffer (constant weights). */
function productOf(pc: PlannedCall, cx: WgslContext, packed: Record<string, number>): Product {
  const op = pc.op, y = op.result(0), yOff = cx.ref(y, op).off;
  const f = constMatmul(op);
  if (typeof f !== 'string') {
    const x = cx.ref(f.x, op), { M, K, N } = f, s = gridSchedule(pc.call.schedule);
    const nk = s.lanes > 1 && !s.tile;
    const bias = f.bias ? `${read(cx.ref(f.bias, op), broadcastIndex(shapeOf(f.bias), [M, N], 'mn'))} + ` : '';
    return {
      M, K, N, batch: 1, batchLines: [], yOff,
      a: (m, k) => f32At(x.buf, `${x.off}u + (${m}) * ${K}u + ${k}`),
      ...(packed['w'] !== undefined || packed['w16'] !== undefined ? { b: (k: string, n: string) => weightAt(packed, nk ? `(${n}) * ${K}u + ${k}` : `(${k}) * ${N}u + ${n}`) } : {}),
      finish: (v) => activation(op, `(${bias}${v})`),
    };
  }
  // Gemm: A' B' times alpha, plus beta C, with A' = A or its transpose (strides), likewise B'
  const gemm = op.name.endsWith('.gemm'), c = opContext(op);
  const [tA, tB] = gemm ? [c.int('transA') === 1, c.int('transB') === 1] : [false, false];
  const [alpha, beta] = gemm ? [c.float('alpha'), c.float('beta')] : [1, 1];
  const s = productShape(op);
  const K = tA ? s.M : s.K, M = tA ? s.K : s.M, N = tB ? shapeOf(op.operand(1))[0]! : s.N;
  const a = cx.ref(op.operand(0), op), b = cx.ref(op.operand(1), op);
  const batchShape = broadcastShapes([s.batchA, s.batchB]);
  const cv = op.operands[2];
  const cTerm = cv && sizeOf(cv) > 0 && beta !== 0 ? ` + ${beta === 1 ? '' : `${f32Lit(beta)} * `}${read(cx.ref(cv, op), broadcastIndex(shapeOf(cv), [M, N], 'mn'))}` : '';
  return {
    M, K, N, batch: batchShape.reduce((p, q) => p * q, 1), yOff,
    batchLines: [`  let aBase = (${broadcastIndex(s.batchA, batchShape, 'bt')}) * ${M * K}u;`, `  let bBase = (${broadcastIndex(s.batchB, batchShape, 'bt')}) * ${K * N}u;`],
    a: (m, k) => f32At(a.buf, `${a.off}u + aBase + ${tA ? `(${k}) * ${M}u + ${m}` : `(${m}) * ${K}u + ${k}`}`),
    b: (k, n) => f32At(b.buf, `${b.off}u + bBase + ${tB ? `(${n}) * ${K}u + ${k}` : `(${k}) * ${N}u + ${n}`}`),
    finish: (v) => activation(op, `(${alpha === 1 ? v : `${v} * ${f32Lit(alpha)}`}${cTerm})`),
  };
}

/** Element `index` of a dense constant weight: an f32 word, or an f16 half of one (two to a word). */
function weightAt(packed: Record<string, number>, index: string): string {
  if (packed['w'] !== undefined) return f32At('wts', `${packed['w']}u + ${index}`);
  return `unpack2x16float(wts[${packed['w16']}u + ((${index}) >> 1u)])[(${index}) & 1u]`;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The loop over one output's terms, lane `lane` taking every lanes-th: adds w * A(m_r, col) to a_r for each row r. */
function termLoop(pc: PlannedCall, p: Product, at: Record<string, number>, s: GridSchedule): string[] {
  const L = s.lanes, R = s.rows;
  const adds = (w: string, col: string) => range(R).map((r) => `    a${r} += ${w} * ${p.a(`row${r}`, col)};`);
  switch (pc.call.kernel) {
    case 'nm_product_grid': {
      const fm = pc.call.format as Extract<Format, { kind: 'nm' }>, G = p.K / fm.m, per = G * fm.n;
      return [`  for (var j = n * ${per}u + lane; j < (n + 1u) * ${per}u; j += ${L}u) {`,
        `    let col = (j / ${fm.n}u) % ${G}u * ${fm.m}u + ${u32At(`${at['pos']}u + j`)};`,
        `    let w = ${f32At('wts', `${at['vals']}u + j`)};`, ...adds('w', 'col'), '  }'];
    }
    case 'csr_product_grid':
      return [`  let end = ${u32At(`${at['rowPtr']}u + n + 1u`)};`, `  for (var j = ${u32At(`${at['rowPtr']}u + n`)} + lane; j < end; j += ${L}u) {`,
        `    let col = ${u32At(`${at['cols']}u + j`)};`, `    let w = ${f32At('wts', `${at['vals']}u + j`)};`, ...adds('w', 'col'), '  }'];
    default:
      return [`  for (var k = lane; k < ${p.K}u; k += ${L}u) {`, `    let w = ${p.b!('k', 'n')};`, ...adds('w', 'k'), '  }'];
  }
}

/** The grid schedule: rows x lanes per output column, partial sums added through workgroup memory. */
function renderGrid(pc: PlannedCall, cx: WgslContext): void {
  const op = pc.op, s = gridSchedule(pc.call.schedule), at = typeof constMatmul(op) === 'string' ? {} : placePacked(pc, cx);
  const p = productOf(pc, cx, at), L = s.lanes, R = s.rows;
  if (WORKGROUP % L) throw new Error(`internal: ${L} lanes do not divide a workgroup`);
  const MB = Math.ceil(p.M / R), outs = p.batch * MB * p.N;
  const lines = [
    `  let t = g.x + g.y * nw.x * ${WORKGROUP}u;`, `  let o = t / ${L}u;`, `  let lane = t % ${L}u;`,
    `  let oc = min(o, ${outs - 1}u);`,
    `  let n = ${s.order === 'by length' ? u32At(`${at['order']}u + oc % ${p.N}u`) : `oc % ${p.N}u`};`,
    `  let mBase = (oc / ${p.N}u) % ${MB}u * ${R}u;`, `  let bt = oc / ${MB * p.N}u;`, ...p.batchLines,
    // rows past M (the last invocation's) read row M - 1 and write nothing
    ...range(R).map((r) => `  let row${r} = min(mBase + ${r}u, ${p.M - 1}u);`),
    ...range(R).map((r) => `  var a${r} = 0.0f;`),
    ...termLoop(pc, p, at, s),
  ];
  const write = (r: number, v: string) => `  if (mBase + ${r}u < ${p.M}u) { let m = mBase + ${r}u; let mn = m * ${p.N}u + n; mem[${p.yOff}u + bt * ${p.M * p.N}u + mn] = bitcast<u32>(${p.finish(v)}); }`;
  let decls = '';
  if (L === 1) {
    lines.push(`  if (o >= ${outs}u) { return; }`, ...range(R).map((r) => write(r, `a${r}`)));
  } else {
    // lanes of an output are neighbours in the workgroup: their parts meet in workgroup memory, and
    // the first adds them up (one barrier, which no early return may precede)
    decls = `var<workgroup> part: array<f32, ${WORKGROUP * R}>;`;
    lines.push(...range(R).map((r) => `  part[li * ${R}u + ${r}u] = a${r};`), '  workgroupBarrier();',
      `  if (lane != 0u || o >= ${outs}u) { return; }`,
      `  for (var l = 1u; l < ${L}u; l++) {`, ...range(R).map((r) => `    a${r} += part[(li + l) * ${R}u + ${r}u];`), '  }',
      ...range(R).map((r) => write(r, `a${r}`)));
  }
  cx.dispatch(op, pc.call.kernel, computeShader(decls, lines.join('\n')), outs * L);
}

/** The tiled schedule: 32 x 32 outputs per workgroup of 8 x 8 invocations, panels of A and B in workgroup memory. */
function renderTiled(pc: PlannedCall, cx: WgslContext): void {
  const op = pc.op, c = constMatmul(op), at = typeof c === 'string' ? {} : placePacked(pc, cx);
  const p = productOf(pc, cx, at);
  const T = TILE, KC = 16, side = T / TILE_PER, tm = Math.ceil(p.M / T), tn = Math.ceil(p.N / T), tiles = p.batch * tm * tn;
  const loads = (T * KC) / WORKGROUP;
  const lines = [
    '  let w = wg.x + wg.y * nw.x;', `  if (w >= ${tiles}u) { return; }`,
    `  let bt = w / ${tm * tn}u;`, `  let mt = (w / ${tn}u) % ${tm}u * ${T}u;`, `  let nt = w % ${tn}u * ${T}u;`, ...p.batchLines,
    `  let lx = li % ${side}u;`, `  let ly = li / ${side}u;`,
    ...range(TILE_PER * TILE_PER).map((q) => `  var c${q} = 0.0f;`),
    `  for (var k0 = 0u; k0 < ${p.K}u; k0 += ${KC}u) {`,
    ...range(loads).flatMap((q) => [
      `    { let e = li + ${q * WORKGROUP}u; let am = mt + e / ${KC}u; let ak = k0 + e % ${KC}u; var v = 0.0f; if (am < ${p.M}u && ak < ${p.K}u) { v = ${p.a('am', 'ak')}; } pa[e] = v; }`,
      `    { let e = li + ${q * WORKGROUP}u; let bk = k0 + e / ${T}u; let bn = nt + e % ${T}u; var v = 0.0f; if (bk < ${p.K}u && bn < ${p.N}u) { v = ${p.b!('bk', 'bn')}; } pb[e] = v; }`,
    ]),
    '    workgroupBarrier();',
    `    for (var kk = 0u; kk < ${KC}u; kk++) {`,
    ...range(TILE_PER).map((i) => `      let x${i} = pa[(ly + ${i * side}u) * ${KC}u + kk];`),
    ...range(TILE_PER).map((j) => `      let y${j} = pb[kk * ${T}u + lx + ${j * side}u];`),
    ...range(TILE_PER * TILE_PER).map((q) => `      c${q} += x${Math.floor(q / TILE_PER)} * y${q % TILE_PER};`),
    '    }', '    workgroupBarrier();', '  }',
    ...range(TILE_PER * TILE_PER).map((q) => {
      const i = Math.floor(q / TILE_PER), j = q % TILE_PER;
      return `  { let m = mt + ly + ${i * side}u; let n = nt + lx + ${j * side}u; if (m < ${p.M}u && n < ${p.N}u) { let mn = m * ${p.N}u + n; mem[${p.yOff}u + bt * ${p.M * p.N}u + mn] = bitcast<u32>(${p.finish(`c${q}`)}); } }`;
    }),
  ];
  const decls = `var<workgroup> pa: array<f32, ${T * KC}>;\nvar<workgroup> pb: array<f32, ${KC * T}>;`;
  cx.dispatch(op, pc.call.kernel, computeShader(decls, lines.join('\n')), tiles * WORKGROUP);
}

/** A product call, by its schedule. */
function renderProduct(pc: PlannedCall, cx: WgslContext): void {
  return gridSchedule(pc.call.schedule).tile ? renderTiled(pc, cx) : renderGrid(pc, cx);
}

/** How each product kernel of the plan becomes WGSL, by kernel name. */
export const PRODUCT_RENDERS: Record<string, (pc: PlannedCall, cx: WgslContext) => void> = {
  matmul_grid: renderProduct,
  csr_product_grid: renderProduct,
  nm_product_grid: renderProduct,
};
