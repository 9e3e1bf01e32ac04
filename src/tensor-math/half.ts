// f16 (IEEE half precision) views of f32 data: rounding to it and checking that nothing would be lost.
import { f16ToF32, f32ToF16 } from '../ir/tensor.js';

/** Whether every value is finite and exactly an f16 (so storing it as f16 bits loses nothing). */
export function isHalfExact(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x !== 0 && (f16ToF32(f32ToF16(x)) !== x || !Number.isFinite(x))) return false;
  }
  return true;
}

/**
 * The values rounded to the nearest f16 (ties to even), as f32; undefined when one is beyond f16's
 * range (|x| > 65504 rounds to infinity) or not finite, naming its index.
 */
export function roundToHalf(v: Float32Array): { values: Float32Array } | { overflow: number } {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const r = f16ToF32(f32ToF16(v[i]!));
    if (!Number.isFinite(r)) return { overflow: i };
    out[i] = r;
  }
  return { values: out };
}
