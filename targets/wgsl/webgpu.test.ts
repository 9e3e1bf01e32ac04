// Differential tests of every WGSL kernel against the reference interpreter, on the WebGPU adapter
// of this machine (a software Vulkan one without a GPU: scripts/install-vulkan.sh): element-wise ops
// with broadcasting in f32, integer and bool types; data movement; dense and CSR products; dense
// and sparse convolutions of every rank; reductions, softmax, layer norm and pooling; odd sizes.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Builder } from '../../src/ir/builder.js';
import { float, int, ints, str } from '../../src/ir/attributes.js';
import { csr, nm } from '../../src/ir/encodings.js';
import { Tensor } from '../../src/ir/tensor.js';
import { TensorType, type ElementType } from '../../src/ir/types.js';
import { rng } from '../../src/util/random.js';
import { agreeGpu } from './agree.js';
import { webgpuTarget } from './target.js';
import { interpret } from '../../src/interp/interpret.js';
import { compareTensors } from '../../src/interp/compare.js';
import { randomInputs } from '../../src/pass/semantics.js';
import { releaseDevice } from './device.js';
import { weightReads } from './context.js';

afterAll(releaseDevice);

const rand = (r: () => number, n: number, zeros = 0) => Array.from({ length: n }, () => (r() < zeros ? 0 : r() * 2 - 1));

/** One op over arguments of the given types and constants; returns its module. */
function oneOp(name: string, args: [number[], ElementType][], consts: Tensor[], attrs: Record<string, ReturnType<typeof int>> = {}) {
  const { module, func, b } = Builder.func();
  const vals = [...args.map(([s, et], i) => func.addArgument(new TensorType(s, et), `a${i}`)), ...consts.map((t) => b.constant(t))];
  b.ret([b.op(name, vals, attrs)]);
  return module;
}

