// Every schedule of every WebGPU product kernel against the interpreter, on random odd shapes: a
// dense constant weight, CSR with uneven rows (sorted by length or not), 2:4, a run-time Gemm with
// transposes, alpha and beta, and a MatMul over broadcast batches; each compiled with every choice
// on one odd shape, and with a few spread over the space on random ones; a dense weight of f16 values
// (subnormals among them) with its schedules that store them as f16.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Builder } from '../../src/ir/builder.js';
import type { Func, Module, Value } from '../../src/ir/core.js';
import { float, int, ints, str } from '../../src/ir/attributes.js';
import { csr, nm } from '../../src/ir/encodings.js';
import { f16ToF32, f32ToF16, Tensor } from '../../src/ir/tensor.js';
import { TensorType } from '../../src/ir/types.js';
import { candidates, select } from '../../src/lower/select.js';
import type { Choice } from '../../src/lower/plan.js';
import { rng } from '../../src/util/random.js';
import { agreeGpu } from './agree.js';
import { WEBGPU_CAPS } from './compile.js';
import { releaseDevice } from './device.js';

afterAll(releaseDevice);

const rand = (r: () => number, n: number) => Array.from({ length: n }, () => r() * 2 - 1);

/** One product each, sized M x K x N (K a multiple of 4 for 2:4), as modules of one op. */
function products(M: number, k4: number, N: number, seed: number): Module[] {
  const r = rng(seed), K = 4 * k4;
  const one = (build: (b: Builder, func: Func, x: Value) => Value) => {
    const { module, func, b } = Builder.func();
    b.ret([build(b, func, func.addArgument(new TensorType([M, K], 'f32'), 'x'))]);
    return module;
  };
  // uneven rows: row n keeps about one value in (n % 5 + 1)^2, row 0 keeps every value, the last none
  const wc = Array.from({ length: N * K }, (_, i) => {
    const n = Math.floor(i / K);
    return n === N - 1 && N > 1 ? 0 : r() < 1 / ((n % 5) + 1) ** 2 ? r() * 2 - 1 : 0;
  });
  const w24 = Array.from({ length: N * K }, (_, i) => (((i % 4) + (i >> 2)) % 4 < 2 ? r() * 2 - 1 : 0));
  return [
    one((b, _f, x) => b.op('nn.gemm', [x, b.constant(Tensor.from('f32', [N, K], rand(r, N * K))), b.constant(Tensor.from('f32', [N], rand(r, N)))], { transB: int(1), activation: str('relu') })),
    one((b, _f, x) => b.op('sparse.gemm', [x, b.constant(Tensor.from('f32', [N, K], wc), { encoding: csr(16) }), b.constant(Tensor.from('f32', [N], rand(r, N)))], { transB: int(1), activation: str('sigmoid') })),
    one((b, _f, x) => b.op('sparse.gemm', [x, b.constant(Tensor.from('f32', [N, K], w24), { encoding: nm(2, 4, 1) })], { transB: int(1) })),
    // run time: Gemm(A^T, B^T) alpha 0.5 + 2 C, and a MatMul over broadcast batches
    one((b, func) => b.op('nn.gemm', [func.addArgument(new TensorType([K, M], 'f32'), 'a'), func.addArgument(new TensorType([N, K], 'f32'), 'b'), b.constant(Tensor.from('f32', [1, N], rand(r, N)))], { transA: int(1), transB: int(1), alpha: float(0.5), beta: float(2) })),
    one((b, func) => b.op('nn.matmul', [func.addArgument(new TensorType([2, 1, M, K], 'f32'), 'p'), func.addArgument(new TensorType([3, K, N], 'f32'), 'q')])),
  ];
}

/** A dense product whose weight values are all f16 (rounded ones and subnormals): its schedules store them as f16. */
function halfProduct(M: number, K: number, N: number, seed: number): Module {
  const r = rng(seed);
  const w = Array.from({ length: N * K }, (_, i) => (i % 3 === 0 ? (i % 2 ? -1 : 1) * ((i * 37) % 1024) * 2 ** -24 : f16ToF32(f32ToF16(r() * 2 - 1))));
  const { module, func, b } = Builder.func();
  const x = func.addArgument(new TensorType([M, K], 'f32'), 'x');
  b.ret([b.op('nn.matmul', [x, b.constant(Tensor.from('f32', [K, N], w))])]);
  return module;
}

