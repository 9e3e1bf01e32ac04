// The wasm renders of the convolution kernels (src/lower/kernels/conv.ts): depthwise, 1x1 and im2col
// with the weight rows the kernel table packed (dense, CSR or N:M as ELL), the table-driven im2col,
// the typed kernels and ConvTranspose. Index tables (im2col, scatter) are this target's own.
import type { Op, Value } from '../../../src/ir/core.js';
import type { PlannedCall } from '../../../src/lower/plan.js';
import { convFacts, paddedPlane, type ConvFacts } from '../../../src/lower/kernels/conv.js';
import { opContext } from '../../../src/lower/linear-facts.js';
import { sizeOf as prod } from '../../../src/tensor-math/numeric.js';
import { convTransposeGeometry } from '../../../src/tensor-math/window.js';
import { none } from '../emit.js';
import { convTransposeScatter, depthwiseConv, depthwisePadded, im2col, weightTimesCols, type ConvGeometry2d, type WeightCols } from '../kernels/conv.js';
import { tableCopy } from '../kernels/movement.js';
import { im2colPanels, panelGemm } from '../kernels/gemm.js';
import { tileOf } from '../../../src/lower/kernels/gemm.js';
import { typedConv, typedConvTranspose } from '../kernels/typed.js';
import { describe, shapeOf, WasmCompileError } from './context.js';
import { epilogue, epilogueExpr, postActivation } from './epilogue.js';
import { packFor, stepOf, typedRef, type Render } from './matmul.js';

const biasOf = (op: Op) => (op.operands.length > 2 ? op.operand(2) : undefined);
const biasAddr = (op: Op, addr: (v: Value) => number) => {
  const b = biasOf(op);
  return b ? { bias: addr(b) } : {};
};

function geometry2d(f: ConvFacts): ConvGeometry2d {
  const [, , H, W] = f.xs as [number, number, number, number];
  const [, , OH, OW] = f.ys as [number, number, number, number];
  const [kh, kw] = f.kernelShape as [number, number];
  return { C: f.C, H, W, kh, kw, sh: f.geo.strides[0]!, sw: f.geo.strides[1]!, dh: f.geo.dilations[0]!, dw: f.geo.dilations[1]!, ph: f.geo.pads[0]!, pw: f.geo.pads[1]!, OH, OW };
}

/** Fused relu / clip, or none when another map follows. */
const fusedAct = (op: Op) => {
  const ep = epilogue(op, opContext(op));
  return { ep, act: ep.post ? { kind: 'none' as const } : ep.act };
};

const depthwise: Render = (pc, lc) => {
  const op = pc.op, f = convFacts(op), { ep, act } = fusedAct(op);
  const { at } = packFor(pc, lc);
  const padded = String(pc.call.schedule['loops']).startsWith('padded');
  lc.step(stepOf(pc, {
    packed: [op.operand(1)],
    emit: (mod, name, addr, scratch) => {
      const p = { x: addr(f.x), w: at['w']!, ...biasAddr(op, addr), y: addr(f.y), N: f.N, act, ...geometry2d(f) };
      if (padded) depthwisePadded(mod, name, { ...p, pad: scratch, ...paddedPlane(f) });
      else depthwiseConv(mod, name, p);
    },
  }));
  postActivation(op, lc, f.y, ep, true);
};

/** The weight rows of group gi, in the packed format. */
function groupRows(pc: PlannedCall, at: Record<string, number>, width: number | undefined, f: ConvFacts, gi: number): Pick<WeightCols, 'dense' | 'csr' | 'ell'> {
  const k = pc.call.format.kind, rows = gi * f.Mg;
  if (k === 'dense') return { dense: at['w']! + 4 * rows * f.CK };
  if (k === 'csr') return { csr: { rowPtr: at['rowPtr']! + 4 * rows, cols: at['cols']!, vals: at['vals']! } };
  return { ell: { width: width!, cols: at['cols']! + 4 * rows * width!, vals: at['vals']! + 4 * rows * width! } };
}

/**
 * 2-d convolution with a constant weight: per image and group, im2col into scratch (1x1 stride-1
 * convolutions read the image directly: it is the column matrix), then the weight rows times the columns.
 */
