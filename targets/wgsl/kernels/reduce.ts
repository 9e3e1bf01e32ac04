// Reductions, softmax, layer normalisation and pooling on WebGPU: one invocation per output element
// (per row for softmax and layer norm, which write the whole row), looping over what it reduces.
import type { Op } from '../../../src/ir/core.js';
import { OpContext } from '../../../src/ir/opdef.js';
import { getOpDef } from '../../../src/dialects/index.js';
import { reductionShape } from '../../../src/lower/reduce-facts.js';
import { axis as normAxis, sizeOf as prod } from '../../../src/tensor-math/numeric.js';
import { convGeometry, poolOut } from '../../../src/tensor-math/window.js';
import { describe, gridShader, shapeOf, sizeOf, WgslCompileError } from '../context.js';
import { read, storeResult, type WgslRender } from './elementwise.js';
import { f32Lit } from '../wgsl.js';

const ctx = (op: Op) => new OpContext(op, getOpDef(op.name)!);

function f32Only(op: Op): void {
  for (const v of [...op.operands, ...op.results]) if (v.type.elementType !== 'f32') throw new WgslCompileError(`webgpu target: ${describe(op)} supports f32 only, got ${v.type.elementType}`);
}

type Kind = 'sum' | 'mean' | 'max' | 'min';

function lowerReduce(kind: Kind): WgslRender {
  return (op, cx) => {
    const x = op.operand(0), y = op.result(0);
    const rs = reductionShape(op);
    if (typeof rs === 'string') throw new WgslCompileError(`webgpu target: ${describe(op)}: ${rs}`);
    const { len, inner } = rs;
    const xr = cx.ref(x, op), yr = cx.ref(y, op), ct: 'f32' | 'i32' = xr.t === 'f32' ? 'f32' : 'i32';
    const zero = ct === 'f32' ? '0.0f' : '0i';
    const init = kind === 'max' ? (ct === 'f32' ? 'f32_bits(0xff800000u)' : 'bitcast<i32>(0x80000000u)') : kind === 'min' ? (ct === 'f32' ? 'f32_bits(0x7f800000u)' : '2147483647i') : zero;
    const step = kind === 'max' ? (ct === 'f32' ? 'max_f32(acc, v)' : 'max(acc, v)') : kind === 'min' ? (ct === 'f32' ? 'min_f32(acc, v)' : 'min(acc, v)') : 'acc + v';
    const n = sizeOf(y);
    const body = [
      `  let o = i / ${inner}u;`, `  let e = i % ${inner}u;`, `  var acc = ${len === 0 ? zero : init};`,
      `  for (var k = 0u; k < ${len}u; k++) { let v = ${read(xr, `(o * ${len}u + k) * ${inner}u + e`)}; acc = ${step}; }`,
      kind === 'mean' ? `  acc = acc / ${ct === 'f32' ? `${len}.0f` : `${len}i`};` : '',
      storeResult(y, yr, 'acc', ct),
    ].filter(Boolean).join('\n');
    cx.dispatch(op, `reduce_${kind}`, gridShader(n, body), n);
  };
}

function lowerSoftmax(log: boolean): WgslRender {
  return (op, cx) => {
    f32Only(op);
    const x = op.operand(0), y = op.result(0), xs = shapeOf(x);
    const a = normAxis(ctx(op).int('axis'), xs.length);
    const outer = prod(xs.slice(0, a)), len = xs[a] ?? 1, inner = prod(xs.slice(a + 1));
    const xr = cx.ref(x, op), yr = cx.ref(y, op), rows = outer * inner;
    const at = (k: string) => `(o * ${len}u + ${k}) * ${inner}u + e`;
    const body = [
      `  let o = i / ${inner}u;`, `  let e = i % ${inner}u;`,
      '  var mx = f32_bits(0xff800000u);',
      `  for (var k = 0u; k < ${len}u; k++) { mx = max_f32(mx, ${read(xr, at('k'))}); }`,
      '  var s = 0.0f;',
      `  for (var k = 0u; k < ${len}u; k++) { s += exp(${read(xr, at('k'))} - mx); }`,
      `  for (var k = 0u; k < ${len}u; k++) { let d = ${read(xr, at('k'))} - mx; mem[${yr.off}u + ${at('k')}] = bitcast<u32>(${log ? 'd - log(s)' : 'exp(d) / s'}); }`,
    ].join('\n');
    cx.dispatch(op, log ? 'log_softmax' : 'softmax', gridShader(rows, body), rows);
  };
}