describe('WebGPU kernels vs the interpreter', () => {
  it('weight reads become wt() calls, nested ones too (the weights may span several bindings)', () => {
    expect(weightReads('a + wts[x + wts[3u]] * bitcast<f32>(wts[i]) + mem[wts[0u]]')).toBe('a + wt(x + wt(3u)) * bitcast<f32>(wt(i)) + mem[wt(0u)]');
  });

  it('unary maps in f32 (the math helpers included)', async () => {
    for (const op of ['relu', 'neg', 'abs', 'sqrt', 'floor', 'ceil', 'reciprocal', 'exp', 'log', 'tanh', 'erf', 'sigmoid', 'softplus', 'softsign', 'hard_swish', 'identity']) {
      const m = oneOp(`nn.${op}`, [[[3, 7], 'f32']], []);
      const r = rng(op.length);
      const x = Tensor.from('f32', [3, 7], rand(r, 21).map((v) => (op === 'sqrt' || op === 'log' ? Math.abs(v) * 4 + 0.01 : v * 4)));
      await agreeGpu(m, 1, [op === 'identity' ? 'identity' : op], [x]);
    }
  });

  it('broadcasting binary and variadic maps, comparisons to bool, where, integer arithmetic wrapped to its type', async () => {
    await agreeGpu(oneOp('nn.add', [[[2, 3, 5], 'f32'], [[3, 1], 'f32']], []), 1, ['add']);
    await agreeGpu(oneOp('nn.mul', [[[4, 1, 3], 'f32'], [[5, 1], 'f32']], []), 2);
    await agreeGpu(oneOp('nn.div', [[[6], 'f32']], [Tensor.from('f32', [6], [1, 2, -3, 4, 0.5, 7])]), 3);
    await agreeGpu(oneOp('nn.max', [[[2, 4], 'f32'], [[4], 'f32'], [[1], 'f32']], []), 4);
    await agreeGpu(oneOp('nn.pow', [[[5], 'f32']], [Tensor.from('f32', [5], [2, 3, 0.5, 1, 2])]), 5, [], [Tensor.from('f32', [5], [1.5, -2, 4, -3, 0])]);
    await agreeGpu(oneOp('nn.prelu', [[[2, 3, 4], 'f32']], [Tensor.from('f32', [3, 1], [0.1, 0.2, 0.3])]), 6);
    await agreeGpu(oneOp('nn.less', [[[3, 4], 'f32'], [[4], 'f32']], []), 7, ['less']);
    const w = Builder.func();
    const c = w.func.addArgument(new TensorType([2, 3], 'bool'), 'c');
    const a = w.func.addArgument(new TensorType([2, 3], 'f32'), 'a');
    w.b.ret([w.b.op('nn.where', [c, a, w.b.constant(Tensor.from('f32', [1], [-7]))])]);
    await agreeGpu(w.module, 8, ['where'], [Tensor.from('bool', [2, 3], [true, false, true, true, false, false]), Tensor.from('f32', [2, 3], [1, 2, 3, 4, 5, 6])]);
    const ints8 = Tensor.from('i8', [4], [100, -100, 50, 7]);
    await agreeGpu(oneOp('nn.add', [[[4], 'i8'], [[4], 'i8']], []), 9, [], [ints8, Tensor.from('i8', [4], [100, -100, 100, 1])]);
    await agreeGpu(oneOp('nn.div', [[[4], 'i32'], [[4], 'i32']], []), 10, [], [Tensor.from('i32', [4], [7, -7, 5, 3]), Tensor.from('i32', [4], [2, 2, 0, -1])]);
    await agreeGpu(oneOp('nn.mul', [[[3], 'i64'], [[3], 'i64']], []), 11, [], [Tensor.from('i64', [3], [3n, -4n, 100000n]), Tensor.from('i64', [3], [5n, 6n, 7n])]);
    await agreeGpu(oneOp('nn.cast', [[[4], 'f32']], [], { to: { kind: 'type', value: 'i32' } } as never), 12, [], [Tensor.from('f32', [4], [1.7, -2.7, 3, 0.2])]);
  });

  it('data movement: transpose, slice, concat, pad, gather (constant and run-time indices), expand, tile, reshape', async () => {
    await agreeGpu(oneOp('nn.transpose', [[[2, 3, 4], 'f32']], [], { perm: ints([2, 0, 1]) }), 1, ['transpose']);
    const cat = Builder.func();
    const p = cat.func.addArgument(new TensorType([2, 3], 'f32'), 'p'), q = cat.func.addArgument(new TensorType([2, 2], 'f32'), 'q');
    cat.b.ret([cat.b.op('nn.concat', [p, q, p], { axis: int(1) })]);
    await agreeGpu(cat.module, 2, ['concat']);
    await agreeGpu(oneOp('nn.pad', [[[2, 3], 'f32']], [Tensor.from('i64', [4], [1n, 0n, 0n, 2n]), Tensor.from('f32', [], [9])]), 3, ['pad']);
    const g = Builder.func();
    const data = g.func.addArgument(new TensorType([5, 3], 'f32'), 'data'), idx = g.func.addArgument(new TensorType([2, 2], 'i64'), 'idx');
    g.b.ret([g.b.op('nn.gather', [data, idx], { axis: int(0) })]);
    await agreeGpu(g.module, 4, ['gather'], [Tensor.from('f32', [5, 3], rand(rng(4), 15)), Tensor.from('i64', [2, 2], [0n, 4n, -1n, 2n])]);
    await agreeGpu(oneOp('nn.gather', [[[3, 4], 'f32']], [Tensor.from('i64', [3], [3n, 0n, 2n])], { axis: int(1) }), 5);
    await agreeGpu(oneOp('nn.expand', [[[3, 1], 'f32']], [Tensor.from('i64', [3], [2n, 3n, 4n])]), 6);
    await agreeGpu(oneOp('nn.reshape', [[[2, 6], 'f32']], [Tensor.from('i64', [3], [3n, 2n, 2n])]), 7);
  });

  it('dense products: constant weights with bias and fused activations, run-time operands with batch broadcasting, odd sizes', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 13 }), fc.constantFrom('none', 'relu', 'sigmoid', 'gelu'), fc.integer({ min: 1, max: 1e9 }), async (M, K, N, act, seed) => {
      const r = rng(seed);
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([M, K], 'f32'), 'x');
      b.ret([b.op('nn.gemm', [x, b.constant(Tensor.from('f32', [N, K], rand(r, N * K))), b.constant(Tensor.from('f32', [N], rand(r, N)))], { transB: int(1), activation: str(act) })]);
      await agreeGpu(module, seed, ['matmul_grid']);
    }), { numRuns: 12 });
    const rt = Builder.func();
    rt.b.ret([rt.b.op('nn.matmul', [rt.func.addArgument(new TensorType([2, 1, 3, 5], 'f32'), 'a'), rt.func.addArgument(new TensorType([4, 5, 6], 'f32'), 'b')])]);
    await agreeGpu(rt.module, 3, ['matmul_grid']);
  });

  it('sparse products: CSR rows, and N:M weights in their own compressed form, never densified', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 1e9 }), async (M, k4, N, seed) => {
      const r = rng(seed), K = 4 * k4;
      const w = rand(r, N * K, 0.7);
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([M, K], 'f32'), 'x');
      b.ret([b.op('sparse.gemm', [x, b.constant(Tensor.from('f32', [N, K], w), { encoding: csr(16) }), b.constant(Tensor.from('f32', [N], rand(r, N)))], { transB: int(1), activation: str('relu') })]);
      await agreeGpu(module, seed, ['csr_product_grid']);
      // 2:4 along the inputs
      const w24 = Array.from({ length: N * K }, (_, i) => ((i % 4) + (i >> 2)) % 4 < 2 ? r() * 2 - 1 : 0);
      const m2 = Builder.func();
      const x2 = m2.func.addArgument(new TensorType([M, K], 'f32'), 'x');
      m2.b.ret([m2.b.op('sparse.gemm', [x2, m2.b.constant(Tensor.from('f32', [N, K], w24), { encoding: nm(2, 4, 1) })], { transB: int(1) })]);
      await agreeGpu(m2.module, seed, ['nm_product_grid']);
      // 1:4 along the inputs, with a row that keeps nothing (stored zeros)
      const w14 = Array.from({ length: N * K }, (_, i) => (Math.floor(i / K) === 0 ? 0 : i % 4 === (i >> 2) % 4 ? r() * 2 - 1 : 0));
      const m3 = Builder.func();
      const x3 = m3.func.addArgument(new TensorType([M, K], 'f32'), 'x');
      m3.b.ret([m3.b.op('sparse.gemm', [x3, m3.b.constant(Tensor.from('f32', [N, K], w14), { encoding: nm(1, 4, 1) })], { transB: int(1) })]);
      await agreeGpu(m3.module, seed, ['nm_product_grid']);
    }), { numRuns: 8 });
  });

  it('convolutions of rank 1 to 3: strides, pads, dilations, groups, run-time weights, CSR weights', async () => {
    const conv = async (xs: number[], ws: number[], attrs: Record<string, ReturnType<typeof ints>>, seed: number, opts: { sparse?: boolean; runtime?: boolean } = {}) => {
      const r = rng(seed);
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType(xs, 'f32'), 'x');
      const wt = Tensor.from('f32', ws, rand(r, ws.reduce((a, c) => a * c, 1), opts.sparse ? 0.6 : 0));
      const w = opts.runtime ? func.addArgument(new TensorType(ws, 'f32'), 'w') : b.constant(wt, opts.sparse ? { encoding: csr(32) } : {});
      b.ret([b.op(opts.sparse ? 'sparse.conv' : 'nn.conv', [x, w, b.constant(Tensor.from('f32', [ws[0]!], rand(r, ws[0]!)))], attrs)]);
      await agreeGpu(module, seed, ['conv_grid']);
    };
    await conv([2, 3, 7, 6], [5, 3, 3, 3], { pads: ints([1, 1, 1, 1]) }, 1);
    await conv([1, 4, 9, 7], [6, 2, 3, 3], { strides: ints([2, 2]), group: int(2) } as never, 2);
    await conv([1, 3, 12, 12], [3, 1, 3, 3], { dilations: ints([2, 2]), pads: ints([2, 2, 2, 2]), group: int(3) } as never, 3);
    await conv([1, 2, 11], [4, 2, 3], { pads: ints([1, 2]) }, 4);
    await conv([1, 2, 4, 5, 3], [3, 2, 2, 3, 2], {}, 5);
    await conv([1, 3, 6, 6], [4, 3, 3, 3], { pads: ints([1, 1, 1, 1]) }, 6, { runtime: true });
    await conv([1, 8, 5, 5], [6, 8 * 9], { kernel_shape: ints([3, 3]) }, 7, { sparse: true });
  });

  it('reductions, softmax, layer norm, pooling', async () => {
    await agreeGpu(oneOp('nn.reduce_sum', [[[3, 4, 5], 'f32']], [Tensor.from('i64', [1], [1n])], { keepdims: int(1) }), 1, ['reduce_sum']);
    await agreeGpu(oneOp('nn.reduce_max', [[[3, 4, 5], 'f32']], [Tensor.from('i64', [2], [1n, 2n])], { keepdims: int(0) }), 2);
    await agreeGpu(oneOp('nn.reduce_mean', [[[6, 5], 'f32']], [], {}), 3);
    await agreeGpu(oneOp('nn.softmax', [[[3, 7], 'f32']], [], { axis: int(1) }), 4, ['softmax']);
    await agreeGpu(oneOp('nn.log_softmax', [[[2, 5, 3], 'f32']], [], { axis: int(1) }), 5);
    await agreeGpu(oneOp('nn.layer_normalization', [[[4, 6], 'f32']], [Tensor.from('f32', [6], rand(rng(6), 6)), Tensor.from('f32', [6], rand(rng(7), 6))], { axis: int(-1), epsilon: float(1e-5) } as never), 6);
    await agreeGpu(oneOp('nn.max_pool', [[[1, 2, 7, 7], 'f32']], [], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }), 7, ['max_pool']);
    await agreeGpu(oneOp('nn.average_pool', [[[1, 2, 6, 5], 'f32']], [], { kernel_shape: ints([2, 3]), pads: ints([0, 1, 1, 1]), count_include_pad: int(1), ceil_mode: int(1), strides: ints([2, 2]) } as never), 8);
    await agreeGpu(oneOp('nn.average_pool', [[[1, 1, 8], 'f32']], [], { kernel_shape: ints([3]), pads: ints([1, 1]) }), 9);
    await agreeGpu(oneOp('nn.global_average_pool', [[[2, 3, 4, 5], 'f32']], []), 10);
    await agreeGpu(oneOp('nn.max_pool', [[[1, 2, 5, 5], 'i32']], [], { kernel_shape: ints([2, 2]) }), 11, [], [Tensor.from('i32', [1, 2, 5, 5], Array.from({ length: 50 }, (_, i) => (i * 37) % 23 - 11))]);
    // MaxPool's indices output, and batch norm in training mode with its running statistics
    const mp = Builder.func();
    const px = mp.func.addArgument(new TensorType([2, 3, 6, 5], 'f32'), 'x');
    const pool = mp.b.create('nn.max_pool', [px], { kernel_shape: ints([3, 2]), strides: ints([2, 2]), pads: ints([1, 0, 1, 1]) }, { numResults: 2 });
    mp.b.ret(pool.results);
    await agreeGpu(mp.module, 12, ['max_pool']);
    const bn = Builder.func();
    const bx = bn.func.addArgument(new TensorType([3, 4, 2, 3], 'f32'), 'x');
    const p = (k: number) => bn.b.constant(Tensor.from('f32', [4], rand(rng(k), 4).map((v) => (k === 4 ? Math.abs(v) + 0.5 : v))));
    const norm = bn.b.create('nn.batch_normalization', [bx, p(1), p(2), p(3), p(4)], { training_mode: int(1), momentum: float(0.8), epsilon: float(1e-3) } as never, { numResults: 3 });
    bn.b.ret(norm.results);
    await agreeGpu(bn.module, 13, ['batch_normalization']);
  });

  it('a bundled example end to end, and the WGSL and weights the compile writes', async () => {
    const { importOnnxFile } = await import('../../src/importer/import.js');
    const m = importOnnxFile(new URL('../../examples/mlp-sparse90.onnx', import.meta.url).pathname, { dims: { N: 3 } }).module;
    const kernels = await agreeGpu(m, 1);
    expect(kernels).toContain('matmul_grid');
  });

  it('times itself: whole runs by the timer, each dispatch by profile (timestamp queries on this adapter)', async () => {
    const { module, func, b } = Builder.func();
    const x = func.addArgument(new TensorType([4, 64], 'f32'), 'x');
    const h = b.op('nn.gemm', [x, b.constant(Tensor.from('f32', [32, 64], rand(rng(1), 2048))), b.constant(Tensor.from('f32', [32], rand(rng(2), 32)))], { transB: int(1), activation: str('relu') });
    h.definingOp!.loc = 'fc';
    b.ret([b.op('nn.softmax', [h], { axis: int(-1) })]);
    const artifact = webgpuTarget.compile(webgpuTarget.plan(module.funcs[0]!));
    const model = await webgpuTarget.instantiate((name) => artifact.files[name]);
    try {
      const inputs = randomInputs(module, 3, 1);
      const time = await model.timer!(inputs);
      const runs = [await time(), await time()];
      expect(runs.every((ms) => ms > 0 && ms < 5000)).toBe(true);
      // timed work shares the query buffers: one at a time, and an overlapping call is one clear error
      const both = await Promise.allSettled([time(), time()]);
      expect(both[0]!.status).toBe('fulfilled');
      expect(both[1]!.status === 'rejected' && String(both[1].reason)).toMatch(/the model is busy/);
      const p = await model.profile!(inputs, 3);
      expect(p.clock).toBe('timestamp-query');
      expect(p.runMs).toBeGreaterThan(0);
      expect(p.steps.map((s) => s.label)).toEqual(['matmul_grid (nn.gemm "fc")', 'softmax (nn.softmax)']);
      expect(p.steps.every((s) => s.ms > 0)).toBe(true);
      // timing leaves the model as it was
      const want = interpret(module, inputs)[0]!;
      expect(compareTensors((await model.run(inputs))[0]!, want, { rtol: 1e-4, atol: 1e-5 }).mismatch).toBeUndefined();
    } finally {
      model.dispose?.();
    }
  });
});
