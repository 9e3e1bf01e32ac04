// Products and convolutions on WebGPU (the grid kernels of src/lower/kernels/grid.ts): one
// invocation per output, its sum over a dense row, a CSR row's nonzeros or a convolution window,
// then the bias and the fused activation.
import type { Op } from '../../../src/ir/core.js';
import type { Format, PlannedCall } from '../../../src/lower/plan.js';
import { kernelDef } from '../../../src/lower/kernels/index.js';
import { constMatmul, opContext } from '../../../src/lower/linear-facts.js';
import { convFacts } from '../../../src/lower/kernels/conv.js';
import { productShape } from '../../../src/lower/kernels/matmul.js';
import { ACTIVATIONS } from '../../../src/lower/exprs.js';
import { broadcastShapes } from '../../../src/tensor-math/numeric.js';
import { f32Lit, wgslNum } from '../wgsl.js';
import { convTransposeGeometry } from '../../../src/tensor-math/window.js';
import { describe, gridShader, shapeOf, sizeOf, WgslCompileError, type WgslContext } from '../context.js';
import { broadcastIndex, read } from './elementwise.js';

/** The fused activation of a product or convolution applied to `v` (an f32 expression). */
function activation(op: Op, v: string): string {
  const c = opContext(op);
  const a = c.def.attrs['activation'] ? c.string('activation') : 'none';
  const f = ACTIVATIONS[a];
  if (!f) throw new WgslCompileError(`webgpu target: ${describe(op)}: fused activation '${a}' is not supported`);
  return f(wgslNum('f32'), () => v, a === 'none' ? [] : c.floats('activation_params'));
}

/** The call's packed arrays placed in the weight buffer: their element offsets by name. */
function placePacked(pc: PlannedCall, cx: WgslContext): Record<string, number> {
  const p = kernelDef(pc.call.kernel)!.pack!(pc.op, pc.call);
  return Object.fromEntries(Object.entries(p.arrays).map(([k, a]) => [k, cx.put(a instanceof Uint16Array || a instanceof Uint8Array ? Int32Array.from(a) : a)]));
}

const f32At = (buf: string, index: string) => `bitcast<f32>(${buf}[${index}])`;

/** A product: y[..., m, n] = act(sum over k + bias), dense ([K, N] weight or a run-time B) or CSR rows. */
function renderProduct(pc: PlannedCall, cx: WgslContext): void {
  const op = pc.op, y = op.result(0), yr = cx.ref(y, op), total = sizeOf(y);
  const f = constMatmul(op);
  const lines: string[] = [];
  let M: number, N: number, biasLine = '';
  if (typeof f !== 'string') {
    ({ M, N } = f);
    const x = cx.ref(f.x, op), at = placePacked(pc, cx);
    lines.push(`  let m = i / ${N}u;`, `  let n = i % ${N}u;`, '  var acc = 0.0f;');
    if (pc.call.kernel === 'nm_product_grid') {
      const fm = pc.call.format as Extract<Format, { kind: 'nm' }>, G = f.K / fm.m;
      lines.push(`  for (var j = n * ${G * fm.n}u; j < (n + 1u) * ${G * fm.n}u; j++) {`,
        `    let col = (j / ${fm.n}u) % ${G}u * ${fm.m}u + bitcast<u32>(wts[${at['pos']}u + j]);`,
        `    acc += ${f32At('wts', `${at['vals']}u + j`)} * ${f32At(x.buf, `${x.off}u + m * ${f.K}u + col`)};`, '  }');
    } else if (pc.call.kernel === 'csr_product_grid') {
      lines.push(`  let start = bitcast<u32>(wts[${at['rowPtr']}u + n]);`, `  let end = bitcast<u32>(wts[${at['rowPtr']}u + n + 1u]);`,
        `  for (var j = start; j < end; j++) { acc += ${f32At('wts', `${at['vals']}u + j`)} * ${f32At(x.buf, `${x.off}u + m * ${f.K}u + bitcast<u32>(wts[${at['cols']}u + j])`)}; }`);
    } else {
      lines.push(`  for (var k = 0u; k < ${f.K}u; k++) { acc += ${f32At(x.buf, `${x.off}u + m * ${f.K}u + k`)} * ${f32At('wts', `${at['w']}u + k * ${N}u + n`)}; }`);
    }
    if (f.bias) biasLine = `  acc += ${read(cx.ref(f.bias, op), broadcastIndex(shapeOf(f.bias), [M, N], 'mn'))};`;
  } else {
    // Gemm: A' B' times alpha, plus beta C, with A' = A or its transpose (strides), likewise B'
    const gemm = op.name.endsWith('.gemm'), c = opContext(op);
    const [tA, tB] = gemm ? [c.int('transA') === 1, c.int('transB') === 1] : [false, false];
    const [alpha, beta] = gemm ? [c.float('alpha'), c.float('beta')] : [1, 1];
    const s = productShape(op);
    const K = tA ? s.M : s.K;
    M = tA ? s.K : s.M;
    N = tB ? shapeOf(op.operand(1))[0]! : s.N;
    const a = cx.ref(op.operand(0), op), b = cx.ref(op.operand(1), op);
    const batch = broadcastShapes([s.batchA, s.batchB]);
    const aAt = tA ? `k * ${M}u + m` : `m * ${K}u + k`, bAt = tB ? `n * ${K}u + k` : `k * ${N}u + n`;
    lines.push(`  let bt = i / ${M * N}u;`, `  let m = (i / ${N}u) % ${M}u;`, `  let n = i % ${N}u;`,
      `  let aBase = (${broadcastIndex(s.batchA, batch, 'bt')}) * ${M * K}u;`, `  let bBase = (${broadcastIndex(s.batchB, batch, 'bt')}) * ${K * N}u;`,
      '  var acc = 0.0f;',
      `  for (var k = 0u; k < ${K}u; k++) { acc += ${f32At(a.buf, `${a.off}u + aBase + ${aAt}`)} * ${f32At(b.buf, `${b.off}u + bBase + ${bAt}`)}; }`);
    if (alpha !== 1) lines.push(`  acc = acc * ${f32Lit(alpha)};`);
    const cv = op.operands[2];
    if (cv && sizeOf(cv) > 0 && beta !== 0) biasLine = `  acc += ${beta === 1 ? '' : `${f32Lit(beta)} * `}${read(cx.ref(cv, op), broadcastIndex(shapeOf(cv), [M, N], 'mn'))};`;
  }
  const body = [...lines, `  let mn = i % ${M * N}u;`, biasLine, `  mem[${yr.off}u + i] = bitcast<u32>(${activation(op, 'acc')});`].filter(Boolean).join('\n');
  cx.dispatch(op, pc.call.kernel, gridShader(total, body), total);
}

