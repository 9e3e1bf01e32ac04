// The cost model: the probe gives this machine's rates; counted work ranks a layer's candidates the
// way the kernels' loops say (fixed rates here, so the test does not depend on the machine); the
// tuner measures only the default and the best few.
import { describe, expect, it } from 'vitest';
import { Builder } from '../ir/builder.js';
import { csr } from '../ir/encodings.js';
import { Tensor } from '../ir/tensor.js';
import { TensorType } from '../ir/types.js';
import type { Func, Op } from '../ir/core.js';
import { candidates, legalize } from '../lower/index.js';
import { rng } from '../util/random.js';
import { loadTarget } from '../../targets/index.js';
import { rankByCost, type MachineRates } from './cost.js';
import { tune } from './tune.js';

const RATES: MachineRates = { bytesPerMs: 10e6, opsPerMs: 20e6 };

/** A product x[M, K] @ w[K, N] with a constant weight, `zeros` of it pruned (stored CSR when any). */
function productFunc(M: number, K: number, N: number, zeros: number): Func {
  const r = rng(5);
  const w = Tensor.from('f32', [K, N], Array.from({ length: K * N }, () => (r() < zeros ? 0 : r() * 2 - 1)));
  const m = Builder.func();
  const x = m.func.addArgument(new TensorType([M, K], 'f32'), 'x');
  m.b.ret([m.b.op(zeros ? 'sparse.matmul' : 'nn.matmul', [x, m.b.constant(w, zeros ? { encoding: csr(16) } : {})])]);
  return m.module.funcs[0]!;
}
const product = (M: number, K: number, N: number, zeros: number): Op => legalize(productFunc(M, K, N, zeros)).ops.find((o) => o.name.endsWith('matmul'))!;

async function ranked(op: Op): Promise<string[]> {
  const target = await loadTarget('wasm');
  const all = candidates(op, target.caps).applicable.flatMap((k) => k.space(op, target.caps).map((choice) => ({ kernel: k.name, choice })));
  return rankByCost(op, all, target.caps, RATES).map((r) => `${r.cand.kernel} ${JSON.stringify(r.cand.choice.schedule)}${r.estimateMs === undefined ? ' (no estimate)' : ''}`);
}

describe('the cost model', () => {
  it("the probe measures this machine's bandwidth and SIMD rate (positive and finite; never asserted as a number)", async () => {
    const target = await loadTarget('wasm');
    const r = await target.probe!();
    for (const v of [r.bytesPerMs, r.opsPerMs]) expect(Number.isFinite(v) && v > 0).toBe(true);
    expect(await target.probe!()).toBe(r);
  });

  it('ranks by counted work: a 90%-sparse batch reads CSR before dense, a dense one takes the 4 x 8 panel GEMM before row blocks and spilling tiles', async () => {
    const sparse = await ranked(product(16, 256, 256, 0.9));
    expect(sparse[0]).toMatch(/^csr_matmul_batched /);
    expect(sparse.findIndex((s) => s.startsWith('csr_matmul_batched'))).toBeLessThan(sparse.findIndex((s) => s.startsWith('dense_')));
    const dense = await ranked(product(64, 256, 256, 0));
    expect(dense[0]).toMatch(/^dense_gemm \{"mr":4,"nr":8,/);
    expect(dense.findIndex((s) => s.startsWith('dense_gemm {"mr":6,"nr":8'))).toBeGreaterThan(dense.findIndex((s) => s.startsWith('dense_gemm {"mr":4,"nr":8')));
    expect(dense.findIndex((s) => s.startsWith('dense_matmul {"rowBlock":1'))).toBeGreaterThan(dense.findIndex((s) => s.startsWith('dense_gemm')));
    // the kernel without a count (the typed one) comes last
    expect(dense.at(-1)).toMatch(/^matmul_typed .*\(no estimate\)$/);
  });

  it('the tuner measures the default and only the best `top` others', async () => {
    const target = await loadTarget('wasm');
    const plan = target.plan(productFunc(8, 64, 64, 0));
    const r = await tune(plan, target, { budgetMs: 60_000, top: 1, sampleMs: 0.2, rounds: 3 });
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]!.candidates).toBe(2);
    expect(r.rows[0]!.considered).toBeGreaterThan(10);
  }, 60_000);
});
