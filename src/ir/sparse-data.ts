// What a tensor's data must satisfy for its sparse encoding, and the compressed storage of each
// encoding (CSR, BSR, N:M) with its inverse. Backends read the compressed form; tests check
// that decompress(compress(t)) gives t back.
import type { Encoding } from './encodings.js';
import { Tensor } from './tensor.js';

/** Why the data of `t` does not satisfy `e`, or undefined. Only N:M constrains values. */
export function encodingViolation(t: Tensor, e: Encoding): string | undefined {
  if (e.kind !== 'nm') return undefined;
  const { outer, len, inner } = axisSplit(t.shape, e.axis);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let g = 0; g < len; g += e.m) {
        let nz = 0;
        for (let k = g; k < g + e.m; k++) if (!isZero(t, (o * len + k) * inner + i)) nz++;
        if (nz > e.n) return `group at index ${g} along axis ${e.axis} (outer ${o}, inner ${i}) has ${nz} nonzeros, more than n = ${e.n} of m = ${e.m}`;
      }
    }
  }
  return undefined;
}

function isZero(t: Tensor, i: number): boolean {
  const v = t.data[i] as number | bigint;
  return t.elementType === 'f16' ? ((v as number) & 0x7fff) === 0 : v === 0 || v === 0n;
}

function axisSplit(shape: readonly number[], axis: number): { outer: number; len: number; inner: number } {
  const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);
  return { outer: prod(shape.slice(0, axis)), len: shape[axis] ?? 1, inner: prod(shape.slice(axis + 1)) };
}

/** Compressed arrays of a sparse tensor, named as in MLIR: positions, coordinates, values. */
export interface Compressed {
  readonly encoding: Encoding;
  readonly shape: readonly number[];
  /** CSR/BSR: row (block-row) start offsets into crd, per matrix of the batch; N:M: unused (empty). */
  readonly pos: Int32Array;
  /** CSR: column index per nonzero; BSR: block-column per block; N:M: index within its group per kept value. */
  readonly crd: Int32Array;
  /** CSR: nonzero values; BSR: blocks, row-major; N:M: n values per group (zeros where a group has fewer). */
  readonly val: Tensor;
}

export function compress(t: Tensor, e: Encoding): Compressed {
  const why = encodingViolation(t, e);
  if (why) throw new Error(`cannot store as #${e.kind}: ${why}`);
  if (e.kind === 'nm') return compressNM(t, e);
  const r = t.shape.length;
  const rows = t.shape[r - 2]!, cols = t.shape[r - 1]!;
  const batch = t.size / (rows * cols) || 0;
  const [br, bc] = e.kind === 'bsr' ? e.block : [1, 1];
  const pos: number[] = [];
  const crd: number[] = [];
  const vals: number[] = [];
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let R = 0; R < rows / br; R++) {
      pos.push(crd.length);
      for (let C = 0; C < cols / bc; C++) {
        let any = false;
        for (let i = 0; i < br && !any; i++) for (let j = 0; j < bc && !any; j++) any = !isZero(t, base + (R * br + i) * cols + C * bc + j);
        if (!any) continue;
        crd.push(C);
        for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) vals.push(base + (R * br + i) * cols + C * bc + j);
      }
    }
    pos.push(crd.length);
  }
  const val = Tensor.zeros(t.elementType, [vals.length]);
  vals.forEach((src, k) => (val.data[k] = t.data[src]!));
  return { encoding: e, shape: [...t.shape], pos: Int32Array.from(pos), crd: Int32Array.from(crd), val };
}

function compressNM(t: Tensor, e: Encoding & { kind: 'nm' }): Compressed {
  const { outer, len, inner } = axisSplit(t.shape, e.axis);
  const groups = (outer * len * inner) / e.m;
  const crd = new Int32Array(groups * e.n);
  const val = Tensor.zeros(t.elementType, [groups * e.n]);
  let g = 0;
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < len; s += e.m) {
      for (let i = 0; i < inner; i++, g++) {
        let k = 0;
        for (let j = 0; j < e.m; j++) {
          const src = (o * len + s + j) * inner + i;
          if (!isZero(t, src)) {
            crd[g * e.n + k] = j;
            val.data[g * e.n + k] = t.data[src]!;
            k++;
          }
        }
        for (; k < e.n; k++) crd[g * e.n + k] = k; // padding slots hold zero values
      }
    }
  }
  return { encoding: e, shape: [...t.shape], pos: new Int32Array(0), crd, val };
}

export function decompress(c: Compressed): Tensor {
  const t = Tensor.zeros(c.val.elementType, c.shape);
  const e = c.encoding;
  if (e.kind === 'nm') {
    const { outer, len, inner } = axisSplit(c.shape, e.axis);
    let g = 0;
    for (let o = 0; o < outer; o++) {
      for (let s = 0; s < len; s += e.m) {
        for (let i = 0; i < inner; i++, g++) {
          for (let k = 0; k < e.n; k++) {
            const v = c.val.data[g * e.n + k]!;
            if (v === 0 || v === 0n) continue;
            t.data[(o * len + s + c.crd[g * e.n + k]!) * inner + i] = v;
          }
        }
      }
    }
    return t;
  }
  const r = c.shape.length;
  const rows = c.shape[r - 2]!, cols = c.shape[r - 1]!;
  const [br, bc] = e.kind === 'bsr' ? e.block : [1, 1];
  const blockRows = rows / br;
  const batch = t.size / (rows * cols) || 0;
  let v = 0;
  for (let b = 0; b < batch; b++) {
    for (let R = 0; R < blockRows; R++) {
      const p = b * (blockRows + 1) + R;
      for (let k = c.pos[p]!; k < c.pos[p + 1]!; k++) {
        const C = c.crd[k]!;
        for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) t.data[b * rows * cols + (R * br + i) * cols + C * bc + j] = c.val.data[v++]!;
      }
    }
  }
  return t;
}