/** A convolution of any rank: y[n, m, o...] = act(bias[m] + sum over the group's channels and the window). */
function renderConv(pc: PlannedCall, cx: WgslContext): void {
  const op = pc.op, f = convFacts(op), y = f.y, yr = cx.ref(y, op), total = sizeOf(y);
  const xr = cx.ref(f.x, op), sp = f.xs.slice(2), osp = f.ys.slice(2), K = f.kernelShape;
  const { strides, dilations, pads } = f.geo;
  const P = f.P, inPlane = sp.reduce((a, b) => a * b, 1);
  const lines = [
    `  let nb = i / ${f.M * P}u;`, `  let mo = (i / ${P}u) % ${f.M}u;`, `  let p = i % ${P}u;`, `  let grp = mo / ${f.Mg}u;`,
    // output coordinates
    ...osp.map((_, d) => `  let o${d} = i32((p / ${osp.slice(d + 1).reduce((a, b) => a * b, 1)}u) % ${osp[d]}u);`),
    '  var acc = 0.0f;',
  ];
  // one term: input channel c (of the group) and kernel position kk (flattened), weight w
  const coords = (kk: string) => K.map((_, d) => `  let q${d} = o${d} * ${strides[d]}i - ${pads[d]}i + i32((${kk} / ${K.slice(d + 1).reduce((a, b) => a * b, 1)}u) % ${K[d]}u) * ${dilations[d]}i;`);
  const inside = sp.map((s, d) => `q${d} >= 0i && q${d} < ${s}i`).join(' && ') || 'true';
  const xIndex = (c: string) => `${xr.off}u + (nb * ${f.C}u + grp * ${f.Cg}u + ${c}) * ${inPlane}u + ${sp.map((_, d) => `u32(q${d}) * ${sp.slice(d + 1).reduce((a, b) => a * b, 1)}u`).join(' + ') || '0u'}`;
  const kVol = f.kVol;
  if (pc.call.format.kind === 'csr') {
    const at = placePacked(pc, cx);
    lines.push(`  let start = bitcast<u32>(wts[${at['rowPtr']}u + mo]);`, `  let end = bitcast<u32>(wts[${at['rowPtr']}u + mo + 1u]);`,
      '  for (var j = start; j < end; j++) {', `    let col = bitcast<u32>(wts[${at['cols']}u + j]);`, `    let c = col / ${kVol}u;`, `    let kk = col % ${kVol}u;`,
      ...coords('kk').map((l) => `  ${l}`), `    if (${inside}) { acc += ${f32At('wts', `${at['vals']}u + j`)} * ${f32At(xr.buf, xIndex('c'))}; }`, '  }');
  } else {
    const w = f.weight ? { buf: 'wts', off: placePacked(pc, cx)['w']! } : cx.ref(op.operand(1), op);
    lines.push(`  for (var c = 0u; c < ${f.Cg}u; c++) {`, `    for (var kk = 0u; kk < ${kVol}u; kk++) {`, ...coords('kk').map((l) => `    ${l}`),
      `      if (${inside}) { acc += ${f32At(w.buf, `${w.off}u + (mo * ${f.Cg}u + c) * ${kVol}u + kk`)} * ${f32At(xr.buf, xIndex('c'))}; }`, '    }', '  }');
  }
  const bias = op.operands[2];
  if (bias && sizeOf(bias) > 0) lines.push(`  acc += ${read(cx.ref(bias, op), sizeOf(bias) === 1 ? '0u' : 'mo')};`);
  lines.push(`  mem[${yr.off}u + i] = bitcast<u32>(${activation(op, 'acc')});`);
  cx.dispatch(op, pc.call.kernel, gridShader(total, lines.join('\n')), total);
}

