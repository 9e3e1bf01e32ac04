// Kernels for convolutions: depthwise, 1x1 (the image is the column matrix), im2col for other 2-d
// convolutions with a constant weight (dense, CSR or N:M as ELL), a table-driven im2col for any
// rank or a weight fed at run time, typed kernels for other element types, and ConvTranspose.
import type { Op, Value } from '../../ir/core.js';
import { Tensor } from '../../ir/tensor.js';
import { compress } from '../../ir/sparse-data.js';
import { csr, type Encoding } from '../../ir/encodings.js';
import { constData } from '../../pass/helpers.js';
import { toF64 } from '../../tensor-math/numeric.js';
import { convGeometry, type ConvGeometry } from '../../tensor-math/window.js';
import { allF32, nonzeros, opContext, shapeOf, weightEncoding } from '../linear-facts.js';
import type { TargetCaps } from '../caps.js';
import type { Choice, Format } from '../plan.js';
import type { KernelDef, Packed, Work } from '../table.js';
import { gemmSchedules, gemmWork, packTiles, panelColumns, rereads, tileOf } from './gemm.js';

const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);

export interface ConvFacts {
  readonly x: Value;
  readonly y: Value;
  readonly xs: readonly number[];
  readonly ys: readonly number[];
  readonly kernelShape: readonly number[];
  readonly geo: ConvGeometry;
  /** Batch, input channels, output channels, groups. */
  readonly N: number; readonly C: number; readonly M: number; readonly G: number;
  /** Per group: input and output channels, weight row length (Cg x kernel), output positions. */
  readonly Cg: number; readonly Mg: number; readonly CK: number; readonly P: number; readonly kVol: number;
  readonly weight: Tensor | undefined;
  readonly encoding: Encoding | undefined;
}

export function convFacts(op: Op): ConvFacts {
  const c = opContext(op);
  const x = op.operand(0), wv = op.operand(1), y = op.result(0);
  const xs = shapeOf(x), ys = shapeOf(y);
  const kernelShape = c.hasAttr('kernel_shape') ? c.ints('kernel_shape') : shapeOf(wv).slice(2);
  const G = c.int('group'), C = xs[1]!, M = ys[1]!, kVol = prod(kernelShape);
  return {
    x, y, xs, ys, kernelShape, geo: convGeometry(c, xs, [...kernelShape]), N: xs[0]!, C, M, G,
    Cg: C / G, Mg: M / G, CK: (C / G) * kVol, P: prod(ys.slice(2)), kVol, weight: constData(wv), encoding: weightEncoding(op),
  };
}

const isDepthwise = (f: ConvFacts) => f.G === f.C && f.Mg === 1;
const isPointwise = (f: ConvFacts) => f.kVol === 1 && f.G === 1 && f.geo.strides.every((s) => s === 1) && f.geo.pads.every((p) => p === 0);
/** A 2-d f32 convolution with a constant weight (what the specialised kernels take), or why not. */
const special2d = (op: Op, f: ConvFacts): true | string => (!allF32(op) ? 'not all f32' : f.xs.length !== 4 ? `${f.xs.length - 2}-d` : !f.weight ? 'the weight is computed at run time' : true);

/** The format a convolution's weight runs in (over its [M, Cg x kernel] rows), and why. */
export function convFormat(f: ConvFacts): { format: Format; why: string } {
  const e = f.encoding;
  if (!e) return { format: { kind: 'dense' }, why: 'dense weight' };
  if (isDepthwise(f)) return { format: { kind: 'dense' }, why: `weight stored #${e.kind}, but a depthwise output reads only ${f.kVol} weights: read dense` };
  if (e.kind === 'nm' && e.axis === 1) return { format: { kind: 'nm', n: e.n, m: e.m, axis: 1 }, why: `weight stored #nm ${e.n}:${e.m} along its input channels` };
  const why = e.kind === 'csr' ? 'weight stored #csr' : e.kind === 'bsr' ? 'weight stored #bsr, and no convolution kernel reads blocks (sparsify offers convolutions csr only): read as csr' : `weight stored #nm along axis ${e.axis}, which no N:M kernel reads: read as csr`;
  return { format: { kind: 'csr', indexBits: 32 }, why };
}

