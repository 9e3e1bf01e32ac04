// Every schedule of every WebGPU product kernel against the interpreter, on random odd shapes: a
// dense constant weight, CSR with uneven rows (sorted by length or not), 2:4, a run-time Gemm with
// transposes, alpha and beta, and a MatMul over broadcast batches; each compiled with every choice
// on one odd shape, and with a few spread over the space on random ones.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Builder } from '../../src/ir/builder.js';
import type { Func, Module, Value } from '../../src/ir/core.js';
import { float, int, str } from '../../src/ir/attributes.js';
import { csr, nm } from '../../src/ir/encodings.js';
import { Tensor } from '../../src/ir/tensor.js';
import { TensorType } from '../../src/ir/types.js';
import { candidates, select } from '../../src/lower/select.js';
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

/** Every choice (or `sample` of them, spread over the space) of the product in `module`, each compiled and checked; what ran. */
async function everyChoice(module: Module, seed: number, seen: Set<string>, sample?: number): Promise<void> {
  const f = module.funcs[0]!, op = f.ops.find((o) => /(gemm|matmul)$/.test(o.name))!;
  const space = candidates(op, WEBGPU_CAPS).applicable.flatMap((k) => k.space(op, WEBGPU_CAPS).map((choice) => ({ kernel: k.name, choice })));
  const step = sample ? Math.max(1, Math.floor(space.length / sample)) : 1;
  for (let i = sample ? seed % step : 0; i < space.length; i += step) {
    const c = space[i]!;
    seen.add(`${c.kernel} ${Object.entries(c.choice.schedule).filter(([k]) => k !== 'workgroup').map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
    await agreeGpu(module, seed, [], undefined, select(f, WEBGPU_CAPS, (o) => (o === op ? { ...c, why: 'every choice' } : undefined)));
  }
}

describe('WebGPU product schedules vs the interpreter', () => {
  it('every lanes x rows x order and the 32 x 32 tiles, for every product kernel, on odd shapes; some of them on random shapes', async () => {
    const seen = new Set<string>();
    for (const m of products(37, 17, 41, 5)) await everyChoice(m, 5, seen);
    for (const s of ['matmul_grid lanes=1 rows=1', 'matmul_grid lanes=64 rows=4', 'matmul_grid tile=32 per=4x4', 'csr_product_grid lanes=4 rows=4 order=by length', 'csr_product_grid lanes=1 rows=2 order=rows', 'nm_product_grid lanes=16 rows=1']) {
      expect([...seen]).toContain(s);
    }
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 17 }), fc.integer({ min: 1, max: 45 }), fc.integer({ min: 1, max: 1e9 }), async (M, k4, N, seed) => {
      for (const m of products(M, k4, N, seed)) await everyChoice(m, seed, seen, 3);
    }), { numRuns: 2 });
  }, 600_000);
});
