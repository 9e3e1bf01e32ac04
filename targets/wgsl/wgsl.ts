// WGSL text: literals, the element types as the GPU stores them (every element 32 bits), src/lower/
// exprs.ts's Num over WGSL expressions, and the math functions WGSL lacks or defines too loosely.
import type { MathFn, Num } from '../../src/lower/exprs.js';
import type { ElementType } from '../../src/ir/types.js';

/** How an element type lives on the GPU: f32, i32 (integers narrowed or widened, range-checked) or bool as a u32 0/1. */
export type GpuType = 'f32' | 'i32' | 'bool';

/** The GPU type of an IR element type, or why it has none (WGSL has no f64; 64-bit integers are narrowed to i32 with a range check). */
export function gpuType(et: ElementType): { t: GpuType } | { why: string } {
  if (et === 'f32') return { t: 'f32' };
  if (et === 'bool') return { t: 'bool' };
  if (et === 'f64') return { why: 'WGSL has no f64' };
  if (et === 'f16') return { why: 'f16 tensors are not supported yet' };
  return { t: 'i32' };
}

/** An f32 literal: the exact value (non-finite and subnormal values by their bits). */
export function f32Lit(x: number): string {
  const v = Math.fround(x);
  if (!Number.isFinite(v) || (v !== 0 && Math.abs(v) < 1.1754943508222875e-38) || Object.is(v, -0)) return `f32_bits(${f32Bits(v)}u)`;
  const s = String(v);
  return `${/[.e]/.test(s) ? s : `${s}.0`}f`;
}

const bitsView = new DataView(new ArrayBuffer(4));
function f32Bits(v: number): number {
  bitsView.setFloat32(0, v, true);
  return bitsView.getUint32(0, true);
}

/** An i32 literal (the most negative one by its bits). */
export const i32Lit = (x: number): string => (x === -2147483648 ? 'bitcast<i32>(0x80000000u)' : `${x | 0}i`);

/** Reads element `index` (a u32 expression) of buffer `buf` as `t`'s compute type (f32, or i32 for integers and bool). */
export const load = (buf: string, index: string, t: GpuType): string => (t === 'f32' ? `bitcast<f32>(${buf}[${index}])` : `bitcast<i32>(${buf}[${index}])`);

/** The u32 bits that store a value of compute type `t` (bool: 0 or 1). */
export const store = (value: string, t: GpuType): string => (t === 'bool' ? `select(0u, 1u, (${value}) != 0i)` : `bitcast<u32>(${value})`);

/** Converts a value between compute types (f32 <-> i32 truncates toward zero, as the interpreter's casts do; bool is 0/1). */
export function convert(value: string, from: GpuType, to: GpuType): string {
  const f = from === 'f32' ? 'f32' : 'i32', t = to === 'f32' ? 'f32' : 'i32';
  if (to === 'bool') return from === 'f32' ? `select(0i, 1i, (${value}) != 0.0f)` : `select(0i, 1i, (${value}) != 0i)`;
  return f === t ? value : `${t}(${value})`;
}

/** Num over WGSL expressions in f32 or i32 (integers: the compute type of every integer and bool tensor). */
export function wgslNum(t: 'f32' | 'i32'): Num<string> {
  const lit = t === 'f32' ? f32Lit : i32Lit;
  const bin = (op: string) => (a: string, b: string) => `(${a} ${op} ${b})`;
  const fn = (f: string) => (...a: string[]) => `${f}(${a.join(', ')})`;
  return {
    c: lit,
    add: bin('+'), sub: bin('-'), mul: bin('*'),
    // integer division by 0 gives 0 (the interpreter's rule); WGSL's would give the dividend
    div: t === 'f32' ? bin('/') : (a, b) => `div_i32(${a}, ${b})`,
    min: t === 'f32' ? fn('min_f32') : fn('min'), max: t === 'f32' ? fn('max_f32') : fn('max'),
    neg: (a) => `(-${a})`, abs: fn('abs'), sqrt: fn('sqrt'), floor: fn('floor'), ceil: fn('ceil'), trunc: fn('trunc'),
    lt: bin('<'), le: bin('<='), gt: bin('>'), ge: bin('>='), eq: bin('=='), ne: bin('!='),
    select: (c, a, b) => `select(${b}, ${a}, ${c})`,
    or: bin('||'),
    math: (f: MathFn, ...a: string[]) => `${f}_f32(${a.join(', ')})`,
  };
}

/**
 * Helper functions every shader may call: NaN-propagating min and max (WGSL leaves NaN operands
 * unspecified), integer division by zero, and exp, log, tanh, pow and erf with the interpreter's
 * behaviour at the edges (tanh without overflow, pow of a negative base to an integer power).
 */
export const WGSL_HELPERS = `
// a function, not a constant expression: infinities and NaN are not representable as constants
fn f32_bits(b: u32) -> f32 { return bitcast<f32>(b); }
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn max_f32(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return a + b; } return max(a, b); }
fn min_f32(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return a + b; } return min(a, b); }
fn div_i32(a: i32, b: i32) -> i32 { if (b == 0i) { return 0i; } if (b == -1i) { return -a; } return a / b; }
fn exp_f32(x: f32) -> f32 { return exp(x); }
fn log_f32(x: f32) -> f32 { return log(x); }
fn tanh_f32(x: f32) -> f32 { let t = exp(-2.0f * abs(x)); let y = (1.0f - t) / (1.0f + t); return select(y, -y, x < 0.0f); }
fn pow_f32(a: f32, b: f32) -> f32 {
  if (b == 0.0f) { return 1.0f; }
  if (a < 0.0f && trunc(b) == b) {
    let m = pow(-a, b);
    return select(m, -m, (i32(abs(b) % 2.0f)) == 1i);
  }
  if (a == 0.0f) { return select(0.0f, f32_bits(0x7f800000u), b < 0.0f); }
  return pow(a, b);
}
fn erf_f32(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5f) {
    let x2 = x * x;
    return x * (1.1283791671f + x2 * (-0.3761263890f + x2 * (0.1128379167f + x2 * (-0.0268661706f + x2 * (0.0052239776f + x2 * (-0.0008548327f))))));
  }
  if (a > 6.0f) { return sign(x); }
  let t = 1.0f / (1.0f + 0.5f * a);
  let p = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
  let s = 1.0f - t * exp(-a * a + p);
  return select(s, -s, x < 0.0f);
}
`;