/**
 * The weight rows [M, CK] (group g's rows are g*Mg..): dense; CSR (row starts over all rows);
 * N:M as ELL: every row keeps the same count (CK * n / m), values and column indices row by row.
 */
function packRows(f: ConvFacts, format: Format): Packed {
  const w = Float32Array.from(toF64(f.weight!));
  if (format.kind === 'dense') return { arrays: { w } };
  const rows = new Tensor('f32', [f.M, f.CK], w);
  if (format.kind === 'csr') {
    const c = compress(rows, csr(32));
    return { arrays: { rowPtr: c.pos, cols: c.crd, vals: c.val.data as Float32Array } };
  }
  if (format.kind !== 'nm') throw new Error(`internal: no ${format.kind} convolution pack`);
  // compress() walks the stored weight [M, Cg, ...kernel] by (output, group along Cg, kernel position).
  const c = compress(f.weight!.elementType === 'f32' ? f.weight! : new Tensor('f32', f.weight!.shape, w), f.encoding!);
  // Groups run along axis 1 of the stored weight [M, Cg, ...kernel] (the verifier keeps #nm off 2-d conv weights).
  const len = f.weight!.shape[1]!, inner = f.CK / len, width = (f.CK * format.n) / format.m;
  const cols = new Int32Array(f.M * width), vals = new Float32Array(f.M * width);
  const v = c.val.data as Float32Array;
  let slot = 0;
  for (let m = 0; m < f.M; m++) for (let s = 0; s < len; s += format.m) for (let i = 0; i < inner; i++) for (let t = 0; t < format.n; t++, slot++) {
    cols[slot] = (s + c.crd[slot]!) * inner + i;
    vals[slot] = v[slot]!;
  }
  return { arrays: { cols, vals }, sizes: { width } };
}

type Sched = Record<string, number | string | boolean>;

function convKernel(d: {
  name: string; summary: string; ops?: string[];
  applies: (op: Op, f: ConvFacts, caps: TargetCaps) => true | string;
  format?: (f: ConvFacts) => { format: Format; why: string };
  /** Its schedule, or with `schedules` its space of them (the default first). */
  schedule?: (f: ConvFacts, format: Format) => Sched;
  schedules?: (f: ConvFacts, format: Format) => Sched[];
  scratch?: (f: ConvFacts, c: Choice) => number;
  why: (f: ConvFacts) => string;
  pack?: (f: ConvFacts, c: Choice) => Packed;
  work?: (f: ConvFacts, c: Choice) => Work;
}): KernelDef {
  const fmt = d.format ?? ((f: ConvFacts) => ({ format: { kind: 'dense' } as Format, why: f.encoding ? `weight stored #${f.encoding.kind}, read dense` : 'dense weight' }));
  const choice = (op: Op) => {
    const f = convFacts(op), { format, why } = fmt(f);
    return { f, format, why };
  };
  const pack = d.pack;
  const schedules = (f: ConvFacts, format: Format) => (d.schedules ? d.schedules(f, format) : [d.schedule!(f, format)]);
  return {
    name: d.name, summary: d.summary, ops: d.ops ?? ['nn.conv', 'sparse.conv'],
    applies: (op, caps) => d.applies(op, convFacts(op), caps),
    space(op) {
      const { f, format } = choice(op);
      return schedules(f, format).map((schedule) => ({ format, schedule }));
    },
    default(op) {
      const { f, format, why } = choice(op);
      return { format, schedule: schedules(f, format)[0]!, why: `${why}; ${d.why(f)}` };
    },
    shape(op, c) {
      const f = convFacts(op);
      return { dims: { N: f.N, C: f.C, M: f.M, G: f.G, CK: f.CK, P: f.P }, scratchBytes: d.scratch ? d.scratch(f, c) : 0 };
    },
    ...(pack ? { pack: (op: Op, c: Choice) => pack(convFacts(op), c) } : {}),
    ...(d.work ? { work: (op: Op, c: Choice) => d.work!(convFacts(op), c) } : {}),
  };
}

/** Strides the padded-plane depthwise kernel vectorises (4 outputs from one vector, or the even lanes of two). */
const paddedDepthwise = (f: ConvFacts): boolean => f.geo.strides.every((st) => st === 1 || st === 2);

