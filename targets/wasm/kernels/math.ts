// exp and erf as wasm functions (f64 -> f64, and on f32x4 for f32 maps and softmax), so hot
// element-wise maps (softmax, GELU, sigmoid) do not call out to the host per element. log, tanh and
// pow stay host imports.
import { binaryen, f64, FnBuilder, i32, v128, type Expr } from '../emit.js';
import { i64const } from './element.js';

const LN2_HI = 6.93147180369123816490e-1, LN2_LO = 1.90821492927058770002e-10, LOG2E = 1.4426950408889634;

/**
 * exp(x): x = k ln2 + r with |r| <= ln2/2, e^r by its Taylor polynomial to r^13 (error below 1e-16
 * relative), times 2^k built from exponent bits in two halves (so subnormal results are right).
 */
function addExp(mod: binaryen.Module): void {
  const fb = new FnBuilder(mod, [f64]);
  const k = fb.local(f64), r = fb.local(f64), p = fb.local(f64), ki = fb.local(i32);
  const m = mod.f64;
  const x = () => fb.get(0, f64);
  let poly: Expr = m.const(1 / 6227020800); // 1/13!
  for (let n = 12; n >= 0; n--) {
    let fact = 1;
    for (let i = 2; i <= n; i++) fact *= i;
    poly = m.add(m.mul(poly, fb.get(r, f64)), m.const(1 / fact));
  }
  const pow2 = (e: Expr) => mod.f64.reinterpret(mod.i64.shl(mod.i64.extend_s(fb.add(e, fb.c(1023))), i64const(mod, 52n)));
  fb.finish('exp', [
    mod.if(m.ne(x(), x()), mod.return(x())),
    mod.if(m.gt(x(), m.const(709.782712893384)), mod.return(m.const(Infinity))),
    mod.if(m.lt(x(), m.const(-745.1332191019412)), mod.return(m.const(0))),
    fb.set(k, m.nearest(m.mul(x(), m.const(LOG2E)))),
    fb.set(r, m.sub(m.sub(x(), m.mul(fb.get(k, f64), m.const(LN2_HI))), m.mul(fb.get(k, f64), m.const(LN2_LO)))),
    fb.set(p, poly),
    fb.set(ki, mod.i32.trunc_s.f64(fb.get(k, f64))),
    // 2^k = 2^(k/2) * 2^(k - k/2): each half stays a normal double.
    mod.return(m.mul(m.mul(fb.get(p, f64), pow2(mod.i32.shr_s(fb.get(ki), fb.c(1)))), pow2(mod.i32.sub(fb.get(ki), mod.i32.shr_s(fb.get(ki), fb.c(1)))))),
  ], f64);
}

/**
 * erf(x): odd; for |x| < 0.5 its Taylor series to x^21 (error below 1e-16); above, 1 - erfc with
 * erfc(x) = exp(-x^2) * t * P(t), t = 1/(1 + x/2) (Numerical Recipes' erfcc, relative error below
 * 1.2e-7 everywhere, far below f32's rounding of the results it feeds).
 */
function addErf(mod: binaryen.Module): void {
  const fb = new FnBuilder(mod, [f64]);
  const a = fb.local(f64), x2 = fb.local(f64), t = fb.local(f64), s = fb.local(f64);
  const m = mod.f64;
  // Taylor: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
  let series: Expr = m.const(0);
  for (let n = 10; n >= 0; n--) {
    let fact = 1;
    for (let i = 2; i <= n; i++) fact *= i;
    series = m.add(m.mul(series, fb.get(x2, f64)), m.const(((n % 2 ? -1 : 1) * 2) / Math.sqrt(Math.PI) / (fact * (2 * n + 1))));
  }
  const c = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
  let poly: Expr = m.const(c[9]!);
  for (let i = 8; i >= 0; i--) poly = m.add(m.mul(poly, fb.get(t, f64)), m.const(c[i]!));
  fb.finish('erf', [
    fb.set(a, m.abs(fb.get(0, f64))),
    fb.set(x2, m.mul(fb.get(0, f64), fb.get(0, f64))),
    mod.if(m.lt(fb.get(a, f64), m.const(0.5)), mod.return(m.mul(fb.get(0, f64), series))),
    mod.if(m.gt(fb.get(a, f64), m.const(6)), mod.return(m.copysign(m.const(1), fb.get(0, f64)))),
    fb.set(t, m.div(m.const(1), m.add(m.const(1), m.mul(m.const(0.5), fb.get(a, f64))))),
    fb.set(s, m.sub(m.const(1), m.mul(fb.get(t, f64), mod.call('exp', [m.add(m.neg(fb.get(x2, f64)), poly)], f64)))),
    mod.return(m.copysign(fb.get(s, f64), fb.get(0, f64))),
  ], f64);
}

/**
 * exp and erf on f32x4, emitted inline in a kernel (a call per vector costs more than the math), with
 * their constants in locals set once in the kernel's prologue (V8 rebuilds a v128.const, several
 * instructions, at every use). One instance per kernel function; put `prologue` before its loops.
 */
