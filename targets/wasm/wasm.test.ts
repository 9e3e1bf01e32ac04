// The wasm kernels against the reference interpreter: dense and CSR matrix products with biases and
// fused activations on random shapes (odd sizes included), element-wise ops, and the example MLPs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder } from '../../src/ir/builder.js';
import { floats, int, str, type Attr } from '../../src/ir/attributes.js';
import { csr } from '../../src/ir/encodings.js';
import { Tensor } from '../../src/ir/tensor.js';
import { TensorType } from '../../src/ir/types.js';
import { importOnnx, importOnnxFile } from '../../src/importer/import.js';
import { denseNetLike, shuffleNetLike } from '../../src/testing/arch-models.js';
import { interpret } from '../../src/interp/interpret.js';
import { compareTensors } from '../../src/interp/compare.js';
import { runPipeline } from '../../src/pass/manager.js';
import { parsePipeline } from '../../src/pass/pipeline.js';
import { passRegistry } from '../../src/pass/registry.js';
import { randomInputs } from '../../src/pass/semantics.js';
import { rng } from '../../src/util/random.js';
import { compileWasm, WasmCompileError } from './compile.js';
import { DEFAULT_COMPILE_PIPELINE } from '../../src/cli/pipelines.js';
import { instantiate } from './runtime.js';

import { agree } from './agree.js';

describe('wasm kernels vs the interpreter', () => {
  it('dense and CSR matmul with bias and fused activation, random shapes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(1, 2, 3, 4, 5, 8, 12), fc.integer({ min: 1, max: 23 }), fc.integer({ min: 1, max: 21 }), fc.boolean(), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 1e9 }), async (M, K, N, transB, act, seed) => {
        const r = rng(seed);
        const wv = Array.from({ length: K * N }, () => (r() < 0.6 ? 0 : r() * 2 - 1));
        const w = Tensor.from('f32', transB ? [N, K] : [K, N], wv);
        const bias = Tensor.from('f32', [N], Array.from({ length: N }, () => r() - 0.5));
        const { module, func, b } = Builder.func();
        const x = func.addArgument(new TensorType([M, K], 'f32'), 'x');
        const actAttrs: Record<string, Attr> = act === 0 ? {} : act === 1 ? { activation: str('relu') } : { activation: str('clip'), activation_params: floats([-0.25, 0.5]) };
        const dense = b.op('nn.gemm', [x, b.constant(w), b.constant(bias)], { transB: int(transB ? 1 : 0), ...actAttrs });
        const sparse = b.op('sparse.gemm', [x, b.constant(w, { encoding: csr(32) }), b.constant(bias)], { transB: int(transB ? 1 : 0), ...actAttrs });
        const mm = b.op('nn.matmul', [x, b.constant(transB ? Tensor.from('f32', [K, N], Array.from({ length: K * N }, (_, i) => wv[(i % N) * K + Math.floor(i / N)]!)) : w)]);
        const y = b.op('nn.relu', [b.op('nn.add', [b.op('nn.sub', [dense, sparse]), mm])]);
        b.ret([dense, sparse, y]);
        await agree(module, 3);
      }),
      { numRuns: 60 },
    );
  });

  it('compiles the example MLPs, dense and after sparsify, matching the interpreter', async () => {
    for (const name of ['mlp-sparse90', 'mlp-2of4']) {
      for (const pipeline of ['canonicalize,fuse-activation', 'canonicalize,fuse-activation,sparsify{max-density=0.6}']) {
        const { module } = importOnnxFile(new URL(`../../examples/${name}.onnx`, import.meta.url).pathname, { shapes: { x: [3, 256] } });
        runPipeline(module, parsePipeline(pipeline, passRegistry()), { log: () => undefined });
        await agree(module, 3);
      }
    }
  });

  it('compiles the CNN examples (conv, depthwise-free groups, pooling, concat, residual adds) after the default pipeline', async () => {
    for (const name of ['resnet-pruned', 'squeezenet-pruned']) {
      const { module } = importOnnxFile(new URL(`../../examples/${name}.onnx`, import.meta.url).pathname, { shapes: { image: [2, 3, 32, 32] } });
      const original = importOnnxFile(new URL(`../../examples/${name}.onnx`, import.meta.url).pathname, { shapes: { image: [2, 3, 32, 32] } }).module;
      runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
      const inputs = randomInputs(original, 3, 2);
      const want = interpret(original, inputs);
      const { wasm, manifest } = compileWasm(module.funcs[0]!);
      const got = (await instantiate(wasm, manifest)).run(inputs);
      expect(compareTensors(got[0]!, want[0]!, { rtol: 1e-4, atol: 1e-5 }).mismatch).toBeUndefined();
    }
  });

  it('compiles grouped, depthwise and shuffled convolutions and dense concatenation', async () => {
    for (const bytes of [shuffleNetLike(), denseNetLike()]) {
      const shape = [1, ...(importOnnx(bytes).module.funcs[0]!.args[0]!.type.shape.slice(1) as number[])];
      const original = importOnnx(bytes, { shapes: { x: shape } }).module;
      const module = importOnnx(bytes, { shapes: { x: shape } }).module;
      runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
      const inputs = randomInputs(original, 4, 1);
      const want = interpret(original, inputs);
      const { wasm, manifest } = compileWasm(module.funcs[0]!);
      const got = (await instantiate(wasm, manifest)).run(inputs);
      expect(compareTensors(got[0]!, want[0]!, { rtol: 1e-4, atol: 1e-5 }).mismatch).toBeUndefined();
    }
  });

  it('refuses what it cannot compile, saying what and why', () => {
    const { module, func, b } = Builder.func();
    b.ret([b.op('nn.relu', [func.addArgument(new TensorType([2, 4], 'f16'), 'x')])]);
    expect(() => compileWasm(module.funcs[0]!)).toThrow(WasmCompileError);
    expect(() => compileWasm(module.funcs[0]!)).toThrow(/input x has element type f16, which the wasm target does not support \(f32, f64, i8/);
    const m2 = importOnnxFile(new URL('../../examples/mlp-2of4.onnx', import.meta.url).pathname).module;
    expect(() => compileWasm(m2.funcs[0]!)).toThrow(/shapes must be static \(give --shape for named dims\)/);
  });
});
