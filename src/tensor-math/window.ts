// Window geometry of convolutions and pooling: strides, dilations and pads from an op's attributes
// (auto_pad resolved against the input sizes), ConvTranspose's output sizes, and the cells of every
// pooling window. Shared by the interpreter and the targets.
import type { OpContext } from '../ir/opdef.js';
import { sizeOf, stridesOf } from './numeric.js';

export interface ConvGeometry {
  spatial: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Begin pads, then end pads. */
  pads: number[];
}

function attrOr(c: OpContext, name: string, n: number, fill: number): number[] {
  return c.hasAttr(name) ? c.ints(name) : new Array<number>(n).fill(fill);
}

/** Window attributes with auto_pad resolved against the concrete input sizes (conv and pooling). */
export function convGeometry(c: OpContext, inShape: readonly number[], kernel: number[]): ConvGeometry {
  const spatial = inShape.length - 2;
  const strides = attrOr(c, 'strides', spatial, 1);
  const dilations = attrOr(c, 'dilations', spatial, 1);
  let pads = attrOr(c, 'pads', 2 * spatial, 0);
  const autoPad = c.hasAttr('auto_pad') ? c.string('auto_pad') : 'NOTSET';
  if (autoPad === 'VALID') pads = new Array<number>(2 * spatial).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * spatial).fill(0);
    for (let i = 0; i < spatial; i++) {
      const inp = inShape[i + 2]!;
      const out = Math.ceil(inp / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - inp);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + spatial] = total - pads[i]!;
    }
  }
  return { spatial, kernel, strides, dilations, pads };
}

/** ConvTranspose's strides, dilations, begin/end pads and output spatial sizes (output_shape, output_padding and auto_pad resolved). */
export function convTransposeGeometry(c: OpContext, xShape: readonly number[]): { strides: number[]; dilations: number[]; pads: number[]; outSpatial: number[] } {
  const sp = xShape.length - 2;
  const kernel = c.ints('kernel_shape');
  const strides = attrOr(c, 'strides', sp, 1), dil = attrOr(c, 'dilations', sp, 1);
  const outPad = attrOr(c, 'output_padding', sp, 0);
  let pads = attrOr(c, 'pads', 2 * sp, 0);
  const autoPad = c.hasAttr('auto_pad') ? c.string('auto_pad') : 'NOTSET';
  const inSp = xShape.slice(2);
  const full = inSp.map((n, i) => strides[i]! * (n - 1) + outPad[i]! + (kernel[i]! - 1) * dil[i]! + 1);
  let outSp: number[];
  if (c.hasAttr('output_shape') || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const os = c.hasAttr('output_shape') ? c.ints('output_shape').slice(-sp) : inSp.map((n, i) => n * strides[i]!);
    pads = new Array<number>(2 * sp).fill(0);
    os.forEach((o, i) => {
      const total = Math.max(0, full[i]! - o);
      const half = Math.floor(total / 2);
      // SAME_UPPER puts the extra pad at the end (ONNX >= 11 reference); SAME_LOWER at the beginning.
      pads[i] = autoPad === 'SAME_LOWER' ? total - half : half;
      pads[i + sp] = total - pads[i]!;
    });
    outSp = os;
  } else {
    if (autoPad === 'VALID') pads = new Array<number>(2 * sp).fill(0);
    outSp = full.map((f, i) => f - pads[i]! - pads[i + sp]!);
  }
  return { strides, dilations: dil, pads, outSpatial: outSp };
}

/** Output size of a pooling window along one dim (ceil_mode drops windows that start in the end pad). */
export function poolOut(inp: number, k: number, s: number, d: number, pb: number, pe: number, ceil: boolean): number {
  const span = inp + pb + pe - ((k - 1) * d + 1);
  if (span < 0) return 0;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= inp + pb) out--;
  return out;
}

/** Visits every window of an N-d pooling op: f(outIndex, inputOffsets (valid positions), windowSize incl. pad). */
export function visitPoolWindows(xShape: readonly number[], g: ConvGeometry, ceil: boolean, visit: (plane: number, o: number, cells: number[], padCount: number) => void): number[] {
  const sp = g.spatial;
  const inSp = xShape.slice(2);
  const outSp = inSp.map((n, i) => poolOut(n, g.kernel[i]!, g.strides[i]!, g.dilations[i]!, g.pads[i]!, g.pads[i + sp]!, ceil));
  const planes = xShape[0]! * xShape[1]!;
  const inStr = stridesOf(inSp);
  const outN = sizeOf(outSp);
  const kN = sizeOf(g.kernel);
  const kStr = stridesOf(g.kernel), oStr = stridesOf(outSp);
  for (let p = 0; p < planes; p++) {
    for (let o = 0; o < outN; o++) {
      const cells: number[] = [];
      let padCount = 0;
      for (let kk = 0; kk < kN; kk++) {
        let off = 0, inside = true, inPadded = true;
        for (let i = 0; i < sp; i++) {
          const oi = Math.floor(o / oStr[i]!) % outSp[i]!;
          const ki = Math.floor(kk / kStr[i]!) % g.kernel[i]!;
          const pos = oi * g.strides[i]! - g.pads[i]! + ki * g.dilations[i]!;
          if (pos < 0 || pos >= inSp[i]!) inside = false;
          if (pos >= inSp[i]! + g.pads[i + sp]!) inPadded = false; // past the end pad (ceil mode)
          off += pos * inStr[i]!;
        }
        if (inside) cells.push(off);
        else if (inPadded) padCount++;
      }
      visit(p, o, cells, cells.length + padCount);
    }
  }
  return outSp;
}