export class VecMath {
  readonly prologue: Expr[] = [];
  private readonly consts = new Map<string, number>();
  constructor(private readonly mod: binaryen.Module, private readonly fb: FnBuilder) {}

  /** A splatted f32 constant. */
  c(n: number): Expr {
    return this.constant(`f${n}`, () => this.mod.f32x4.splat(this.mod.f32.const(n)));
  }

  /** A splatted i32 constant. */
  ci(n: number): Expr {
    return this.constant(`i${n}`, () => this.mod.i32x4.splat(this.mod.i32.const(n)));
  }

  private constant(key: string, make: () => Expr): Expr {
    let l = this.consts.get(key);
    if (l === undefined) {
      l = this.fb.local(v128);
      this.consts.set(key, l);
      this.prologue.push(this.fb.set(l, make()));
    }
    return this.fb.get(l, v128);
  }

  /**
   * exp: x clamped to [-104, 89] (beyond, the result is 0 or infinity anyway), x = k ln2 + r with
   * |r| <= ln2/2 (ln2 in two parts, Cephes' split; k rounded by adding 1.5 * 2^23), e^r by its Taylor
   * polynomial to r^7 (error below 1e-8 relative), times 2^k in two halves so results down to f32's
   * subnormals and up to its overflow are right. NaN stays NaN.
   */
  exp(x: Expr): Expr {
    const { mod, fb } = this, v = mod.f32x4, c = (n: number) => this.c(n);
    const tx = fb.local(v128), t = fb.local(v128), k = fb.local(v128), r = fb.local(v128), ki = fb.local(v128), half = fb.local(v128);
    let poly: Expr = c(1 / 5040);
    for (const f of [1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1]) poly = v.add(v.mul(poly, fb.get(r, v128)), c(f));
    const pow2 = (e: Expr) => mod.i32x4.shl(mod.i32x4.add(e, this.ci(127)), fb.c(23));
    return mod.block(null, [
      fb.set(tx, v.pmin(v.pmax(x, c(-104)), c(89))), // pmin / pmax: one instruction each on x64 (min / max are several), NaN kept as the first operand
      fb.set(t, v.add(v.mul(fb.get(tx, v128), c(Math.LOG2E)), c(12582912))),
      fb.set(k, v.sub(fb.get(t, v128), c(12582912))),
      fb.set(ki, mod.i32x4.sub(fb.get(t, v128), this.ci(0x4b400000))), // the bits of 1.5 * 2^23 + k minus those of 1.5 * 2^23: k
      fb.set(r, v.sub(v.sub(fb.get(tx, v128), v.mul(fb.get(k, v128), c(0.693359375))), v.mul(fb.get(k, v128), c(-2.12194440e-4)))),
      fb.set(half, mod.i32x4.shr_s(fb.get(ki, v128), fb.c(1))),
      v.mul(v.mul(poly, pow2(fb.get(half, v128))), pow2(mod.i32x4.sub(fb.get(ki, v128), fb.get(half, v128)))),
    ], v128);
  }

  /**
   * erf: odd; for |x| < 0.5 its Taylor series to x^11, above 1 - t P(t) exp(-x^2) with t = 1/(1 + |x|/2)
   * (the f64 function's erfc form), both computed and the lanes selected, the sign of x put back.
   */
  erf(x: Expr): Expr {
    const { mod, fb } = this, v = mod.f32x4, c = (n: number) => this.c(n);
    const x0 = fb.local(v128), a = fb.local(v128), x2 = fb.local(v128), t = fb.local(v128);
    let series: Expr = c(0);
    for (let n = 5; n >= 0; n--) {
      let fact = 1;
      for (let i = 2; i <= n; i++) fact *= i;
      series = v.add(v.mul(series, fb.get(x2, v128)), c(((n % 2 ? -1 : 1) * 2) / Math.sqrt(Math.PI) / (fact * (2 * n + 1))));
    }
    const cs = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
    let poly: Expr = c(cs[9]!);
    for (let i = 8; i >= 0; i--) poly = v.add(v.mul(poly, fb.get(t, v128)), c(cs[i]!));
    const big = v.pmin(v.sub(c(1), v.mul(fb.get(t, v128), this.exp(v.add(v.neg(fb.get(x2, v128)), poly)))), c(1));
    return mod.block(null, [
      fb.set(x0, x),
      fb.set(a, v.abs(fb.get(x0, v128))),
      fb.set(x2, v.mul(fb.get(x0, v128), fb.get(x0, v128))),
      fb.set(t, v.div(c(1), v.add(c(1), v.mul(c(0.5), fb.get(a, v128))))),
      mod.v128.or(mod.v128.and(fb.get(x0, v128), this.ci(-0x80000000)), mod.v128.bitselect(v.mul(fb.get(a, v128), series), big, v.lt(fb.get(a, v128), c(0.5)))),
    ], v128);
  }
}

export function addMathFunctions(mod: binaryen.Module): void {
  addExp(mod);
  addErf(mod);
}
