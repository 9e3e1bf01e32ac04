// Data movement on WebGPU: order-preserving views copy; everything else gathers through the op's
// element table (src/lower/movement-table.ts) placed in the weight buffer; gathers whose indices
// arrive at run time compute their source; shape-only ops are evaluated at compile time.
import type { Op } from '../../../src/ir/core.js';
import { OpContext } from '../../../src/ir/opdef.js';
import { getOpDef } from '../../../src/dialects/index.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { constData } from '../../../src/pass/helpers.js';
import { elementSources, MOVEMENT_OPS, ORDER_PRESERVING } from '../../../src/lower/movement-table.js';
import { describe, gridShader, shapeOf, sizeOf, WgslCompileError, type WgslContext } from '../context.js';
import type { WgslRender } from './elementwise.js';
import { f32Lit, i32Lit } from '../wgsl.js';


const copyWord = (buf: string, off: number, index: string) => `${buf}[${off}u + ${index}]`;

const lowerTable: WgslRender = (op, cx) => {
  if (ORDER_PRESERVING.has(op.name)) {
    const x = cx.ref(op.operand(0), op), y = cx.ref(op.result(0), op), n = sizeOf(op.result(0));
    cx.dispatch(op, 'copy', gridShader(n, `  mem[${y.off}u + i] = ${copyWord(x.buf, x.off, 'i')};`), n);
    return;
  }
  if (op.name === 'nn.gather' && !constData(op.operand(1))) {
    runtimeGather(op, cx);
    return;
  }
  const es = elementSources(op);
  if (typeof es === 'string') throw new WgslCompileError(`webgpu target: ${describe(op)}: ${es}`);
  const data = es.data.map((d) => ({ ...d, ref: cx.ref(op.operand(d.operand), op) }));
  const padRef = es.pad && 'operand' in es.pad ? cx.ref(es.pad.operand, op) : undefined;
  const padValue = es.pad && 'value' in es.pad ? es.pad.value : 0;
  const pad = padRef ? copyWord(padRef.buf, padRef.off, '0u') : `bitcast<u32>(${cx.ref(op.result(0), op).t === 'f32' ? f32Lit(padValue) : i32Lit(padValue)})`;
  op.results.forEach((r, ri) => {
    const src = es.results[ri]!, y = cx.ref(r, op), n = sizeOf(r);
    const table = cx.put(Int32Array.from({ length: src.size }, (_, k) => Math.round(Number(src.get(k)))));
    // the numbered source: padding (< 0), or element s - base of the data operand whose range holds it
    cx.dispatch(op, 'gather', gridShader(n, `  let s = bitcast<i32>(wts[${table}u + i]);\n  var v = ${pad};\n${data.map((d) => `  if (s >= ${d.base}i && s < ${d.base + d.size}i) { v = ${copyWord(d.ref.buf, d.ref.off, `u32(s - ${d.base}i)`)}; }`).join('\n')}\n  mem[${y.off}u + i] = v;`), n);
  });
};

/** Gather along an axis with indices known at run time (negative ones count from the end). */
function runtimeGather(op: Op, cx: WgslContext): void {
  const c = new OpContext(op, getOpDef(op.name)!);
  const x = op.operand(0), idx = op.operand(1), y = op.result(0), xs = shapeOf(x);
  const a = c.int('axis') < 0 ? c.int('axis') + xs.length : c.int('axis');
  const inner = xs.slice(a + 1).reduce((p, q) => p * q, 1), dim = xs[a]!, count = sizeOf(idx);
  const xr = cx.ref(x, op), ir = cx.ref(idx, op), yr = cx.ref(y, op), n = sizeOf(y);
  const body = `  let o = i / ${count * inner}u;
  let j = (i / ${inner}u) % ${count}u;
  let e = i % ${inner}u;
  var t = bitcast<i32>(${copyWord(ir.buf, ir.off, 'j')});
  if (t < 0i) { t = t + ${dim}i; }
  t = clamp(t, 0i, ${dim - 1}i);
  mem[${yr.off}u + i] = ${copyWord(xr.buf, xr.off, `(o * ${dim}u + u32(t)) * ${inner}u + e`)};`;
  cx.dispatch(op, 'gather_runtime', gridShader(n, body), n);
}

/** Ops whose results depend on shapes only: evaluated at compile time; their results become constants. */
const lowerStatic: WgslRender = (op, cx) => {
  const def = getOpDef(op.name)!;
  if (op.name === 'nn.constant_of_shape' && !constData(op.operand(0))) throw new WgslCompileError(`webgpu target: ${describe(op)}: the shape must be constant`);
  const inputs = op.operands.map((v) => constData(v) ?? Tensor.zeros(v.type.elementType, shapeOf(v)));
  const outs = def.interpret!(new OpContext(op, def), inputs);
  op.results.forEach((r, i) => cx.bindConstant(r, outs[i]!));
};

export const MOVEMENT: Record<string, WgslRender> = {
  ...Object.fromEntries(MOVEMENT_OPS.map((n) => [n, lowerTable])),
  'nn.shape': lowerStatic, 'nn.size': lowerStatic, 'nn.constant_of_shape': lowerStatic,
};
