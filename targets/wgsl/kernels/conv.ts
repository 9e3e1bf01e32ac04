// Convolutions on WebGPU (conv_grid and conv_transpose_grid of src/lower/kernels/grid.ts): an
// invocation sums one output (ConvTranspose) or a few neighbouring positions of one channel (Conv)
// over the convolution window (a sparse weight's CSR row of nonzeros), then the bias and the fused
// activation.
import type { PlannedCall } from '../../../src/lower/plan.js';
import { opContext } from '../../../src/lower/linear-facts.js';
import { convFacts } from '../../../src/lower/kernels/conv.js';
import { convPositions } from '../../../src/lower/kernels/grid.js';
import { convTransposeGeometry } from '../../../src/tensor-math/window.js';
import { gridShader, shapeOf, sizeOf, type WgslContext } from '../context.js';
import { read } from './elementwise.js';
import { activation, f32At, placePacked } from './product.js';

/**
 * A convolution of any rank: y[n, m, o...] = act(bias[m] + sum over the group's channels and the
 * window), an invocation computing `positions` neighbouring outputs of one channel, so that each
 * weight it reads (a dense tap, or a CSR row's nonzero) serves them all.
 */
function renderConv(pc: PlannedCall, cx: WgslContext): void {
  const op = pc.op, f = convFacts(op), yr = cx.ref(f.y, op);
  const xr = cx.ref(f.x, op), sp = f.xs.slice(2), osp = f.ys.slice(2), K = f.kernelShape;
  const { strides, dilations, pads } = f.geo;
  const P = f.P, R = convPositions(pc.call.schedule), PB = Math.ceil(P / R), total = f.N * f.M * PB;
  const stride = (dims: readonly number[], d: number) => dims.slice(d + 1).reduce((a, b) => a * b, 1);
  const rs = Array.from({ length: R }, (_, r) => r);
  const lines = [
    `  let nb = i / ${f.M * PB}u;`, `  let mo = (i / ${PB}u) % ${f.M}u;`, `  let pBase = i % ${PB}u * ${R}u;`, `  let grp = mo / ${f.Mg}u;`,
    // output coordinates of each position (past the end: the last, computed and not written)
    ...rs.flatMap((r) => [`  let p${r} = min(pBase + ${r}u, ${P - 1}u);`, ...osp.map((_, d) => `  let o${r}_${d} = i32((p${r} / ${stride(osp, d)}u) % ${osp[d]}u);`), `  var acc${r} = 0.0f;`]),
  ];
  // one term: input channel c (of the group), kernel position kk (flattened) and its weight w, for each position
  const kOffsets = (kk: string) => K.map((_, d) => `  let k${d} = i32((${kk} / ${stride(K, d)}u) % ${K[d]}u) * ${dilations[d]}i - ${pads[d]}i;`);
  const terms = (c: string) => rs.flatMap((r) => {
    const q = (d: number) => `(o${r}_${d} * ${strides[d]}i + k${d})`;
    const inside = sp.map((s, d) => `u32${q(d)} < ${s}u`).join(' && ') || 'true';
    const at = `${xr.off}u + (nb * ${f.C}u + grp * ${f.Cg}u + ${c}) * ${sp.reduce((a, b) => a * b, 1)}u + ${sp.map((_, d) => `u32${q(d)} * ${stride(sp, d)}u`).join(' + ') || '0u'}`;
    return [`    if (${inside}) { acc${r} += w * ${f32At(xr.buf, at)}; }`];
  });
  const kVol = f.kVol;
  if (pc.call.format.kind === 'csr') {
    const at = placePacked(pc, cx);
    lines.push(`  let end = bitcast<u32>(wts[${at['rowPtr']}u + mo + 1u]);`,
      `  for (var j = bitcast<u32>(wts[${at['rowPtr']}u + mo]); j < end; j++) {`, `    let col = bitcast<u32>(wts[${at['cols']}u + j]);`, `    let c = col / ${kVol}u;`,
      ...kOffsets(`col % ${kVol}u`).map((l) => `  ${l}`), `    let w = ${f32At('wts', `${at['vals']}u + j`)};`, ...terms('c'), '  }');
  } else {
    const w = f.weight ? { buf: 'wts', off: placePacked(pc, cx)['w']! } : cx.ref(op.operand(1), op);
    lines.push(`  for (var c = 0u; c < ${f.Cg}u; c++) {`, `  for (var kk = 0u; kk < ${kVol}u; kk++) {`, ...kOffsets('kk').map((l) => `  ${l}`),
      `    let w = ${f32At(w.buf, `${w.off}u + (mo * ${f.Cg}u + c) * ${kVol}u + kk`)};`, ...terms('c'), '  }', '  }');
  }
  const bias = op.operands[2];
  const b = bias && sizeOf(bias) > 0 ? `${read(cx.ref(bias, op), sizeOf(bias) === 1 ? '0u' : 'mo')} + ` : '';
  lines.push(...rs.map((r) => `  if (pBase + ${r}u < ${P}u) { mem[${yr.off}u + (nb * ${f.M}u + mo) * ${P}u + pBase + ${r}u] = bitcast<u32>(${activation(op, `(${b}acc${r})`)}); }`));
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
