import { describe, expect, it } from 'vitest';
import { f16ToF32, f32ToF16, hashBytes, Tensor } from './tensor.js';

describe('Tensor', () => {
  it('f16 bits survive decode and re-encode for every non-NaN pattern', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = f16ToF32(h);
      if (Number.isNaN(x)) continue;
      expect(f32ToF16(x)).toBe(h);
    }
  });

  it('f32 to f16 rounds to nearest even', () => {
    expect(f16ToF32(f32ToF16(65504))).toBe(65504);
    expect(f16ToF32(f32ToF16(65520))).toBe(Infinity);
    expect(f16ToF32(f32ToF16(1 + 2 ** -11))).toBe(1); // tie goes to even
    expect(f16ToF32(f32ToF16(2 ** -24))).toBe(2 ** -24); // smallest subnormal
  });

  it('from() refuses a wrong number of values', () => {
    expect(() => Tensor.from('f32', [2, 2], [1, 2, 3])).toThrow(/3 values given for f32\[2x2\], which holds 4/);
  });

  it('the content hash changes with any bit, the length, and nothing else', () => {
    const base = new Uint8Array(1027).map((_, i) => (i * 7) & 255);
    const h0 = hashBytes(base);
    expect(h0).toMatch(/^[0-9a-f]{16}$/);
    expect(hashBytes(base.slice())).toBe(h0);
    const seen = new Set([h0]);
    for (const pos of [0, 1, 2, 3, 511, 1024, 1026]) {
      for (let bit = 0; bit < 8; bit++) {
        const b = base.slice();
        b[pos]! ^= 1 << bit;
        seen.add(hashBytes(b));
      }
    }
    expect(seen.size).toBe(1 + 7 * 8);
    expect(hashBytes(new Uint8Array(8))).not.toBe(hashBytes(new Uint8Array(12)));
    // Unaligned views hash the same bytes the same way.
    const buf = new Uint8Array(1028);
    buf.set(base, 1);
    expect(hashBytes(buf.subarray(1, 1028))).toBe(h0);
  });
});
