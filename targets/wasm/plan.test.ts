// The kernel plan as the wasm target renders it: the format a pass chose is the one that runs (N:M
// convolutions get an N:M kernel; a format no kernel reads is named in `why`), a chooser's pick is
// what runs, legalised Gemms take the fast kernels, and every result matches the interpreter.
import { describe, expect, it } from 'vitest';
import { float, int, ints } from '../../src/ir/attributes.js';
import { Builder } from '../../src/ir/builder.js';
import type { Module } from '../../src/ir/core.js';
import { bsr, csr, nm, type Encoding } from '../../src/ir/encodings.js';
import { f16ToF32, f32ToF16, Tensor } from '../../src/ir/tensor.js';
import { TensorType } from '../../src/ir/types.js';
import { printModule } from '../../src/ir/printer.js';
import { importOnnxFile } from '../../src/importer/import.js';
import { interpret } from '../../src/interp/interpret.js';
import { compareTensors } from '../../src/interp/compare.js';
import { runPipeline } from '../../src/pass/manager.js';
import { parsePipeline } from '../../src/pass/pipeline.js';
import { passRegistry } from '../../src/pass/registry.js';
import { randomInputs } from '../../src/pass/semantics.js';
import { candidates, legalize, planData, select, type Chooser, type KernelPlan } from '../../src/lower/index.js';
import { rng } from '../../src/util/random.js';
import { renderWasm, WASM_CAPS } from './compile.js';
import { instantiate } from './runtime.js';
import { enableRelaxedSimd } from './features.js';

