// Convolutions on WebGPU (conv_grid and conv_transpose_grid of src/lower/kernels/grid.ts): one
// invocation per output, its sum over a convolution window (a sparse weight's CSR row of nonzeros),
// then the bias and the fused activation.
import type { PlannedCall } from '../../../src/lower/plan.js';
import { opContext } from '../../../src/lower/linear-facts.js';
import { convFacts } from '../../../src/lower/kernels/conv.js';
import { convTransposeGeometry } from '../../../src/tensor-math/window.js';
import { gridShader, shapeOf, sizeOf, type WgslContext } from '../context.js';
import { read } from './elementwise.js';
import { activation, f32At, placePacked } from './product.js';

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

/** How each convolution kernel of the plan becomes WGSL, by kernel name. */
export const CONV_RENDERS: Record<string, (pc: PlannedCall, cx: WgslContext) => void> = {
  conv_grid: renderConv,
  conv_transpose_grid: renderConvTranspose,
};
