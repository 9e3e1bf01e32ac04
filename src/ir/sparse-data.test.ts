import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bsr, compress, csr, decompress, encodingViolation, nm, Tensor } from '../index.js';

const matrix = (rows: number, cols: number, values: number[]) => Tensor.from('f32', [rows, cols], values);

describe('sparse storage', () => {
  it('CSR of a small matrix has the expected arrays', () => {
    const t = matrix(3, 4, [1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 4, 0]);
    const c = compress(t, csr(16));
    expect([...c.pos]).toEqual([0, 2, 2, 4]);
    expect([...c.crd]).toEqual([0, 3, 1, 2]);
    expect([...c.val.data]).toEqual([1, 2, 3, 4]);
    expect(decompress(c).bitwiseEquals(t)).toBe(true);
  });

  it('BSR keeps whole blocks', () => {
    const t = matrix(4, 4, [1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0]);
    const c = compress(t, bsr([2, 2], 8));
    expect([...c.pos]).toEqual([0, 1, 2]);
    expect([...c.crd]).toEqual([0, 1]);
    expect([...c.val.data]).toEqual([1, 2, 3, 4, 0, 0, 7, 0]);
    expect(decompress(c).bitwiseEquals(t)).toBe(true);
  });

  it('N:M rejects a group with too many nonzeros and names it', () => {
    const t = matrix(2, 4, [1, 0, 0, 2, 1, 3, 4, 0]);
    expect(encodingViolation(t, nm(2, 4, 1))).toMatch(/outer 1.*3 nonzeros, more than n = 2/);
    expect(() => compress(t, nm(2, 4, 1))).toThrow(/cannot store as #nm/);
    expect(encodingViolation(t, nm(2, 2, 0))).toBeUndefined();
  });

  it('compress then decompress is the identity for every encoding (property)', () => {
    const shapeAndData = fc
      .record({ batch: fc.integer({ min: 1, max: 3 }), rows: fc.integer({ min: 1, max: 4 }), cols: fc.integer({ min: 1, max: 4 }) })
      .chain(({ batch, rows, cols }) =>
        fc.record({
          shape: fc.constant([batch, rows * 2, cols * 2]),
          data: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: -9, max: 9 })), { minLength: batch * rows * cols * 4, maxLength: batch * rows * cols * 4 }),
        }),
      );
    fc.assert(
      fc.property(shapeAndData, ({ shape, data }) => {
        const t = Tensor.from('f32', shape, data);
        for (const e of [csr(32), bsr([2, 2], 32), bsr([1, 2], 32), nm(2, 2, 2), nm(2, 2, 1)]) {
          expect(decompress(compress(t, e)).bitwiseEquals(t)).toBe(true);
        }
        // 1:2 along the last axis when it holds.
        if (!encodingViolation(t, nm(1, 2, 2))) expect(decompress(compress(t, nm(1, 2, 2))).bitwiseEquals(t)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
