// Element-wise ops on WebGPU: one invocation per output element, each operand read through its
// broadcast index (strides baked into the shader), the expression from src/lower/exprs.ts in f32 or
// i32 (integers and bool), stored in the result's type (narrow integers wrapped to their width).
import type { Op, Value } from '../../../src/ir/core.js';
import { OpContext } from '../../../src/ir/opdef.js';
import { getOpDef } from '../../../src/dialects/index.js';
import { batchNormExpr, mapOperands, NARY, UNARY, type MapExpr } from '../../../src/lower/exprs.js';
import type { ElementType } from '../../../src/ir/types.js';
import { convert, f32Lit, load, store, wgslNum } from '../wgsl.js';
import { describe, gridShader, shapeOf, sizeOf, WgslCompileError, type Ref, type WgslContext } from '../context.js';
import type { OpContext as Ctx } from '../../../src/ir/opdef.js';

/** Renders one op: the context, the op. */
export type WgslRender = (op: Op, cx: WgslContext) => void;

/** The WGSL index of element `i` (a u32 expression) of an output of shape `out` in an operand of shape `s` broadcast to it (numpy rules). */
export function broadcastIndex(s: readonly number[], out: readonly number[], i = 'i'): string {
  const n = s.reduce((a, b) => a * b, 1);
  if (n === 1) return '0u';
  const rank = out.length, pad = [...new Array<number>(rank - s.length).fill(1), ...s];
  if (pad.every((d, k) => d === out[k])) return i;
  const terms: string[] = [];
  let outStride = 1, inStride = 1;
  for (let k = rank - 1; k >= 0; k--) {
    if (pad[k] !== 1) terms.push(`((${i} / ${outStride}u) % ${out[k]}u) * ${inStride}u`);
    outStride *= out[k]!;
    inStride *= pad[k]!;
  }
  return terms.join(' + ');
}

/** Element `index` of a ref in its compute type. */
export const read = (r: Ref, index: string): string => load(r.buf, `${r.off}u + ${index}`, r.t);

/** The i32 value wrapped to a narrow integer type's width (what storing it in that type does). */
export function wrapInt(v: string, et: ElementType): string {
  switch (et) {
    case 'i8': return `((${v} << 24u) >> 24u)`;
    case 'u8': return `(${v} & 255i)`;
    case 'i16': return `((${v} << 16u) >> 16u)`;
    case 'u16': return `(${v} & 65535i)`;
    default: return v;
  }
}

/** Stores value (compute type `ct`) at element i of y, converted to y's type. */
export function storeResult(y: Value, yr: Ref, value: string, ct: 'f32' | 'i32'): string {
  const v = yr.t === 'bool' ? convert(value, ct, 'bool') : convert(value, ct, yr.t);
  return `  mem[${yr.off}u + i] = ${store(yr.t === 'i32' ? wrapInt(v, y.type.elementType) : v, yr.t === 'bool' ? 'i32' : yr.t)};`;
}

function lowerMap(def: MapExpr, name: string): WgslRender {
  return (op, cx) => {
    if (name === 'dropout') throw new WgslCompileError(`webgpu target: ${describe(op)}: dropout in training mode is random; only inference is supported`);
    if (op.results.length !== 1) throw new WgslCompileError(`webgpu target: ${describe(op)}: the extra results are not supported`);
    const c = new OpContext(op, getOpDef(op.name)!);
    const y = op.result(0), out = shapeOf(y);
    const { operands, expr } = mapOperands(name, op.operands, def);
    const refs = operands.map((v) => cx.ref(v, op));
    const yr = cx.ref(y, op);
    // The compute type: f32 when a value operand is f32 (where's condition does not count), else i32;
    // a cast computes in its operand's type and converts on store.
    const values = name === 'where' ? refs.slice(1) : refs;
    const ct: 'f32' | 'i32' = values.some((r) => r.t === 'f32') ? 'f32' : 'i32';
    // each operand read in its own compute type, then (but for where's condition) converted to ct
    const own = (r: Ref): 'f32' | 'i32' => (r.t === 'f32' ? 'f32' : 'i32');
    const lets = refs.map((r, k) => `  let x${k} = ${convert(read(r, broadcastIndex(shapeOf(operands[k]!), out)), own(r), name === 'where' && k === 0 ? own(r) : ct)};`);
    // where's condition compares with 0 in its own type
    const n = wgslNum(ct);
    const body = name === 'where'
      ? `  let v = select(x2, x1, x0 != ${refs[0]!.t === 'f32' ? '0.0f' : '0i'});`
      : `  let v = ${expr(n, (k) => `x${k}`, c, operands.length)};`;
    cx.dispatch(op, name === 'identity' ? 'copy' : name, gridShader(sizeOf(y), [...lets, body, storeResult(y, yr, 'v', ct)].join('\n')), sizeOf(y));
  };
}

