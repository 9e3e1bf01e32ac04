// Differential tests of every wasm kernel and weight format against the reference interpreter, on
// random shapes including sizes that are not multiples of the vector width: dense, CSR, BSR and N:M
// matrix products, sparse and dense convolutions (2-d, 1-d, 3-d, run-time weights), ConvTranspose,
// products of two run-time operands, normalisations, reductions and non-f32 element types.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder } from '../../src/ir/builder.js';
import { float, int, ints, str } from '../../src/ir/attributes.js';
import { bsr, csr, nm } from '../../src/ir/encodings.js';
import { Tensor } from '../../src/ir/tensor.js';
import { TensorType, type ElementType } from '../../src/ir/types.js';
import { rng } from '../../src/util/random.js';

import { agree } from './agree.js';

const randArray = (r: () => number, n: number) => Array.from({ length: n }, () => r() * 2 - 1);

describe('wasm kernels and formats vs the interpreter', () => {
  it('BSR products: block shapes with f32x4 and scalar lanes, both weight orientations', async () => {
    const blocks: [number, number][] = [[1, 4], [4, 1], [4, 4], [2, 2], [8, 1], [1, 8], [3, 2]];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...blocks), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.integer({ min: 1, max: 1e9 }), async (block, M, kb, nb, transB, seed) => {
      const r = rng(seed);
      const [br, bc] = block;
      const rows = br * (transB ? nb : kb), cols = bc * (transB ? kb : nb); // stored weight [N, K] or [K, N]
      const w = new Array<number>(rows * cols).fill(0);
      for (let R = 0; R < rows / br; R++) for (let C = 0; C < cols / bc; C++) {
        if (r() < 0.5) continue;
        for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) w[(R * br + i) * cols + C * bc + j] = r() < 0.8 ? r() * 2 - 1 : 0;
      }
      const K = transB ? cols : rows, N = transB ? rows : cols;
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([M, K], 'f32'), 'x');
      const y = b.op('sparse.gemm', [x, b.constant(Tensor.from('f32', [rows, cols], w), { encoding: bsr(block, 16) }), b.constant(Tensor.from('f32', [N], randArray(r, N)))], { transB: int(transB ? 1 : 0), activation: str('relu') });
      b.ret([y]);
      await agree(module, seed, ['bsr_matmul']);
    }), { numRuns: 40 });
  });

  it('N:M products (2:4, 1:4, 2:8 along the inputs), odd batch sizes', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom([2, 4], [1, 4], [2, 8]), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 13 }), fc.boolean(), fc.integer({ min: 1, max: 1e9 }), async ([n, m], M, groups, N, transB, seed) => {
      const r = rng(seed);
      const K = groups * m;
      const wKN = new Array<number>(K * N).fill(0); // [K, N]
      for (let o = 0; o < N; o++) for (let g = 0; g < groups; g++) {
        const keep = new Set<number>();
        while (keep.size < n) keep.add(Math.floor(r() * m));
        for (const j of keep) wKN[(g * m + j) * N + o] = r() < 0.9 ? r() * 2 - 1 : 0;
      }
      const stored = transB ? Array.from({ length: N * K }, (_, i) => wKN[(i % K) * N + Math.floor(i / K)]!) : wKN;
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([M, K], 'f32'), 'x');
      const y = b.op('sparse.gemm', [x, b.constant(Tensor.from('f32', transB ? [N, K] : [K, N], stored), { encoding: nm(n, m, transB ? 1 : 0) })], { transB: int(transB ? 1 : 0) });
      b.ret([y]);
      const kernels = await agree(module, seed);
      expect(kernels.some((k) => k === 'nm_matmul' || k === 'nm24_gemv')).toBe(true);
    }), { numRuns: 40 });
  });

  it('sparse (CSR) and dense 2-d convolutions: strides, pads, dilations, groups, odd sizes', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 3, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 1 }), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 1e9 }), async (N, G, cg, H, k, s, pad, sparse, dil, seed) => {
      const r = rng(seed);
      const C = G * cg, M = G * (1 + Math.floor(r() * 3));
      const d = dil && k > 1 ? 2 : 1;
      if ((H + 2 * pad - d * (k - 1) - 1) < 0) return;
      const CK = cg * k * k;
      const w = Array.from({ length: M * CK }, () => (r() < 0.7 ? 0 : r() * 2 - 1));
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([N, C, H, H + 1], 'f32'), 'x');
      const attrs = { kernel_shape: ints([k, k]), strides: ints([s, s]), pads: ints([pad, pad, pad, pad]), dilations: ints([d, d]), group: int(G) };
      const wt = sparse ? b.constant(Tensor.from('f32', [M, CK], w), { encoding: csr(16) }) : b.constant(Tensor.from('f32', [M, cg, k, k], w));
      const y = b.op(sparse ? 'sparse.conv' : 'nn.conv', [x, wt, b.constant(Tensor.from('f32', [M], randArray(r, M)))], attrs);
      b.ret([y]);
      await agree(module, seed);
    }), { numRuns: 40 });
  });

  it('depthwise convolutions wide enough for the vector path: strides 1 and 2, pads, dilations, 3x3 and 5x5', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 5, max: 27 }), fc.constantFrom(3, 5), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 1e9 }), async (C, W, k, s, pad, d, seed) => {
      const r = rng(seed);
      if (W + 2 * pad - d * (k - 1) - 1 < 0 || 6 + 2 * pad - d * (k - 1) - 1 < 0) return; // the window must fit both dims
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([1, C, 6, W], 'f32'), 'x');
      const y = b.op('nn.conv', [x, b.constant(Tensor.from('f32', [C, 1, k, k], randArray(r, C * k * k))), b.constant(Tensor.from('f32', [C], randArray(r, C)))],
        { kernel_shape: ints([k, k]), strides: ints([s, s]), pads: ints([pad, pad, pad, pad]), dilations: ints([d, d]), group: int(C), activation: str('relu') });
      b.ret([y]);
      await agree(module, seed, ['depthwise_conv']);
    }), { numRuns: 40 });
  });

  it('1-d and 3-d convolutions, and a weight that is a run-time input (im2col through a table)', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(1, 3), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 3, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.integer({ min: 1, max: 1e9 }), async (sp, C, L, k, runtimeW, seed) => {
      const r = rng(seed);
      const M = 1 + Math.floor(r() * 4);
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([1, C, ...new Array<number>(sp).fill(L)], 'f32'), 'x');
      const wShape = [M, C, ...new Array<number>(sp).fill(k)];
      const w = runtimeW ? func.addArgument(new TensorType(wShape, 'f32'), 'w') : b.constant(Tensor.from('f32', wShape, randArray(r, wShape.reduce((p, q) => p * q, 1))));
      const y = b.op('nn.conv', [x, w], { kernel_shape: ints(new Array<number>(sp).fill(k)), pads: ints(new Array<number>(2 * sp).fill(1)), strides: ints(new Array<number>(sp).fill(1)), activation: str('leaky_relu'), activation_params: [0.1].length ? { kind: 'array', value: [float(0.1)] } : int(0) });
      b.ret([y]);
      await agree(module, seed, ['conv_table_im2col']);
    }), { numRuns: 25 });
  });

  it('ConvTranspose: strides, pads, groups, output padding', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 1e9 }), async (G, cg, H, k, s, pad, seed) => {
      const r = rng(seed);
      const C = G * cg, Mg = 1 + Math.floor(r() * 3);
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([1, C, H, H], 'f32'), 'x');
      const w = b.constant(Tensor.from('f32', [C, Mg, k, k], randArray(r, C * Mg * k * k)));
      const y = b.op('nn.conv_transpose', [x, w, b.constant(Tensor.from('f32', [G * Mg], randArray(r, G * Mg)))], { kernel_shape: ints([k, k]), strides: ints([s, s]), pads: ints([pad, 0, 0, pad]), group: int(G) });
      b.ret([y]);
      await agree(module, seed, ['conv_transpose']);
    }), { numRuns: 25 });
  });

  it('products of two run-time operands with batch broadcasting; Gemm with transposes, alpha, beta and a matrix C', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 1e9 }), async (B, M, K, N, tA, tB, seed) => {
      const { module, func, b } = Builder.func();
      const a = func.addArgument(new TensorType([B, 2, M, K], 'f32'), 'a');
      const w = func.addArgument(new TensorType([B, 1, K, N], 'f32'), 'b');
      const mm = b.op('nn.matmul', [a, w]);
      const ga = func.addArgument(new TensorType(tA ? [K, M] : [M, K], 'f32'), 'ga');
      const gb = func.addArgument(new TensorType(tB ? [N, K] : [K, N], 'f32'), 'gb');
      const gc = func.addArgument(new TensorType([M, 1], 'f32'), 'gc');
      const g = b.op('nn.gemm', [ga, gb, gc], { transA: int(tA ? 1 : 0), transB: int(tB ? 1 : 0), alpha: float(0.5), beta: float(2) });
      b.ret([mm, g]);
      await agree(module, seed, ['matmul_runtime']);
    }), { numRuns: 30 });
  });

  it('exp, erf, sigmoid and softmax on f32x4 (inline vector math) match the interpreter over their whole range: tiny, large, subnormal results, overflow, NaN, infinities', async () => {
    const edge = [-200, -104, -103.5, -95, -87.5, -20, -1, -0.6, -0.5, -0.49, -1e-6, -0, 0, 1e-30, 1e-6, 0.3, 0.49, 0.5, 0.51, 1, 2.5, 3, 5.9, 6, 10, 88, 88.7, 88.8, 89, 100, NaN, Infinity, -Infinity];
    const r = rng(3);
    const values = [...edge, ...Array.from({ length: 99 }, () => (r() * 2 - 1) * 12)];
    for (const op of ['nn.exp', 'nn.erf', 'nn.sigmoid', 'nn.softmax']) {
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([4, values.length / 4], 'f32'), 'x');
      b.ret([b.op(op, [x], op === 'nn.softmax' ? { axis: int(-1) } : {})]);
      const { compileWasm } = await import('./compile.js');
      const { instantiate } = await import('./runtime.js');
      const { interpret } = await import('../../src/interp/interpret.js');
      const input = Tensor.from('f32', [4, values.length / 4], values);
      const want = interpret(module, [input])[0]!.data as Float32Array;
      const { wasm, manifest } = compileWasm(func);
      const got = (await instantiate(wasm, manifest)).run([input])[0]!.data as Float32Array;
      got.forEach((g, i) => {
        const w = want[i]!;
        if (Number.isNaN(w) || !Number.isFinite(w)) expect(g, `${op}(${values[i]})`).toBe(w);
        // within 3 f32 ulps (softmax: 2e-6, as the scalar kernel: x - max is rounded to f32 before exp, and the sum is kept in f32 lanes)
        else expect(Math.abs(g - w), `${op}(${values[i]}) = ${g}, want ${w}`).toBeLessThanOrEqual((op === 'nn.softmax' ? 2e-6 : 3e-7) * Math.abs(w) + 1e-37);
      });
    }
  });

  it('layer norm, softmax on any axis, reductions over any axes, batch and instance norm', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 1e9 }), async (shape, ax, seed) => {
      const r = rng(seed);
      const rank = shape.length, a = ax % rank;
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType(shape, 'f32'), 'x');
      const inner = shape.slice(a).reduce((p, q) => p * q, 1);
      const ln = b.op('nn.layer_normalization', [x, b.constant(Tensor.from('f32', shape.slice(a), randArray(r, inner))), b.constant(Tensor.from('f32', shape.slice(a), randArray(r, inner)))], { axis: int(a) });
      const sm = b.op('nn.softmax', [x], { axis: int(a) });
      const axes = [...Array(rank).keys()].filter((i) => i === a || r() < 0.3);
      const red = b.op('nn.reduce_max', [x, b.constant(Tensor.from('i64', [axes.length], axes.map(BigInt)))], { keepdims: int(0) });
      const mean = b.op('nn.reduce_mean', [x, b.constant(Tensor.from('i64', [axes.length], axes.map(BigInt)))]);
      const outs = [ln, sm, red, mean];
      if (rank >= 3) {
        const C = shape[1]!;
        const p = () => b.constant(Tensor.from('f32', [C], Array.from({ length: C }, () => r() + 0.5)));
        outs.push(b.op('nn.batch_normalization', [x, p(), p(), p(), p()]), b.op('nn.instance_normalization', [x, p(), p()]));
      }
      b.ret(outs);
      await agree(module, seed, ['layer_norm', 'softmax', 'reduce_max']);
    }), { numRuns: 30 });
  });

  it('integer, bool and f64 element types: arithmetic with wrap-around, comparisons, where, cast', async () => {
    for (const et of ['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'f64'] as ElementType[]) {
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([3, 5], et), 'x');
      const y = func.addArgument(new TensorType([5], et), 'y');
      const sum = b.op('nn.add', [b.op('nn.mul', [x, y]), x]);
      const q = b.op('nn.div', [x, b.op('nn.add', [y, b.constant(Tensor.from(et, [], [et.endsWith('64') && et !== 'f64' ? 1n : 1]))])]);
      const less = b.op('nn.less', [x, y]);
      const w = b.op('nn.where', [less, x, b.op('nn.sub', [y, x])]);
      const cast = b.op('nn.cast', [w], { to: { kind: 'type', value: 'f32' } });
      b.ret([sum, q, less, w, cast]);
      await agree(module, 7);
    }
  });
});
