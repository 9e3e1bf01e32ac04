import { describe, expect, it } from 'vitest';
import { Builder } from '../ir/builder.js';
import { Tensor } from '../ir/tensor.js';
import { TensorType } from '../ir/types.js';
import { constData } from '../pass/helpers.js';
import { isHalfExact, roundToHalf } from '../tensor-math/half.js';
import { describeRounding, roundWeightsToHalf } from './weight-dtype.js';

describe('f16 weights', () => {
  it('knows which f32 values are exactly f16, and rounds to nearest even within its range', () => {
    expect(isHalfExact(Float32Array.of(0, -0, 1, -2.5, 65504, 2 ** -24, 1023 * 2 ** -24))).toBe(true);
    for (const x of [0.1, 2 ** -25, 65505, 1 + 2 ** -11, Infinity, NaN]) expect(isHalfExact(Float32Array.of(x))).toBe(false);
    expect(roundToHalf(Float32Array.of(1 + 2 ** -11, 1 + 3 * 2 ** -11, 0.1))).toEqual({ values: Float32Array.of(1, 1 + 2 ** -9, Math.fround(0.0999755859375)) });
    expect(roundToHalf(Float32Array.of(1, -70000))).toEqual({ overflow: 1 });
  });

  it('rounds dense product weights (not biases, not other constants), keeps one beyond range, and measures the error', () => {
    const m = Builder.func();
    const x = m.func.addArgument(new TensorType([1, 4], 'f32'), 'x');
    const w1 = m.b.constant(Tensor.from('f32', [4, 4], [0.1, 0.2, 0.3, 0.4, 1, 2, 3, 4, -0.1, -0.2, -0.3, -0.4, 0.5, 0.25, 0.125, 1 / 3]));
    const bias = m.b.constant(Tensor.from('f32', [4], [0.1, 0.1, 0.1, 0.1]));
    const h = m.b.op('nn.gemm', [x, w1, bias], {});
    const big = m.b.constant(Tensor.from('f32', [4, 4], Array.from({ length: 16 }, (_, i) => (i === 5 ? 1e5 : 0.1))));
    m.b.ret([m.b.op('nn.matmul', [h, big])]);
    const r = roundWeightsToHalf(m.module);
    expect(r).toMatchObject({ weights: 1, values: 16, trials: 2 });
    expect(r.kept).toEqual(['nn.matmul: weight value 100000 is beyond f16\'s range (65504)']);
    expect(r.outputError).toBeGreaterThan(0);
    expect(r.outputError).toBeLessThan(1e-3);
    expect(isHalfExact(constData(w1)!.data as Float32Array)).toBe(true);
    expect(constData(bias)!.data).toEqual(Float32Array.of(0.1, 0.1, 0.1, 0.1));
    expect(isHalfExact(constData(big)!.data as Float32Array)).toBe(false);
    expect(describeRounding(r)).toMatch(/^--weight-dtype f16 \(lossy\): 1 product weight\(s\), 16 values rounded to f16; output error \S+ \(normwise relative, largest over 2 random inputs\); kept f32: nn\.matmul: weight value 100000/);
  });
});
