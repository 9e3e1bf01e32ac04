// Reductions, softmax, normalisations and pooling.
import type { Op } from '../../../src/ir/core.js';
import { OpContext } from '../../../src/ir/opdef.js';
import { getOpDef } from '../../../src/dialects/index.js';
import { convGeometry } from '../../../src/tensor-math/window.js';
import { axis as normAxis, sizeOf as prod } from '../../../src/tensor-math/numeric.js';
import { poolOut, visitPoolWindows } from '../../../src/tensor-math/window.js';
import { reductionShape } from '../../../src/lower/reduce-facts.js';
import { directPool, windowPool } from '../kernels/pool.js';
import { lrnKernel, normKernel, reduceKernel, softmaxKernel, type ReduceKind } from '../kernels/reduce.js';
import { describe, shapeOf, sizeOf, wasmType, WasmCompileError, type LowerContext, type Lowering } from './context.js';


function lowerReduce(kind: ReduceKind): Lowering {
  return (op, lc) => {
    const x = op.operand(0), y = op.result(0);
    const rs = reductionShape(op);
    if (typeof rs === 'string') throw new WasmCompileError(`wasm target: ${describe(op)}: ${rs}`);
    const et = wasmType(x, op), outEt = wasmType(y, op);
    const { outer, len, inner } = rs;
    // a no-op reduction is a copy
    lc.step({ op, kernel: rs.axes.length ? `reduce_${kind}` : 'copy', format: 'dense', emit: (mod, name, addr) => reduceKernel(mod, name, { kind: rs.axes.length ? kind : 'sum', x: addr(x), et, y: addr(y), outEt, outer, len, inner }) });
  };
}

function f32Only(op: Op): void {
  for (const v of [...op.operands, ...op.results]) if (v.type.elementType !== 'f32') throw new WasmCompileError(`wasm target: ${describe(op)} supports f32 only, got ${v.type.elementType}`);
}

function lowerSoftmax(log: boolean): Lowering {
  return (op, lc) => {
    f32Only(op);
    const c = new OpContext(op, getOpDef(op.name)!);
    const x = op.operand(0), y = op.result(0);
    const xs = shapeOf(x);
    const a = normAxis(c.int('axis'), xs.length);
    const outer = prod(xs.slice(0, a)), len = xs[a] ?? 1, inner = prod(xs.slice(a + 1));
    lc.step({ op, kernel: log ? 'log_softmax' : 'softmax', format: 'dense', emit: (mod, name, addr) => softmaxKernel(mod, name, { x: addr(x), y: addr(y), outer, len, inner, log }) });
  };
}

const lowerLayerNorm: Lowering = (op, lc) => {
  f32Only(op);
  const c = new OpContext(op, getOpDef(op.name)!);
  const x = op.operand(0), scale = op.operand(1), bias = op.operands[2];
  const xs = shapeOf(x);
  const a = normAxis(c.int('axis'), xs.length);
  const len = prod(xs.slice(a)), rows = prod(xs.slice(0, a));
  if (bias && sizeOf(bias) !== sizeOf(scale)) throw new WasmCompileError(`wasm target: ${describe(op)}: scale and bias of different sizes are not supported`);
  const [mean, inv] = [op.results[1], op.results[2]];
  lc.step({
    op, kernel: 'layer_norm', format: 'dense',
    emit: (mod, name, addr) => normKernel(mod, name, {
      x: addr(x), y: addr(op.result(0)), rows, len, eps: c.float('epsilon'), scale: addr(scale), ...(bias ? { bias: addr(bias) } : {}),
      by: 'position', size: sizeOf(scale), ...(mean ? { mean: addr(mean) } : {}), ...(inv ? { invStd: addr(inv) } : {}),
    }),
  });
};

const lowerInstanceNorm: Lowering = (op, lc) => {
  f32Only(op);
  const c = new OpContext(op, getOpDef(op.name)!);
  const x = op.operand(0);
  const xs = shapeOf(x);
  lc.step({
    op, kernel: 'instance_norm', format: 'dense',
    emit: (mod, name, addr) => normKernel(mod, name, { x: addr(x), y: addr(op.result(0)), rows: xs[0]! * xs[1]!, len: prod(xs.slice(2)), eps: c.float('epsilon'), scale: addr(op.operand(1)), bias: addr(op.operand(2)), by: 'row', size: xs[1]! }),
  });
};

const lowerLrn: Lowering = (op, lc) => {
  f32Only(op);
  const c = new OpContext(op, getOpDef(op.name)!);
  const x = op.operand(0);
  const xs = shapeOf(x);
  lc.step({
    op, kernel: 'lrn', format: 'dense',
    emit: (mod, name, addr) => lrnKernel(mod, name, { x: addr(x), y: addr(op.result(0)), N: xs[0]!, C: xs[1]!, inner: prod(xs.slice(2)), alpha: c.float('alpha'), beta: c.float('beta'), bias: c.float('bias'), size: c.int('size') }),
  });
};