/** The choices of the product in `module` that `keep` keeps (default all), each compiled and checked; what ran goes to `seen`. */
async function everyChoice(module: Module, seed: number, seen: Set<string>, keep: (i: number, c: Choice) => boolean = () => true): Promise<void> {
  const f = module.funcs[0]!, op = f.ops.find((o) => /(gemm|matmul|conv)$/.test(o.name))!;
  const space = candidates(op, WEBGPU_CAPS).applicable.flatMap((k) => k.space(op, WEBGPU_CAPS).map((choice) => ({ kernel: k.name, choice })));
  for (const [i, c] of space.entries()) {
    if (!keep(i, c.choice)) continue;
    seen.add(`${c.kernel} ${Object.entries(c.choice.schedule).filter(([k]) => k !== 'workgroup').map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
    await agreeGpu(module, seed, [], undefined, select(f, WEBGPU_CAPS, (o) => (o === op ? { ...c, why: 'every choice' } : undefined)));
  }
}

/** A convolution: x [1, C, ...spatial], weight [M, C / group, ...kernel], dense, CSR (most taps zero) or computed at run time. */
function conv(xs: number[], ws: number[], attrs: Record<string, number[] | number>, weight: 'dense' | 'csr' | 'runtime', seed: number): Module {
  const r = rng(seed), n = ws.reduce((a, b) => a * b, 1);
  const { module, func, b } = Builder.func();
  const x = func.addArgument(new TensorType(xs, 'f32'), 'x');
  // a sparse convolution's weight is its 2-d view [M, C / group x kernel], the kernel shape an attribute
  const shape = weight === 'csr' ? [ws[0]!, n / ws[0]!] : ws;
  const w = weight === 'runtime' ? func.addArgument(new TensorType(ws, 'f32'), 'w') : b.constant(Tensor.from('f32', shape, Array.from({ length: n }, () => (weight === 'csr' && r() < 0.7 ? 0 : r() * 2 - 1))), weight === 'csr' ? { encoding: csr(16) } : {});
  const at = Object.fromEntries(Object.entries({ ...attrs, ...(weight === 'csr' ? { kernel_shape: ws.slice(2) } : {}) }).map(([k, v]) => [k, typeof v === 'number' ? int(v) : ints(v)]));
  b.ret([b.op(weight === 'csr' ? 'sparse.conv' : 'nn.conv', [x, w, b.constant(Tensor.from('f32', [ws[0]!], rand(r, ws[0]!)))], { ...at, activation: str('relu') })]);
  return module;
}

/** Every `step`-th choice from an offset (a spread over the space). */
const spread = (step: number, from: number) => (i: number) => i % step === from % step;

describe('WebGPU product and convolution schedules vs the interpreter', () => {
  it('convolutions: 1, 2 and 4 positions per invocation, dense, CSR and run-time weights, ranks 1 to 3, odd sizes', async () => {
    const seen = new Set<string>();
    const cases = [
      conv([1, 3, 11, 9], [5, 3, 3, 3], { pads: [1, 0, 2, 1], strides: [2, 1] }, 'dense', 1),
      conv([2, 4, 7, 7], [6, 2, 3, 2], { group: 2, dilations: [2, 1], pads: [1, 1, 1, 1] }, 'csr', 2),
      conv([1, 8, 5, 7], [7, 8, 1, 1], {}, 'csr', 3),
      conv([1, 3, 13], [4, 3, 4], { strides: [3], pads: [2, 1] }, 'runtime', 4),
      conv([1, 2, 5, 4, 3], [3, 2, 2, 3, 2], { pads: [1, 0, 1, 0, 1, 1] }, 'dense', 5),
      conv([1, 4, 6, 6], [4, 1, 3, 3], { group: 4, pads: [1, 1, 1, 1] }, 'dense', 6),
    ];
    for (const m of cases) await everyChoice(m, 7, seen);
    expect([...seen].sort()).toEqual(['conv_grid positions=1', 'conv_grid positions=2', 'conv_grid positions=4']);
  }, 600_000);

  it('every lanes x rows x order and the 32 x 32 tiles, for every product kernel, on odd shapes; some of them on random shapes', async () => {
    const seen = new Set<string>();
    for (const m of products(37, 17, 41, 5)) await everyChoice(m, 5, seen);
    await everyChoice(halfProduct(37, 67, 41, 6), 6, seen, (_i, c) => c.schedule['values'] === 'f16' && (c.schedule['tile'] !== undefined || [1, 16].includes(Number(c.schedule['lanes']))));
    for (const s of ['matmul_grid lanes=1 rows=1', 'matmul_grid lanes=64 rows=4', 'matmul_grid tile=32 per=4x4', 'csr_product_grid lanes=4 rows=4 order=by length', 'csr_product_grid lanes=1 rows=2 order=rows', 'nm_product_grid lanes=16 rows=1', 'matmul_grid tile=32 per=4x4 values=f16', 'matmul_grid lanes=1 rows=1 values=f16']) {
      expect([...seen]).toContain(s);
    }
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 17 }), fc.integer({ min: 1, max: 45 }), fc.integer({ min: 1, max: 1e9 }), async (M, k4, N, seed) => {
      for (const m of products(M, k4, N, seed)) await everyChoice(m, seed, seen, spread(8, seed));
    }), { numRuns: 2 });
  }, 600_000);
});
