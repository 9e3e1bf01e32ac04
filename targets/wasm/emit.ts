// A thin layer over binaryen.js for writing kernels: functions with named locals and counted loops.
import binaryen from 'binaryen';

export type Expr = number;
export const { i32, i64, f32, f64, v128, none } = binaryen;

export class FnBuilder {
  readonly locals: number[] = [];
  private labels = 0;
  constructor(readonly m: binaryen.Module, readonly params: readonly number[]) {}

  /** A new local of the given type; returns its index. */
  local(type: number): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }
  get(i: number, type: number = i32): Expr {
    return this.m.local.get(i, type);
  }
  set(i: number, v: Expr): Expr {
    return this.m.local.set(i, v);
  }
  c(n: number): Expr {
    return this.m.i32.const(n);
  }
  add(a: Expr, b: Expr): Expr {
    return this.m.i32.add(a, b);
  }
  mul(a: Expr, b: Expr): Expr {
    return this.m.i32.mul(a, b);
  }
  /** Byte address base + index * 4. */
  at(base: Expr, index: Expr): Expr {
    return this.m.i32.add(base, this.m.i32.shl(index, this.m.i32.const(2)));
  }
  /** for (i = from; i < to; i += step) body; skipped when from >= to. */
  for(i: number, from: Expr, to: Expr, step: number, body: Expr[]): Expr {
    const m = this.m;
    const l = `L${this.labels++}`, b = `B${this.labels++}`;
    return m.block(b, [
      m.local.set(i, from),
      // Expressions are tree nodes: `to` is used twice, so the second use is a copy.
      m.br(b, m.i32.ge_s(m.local.get(i, i32), m.copyExpression(to))),
      m.loop(l, m.block(null, [
        ...body,
        m.local.set(i, m.i32.add(m.local.get(i, i32), m.i32.const(step))),
        m.br(l, m.i32.lt_s(m.local.get(i, i32), to)),
      ])),
    ]);
  }
  /** Adds the function to the module. */
  finish(name: string, body: Expr[], result: number = none): void {
    this.m.addFunction(name, binaryen.createType([...this.params]), result, this.locals, this.m.block(null, body, result === none ? undefined : binaryen.unreachable));
  }
}

const RELAXED = new WeakSet<binaryen.Module>();
const FUSED = new WeakSet<binaryen.Module>();

/** Marks a module as the relaxed-SIMD variant: madd() emits f32x4.relaxed_madd in it. */
export function useRelaxedSimd(mod: binaryen.Module): void {
  RELAXED.add(mod);
  mod.setFeatures(mod.getFeatures() | binaryen.Features.RelaxedSIMD);
}

/** Whether a module has a multiply-add that relaxed SIMD would fuse (else its relaxed variant would be the same code and need not be built). */
export const usedRelaxedSimd = (mod: binaryen.Module): boolean => FUSED.has(mod);

/**
 * a * b + c on f32x4: a multiply and an add, or in a relaxed-SIMD module one relaxed_madd (fused
 * where the machine has FMA: one rounding instead of two, so results differ in the last bit).
 * binaryen.js has no wrapper for it: the C API builds the expression.
 */
export function madd(mod: binaryen.Module, a: Expr, b: Expr, c: Expr): Expr {
  FUSED.add(mod);
  if (!RELAXED.has(mod)) return mod.f32x4.add(c, mod.f32x4.mul(a, b));
  const api = binaryen as unknown as { _BinaryenSIMDTernary(m: number, op: number, a: Expr, b: Expr, c: Expr): Expr; _BinaryenRelaxedMaddVecF32x4(): number };
  return api._BinaryenSIMDTernary((mod as unknown as { ptr: number }).ptr, api._BinaryenRelaxedMaddVecF32x4(), a, b, c);
}

/**
 * binaryen's default optimisations, except that a function with one caller is inlined only while
 * small (binaryen's default inlines it whatever its size): every kernel is called once from `run`, and
 * inlining them all made one huge function that V8 compiled into code up to twice as slow (light
 * ResNet-50: 620-720 ms against 360 ms with the kernels kept apart).
 */
export function optimizeModule(mod: binaryen.Module): void {
  const saved = binaryen.getOneCallerInlineMaxSize();
  binaryen.setOneCallerInlineMaxSize(binaryen.getFlexibleInlineMaxSize());
  try {
    mod.optimize();
  } finally {
    binaryen.setOneCallerInlineMaxSize(saved);
  }
}

/** The text form of a module (`--emit wat`). */
export function wasmToText(wasm: Uint8Array): string {
  let m: binaryen.Module;
  try {
    m = binaryen.readBinary(wasm);
  } catch (e) {
    // binaryen throws C++ exceptions as plain objects: give their message
    if (e instanceof Error) throw e;
    const msg = (binaryen as unknown as { getExceptionMessage?: (x: unknown) => string[] }).getExceptionMessage?.(e);
    throw new Error(`binaryen cannot read the module: ${msg ? msg.join(': ') : String(e)}`);
  }
  try {
    m.setFeatures(binaryen.Features.All);
    return m.emitText();
  } finally {
    m.dispose();
  }
}

export { binaryen };