const weightRows: Render = (pc, lc) => {
  const op = pc.op, f = convFacts(op), { ep, act } = fusedAct(op), g2 = geometry2d(f);
  const direct = pc.call.kernel === 'conv1x1';
  const { at, packed } = packFor(pc, lc);
  const width = packed.sizes?.['width'];
  lc.step(stepOf(pc, {
    packed: [op.operand(1)],
    emit: (mod, name, addr, scratch) => {
      const out: number[] = [];
      const image = (n: number) => n * f.C * g2.H * g2.W * 4;
      for (let gi = 0; gi < f.G; gi++) {
        const colName = `${name}_col${gi}`, mmName = `${name}_mm${gi}`;
        if (!direct) im2col(mod, colName, { x: addr(f.x), col: scratch, cStart: gi * f.Cg, cCount: f.Cg, ...g2 });
        for (let n = 0; n < f.N; n++) {
          weightTimesCols(mod, `${mmName}_${n}`, { ...groupRows(pc, at, width, f, gi), col: direct ? addr(f.x) + image(n) : scratch, y: addr(f.y), ...biasAddr(op, addr), M: f.Mg, CK: f.CK, P: f.P, mStart: gi * f.Mg, act });
          if (!direct) out.push(mod.call(colName, [mod.i32.const(image(n))], none));
          out.push(mod.call(`${mmName}_${n}`, [mod.i32.const(n * f.M * f.P * 4)], none));
        }
      }
      return out;
    },
  }));
  postActivation(op, lc, f.y, ep, true);
};

/**
 * 2-d convolution with a constant weight as the panel GEMM: per image and group, the columns packed
 * into panels in scratch, then the group's weight tiles times the panels into the output rows.
 */
const convGemm: Render = (pc, lc) => {
  const op = pc.op, f = convFacts(op), { ep, act } = fusedAct(op), g2 = geometry2d(f), t = tileOf(pc.call);
  const { at, packed } = packFor(pc, lc);
  const groupStride = packed.sizes!['groupStride']!;
  lc.step(stepOf(pc, {
    packed: [op.operand(1)],
    emit: (mod, name, addr, scratch) => {
      const out: number[] = [];
      const bias = biasOf(op) ? addr(biasOf(op)!) : undefined;
      for (let gi = 0; gi < f.G; gi++) {
        const colName = `${name}_col${gi}`, mmName = `${name}_mm${gi}`;
        im2colPanels(mod, colName, { x: addr(f.x), panels: scratch, cStart: gi * f.Cg, cCount: f.Cg, nr: t.nr, ...g2 });
        panelGemm(mod, mmName, {
          a: at['w']! + 4 * gi * groupStride, aRow: f.CK, aR: 1, aK: t.mr, b: scratch, y: addr(f.y) + 4 * gi * f.Mg * f.P, yRow: f.P,
          M: f.Mg, K: f.CK, N: f.P, ...t, ...(bias !== undefined ? { biasRow: bias + 4 * gi * f.Mg } : {}), act,
        });
        for (let n = 0; n < f.N; n++) {
          out.push(mod.call(colName, [mod.i32.const(n * f.C * g2.H * g2.W * 4)], none));
          out.push(mod.call(mmName, [mod.i32.const(0), mod.i32.const(0), mod.i32.const(n * f.M * f.P * 4)], none));
        }
      }
      return out;
    },
  }));
  postActivation(op, lc, f.y, ep, true);
};

/** Any rank, weight at run time or not: im2col through a table (all channels), then per group the weight [Mg, CK] times its columns. */
const tableIm2col: Render = (pc, lc) => {
  const op = pc.op, f = convFacts(op), { ep, act } = fusedAct(op), wv = op.operand(1);
  const inPlane = prod(f.xs.slice(2));
  const tbl = lc.putI32(im2colTable(op, f.xs, f.ys, f.kernelShape, f.geo));
  const fill = new Uint8Array(4);
  lc.step(stepOf(pc, {
    emit: (mod, name, addr, scratch) => {
      const out: number[] = [];
      for (let n = 0; n < f.N; n++) {
        tableCopy(mod, `${name}_col${n}`, { x: addr(f.x) + n * f.C * inPlane * 4, y: scratch, idx: tbl, size: f.C * f.kVol * f.P, bytes: 4, fill });
        out.push(mod.call(`${name}_col${n}`, [], none));
        for (let gi = 0; gi < f.G; gi++) {
          const mm = `${name}_mm${n}_${gi}`;
          weightTimesCols(mod, mm, { dense: addr(wv) + gi * f.Mg * f.CK * 4, col: scratch + gi * f.CK * f.P * 4, y: addr(f.y), ...biasAddr(op, addr), M: f.Mg, CK: f.CK, P: f.P, mStart: gi * f.Mg, act });
          out.push(mod.call(mm, [mod.i32.const(n * f.M * f.P * 4)], none));
        }
      }
      return out;
    },
  }));
  postActivation(op, lc, f.y, ep, true);
};

/** Other element types: the typed kernel over the operands as stored (a constant weight's raw bytes). */
const typedConvRender: Render = (pc, lc) => {
  const op = pc.op, f = convFacts(op), ep = epilogue(op, opContext(op)), bias = biasOf(op);
  const tbl = lc.putI32(im2colTable(op, f.xs, f.ys, f.kernelShape, f.geo));
  const act = epilogueExpr(ep);
  lc.step(stepOf(pc, {
    emit: (mod, name, addr) => typedConv(mod, name, {
      x: typedRef(op, f.x, addr), w: typedRef(op, op.operand(1), addr), ...(bias ? { bias: typedRef(op, bias, addr) } : {}), y: typedRef(op, f.y, addr),
      N: f.N, C: f.C, G: f.G, Mg: f.Mg, kVol: f.kVol, P: f.P, inPlane: prod(f.xs.slice(2)), table: tbl, act,
    }),
  }));
};