/**
 * The zero-padded plane the depthwise kernel reads: the input at (pad top, pad left), zeros around it,
 * wide enough that every block of four outputs (the last one past OW too) reads inside it.
 */
export function paddedPlane(f: ConvFacts): { rows: number; cols: number } {
  const [, , H, W] = f.xs as number[];
  const [, , OH, OW] = f.ys as number[];
  const [kh, kw] = f.kernelShape as number[];
  const [sh, sw] = f.geo.strides as number[], [dh, dw] = f.geo.dilations as number[], [ph, pw] = f.geo.pads as number[];
  const owPad = Math.ceil(OW! / 4) * 4;
  // a block of four outputs reads 4 (stride 1) or 8 (stride 2, the even lanes kept) columns per tap
  const lastCol = (owPad - 4) * sw! + (sw === 1 ? 3 : 7) + (kw! - 1) * dw!;
  const lastRow = (OH! - 1) * sh! + (kh! - 1) * dh!;
  return { rows: Math.max(H! + ph!, lastRow + 1), cols: Math.max(W! + pw!, lastCol + 1) };
}

/** im2col's counted work: about eight scalar instructions per column element (a 1x1 stride-1 copy: half a vector copy per four). */
const im2colWork = (f: ConvFacts, positions: number): Work => {
  const pointwise = isPointwise(f), elements = f.N * f.G * f.CK * positions;
  return { ops: pointwise ? elements / 2 : 8 * elements, bytes: 8 * elements };
};

/** The row kernels' counted work: per stored value and 16 positions, a splat, the address and four vector multiply-adds; the columns re-read per row. */
function rowsWork(f: ConvFacts, c: Choice, direct: boolean): Work {
  const stored = c.format.kind === 'nm' ? (f.M * f.CK * c.format.n) / c.format.m : nonzeros(f.weight!);
  const blocks = Math.ceil(f.P / 16), cols = 4 * f.CK * f.P;
  const kernel = { ops: f.N * stored * blocks * 15, bytes: f.N * (rereads(8 * stored, blocks) + rereads(cols, f.M)) };
  if (direct) return kernel;
  const im = im2colWork(f, f.P);
  return { ops: kernel.ops + im.ops, bytes: kernel.bytes + im.bytes };
}

/** The panel GEMM per image and group, plus im2col into panels. */
function gemmConvWork(f: ConvFacts, c: Choice): Work {
  const t = tileOf(c), g = gemmWork(f.Mg, f.CK, f.P, t), im = im2colWork(f, panelColumns(f.P, t.nr));
  return { ops: f.N * f.G * g.ops + im.ops, bytes: f.N * f.G * g.bytes + im.bytes };
}

/** The row kernels serve sparse weights; a dense weight runs as the panel GEMM. */
const sparseRows = (f: ConvFacts): true | string => (convFormat(f).format.kind === 'dense' ? 'the weight runs dense: conv_gemm' : true);

/** Each group's weight rows [Mg, CK] as register tiles of mr rows (zero rows past Mg), groups one after another. */
function packWeightTiles(f: ConvFacts, c: Choice): Packed {
  const w = toF64(f.weight!), { mr } = tileOf(c), mp = Math.ceil(f.Mg / mr) * mr;
  const out = new Float32Array(f.G * mp * f.CK);
  for (let g = 0; g < f.G; g++) out.set(packTiles(w.subarray(g * f.Mg * f.CK, (g + 1) * f.Mg * f.CK), f.Mg, f.CK, mr), g * mp * f.CK);
  return { arrays: { w: out }, sizes: { groupStride: mp * f.CK } };
}

/** The row kernels' schedule (they take sparse weights only: one output channel per pass over its stored values). */
const rowsSchedule = () => ({ lanes: 'f32x4 over positions', channelBlock: 1 });

