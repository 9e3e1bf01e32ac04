// nm-layout and sparsify on the example models: eligible weights become sparse ops and the
// interpreter's output does not change; a model without N:M structure is left alone unless forced.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../importer/import.js';
import { interpret } from '../interp/interpret.js';
import { Builder } from '../ir/builder.js';
import { int, ints } from '../ir/attributes.js';
import { csr, nm } from '../ir/encodings.js';
import { encodingViolation } from '../ir/sparse-data.js';
import { Tensor } from '../ir/tensor.js';
import { TensorType } from '../ir/types.js';
import { printModule } from '../ir/printer.js';
import { runPipeline } from './manager.js';
import { parsePipeline } from './pipeline.js';
import { passRegistry } from './registry.js';
import { randomInputs } from './semantics.js';

const example = (n: string) => importOnnxFile(new URL(`../../examples/${n}.onnx`, import.meta.url).pathname).module;
const run = (m: ReturnType<typeof example>, p: string) => runPipeline(m, parsePipeline(p, passRegistry()), { log: () => undefined });

describe('nm-layout', () => {
  it('converts every eligible weight of the 2:4 example, output unchanged', () => {
    const m = example('mlp-2of4');
    const inputs = randomInputs(m, 3, 4);
    const before = interpret(m, inputs);
    const [rec] = run(m, 'nm-layout');
    expect(rec!.stats.get('weights stored as N:M')).toBe(3);
    const ops = m.funcs[0]!.ops.map((o) => o.name);
    expect(ops.filter((o) => o === 'sparse.gemm')).toHaveLength(3);
    expect(ops).not.toContain('nn.gemm');
    expect(printModule(m, { elideWeights: true })).toContain('#nm<n = 2, m = 4, axis = 1>');
    const after = interpret(m, inputs);
    after.forEach((t, i) => expect(t.bitwiseEquals(before[i]!)).toBe(true));
  });

  it('leaves a model without 2:4 structure unchanged, unless force=true', () => {
    const m = example('resnet-pruned');
    const text = printModule(m);
    const [rec] = run(m, 'nm-layout');
    expect(printModule(m)).toBe(text);
    expect(rec!.stats.get('weights left dense (not N:M)')).toBeGreaterThan(0);
    const [forced] = run(m, 'nm-layout{force=true}');
    expect(forced!.stats.get('weights pruned to N:M (force)')).toBeGreaterThan(0);
    expect(forced!.stats.get('relative weight energy removed (ppm)')).toBeGreaterThan(0);
    for (const op of m.funcs[0]!.ops) if (op.name === 'sparse.conv') expect(op.operand(1).type.encoding?.kind).toBe('nm');
  });
});

describe('sparse ops compute what their dense forms compute', () => {
  it('sparse.gemm / sparse.matmul / sparse.conv vs nn ops on random sparse weights', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.float({ min: -2, max: 2, noNaN: true })), { minLength: 64, maxLength: 64 }), (vals) => {
        const w = Tensor.from('f32', [8, 8], vals);
        const { module, func, b } = Builder.func();
        const x = func.addArgument(new TensorType([3, 8], 'f32'), 'x');
        const img = func.addArgument(new TensorType([1, 8, 3, 3], 'f32'), 'img');
        const outs = [
          b.op('nn.gemm', [x, b.constant(w)], { transB: int(1) }),
          b.op('sparse.gemm', [x, b.constant(w, { encoding: csr(8) })], { transB: int(1) }),
          b.op('nn.matmul', [x, b.constant(w)]),
          b.op('sparse.matmul', [x, b.constant(w, { encoding: csr(8) })]),
        ];
        const w4 = new Tensor('f32', [8, 8, 1, 1], w.data);
        outs.push(b.op('nn.conv', [img, b.constant(w4)]));
        outs.push(b.op('sparse.conv', [img, b.constant(w, { encoding: csr(8) })], { kernel_shape: ints([1, 1]) }));
        if (!encodingViolation(w4, nm(2, 4, 1))) {
          outs.push(b.op('nn.conv', [img, b.constant(w4)]));
          outs.push(b.op('sparse.conv', [img, b.constant(w4, { encoding: nm(2, 4, 1) })]));
        }
        b.ret(outs);
        const r = interpret(module, randomInputs(module, 5, 1));
        for (let i = 0; i < r.length; i += 2) expect(r[i + 1]!.bitwiseEquals(r[i]!)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