const random = (shape: number[], seed: number, zeros = 0) => {
  const r = rng(seed);
  return Tensor.from('f32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() < zeros ? 0 : r() * 2 - 1)));
};

/** Renders the plan, runs it (and its relaxed-SIMD variant, when there is one; returns whether) and checks it against the interpreter. */
async function runsLikeInterpreter(module: Module, plan: KernelPlan): Promise<boolean> {
  const inputs = randomInputs(module, 5, 1);
  const want = interpret(module, inputs);
  const { wasm, relaxedWasm, manifest } = renderWasm(plan);
  // both variants: SIMD128, and relaxed SIMD (fused multiply-adds) when a kernel uses it
  expect(await enableRelaxedSimd()).toBe(true);
  for (const code of [wasm, ...(relaxedWasm ? [relaxedWasm] : [])]) {
    const got = (await instantiate(code, manifest)).run(inputs);
    got.forEach((t, i) => expect(compareTensors(t, want[i]!, { rtol: 1e-4, atol: 1e-5 }).mismatch).toBeUndefined());
  }
  expect(manifest.relaxedSimd).toBe(relaxedWasm !== undefined);
  expect(manifest.plan).toEqual(planData(plan));
  return relaxedWasm !== undefined;
}

const planOf = (m: Module, choose?: Chooser) => select(legalize(m.funcs[0]!), WASM_CAPS, choose);
const calls = (p: KernelPlan) => p.calls.map((c) => c.call);

describe('the kernel plan on wasm', () => {
  it('N:M convolutions (nm-layout) run the N:M kernel, grouped ones too, and match the interpreter', async () => {
    const m = importOnnxFile(new URL('../../examples/resnet-pruned.onnx', import.meta.url).pathname, { dims: { N: 2 } }).module;
    runPipeline(m, parsePipeline('canonicalize,fold-batchnorm,fuse-bias,fuse-activation,nm-layout{n=2,m=4,force=true}', passRegistry()), { log: () => undefined });
    const plan = planOf(m);
    const nmConvs = calls(plan).filter((c) => c.op === 'sparse.conv');
    expect(nmConvs.length).toBeGreaterThan(3);
    for (const c of nmConvs) expect(c.format).toEqual({ kind: 'nm', n: 2, m: 4, axis: 1 });
    await runsLikeInterpreter(m, plan);

    const g = Builder.func();
    const x = g.func.addArgument(new TensorType([1, 8, 6, 6], 'f32'), 'x');
    const w = random([6, 4, 3, 3], 3);
    for (let i = 0; i < w.size; i++) if (Math.floor(i / 9) % 4 >= 1 + (i % 2)) w.data[i] = 0; // at most 2 of each 4 input channels
    const y = g.b.op('sparse.conv', [x, g.b.constant(w, { encoding: nm(2, 4, 1) })], { group: int(2), pads: ints([1, 1, 1, 1]) });
    g.b.ret([y]);
    const gp = planOf(g.module);
    expect(calls(gp)[0]).toMatchObject({ kernel: 'conv_im2col', format: { kind: 'nm', n: 2, m: 4, axis: 1 } });
    await runsLikeInterpreter(g.module, gp);

  });

  it('a format no kernel reads is not a silent fallback: the plan says what runs and why', async () => {
    const a = Builder.func();
    const x = a.func.addArgument(new TensorType([2, 8], 'f32'), 'x');
    const w = random([8, 8], 4);
    for (let k = 0; k < 8; k++) for (let n = 0; n < 8; n++) if (n % 2 === 1) w.data[k * 8 + n] = 0; // 1 of each 2 outputs
    a.b.ret([a.b.op('sparse.matmul', [x, a.b.constant(w, { encoding: nm(1, 2, 1) })])]);
    const ap = planOf(a.module);
    expect(calls(ap)[0]).toMatchObject({ kernel: 'sell_gemv', format: { kind: 'csr', indexBits: 16 } });
    expect(calls(ap)[0]!.why).toContain('which no N:M kernel reads');
    await runsLikeInterpreter(a.module, ap);

    const c = Builder.func();
    const cx = c.func.addArgument(new TensorType([1, 4, 5, 5], 'f32'), 'x');
    c.b.ret([c.b.op('sparse.conv', [cx, c.b.constant(random([8, 36], 6, 0.7), { encoding: bsr([4, 1], 8) })], { kernel_shape: ints([3, 3]) })]);
    const cp = planOf(c.module);
    expect(calls(cp)[0]).toMatchObject({ kernel: 'conv_im2col', format: { kind: 'csr' } });
    expect(calls(cp)[0]!.why).toContain('no convolution kernel reads blocks');
    await runsLikeInterpreter(c.module, cp);
  });

  it("a chooser's pick is what runs (a sparse 1x1 convolution through im2col instead of the direct kernel)", async () => {
    const m = Builder.func();
    const x = m.func.addArgument(new TensorType([1, 8, 4, 4], 'f32'), 'x');
    m.b.ret([m.b.op('sparse.conv', [x, m.b.constant(random([5, 8], 7, 0.6), { encoding: csr(32) })], { kernel_shape: ints([1, 1]) })]);
    expect(calls(planOf(m.module))[0]!.kernel).toBe('conv1x1');
    const seen: string[][] = [];
    const choose: Chooser = (_op, cands) => {
      seen.push(cands.map((k) => k.kernel.name));
      const k = cands.find((c) => c.kernel.name === 'conv_im2col')!;
      return { kernel: k.kernel.name, choice: k.space[0]!, why: 'chosen by the test' };
    };
    const plan = planOf(m.module, choose);
    expect(seen).toEqual([['conv1x1', 'conv_im2col', 'conv_gemm', 'conv_table_im2col', 'conv_typed']]);
    expect(calls(plan)[0]).toMatchObject({ kernel: 'conv_im2col', why: 'chosen by the test', scratchBytes: 4 * 8 * 16 });
    await runsLikeInterpreter(m.module, plan);
    // A pick outside the kernel's space (a stale tuning record) is refused, not run untested.
    expect(() => planOf(m.module, () => ({ kernel: 'conv_im2col', choice: { format: { kind: 'csr', indexBits: 32 }, schedule: { channelBlock: 16 } }, why: 'stale' }))).toThrow('not in its space');
  });

  it('Gemm is legalised (on a copy) into the fast kernels: transposes, scales and C after', async () => {
    const m = Builder.func();
    const a = m.func.addArgument(new TensorType([6, 4], 'f32'), 'a');
    const bb = m.func.addArgument(new TensorType([5, 6], 'f32'), 'b');
    const cc = m.func.addArgument(new TensorType([4, 5], 'f32'), 'c');
    m.b.ret([m.b.op('nn.gemm', [a, bb, cc], { transA: int(1), transB: int(1), alpha: float(0.5), beta: float(2) })]);
    const before = printModule(m.module);
    const plan = planOf(m.module);
    expect(printModule(m.module)).toBe(before);
    expect(calls(plan).map((c) => c.kernel)).toEqual(['transpose', 'transpose', 'matmul_runtime', 'mul', 'mul', 'add']);
    await runsLikeInterpreter(m.module, plan);
  });

  it('the plan is plain data: JSON round-trips it, every call names its format, schedule and why', () => {
    const m = importOnnxFile(new URL('../../examples/mlp-2of4.onnx', import.meta.url).pathname, { dims: { N: 1 } }).module;
    runPipeline(m, parsePipeline('nm-layout', passRegistry()), { log: () => undefined });
    const data = planData(planOf(m));
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);
    for (const c of data.calls) {
      expect(typeof c.why).toBe('string');
      expect(c.format.kind).toBeDefined();
    }
    expect(data.calls.map((c) => c.kernel)).toEqual(['nm24_gemv', 'relu', 'nm24_gemv', 'relu', 'nm24_gemv']);
  });

  it("every choice in the space of every kernel that applies runs and matches the interpreter (what an autotuner may pick)", async () => {
    /** One product or convolution with a constant weight [K, N] (or a conv weight), stored in `enc`. */
    const product = (rows: number, K: number, N: number, enc: Encoding | undefined, seed: number, prune: (k: number, n: number) => boolean, half?: 'rounded' | 'subnormal') => {
      const m = Builder.func();
      const x = m.func.addArgument(new TensorType([rows, K], 'f32'), 'x');
      const w = random([K, N], seed);
      for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) if (prune(k, n)) w.data[k * N + n] = 0;
      // every value exactly an f16 (as after --weight-dtype f16): the matrix-vector kernel may store f16;
      // all f16 subnormals (+-k * 2^-24), so that a wrong conversion of them shows in the outputs
      if (half === 'rounded') w.data.forEach((v, i) => (w.data[i] = f16ToF32(f32ToF16(Number(v)))));
      if (half === 'subnormal') w.data.forEach((_v, i) => (w.data[i] = (i % 2 ? -1 : 1) * ((i * 37) % 1024) * 2 ** -24));
      m.b.ret([m.b.op(enc ? 'sparse.matmul' : 'nn.matmul', [x, m.b.constant(w, enc ? { encoding: enc } : {})])]);
      return m.module;
    };
    const modules = [
      product(1, 16, 8, csr(16), 11, (k, n) => (k + 3 * n) % 5 !== 0),
      // gaps of 300 columns (over u8 distances: extra steps) and an empty row
      product(2, 1000, 9, csr(16), 19, (k, n) => n === 7 || k % 300 !== n),
      product(9, 16, 8, csr(16), 12, (k, n) => (k * n) % 3 !== 0),
      product(2, 8, 8, bsr([2, 4], 16), 13, (k) => k >= 4),
      product(6, 8, 8, bsr([1, 4], 16), 14, (_k, n) => n % 4 !== 0),
      product(1, 16, 8, nm(2, 4, 0), 15, (k) => k % 4 >= 2),
      product(2, 24, 6, nm(2, 4, 0), 20, (k, n) => ((k % 4) + n) % 4 >= 2),
      product(5, 16, 8, nm(2, 4, 0), 16, (k, n) => (k + n) % 4 >= 2),
      // K = 256: the x table in chunks of 16 pairs (row after row: N = 6)
      product(2, 256, 6, nm(2, 4, 0), 33, (k, n) => ((k % 4) + (k >> 2) + n) % 4 >= 2),
      product(1, 8, 8, undefined, 17, () => false),
      product(7, 8, 8, undefined, 18, () => false),
      product(2, 16, 8, undefined, 34, () => false, 'rounded'),
      product(1, 24, 4, undefined, 35, () => false, 'subnormal'),
    ];
    /** A convolution x [n, c, h, w] with weight [m, c / group, kh, kw] (dense, or CSR with some zeros). */
    const conv = (xs: number[], ws: number[], attrs: Record<string, ReturnType<typeof ints>>, seed: number, enc?: Encoding) => {
      const m = Builder.func();
      const x = m.func.addArgument(new TensorType(xs, 'f32'), 'x');
      const operands = [x, m.b.constant(random(ws, seed, enc ? 0.5 : 0), enc ? { encoding: enc } : {}), m.b.constant(random([ws[0]!], seed + 1))];
      m.b.ret([m.b.op(enc ? 'sparse.conv' : 'nn.conv', operands, attrs)]);
      return m.module;
    };
    modules.push(
      // tails in every direction: 7 rows (channels) and 5 x 5 = 25 positions; padding and stride 2; groups; a batch of two
      conv([2, 3, 5, 5], [7, 3, 3, 3], { pads: ints([1, 1, 1, 1]) }, 21),
      conv([1, 4, 9, 7], [6, 2, 3, 3], { strides: ints([2, 2]), group: int(2) } as never, 22),
      conv([1, 8, 3, 5], [10, 8, 1, 1], {}, 23),
      // 1x1 with pads only at the end: not the image as its own column matrix (the output plane is larger)
      conv([1, 3, 4, 4], [8, 3, 1, 1], { pads: ints([0, 0, 1, 1]) }, 32),
      // depthwise: stride 1 and 2 (padded plane, OW not a multiple of 4), dilation, a 5 x 5 kernel (taps not held in registers), stride 3 (direct only)
      conv([2, 6, 9, 11], [6, 1, 3, 3], { pads: ints([1, 1, 1, 1]), group: int(6) } as never, 27),
      conv([1, 4, 10, 13], [4, 1, 3, 3], { strides: ints([2, 2]), pads: ints([1, 1, 0, 0]), group: int(4) } as never, 28),
      conv([1, 3, 12, 12], [3, 1, 3, 3], { dilations: ints([2, 2]), pads: ints([2, 2, 2, 2]), group: int(3) } as never, 29),
      conv([1, 2, 9, 9], [2, 1, 5, 5], { pads: ints([2, 1, 2, 1]), group: int(2) } as never, 30),
      conv([1, 2, 11, 11], [2, 1, 3, 3], { strides: ints([3, 3]), group: int(2) } as never, 31),
      // a CSR weight is stored on the 2-d view [m, c / group x kh x kw]
      conv([1, 8, 4, 4], [5, 8], { kernel_shape: ints([1, 1]) }, 24, csr(32)),
    );
    // a Gemm with a row bias and N = 9 (a partial last panel, the bias padded to it)
    const gb = Builder.func();
    gb.b.ret([gb.b.op('nn.gemm', [gb.func.addArgument(new TensorType([7, 10], 'f32'), 'x'), gb.b.constant(random([10, 9], 25)), gb.b.constant(random([9], 26))], {})]);
    modules.push(gb.module);
    const rt = Builder.func();
    rt.b.ret([rt.b.op('nn.matmul', [rt.func.addArgument(new TensorType([2, 5, 3], 'f32'), 'a'), rt.func.addArgument(new TensorType([2, 3, 4], 'f32'), 'b')])]);
    modules.push(rt.module);
    // 2:4 with a bias and a fused ReLU (added to y chunk by chunk, the ReLU after the last chunk)
    const mlp = importOnnxFile(new URL('../../examples/mlp-2of4.onnx', import.meta.url).pathname, { dims: { N: 2 } }).module;
    runPipeline(mlp, parsePipeline('nm-layout', passRegistry()), { log: () => undefined });
    modules.push(mlp);
    let ran = 0, relaxedRuns = 0;
    const kernels = new Set<string>();
    for (const m of modules) {
      const f = legalize(m.funcs[0]!);
      const op = f.ops.find((o) => /(matmul|gemm|conv)$/.test(o.name))!;
      for (const k of candidates(op, WASM_CAPS).applicable) {
        for (const choice of k.space(op, WASM_CAPS)) {
          const plan = select(f, WASM_CAPS, (o) => (o === op ? { kernel: k.name, choice, why: 'every choice' } : undefined));
          if (await runsLikeInterpreter(m, plan)) relaxedRuns++;
          kernels.add(k.name);
          for (const [key, v] of Object.entries(choice.schedule)) if (key === 'values' || key === 'expand') kernels.add(`${k.name} ${key}=${String(v)}`);
          ran++;
        }
      }
    }
    expect(relaxedRuns).toBeGreaterThan(40);
    expect([...kernels].sort()).toEqual([
      'bsr_matmul', 'conv1x1', 'conv_gemm', 'conv_im2col', 'conv_table_im2col', 'conv_typed', 'csr_matmul_batched', 'dense_gemm', 'dense_gemv',
      'dense_gemv values=f16', 'dense_gemv values=f32', 'dense_matmul', 'depthwise_conv', 'matmul_runtime', 'matmul_typed', 'nm24_gemv',
      'nm24_gemv expand=values', 'nm24_gemv expand=x table', 'nm_matmul', 'sell_gemv',
    ]);
    expect(ran).toBeGreaterThan(80);
  });
});
