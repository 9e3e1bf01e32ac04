// Sparse encodings: attributes on tensor types that say how a tensor is stored (CSR, BSR, N:M).
// One table entry per encoding: its parameters, how it prints, and which tensor types it fits.
import type { TensorType } from './types.js';

export type IndexBits = 8 | 16 | 32;

export type Encoding =
  /** Compressed sparse rows over the last two dims; column indices of `indexBits` bits. */
  | { readonly kind: 'csr'; readonly indexBits: IndexBits }
  /** Block sparse rows: blocks of `block[0]` x `block[1]` over the last two dims. */
  | { readonly kind: 'bsr'; readonly block: readonly [number, number]; readonly indexBits: IndexBits }
  /** At most `n` nonzeros in every group of `m` consecutive elements along `axis`. */
  | { readonly kind: 'nm'; readonly n: number; readonly m: number; readonly axis: number };

export type EncodingKind = Encoding['kind'];
type Params = Record<string, number | number[]>;

export interface EncodingDef {
  readonly kind: EncodingKind;
  readonly summary: string;
  /** Parameter names in print order, with what each must be. */
  readonly params: Readonly<Record<string, 'int' | 'int-pair'>>;
  make(p: Params): Encoding;
  toParams(e: Encoding): Params;
  /** Why `e` cannot describe a tensor of type `t`, or undefined when it can. */
  checkType(e: Encoding, t: TensorType): string | undefined;
}

const INDEX_BITS = [8, 16, 32];
function indexBits(v: unknown): IndexBits {
  if (typeof v !== 'number' || !INDEX_BITS.includes(v)) throw new Error(`idx must be one of 8, 16, 32, got ${String(v)}`);
  return v as IndexBits;
}
function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}
function matrixCheck(t: TensorType): string | undefined {
  return t.rank < 2 ? `needs a tensor of rank >= 2, got rank ${t.rank}` : undefined;
}

export const ENCODINGS: Readonly<Record<EncodingKind, EncodingDef>> = {
  csr: {
    kind: 'csr',
    summary: 'Compressed sparse rows over the last two dimensions; idx is the column index width in bits.',
    params: { idx: 'int' },
    make: (p) => ({ kind: 'csr', indexBits: indexBits(p['idx']) }),
    toParams: (e): Params => (e.kind === 'csr' ? { idx: e.indexBits } : {}),
    checkType: (e, t) => {
      const m = matrixCheck(t);
      if (m || e.kind !== 'csr') return m;
      const cols = t.shape[t.rank - 1];
      if (typeof cols === 'number' && cols > 2 ** e.indexBits) return `${cols} columns do not fit ${e.indexBits}-bit indices`;
      return undefined;
    },
  },
  bsr: {
    kind: 'bsr',
    summary: 'Block sparse rows: dense blocks of block[0] x block[1] over the last two dimensions.',
    params: { block: 'int-pair', idx: 'int' },
    make: (p) => {
      const b = p['block'];
      if (!Array.isArray(b) || b.length !== 2) throw new Error(`block must be a pair [rows, cols], got ${JSON.stringify(b)}`);
      return { kind: 'bsr', block: [positive('block[0]', b[0]), positive('block[1]', b[1])], indexBits: indexBits(p['idx']) };
    },
    toParams: (e): Params => (e.kind === 'bsr' ? { block: [...e.block], idx: e.indexBits } : {}),
    checkType: (e, t) => {
      const m = matrixCheck(t);
      if (m || e.kind !== 'bsr') return m;
      const r = t.shape[t.rank - 2], c = t.shape[t.rank - 1];
      if (typeof r === 'number' && r % e.block[0] !== 0) return `${r} rows are not a multiple of block rows ${e.block[0]}`;
      if (typeof c === 'number' && c % e.block[1] !== 0) return `${c} columns are not a multiple of block columns ${e.block[1]}`;
      if (typeof c === 'number' && c / e.block[1] > 2 ** e.indexBits) return `${c / e.block[1]} block columns do not fit ${e.indexBits}-bit indices`;
      return undefined;
    },
  },
  nm: {
    kind: 'nm',
    summary: 'Structured N:M sparsity: at most n nonzeros in each group of m consecutive elements along axis.',
    params: { n: 'int', m: 'int', axis: 'int' },
    make: (p) => {
      const n = positive('n', p['n']), m = positive('m', p['m']);
      const axis = p['axis'];
      if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < 0) throw new Error(`axis must be a non-negative integer, got ${String(axis)}`);
      if (n > m) throw new Error(`n (${n}) must not exceed m (${m})`);
      return { kind: 'nm', n, m, axis };
    },
    toParams: (e): Params => (e.kind === 'nm' ? { n: e.n, m: e.m, axis: e.axis } : {}),
    checkType: (e, t) => {
      if (e.kind !== 'nm') return undefined;
      if (e.axis >= t.rank) return `axis ${e.axis} is out of range for rank ${t.rank}`;
      const d = t.shape[e.axis];
      if (typeof d === 'number' && d % e.m !== 0) return `dim ${e.axis} (${d}) is not a multiple of m = ${e.m}`;
      return undefined;
    },
  },
};

export function isEncodingKind(s: string): s is EncodingKind {
  return Object.prototype.hasOwnProperty.call(ENCODINGS, s);
}

export function encodingParams(e: Encoding): Params {
  return ENCODINGS[e.kind].toParams(e);
}

export function printEncoding(e: Encoding): string {
  const p = encodingParams(e);
  const body = Object.entries(p)
    .map(([k, v]) => `${k} = ${Array.isArray(v) ? `[${v.join(', ')}]` : v}`)
    .join(', ');
  return `#${e.kind}<${body}>`;
}

export function encodingEquals(a: Encoding, b: Encoding): boolean {
  return printEncoding(a) === printEncoding(b);
}

export const csr = (indexBits: IndexBits = 32): Encoding => ({ kind: 'csr', indexBits });
export const bsr = (block: [number, number], indexBits: IndexBits = 32): Encoding => ({ kind: 'bsr', block, indexBits });
export const nm = (n: number, m: number, axis: number): Encoding => ({ kind: 'nm', n, m, axis });