/** Inference batch norm over axis 1: the per-channel operands read at the element's channel. */
const lowerBatchNorm: WgslRender = (op, cx) => {
  const c = new OpContext(op, getOpDef(op.name)!);
  if (c.int('training_mode') === 1) return batchNormTraining(op, cx, c);
  if (op.results.length > 1) throw new WgslCompileError(`webgpu target: ${describe(op)}: running statistics outputs need training_mode = 1`);
  const x = op.operand(0), y = op.result(0), xs = shapeOf(x);
  const inner = xs.slice(2).reduce((a, b) => a * b, 1), C = xs[1]!;
  const refs = op.operands.map((v) => cx.ref(v, op));
  if (refs.some((r) => r.t !== 'f32')) throw new WgslCompileError(`webgpu target: ${describe(op)}: batch norm supports f32 only`);
  const lets = refs.map((r, k) => `  let x${k} = ${read(r, k === 0 ? 'i' : `((i / ${inner}u) % ${C}u)`)};`);
  const v = batchNormExpr(wgslNum('f32'), (k) => `x${k}`, c.float('epsilon'));
  cx.dispatch(op, 'batch_norm', gridShader(sizeOf(y), [...lets, `  let v = ${v};`, storeResult(y, cx.ref(y, op), 'v', 'f32')].join('\n')), sizeOf(y));
};

/**
 * Batch norm in training mode: one invocation per channel computes the batch mean and (population)
 * variance over the batch and spatial positions, normalises the channel, and updates the running
 * statistics (input * momentum + batch * (1 - momentum)) where those outputs exist.
 */
function batchNormTraining(op: Op, cx: WgslContext, c: Ctx): void {
  const x = op.operand(0), y = op.result(0), xs = shapeOf(x);
  const N = xs[0]!, C = xs[1]!, inner = xs.slice(2).reduce((a, b) => a * b, 1), count = N * inner;
  const refs = op.operands.map((v) => cx.ref(v, op));
  if ([...refs, ...op.results.map((r) => cx.ref(r, op))].some((r) => r.t !== 'f32')) throw new WgslCompileError(`webgpu target: ${describe(op)}: batch norm supports f32 only`);
  const [xr, sr, br, mr, vr] = refs as [Ref, Ref, Ref, Ref, Ref];
  const yr = cx.ref(y, op), momentum = c.float('momentum');
  const each = (body: string) => `  for (var n = 0u; n < ${N}u; n++) { for (var e = 0u; e < ${inner}u; e++) { let at = (n * ${C}u + i) * ${inner}u + e; ${body} } }`;
  const running = op.results.slice(1).map((r, k) => `  mem[${cx.ref(r, op).off}u + i] = bitcast<u32>(${read(k === 0 ? mr : vr, 'i')} * ${f32Lit(momentum)} + ${k === 0 ? 'mu' : 'bv'} * ${f32Lit(1 - momentum)});`);
  const body = [
    '  var s = 0.0f;', each(`s += ${read(xr, 'at')};`), `  let mu = s / ${count}.0f;`,
    '  var q = 0.0f;', each(`let d = ${read(xr, 'at')} - mu; q += d * d;`), `  let bv = q / ${count}.0f;`,
    `  let k = ${read(sr, 'i')} / sqrt(bv + ${f32Lit(c.float('epsilon'))});`, `  let off = ${read(br, 'i')} - mu * k;`,
    each(`mem[${yr.off}u + at] = bitcast<u32>(${read(xr, 'at')} * k + off);`),
    ...running,
  ].join('\n');
  cx.dispatch(op, 'batch_norm_training', gridShader(C, body), C);
}

export const ELEMENTWISE: Record<string, WgslRender> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([k, d]) => [`nn.${k}`, lowerMap(d, k)])),
  ...Object.fromEntries(Object.entries(NARY).map(([k, d]) => [`nn.${k}`, lowerMap(d, k)])),
  'nn.div': lowerMap({ lanes: true, expr: (n, x) => n.div(x(0), x(1)) }, 'div'),
  'nn.clip': lowerMap({ lanes: true, expr: (_n, x) => x(0) }, 'clip'),
  'nn.batch_normalization': lowerBatchNorm,
};