/** Layer normalisation over the dims from `axis` on: (x - mean) / sqrt(var + eps) * scale + bias. */
const lowerLayerNorm: WgslRender = (op, cx) => {
  f32Only(op);
  const c = ctx(op), x = op.operand(0), y = op.result(0), xs = shapeOf(x);
  // the optional statistics: one value per row
  const stats = op.results.slice(1).map((r, k) => `  mem[${cx.ref(r, op).off}u + i] = bitcast<u32>(${k === 0 ? 'mean' : 'inv'});`);
  const a = normAxis(c.int('axis'), xs.length), rows = prod(xs.slice(0, a)), len = prod(xs.slice(a));
  const xr = cx.ref(x, op), yr = cx.ref(y, op), sr = cx.ref(op.operand(1), op);
  const bias = op.operands[2] && sizeOf(op.operands[2]) > 0 ? op.operands[2] : undefined;
  const br = bias ? cx.ref(bias, op) : undefined;
  // scale and bias broadcast over the normalised dims
  const pIndex = (v: typeof x) => (sizeOf(v) === 1 ? '0u' : `k % ${sizeOf(v)}u`);
  const body = [
    `  let base = i * ${len}u;`, '  var mean = 0.0f;',
    `  for (var k = 0u; k < ${len}u; k++) { mean += ${read(xr, 'base + k')}; }`, `  mean = mean / ${len}.0f;`,
    '  var vr = 0.0f;', `  for (var k = 0u; k < ${len}u; k++) { let d = ${read(xr, 'base + k')} - mean; vr += d * d; }`,
    `  let inv = 1.0f / sqrt(vr / ${len}.0f + ${f32Lit(c.float('epsilon'))});`,
    `  for (var k = 0u; k < ${len}u; k++) { mem[${yr.off}u + base + k] = bitcast<u32>((${read(xr, 'base + k')} - mean) * inv * ${read(sr, pIndex(op.operand(1)))}${br ? ` + ${read(br, pIndex(bias!))}` : ''}); }`,
    ...stats,
  ].join('\n');
  cx.dispatch(op, 'layer_norm', gridShader(rows, body), rows);
};

/** Instance normalisation: each (sample, channel) plane normalised over its spatial dims, then scale and bias per channel. */
const lowerInstanceNorm: WgslRender = (op, cx) => {
  f32Only(op);
  const c = ctx(op), x = op.operand(0), y = op.result(0), xs = shapeOf(x);
  const C = xs[1]!, len = prod(xs.slice(2)), rows = xs[0]! * C;
  const xr = cx.ref(x, op), yr = cx.ref(y, op), sr = cx.ref(op.operand(1), op), br = cx.ref(op.operand(2), op);
  const body = [
    `  let base = i * ${len}u;`, `  let ch = i % ${C}u;`, '  var mean = 0.0f;',
    `  for (var k = 0u; k < ${len}u; k++) { mean += ${read(xr, 'base + k')}; }`, `  mean = mean / ${len}.0f;`,
    '  var vr = 0.0f;', `  for (var k = 0u; k < ${len}u; k++) { let d = ${read(xr, 'base + k')} - mean; vr += d * d; }`,
    `  let inv = 1.0f / sqrt(vr / ${len}.0f + ${f32Lit(c.float('epsilon'))});`,
    `  for (var k = 0u; k < ${len}u; k++) { mem[${yr.off}u + base + k] = bitcast<u32>((${read(xr, 'base + k')} - mean) * inv * ${read(sr, 'ch')} + ${read(br, 'ch')}); }`,
  ].join('\n');
  cx.dispatch(op, 'instance_norm', gridShader(rows, body), rows);
};

/** Local response normalisation across channels: x / (bias + alpha / size * sum of squares over the window of channels)^beta. */
const lowerLrn: WgslRender = (op, cx) => {
  f32Only(op);
  const c = ctx(op), x = op.operand(0), y = op.result(0), xs = shapeOf(x);
  const C = xs[1]!, inner = prod(xs.slice(2)), size = c.int('size');
  const lo = Math.floor((size - 1) / 2), hi = Math.ceil((size - 1) / 2);
  const xr = cx.ref(x, op), yr = cx.ref(y, op), n = sizeOf(y);
  const body = [
    `  let ch = i32((i / ${inner}u) % ${C}u);`, `  let base = i - u32(ch) * ${inner}u;`, '  var sq = 0.0f;',
    `  for (var k = max(ch - ${lo}i, 0i); k <= min(ch + ${hi}i, ${C - 1}i); k++) { let v = ${read(xr, `base + u32(k) * ${inner}u`)}; sq += v * v; }`,
    `  mem[${yr.off}u + i] = bitcast<u32>(${read(xr, 'i')} / pow(${f32Lit(c.float('bias'))} + ${f32Lit(c.float('alpha') / size)} * sq, ${f32Lit(c.float('beta'))}));`,
  ].join('\n');
  cx.dispatch(op, 'lrn', gridShader(n, body), n);
};