/** For each (channel, kernel element) row and output position, the input element it reads (channel * plane + position), or -1 in the padding. */
function im2colTable(op: Op, xs: readonly number[], ys: readonly number[], kernelShape: readonly number[], geo: { strides: number[]; pads: number[]; dilations: number[] }): Int32Array {
  const C = xs[1]!, inSp = xs.slice(2), outSp = ys.slice(2), inPlane = prod(inSp), kVol = prod(kernelShape), P = prod(outSp);
  if (C * kVol * P >= 1 << 24) throw new WasmCompileError(`wasm target: ${describe(op)}: the im2col table would be too large`);
  const table = new Int32Array(C * kVol * P);
  const kpos = new Array<number>(kernelShape.length), opos = new Array<number>(outSp.length);
  for (let ch = 0; ch < C; ch++) for (let kk = 0; kk < kVol; kk++) {
    let r = kk;
    for (let d = kernelShape.length - 1; d >= 0; d--) { kpos[d] = r % kernelShape[d]!; r = Math.floor(r / kernelShape[d]!); }
    for (let pp = 0; pp < P; pp++) {
      let q = pp;
      for (let d = outSp.length - 1; d >= 0; d--) { opos[d] = q % outSp[d]!; q = Math.floor(q / outSp[d]!); }
      let idx = 0, inside = true;
      for (let d = 0; d < inSp.length; d++) {
        const i = opos[d]! * geo.strides[d]! - geo.pads[d]! + kpos[d]! * geo.dilations[d]!;
        if (i < 0 || i >= inSp[d]!) { inside = false; break; }
        idx = idx * inSp[d]! + i;
      }
      table[(ch * kVol + kk) * P + pp] = inside ? ch * inPlane + idx : -1;
    }
  }
  return table;
}

const convTranspose: Render = (pc, lc) => {
  const op = pc.op, c = opContext(op);
  const x = op.operand(0), w = op.operand(1), y = op.result(0);
  const xs = shapeOf(x), ys = shapeOf(y), ws = shapeOf(w);
  const G = c.int('group');
  const geo = convTransposeGeometry(c, xs);
  const kernel = c.hasAttr('kernel_shape') ? c.ints('kernel_shape') : ws.slice(2);
  const inSp = xs.slice(2), outSp = ys.slice(2);
  const Pin = prod(inSp), Pout = prod(outSp), kVol = prod(kernel);
  const table = new Int32Array(Pin * kVol);
  for (let p = 0; p < Pin; p++) for (let kk = 0; kk < kVol; kk++) {
    let q = p, r = kk, idx = 0, mul = 1, inside = true;
    for (let d = inSp.length - 1; d >= 0; d--) {
      const ip = q % inSp[d]!, kp = r % kernel[d]!;
      q = Math.floor(q / inSp[d]!); r = Math.floor(r / kernel[d]!);
      const o = ip * geo.strides[d]! - geo.pads[d]! + kp * geo.dilations[d]!;
      if (o < 0 || o >= outSp[d]!) inside = false;
      idx += o * mul; mul *= outSp[d]!;
    }
    table[p * kVol + kk] = inside ? idx : -1;
  }
  const tbl = lc.putI32(table);
  const ep = epilogue(op, c);
  const bias = op.operands.length > 2 ? op.operand(2) : undefined;
  if (pc.call.kernel === 'conv_transpose_typed') {
    // Other element types: f64 sums in scratch, in the interpreter's order, then converted.
    const act = epilogueExpr(ep);
    lc.step(stepOf(pc, {
      emit: (mod, name, addr, scratch) => typedConvTranspose(mod, name, {
        x: typedRef(op, x, addr), w: typedRef(op, w, addr), ...(bias ? { bias: typedRef(op, bias, addr) } : {}), y: typedRef(op, y, addr),
        N: xs[0]!, C: xs[1]!, G, Mg: ws[1]!, Pin, Pout, kVol, table: tbl, acc: scratch, act,
      }),
    }));
    return;
  }
  lc.step(stepOf(pc, {
    emit: (mod, name, addr) => convTransposeScatter(mod, name, { x: addr(x), w: addr(w), ...(bias ? { bias: addr(bias) } : {}), y: addr(y), N: xs[0]!, C: xs[1]!, G, Mg: ws[1]!, Pin, Pout, kVol, table: tbl }),
  }));
  postActivation(op, lc, y, ep, false);
};


export const CONV_RENDERS: Record<string, Render> = {
  depthwise_conv: depthwise, conv1x1: weightRows, conv_im2col: weightRows, conv_gemm: convGemm, conv_table_im2col: tableIm2col, conv_typed: typedConvRender,
  conv_transpose: convTranspose, conv_transpose_typed: convTranspose,
};