export const CONV_KERNELS: readonly KernelDef[] = [
  convKernel({
    name: 'depthwise_conv', summary: 'Depthwise 2-d convolution: one input plane per output plane; each plane copied into a zero-padded one so every window is read by vectors without bounds checks (strides 1 and 2), or windows walked directly.',
    applies: (op, f) => { const s = special2d(op, f); return s !== true ? s : isDepthwise(f) ? true : 'not depthwise'; },
    format: convFormat,
    schedules: (f) => [...(paddedDepthwise(f) ? [{ loops: 'padded plane, oh, ow (4 at a time), kh, kw' }] : []), { loops: 'plane, oh, ow, kh, kw' }],
    scratch: (f, c) => (String(c.schedule['loops']).startsWith('padded') ? 4 * paddedPlane(f).rows * paddedPlane(f).cols : 0),
    why: () => 'one channel per group: the depthwise kernel', pack: (f) => packRows(f, { kind: 'dense' }),
  }),
  convKernel({
    name: 'conv1x1', summary: 'Pointwise convolution: the weight rows times the image itself (its column matrix).',
    applies: (op, f) => { const s = special2d(op, f); return s !== true ? s : !isPointwise(f) ? 'not 1x1 with stride 1, no pads, one group' : sparseRows(f); },
    format: convFormat, schedule: rowsSchedule, why: () => '1x1, stride 1, no pads: the image is the column matrix', pack: (f, c) => packRows(f, c.format), work: (f, c) => rowsWork(f, c, true),
  }),
  convKernel({
    name: 'conv_im2col', summary: '2-d convolution: im2col of each group into scratch, then the weight rows (dense, CSR or N:M) times the columns.',
    applies: (op, f) => { const s = special2d(op, f); return s !== true ? s : sparseRows(f); }, format: convFormat, schedule: rowsSchedule, scratch: (f) => 4 * f.CK * f.P,
    why: () => '2-d with a constant weight: im2col and the sparse weight-times-columns kernel', pack: (f, c) => packRows(f, c.format), work: (f, c) => rowsWork(f, c, false),
  }),
  convKernel({
    name: 'conv_gemm', summary: '2-d convolution as a packed-panel GEMM: the weight rows in register tiles times the image\'s columns packed into panels (im2col per group), the weight read dense.',
    applies: (op, f) => { const s = special2d(op, f); return s !== true ? s : isDepthwise(f) ? 'depthwise' : true; },
    schedules: (f) => gemmSchedules(f.Mg, f.CK, f.P), scratch: (f, c) => 4 * f.CK * panelColumns(f.P, tileOf(c).nr),
    why: () => 'the panel GEMM (weight tiles times column panels)', pack: packWeightTiles, work: gemmConvWork,
  }),
  convKernel({
    name: 'conv_table_im2col', summary: 'Convolution of any rank or with a run-time weight: im2col through an index table, dense weight times columns.',
    applies: (op) => (allF32(op) ? true : 'not all f32'), schedule: () => ({ lanes: 'f32x4 over positions', channelBlock: 4 }), scratch: (f) => 4 * f.C * f.kVol * f.P,
    why: (f) => (f.xs.length !== 4 ? `${f.xs.length - 2}-d: the table-driven im2col` : 'the weight is computed at run time: the table-driven im2col'),
  }),
  convKernel({
    name: 'conv_typed', summary: 'Convolution in any element type: f64 sums over the operands as stored.',
    applies: (_op, _f, caps) => (caps.f64 ? true : 'sums in f64, which the target lacks'), schedule: () => ({ compute: 'f64', loops: 'n, channel, position, k (four at a time)' }), why: () => 'not all f32: the typed kernel',
  }),
  convKernel({
    name: 'conv_transpose', summary: 'ConvTranspose: each input scattered through the kernel into the output.', ops: ['nn.conv_transpose'],
    applies: (op) => (allF32(op) ? true : 'not all f32'), schedule: () => ({ loops: 'n, c, position, mo, kernel' }), why: () => 'the scatter kernel',
  }),
  convKernel({
    name: 'conv_transpose_typed', summary: 'ConvTranspose in any element type: f64 sums in scratch, converted at the end.', ops: ['nn.conv_transpose'],
    applies: (_op, _f, caps) => (caps.f64 ? true : 'sums in f64, which the target lacks'), schedule: () => ({ compute: 'f64', loops: 'n, channel, input channel, kernel, position' }), scratch: (f) => 8 * f.M * f.P, why: () => 'not all f32: the typed kernel',
  }),
];
