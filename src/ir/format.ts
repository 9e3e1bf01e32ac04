// Text forms of scalars and names shared by the printer and the parser, chosen so that reading
// back what is printed gives the same bits.
import { f16ToF32, f32ToF16, type Scalar } from './tensor.js';
import type { ElementType } from './types.js';

/** Shortest decimal that reads back to the same value of the given float type. */
export function formatFloat(x: number, et: 'f32' | 'f16' | 'f64' = 'f32'): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  let s = String(x);
  if (et !== 'f64') {
    const same = et === 'f32' ? (v: number) => Math.fround(v) === x : (v: number) => f16ToF32(f32ToF16(v)) === x;
    for (let p = 1; p <= 17; p++) {
      const v = Number(x.toPrecision(p));
      if (same(v)) {
        s = String(v);
        break;
      }
    }
  }
  return /^-?\d+$/.test(s) ? `${s}.0` : s;
}

/** Reads a float literal (including nan/inf) and rounds it to the element type. */
export function parseFloatLiteral(text: string, et: ElementType): number {
  let v: number;
  if (text === 'nan' || text === '-nan') v = NaN;
  else if (text === 'inf') v = Infinity;
  else if (text === '-inf') v = -Infinity;
  else v = Number(text);
  if (et === 'f32') return Math.fround(v);
  if (et === 'f16') return f16ToF32(f32ToF16(v));
  return v;
}

export function formatScalar(v: Scalar, et: ElementType): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (et === 'f32' || et === 'f16' || et === 'f64') return formatFloat(v, et);
  return String(v);
}

const BARE_NAME = /^[A-Za-z_$][A-Za-z0-9_$.]*$/;

/** A resource or symbol name: bare when it is an identifier, else a quoted string. */
export function formatName(name: string): string {
  return BARE_NAME.test(name) ? name : JSON.stringify(name);
}

/** Turns a name hint into a valid SSA name body (`%` excluded). */
export function sanitizeValueName(hint: string): string {
  let s = hint.replace(/[^A-Za-z0-9_$.-]/g, '_');
  if (!/^[A-Za-z_$.-]/.test(s)) s = `_${s}`;
  return s;
}

/** True for SSA name bodies that are plain numbers (the printer's own numbering). */
export const isNumericName = (s: string): boolean => /^[0-9]+$/.test(s);