/**
 * Pooling: windows walked by arithmetic (global pools as one window over the plane); MaxPool with its
 * indices output, and more than 3 spatial dims, through window tables (input element numbers per
 * output, -1 for padding).
 */
const lowerPool: Lowering = (op, lc) => {
  const c = new OpContext(op, getOpDef(op.name)!);
  const x = op.operand(0), y = op.result(0);
  const xs = shapeOf(x);
  const global = op.name.startsWith('nn.global');
  const kind = op.name.includes('max') ? 'max' : 'avg';
  const countPad = op.name === 'nn.average_pool' && c.int('count_include_pad') === 1;
  const spatial = xs.length - 2;
  if (op.results.length === 1 && spatial >= 1 && spatial <= 3) {
    const geom = global ? undefined : convGeometry(c, xs, c.ints('kernel_shape'));
    const ceil = !global && c.int('ceil_mode') === 1;
    const lead = (v: readonly number[], fill: number) => [...new Array<number>(3 - v.length).fill(fill), ...v];
    const inSp = xs.slice(2);
    const kernel = geom ? geom.kernel : inSp;
    const strides = geom ? geom.strides : inSp.map(() => 1), dilations = geom ? geom.dilations : inSp.map(() => 1);
    const pads = geom ? geom.pads : new Array<number>(2 * spatial).fill(0);
    const outSp = inSp.map((n, i) => poolOut(n, kernel[i]!, strides[i]!, dilations[i]!, pads[i]!, pads[i + spatial]!, ceil));
    const p = {
      kind, et: wasmType(x, op), planes: xs[0]! * xs[1]!, countPad,
      inSp: lead(inSp, 1), outSp: lead(outSp, 1), kernel: lead(kernel, 1), strides: lead(strides, 1), dilations: lead(dilations, 1),
      padBegin: lead(pads.slice(0, spatial), 0), padEnd: lead(pads.slice(spatial), 0),
    } as const;
    lc.step({ op, kernel: `${kind}_pool`, format: 'dense', schedule: { window: prod(kernel), walk: 'direct' }, emit: (mod, name, addr) => directPool(mod, name, { ...p, x: addr(x), y: addr(y) }) });
    return;
  }
  const inPlane = prod(xs.slice(2)), inSp = xs.slice(2);
  const entries: number[][] = [];
  if (global) {
    for (let pl = 0; pl < xs[0]! * xs[1]!; pl++) entries.push(Array.from({ length: inPlane }, (_, k) => pl * inPlane + k));
  } else {
    const geom = convGeometry(c, xs, c.ints('kernel_shape'));
    visitPoolWindows(xs, geom, c.int('ceil_mode') === 1, (pl, _o, cells, withPad) => {
      entries.push([...cells.map((off) => pl * inPlane + off), ...new Array<number>(withPad - cells.length).fill(-1)]);
    });
  }
  const win = entries.reduce((a, e) => Math.max(a, e.length), 0);
  const flat = entries.flatMap((e) => [...e, ...new Array<number>(win - e.length).fill(-2)]);
  const table = lc.putI32(flat);
  let ids: number | undefined;
  const idxOut = op.results[1];
  if (idxOut) {
    // MaxPool's indices: flat over the tensor, spatial part row-major or (storage_order 1) column-major
    const colMajor = c.int('storage_order') === 1;
    ids = lc.putI32(flat.map((e) => {
      if (e < 0 || !colMajor) return e;
      const pl = Math.floor(e / inPlane);
      let at = e % inPlane, f = 0, mul = 1;
      const pos: number[] = [];
      for (let d = inSp.length - 1; d >= 0; d--) { pos[d] = at % inSp[d]!; at = Math.floor(at / inSp[d]!); }
      for (let d = 0; d < inSp.length; d++) { f += pos[d]! * mul; mul *= inSp[d]!; }
      return pl * inPlane + f;
    }));
  }
  const et = wasmType(x, op);
  lc.step({
    op, kernel: `${kind}_pool`, format: 'dense', schedule: { window: win },
    emit: (mod, name, addr) => windowPool(mod, name, { kind, x: addr(x), y: addr(y), et, table, outs: entries.length, win, countPad, ...(idxOut && ids !== undefined ? { indices: { y: addr(idxOut), ids } } : {}) }),
  });
};

export const REDUCE_LOWERINGS: Record<string, Lowering> = {
  'nn.reduce_mean': lowerReduce('mean'), 'nn.reduce_sum': lowerReduce('sum'), 'nn.reduce_max': lowerReduce('max'), 'nn.reduce_min': lowerReduce('min'),
  'nn.softmax': lowerSoftmax(false), 'nn.log_softmax': lowerSoftmax(true),
  'nn.layer_normalization': lowerLayerNorm, 'nn.instance_normalization': lowerInstanceNorm, 'nn.lrn': lowerLrn,
  'nn.max_pool': lowerPool, 'nn.average_pool': lowerPool, 'nn.global_average_pool': lowerPool, 'nn.global_max_pool': lowerPool,
};

export type { LowerContext };