/**
 * Max and average pooling of any rank (global pools: one window over the plane); max pooling in any
 * element type, with MaxPool's indices output (the input element's flat index, row-major, the
 * first maximum) where asked.
 */
const lowerPool: WgslRender = (op, cx) => {
  const c = ctx(op), x = op.operand(0), y = op.result(0), xs = shapeOf(x), inSp = xs.slice(2), D = inSp.length;
  const global = op.name.startsWith('nn.global'), max = op.name.includes('max');
  if (!max) f32Only(op);
  if (op.results.length > 1 && c.int('storage_order') !== 0) throw new WgslCompileError(`webgpu target: ${describe(op)}: indices in column-major storage order are not supported`);
  const geom = global ? undefined : convGeometry(c, xs, c.ints('kernel_shape'));
  const kernel = geom ? geom.kernel : inSp, strides = geom ? geom.strides : inSp.map(() => 1), dil = geom ? geom.dilations : inSp.map(() => 1);
  const pads = geom ? geom.pads : new Array<number>(2 * D).fill(0);
  const ceil = !global && c.int('ceil_mode') === 1;
  const outSp = inSp.map((n, d) => poolOut(n, kernel[d]!, strides[d]!, dil[d]!, pads[d]!, pads[d + D]!, ceil));
  const countPad = op.name === 'nn.average_pool' && c.int('count_include_pad') === 1;
  const P = prod(outSp), inPlane = prod(inSp), kVol = prod(kernel);
  const xr = cx.ref(x, op), yr = cx.ref(y, op), n = sizeOf(y), ct: 'f32' | 'i32' = xr.t === 'f32' ? 'f32' : 'i32';
  const lowest = ct === 'f32' ? 'f32_bits(0xff800000u)' : 'bitcast<i32>(0x80000000u)';
  const ir = op.results[1] ? cx.ref(op.results[1], op) : undefined;
  const body = [
    `  let plane = i / ${P}u;`, `  let p = i % ${P}u;`,
    ...outSp.map((_, d) => `  let o${d} = i32((p / ${prod(outSp.slice(d + 1))}u) % ${outSp[d]}u);`),
    `  var acc = ${max ? lowest : '0.0f'};`, '  var cnt = 0.0f;', '  var arg = 0u;', '  var seen = false;',
    `  for (var kk = 0u; kk < ${kVol}u; kk++) {`,
    ...kernel.map((_, d) => `    let q${d} = o${d} * ${strides[d]}i - ${pads[d]}i + i32((kk / ${prod(kernel.slice(d + 1))}u) % ${kernel[d]}u) * ${dil[d]}i;`),
    // with count_include_pad, positions in the padding count (not those past it in ceil mode)
    ...(countPad ? [`    if (${inSp.map((s, d) => `q${d} < ${s + pads[d + D]!}i`).join(' && ')}) { cnt += 1.0f; }`] : []),
    `    if (${inSp.map((s, d) => `q${d} >= 0i && q${d} < ${s}i`).join(' && ')}) {`,
    `      let at = plane * ${inPlane}u + ${inSp.map((_, d) => `u32(q${d}) * ${prod(inSp.slice(d + 1))}u`).join(' + ')};`,
    `      let v = ${read(xr, 'at')};`,
    max ? `      if (!seen || v > acc${ct === 'f32' ? ' || is_nan(v)' : ''}) { if (!(seen && ${ct === 'f32' ? 'is_nan(acc)' : 'false'})) { acc = v; arg = at; } seen = true; }` : `      acc += v;${countPad ? '' : ' cnt += 1.0f;'}`,
    '    }', '  }',
    ...(max ? [] : ['  acc = acc / max(cnt, 1.0f);']),
    storeResult(y, yr, 'acc', ct),
    ...(ir ? [`  mem[${ir.off}u + i] = arg;`] : []),
  ].join('\n');
  cx.dispatch(op, max ? 'max_pool' : 'average_pool', gridShader(n, body), n);
};

export const REDUCE: Record<string, WgslRender> = {
  'nn.reduce_mean': lowerReduce('mean'), 'nn.reduce_sum': lowerReduce('sum'), 'nn.reduce_max': lowerReduce('max'), 'nn.reduce_min': lowerReduce('min'),
  'nn.softmax': lowerSoftmax(false), 'nn.log_softmax': lowerSoftmax(true),
  'nn.layer_normalization': lowerLayerNorm, 'nn.instance_normalization': lowerInstanceNorm, 'nn.lrn': lowerLrn,
  'nn.max_pool': lowerPool, 'nn.average_pool': lowerPool, 'nn.global_average_pool': lowerPool, 'nn.global_max_pool': lowerPool,
};
