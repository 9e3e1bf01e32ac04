// Data movement (reshape, transpose, slice, gather, concat, pad, expand, tile, split...): the op is
// run in the interpreter on element numbers, which gives, for every output element, the element it
// copies. Where that table is long stretches of consecutive elements (a channel concat, a split, a
// slice or pad of whole rows) the copy is a few block copies (unrolled, or from a table of runs);
// otherwise it follows the element table. Gathers with run-time indices get their own kernel.
import type { Op } from '../../../src/ir/core.js';
import { OpContext } from '../../../src/ir/opdef.js';
import { getOpDef } from '../../../src/dialects/index.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { constData } from '../../../src/pass/helpers.js';
import { elementSources, MOVEMENT_OPS, ORDER_PRESERVING } from '../../../src/lower/movement-table.js';
import { elemBytes } from '../dtype.js';
import { blockCopy, runCopy, runPlan, runtimeGather, tableCopy, type CopyRun } from '../kernels/movement.js';
import { mapKernel } from '../kernels/map.js';
import { describe, shapeOf, sizeOf, wasmType, WasmCompileError, type LowerContext, type Lowering } from './context.js';



const lowerTable: Lowering = (op, lc) => {
  const y0 = op.result(0);
  if (ORDER_PRESERVING.has(op.name)) {
    const x = op.operand(0);
    lc.step({ op, kernel: 'copy', format: 'dense', emit: (mod, name, addr) => blockCopy(mod, name, { x: addr(x), y: addr(y0), bytes: sizeOf(x) * elemBytes(x.type.elementType) }) });
    return;
  }
  if (op.name === 'nn.gather' && !constData(op.operand(1))) {
    lowerRuntimeGather(op, lc);
    return;
  }
  const es = elementSources(op);
  if (typeof es === 'string') throw new WasmCompileError(`wasm target: ${describe(op)}: ${es}`);
  const outs = es.results, padV = es.pad && 'operand' in es.pad ? es.pad.operand : undefined, runtimePad = padV !== undefined;
  const et = wasmType(y0, op);
  const bytes = elemBytes(et);
  const padValue = es.pad && 'value' in es.pad ? es.pad.value : 0;
  if (padV) {
    // The pad value is known at run time only: fill the result with it first, then copy over it.
    lc.step({ op, kernel: 'fill', format: 'dense', emit: (mod, name, addr) => mapKernel(mod, name, { inputs: [{ addr: addr(padV), et: wasmType(padV, op), index: 'scalar' }], out: { addr: addr(y0), et }, size: sizeOf(y0), simd: false, expr: (_n, x) => x(0) }) });
  }
  const fill = Tensor.from(et, [1], [padValue]).bytes().slice();
  op.results.forEach((r, ri) => {
    const src = outs[ri]!;
    for (const { operand: i, base: b0 } of es.data) {
      const v = op.operand(i), n = sizeOf(v);
      // -1: padding (write the fill); -2: another operand's element (leave it); else the source element.
      const idx = Array.from({ length: src.size }, (_, i) => {
        const s0 = Math.round(Number(src.get(i)));
        return s0 >= b0 && s0 < b0 + n ? s0 - b0 : s0 < 0 && !runtimePad ? -1 : -2;
      });
      if (idx.every((x) => x < 0) && es.data.length > 1) continue;
      const runs = copyRuns(idx);
      const plan = runPlan(runs.length, idx.length);
      if (plan === 'elements') {
        const table = lc.putI32(idx);
        lc.step({ op, kernel: 'gather', format: 'dense', emit: (mod, name, addr) => tableCopy(mod, name, { x: addr(v), y: addr(r), idx: table, size: src.size, bytes, fill }) });
        continue;
      }
      const table = plan === 'table' ? lc.putI32(runs.flatMap((q) => [q.dst, q.src, q.len])) : undefined;
      lc.step({ op, kernel: 'copy_runs', format: 'dense', schedule: { runs: runs.length, unrolled: plan === 'unrolled' ? 1 : 0 }, emit: (mod, name, addr) => runCopy(mod, name, { x: addr(v), y: addr(r), runs, ...(table === undefined ? {} : { table }), bytes, fill }) });
    }
  });
};

/** An element copy table (-1: fill, -2: leave) as maximal runs of consecutive sources and of fill; left elements are skipped. */
export function copyRuns(idx: readonly number[]): CopyRun[] {
  const runs: CopyRun[] = [];
  for (let i = 0; i < idx.length;) {
    const s0 = idx[i]!;
    let j = i + 1;
    if (s0 >= 0) while (j < idx.length && idx[j] === s0 + (j - i)) j++;
    else while (j < idx.length && idx[j] === s0) j++;
    if (s0 !== -2) runs.push({ dst: i, src: s0 >= 0 ? s0 : -1, len: j - i });
    i = j;
  }
  return runs;
}

function lowerRuntimeGather(op: Op, lc: LowerContext): void {
  const c = new OpContext(op, getOpDef(op.name)!);
  const x = op.operand(0), idx = op.operand(1), y = op.result(0);
  const xs = shapeOf(x);
  const a = c.int('axis') < 0 ? c.int('axis') + xs.length : c.int('axis');
  const outer = xs.slice(0, a).reduce((p, q) => p * q, 1), inner = xs.slice(a + 1).reduce((p, q) => p * q, 1);
  const idxEt = wasmType(idx, op);
  lc.step({
    op, kernel: 'gather_runtime', format: 'dense',
    emit: (mod, name, addr) => runtimeGather(mod, name, { x: addr(x), y: addr(y), idx: addr(idx), idxEt, outer, axisLen: xs[a]!, count: sizeOf(idx), innerBytes: inner * elemBytes(x.type.elementType) }),
  });
}

/** Ops whose results depend on shapes only: evaluated at compile time, their results become data. */
const lowerStatic: Lowering = (op, lc) => {
  const def = getOpDef(op.name)!;
  const inputs = op.operands.map((v) => constData(v) ?? Tensor.zeros(v.type.elementType, shapeOf(v)));
  if (op.name === 'nn.constant_of_shape' && !constData(op.operand(0))) throw new WasmCompileError(`wasm target: ${describe(op)}: the shape must be constant`);
  const outs = def.interpret!(new OpContext(op, def), inputs);
  op.results.forEach((r, i) => lc.bindConstant(r, outs[i]!));
};

export const MOVEMENT_LOWERINGS: Record<string, Lowering> = Object.fromEntries(
  MOVEMENT_OPS.map((n) => [n, lowerTable]),
);
for (const n of ['nn.shape', 'nn.size', 'nn.constant_of_shape']) MOVEMENT_LOWERINGS[n] = lowerStatic;
