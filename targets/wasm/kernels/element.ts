// Loads and stores of elements in generated code: converting to and from f64 (the compute type of
// every non-f32 kernel, as the reference interpreter computes in doubles and converts on store), raw
// copies, and i64 constants.
import { binaryen, f64, i64, type Expr } from '../emit.js';
import type { WasmElementType } from '../dtype.js';

/** Loads one element at a byte address and converts it to f64. */
export function loadF64(m: binaryen.Module, et: WasmElementType, addr: Expr): Expr {
  switch (et) {
    case 'f32': return m.f64.promote(m.f32.load(0, 4, addr));
    case 'f64': return m.f64.load(0, 8, addr);
    case 'i8': return m.f64.convert_s.i32(m.i32.load8_s(0, 1, addr));
    case 'u8': case 'bool': return m.f64.convert_u.i32(m.i32.load8_u(0, 1, addr));
    case 'i16': return m.f64.convert_s.i32(m.i32.load16_s(0, 2, addr));
    case 'u16': return m.f64.convert_u.i32(m.i32.load16_u(0, 2, addr));
    case 'i32': return m.f64.convert_s.i32(m.i32.load(0, 4, addr));
    case 'u32': return m.f64.convert_u.i32(m.i32.load(0, 4, addr));
    case 'i64': return m.f64.convert_s.i64(m.i64.load(0, 8, addr));
    case 'u64': return m.f64.convert_u.i64(m.i64.load(0, 8, addr));
  }
}

/**
 * Stores an f64 as the element type the way the interpreter's fromF64 does: floats round, bool is
 * `v != 0 && !NaN`, integers truncate toward zero and wrap modulo 2^width, exactly, whatever the
 * magnitude (1e20 to int32 is 1e20 mod 2^32, as a typed array stores it); NaN and +-Inf become 0.
 */
export function storeF64(m: binaryen.Module, et: WasmElementType, addr: Expr, v: Expr, tmp: number): Expr {
  const get = () => m.local.get(tmp, f64);
  const set = m.local.set(tmp, v);
  if (et === 'f32') return m.f32.store(0, 4, addr, m.f32.demote(v));
  if (et === 'f64') return m.f64.store(0, 8, addr, v);
  if (et === 'bool') return m.block(null, [set, m.i32.store8(0, 1, addr, m.i32.and(m.f64.ne(get(), m.f64.const(0)), m.f64.eq(get(), get())))]);
  const bits = wrapToI64(m, tmp);
  const narrow = () => m.i32.wrap(bits);
  switch (et) {
    case 'i64': case 'u64': return m.block(null, [set, m.i64.store(0, 8, addr, bits)]);
    case 'i8': case 'u8': return m.block(null, [set, m.i32.store8(0, 1, addr, narrow())]);
    case 'i16': case 'u16': return m.block(null, [set, m.i32.store16(0, 2, addr, narrow())]);
    case 'i32': case 'u32': return m.block(null, [set, m.i32.store(0, 4, addr, narrow())]);
  }
}

/**
 * The f64 in local `tmp` truncated and wrapped modulo 2^64 as i64 bits (narrower types keep the low
 * bits, which is the same as wrapping modulo their width); NaN and +-Inf give 0. Below 2^63 in
 * magnitude the saturating truncation is exact; above, v - 2^64 * floor(v / 2^64) is computed
 * exactly in f64 (v is an integer there, and the result, under 2^64, keeps v's spacing), then
 * moved into [-2^63, 2^63). May overwrite `tmp`.
 */
export function wrapToI64(m: binaryen.Module, tmp: number): Expr {
  const get = () => m.local.get(tmp, f64);
  const two64 = () => m.f64.const(2 ** 64);
  const big = m.block(null, [
    m.local.set(tmp, m.f64.sub(get(), m.f64.mul(two64(), m.f64.floor(m.f64.div(get(), two64()))))),
    m.i64.trunc_s_sat.f64(m.if(m.f64.ge(get(), m.f64.const(2 ** 63)), m.f64.sub(get(), two64()), get())),
  ], i64);
  return m.if(m.i32.eqz(m.f64.lt(m.f64.abs(get()), m.f64.const(Infinity))), i64const(m, 0n),
    m.if(m.f64.lt(m.f64.abs(get()), m.f64.const(2 ** 63)), m.i64.trunc_s_sat.f64(get()), big));
}

/** Loads one integer element as i64: signed types sign-extended, unsigned ones zero-extended (u64: its bits). */
export function loadI64(m: binaryen.Module, et: WasmElementType, addr: Expr): Expr {
  switch (et) {
    case 'i8': return m.i64.load8_s(0, 1, addr);
    case 'u8': case 'bool': return m.i64.load8_u(0, 1, addr);
    case 'i16': return m.i64.load16_s(0, 2, addr);
    case 'u16': return m.i64.load16_u(0, 2, addr);
    case 'i32': return m.i64.load32_s(0, 4, addr);
    case 'u32': return m.i64.load32_u(0, 4, addr);
    case 'i64': case 'u64': return m.i64.load(0, 8, addr);
    default: throw new Error(`internal: loadI64 of ${et}`);
  }
}

/** Stores the low bits of an i64 as an integer element (wrapping modulo its width). */
export function storeI64(m: binaryen.Module, et: WasmElementType, addr: Expr, v: Expr): Expr {
  switch (et) {
    case 'i8': case 'u8': return m.i64.store8(0, 1, addr, v);
    case 'i16': case 'u16': return m.i64.store16(0, 2, addr, v);
    case 'i32': case 'u32': return m.i64.store32(0, 4, addr, v);
    case 'i64': case 'u64': return m.i64.store(0, 8, addr, v);
    default: throw new Error(`internal: storeI64 of ${et}`);
  }
}

/** Raw copy of one element (no conversion): load and store of the element's width. */
export function copyElement(m: binaryen.Module, bytes: number, to: Expr, from: Expr): Expr {
  if (bytes === 1) return m.i32.store8(0, 1, to, m.i32.load8_u(0, 1, from));
  if (bytes === 2) return m.i32.store16(0, 2, to, m.i32.load16_u(0, 2, from));
  if (bytes === 4) return m.i32.store(0, 4, to, m.i32.load(0, 4, from));
  return m.i64.store(0, 8, to, m.i64.load(0, 8, from));
}

/** Stores a constant bit pattern of `bytes` width (the fill of pads). */
export function storeBits(m: binaryen.Module, bytes: number, to: Expr, bits: Uint8Array): Expr {
  const dv = new DataView(bits.buffer, bits.byteOffset, bits.byteLength);
  if (bytes === 1) return m.i32.store8(0, 1, to, m.i32.const(dv.getUint8(0)));
  if (bytes === 2) return m.i32.store16(0, 2, to, m.i32.const(dv.getUint16(0, true)));
  if (bytes === 4) return m.i32.store(0, 4, to, m.i32.const(dv.getInt32(0, true)));
  return m.i64.store(0, 8, to, i64const(m, dv.getBigInt64(0, true)));
}

/** binaryen.js takes i64 constants as one bigint (its typings still say two halves). */
export function i64const(m: binaryen.Module, v: bigint): Expr {
  return (m.i64.const as unknown as (v: bigint) => Expr)(v);
}
