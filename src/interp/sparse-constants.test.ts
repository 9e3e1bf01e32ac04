// A weight stored with a sparse encoding computes exactly what its dense form computes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder } from '../ir/builder.js';
import { int } from '../ir/attributes.js';
import { bsr, csr, nm, type Encoding } from '../ir/encodings.js';
import { encodingViolation } from '../ir/sparse-data.js';
import { Tensor } from '../ir/tensor.js';
import { TensorType } from '../ir/types.js';
import { parseModule } from '../ir/parser.js';
import { printModule } from '../ir/printer.js';
import { interpret } from './interpret.js';

function gemm(w: Tensor, encoding?: Encoding) {
  const { module, func, b } = Builder.func();
  const x = func.addArgument(new TensorType([2, w.shape[1]!], 'f32'), 'x');
  b.ret([b.op('nn.gemm', [x, b.constant(w, encoding ? { encoding } : {})], { transB: int(1) })]);
  return module;
}

describe('sparse constants in the interpreter', () => {
  it('CSR, BSR and N:M weights give the dense result (and survive a text round trip)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: -4, max: 4 })), { minLength: 32, maxLength: 32 }), (vals) => {
        const w = Tensor.from('f32', [4, 8], vals);
        const x = Tensor.from('f32', [2, 8], Array.from({ length: 16 }, (_, i) => i - 7));
        const dense = interpret(gemm(w), [x])[0]!;
        for (const e of [csr(8), bsr([2, 2], 8), nm(2, 4, 1), nm(4, 4, 1)]) {
          if (encodingViolation(w, e)) continue;
          const m = parseModule(printModule(gemm(w, e), { inlineLimit: 4 }));
          expect(interpret(m, [x])[0]!.bitwiseEquals(dense)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses to run an elided weight, naming the op', () => {
    const m = parseModule(printModule(gemm(Tensor.from('f32', [4, 8], Array.from({ length: 32 }, (_, i) => i))), { elideWeights: true }));
    expect(() => interpret(m, [Tensor.zeros('f32', [2, 8])])).toThrow(/nn\.constant.*elided/);
  });

  it('checks inputs against the signature', () => {
    const m = gemm(Tensor.from('f32', [4, 8], new Array(32).fill(1)));
    expect(() => interpret(m, [Tensor.zeros('f32', [2, 9])])).toThrow(/input #0: got f32\[2x9\], expected tensor<2x8xf32> \(dim 1 is 9, not 8\)/);
  });
});