/**
 * ConvTranspose as a gather: y[n, m, o...] = bias[m] + sum over the group's input channels c and
 * kernel taps k of x[n, c, i...] w[c, m % Mg, k...], where o = i * stride - pad + k * dilation.
 */
function renderConvTranspose(pc: PlannedCall, cx: WgslContext): void {
  const op = pc.op, c = opContext(op), x = op.operand(0), y = op.result(0), xs = shapeOf(x), ws = shapeOf(op.operand(1)), ys = shapeOf(y);
  const { strides, dilations, pads } = convTransposeGeometry(c, xs);
  const G = c.int('group'), C = xs[1]!, Cg = C / G, Mg = ws[1]!, M = ys[1]!, sp = xs.slice(2), osp = ys.slice(2), K = ws.slice(2);
  const prod = (a: readonly number[]) => a.reduce((p, q) => p * q, 1);
  const P = prod(osp), inPlane = prod(sp), kVol = prod(K);
  const xr = cx.ref(x, op), wr = cx.ref(op.operand(1), op), yr = cx.ref(y, op), total = sizeOf(y);
  const lines = [
    `  let nb = i / ${M * P}u;`, `  let mo = (i / ${P}u) % ${M}u;`, `  let p = i % ${P}u;`, `  let grp = mo / ${Mg}u;`, `  let ml = mo % ${Mg}u;`,
    ...osp.map((_, d) => `  let o${d} = i32((p / ${prod(osp.slice(d + 1))}u) % ${osp[d]}u);`),
    '  var acc = 0.0f;',
    `  for (var kk = 0u; kk < ${kVol}u; kk++) {`,
    // the input position whose tap kk lands on o: (o + pad - k * dilation) / stride, when it divides
    ...K.map((_, d) => `    let t${d} = o${d} + ${pads[d]}i - i32((kk / ${prod(K.slice(d + 1))}u) % ${K[d]}u) * ${dilations[d]}i;`),
    `    if (${K.map((_, d) => `t${d} >= 0i && t${d} % ${strides[d]}i == 0i && t${d} / ${strides[d]}i < ${sp[d]}i`).join(' && ')}) {`,
    `      let pos = ${sp.map((_, d) => `u32(t${d} / ${strides[d]}i) * ${prod(sp.slice(d + 1))}u`).join(' + ')};`,
    `      for (var cc = 0u; cc < ${Cg}u; cc++) {`,
    `        let ci = grp * ${Cg}u + cc;`,
    `        acc += ${f32At(xr.buf, `${xr.off}u + (nb * ${C}u + ci) * ${inPlane}u + pos`)} * ${f32At(wr.buf, `${wr.off}u + (ci * ${Mg}u + ml) * ${kVol}u + kk`)};`,
    '      }', '    }', '  }',
  ];
  const bias = op.operands[2];
  if (bias && sizeOf(bias) > 0) lines.push(`  acc += ${read(cx.ref(bias, op), 'mo')};`);
  lines.push(`  mem[${yr.off}u + i] = bitcast<u32>(acc);`);
  cx.dispatch(op, pc.call.kernel, gridShader(total, lines.join('\n')), total);
}

/** How each grid kernel of the plan becomes WGSL, by kernel name. */
export const LINEAR_RENDERS: Record<string, (pc: PlannedCall, cx: WgslContext) => void> = {
  matmul_grid: renderProduct,
  csr_product_grid: renderProduct,
  nm_product_grid: renderProduct,
  conv_grid: renderConv,
  conv_transpose_grid: renderConvTranspose,
};
