// exp and erf as wasm functions (f64 -> f64), so hot element-wise maps (softmax, GELU, sigmoid) do
// not call out to the host per element. log, tanh and pow stay host imports.
import { binaryen, f64, FnBuilder, i32, type Expr } from '../emit.js';
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

export function addMathFunctions(mod: binaryen.Module): void {
  addExp(mod);
  addErf(mod);
}
