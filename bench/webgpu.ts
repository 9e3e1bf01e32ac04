// `npm run bench -- --target webgpu [--only TEXT]`: sparsec's WebGPU output against onnxruntime-web's
// WebGPU backend, both in one headless Chromium page on the same adapter (where this machine has no
// GPU: Chromium's software one, SwiftShader, so the figures say little about a GPU), timed
// interleaved in rounds (each run includes reading the output back), median per runtime; ratio =
// ort-web-webgpu / sparsec-webgpu. Each model is checked against the interpreter first.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnx } from '../src/importer/import.js';
import { interpret } from '../src/interp/interpret.js';
import { normwiseRelError } from '../src/interp/compare.js';
import { Tensor } from '../src/ir/tensor.js';
import { runPipeline } from '../src/pass/manager.js';
import { parsePipeline } from '../src/pass/pipeline.js';
import { passRegistry } from '../src/pass/registry.js';
import { DEFAULT_COMPILE_PIPELINE } from '../src/cli/pipelines.js';
import { pageResult, serveFolder } from '../src/testing/browser.js';
import { webgpuTarget } from '../targets/wgsl/target.js';
import { BENCH_CASES } from './models.js';

const ORT = new URL('../node_modules/onnxruntime-web/dist/', import.meta.url).pathname;
const ROUNDS = 10;

interface PageResult { adapter: string; ours: number[]; theirs: number[]; out: number[] }

/** The page: loads both runtimes, checks nothing, times ROUNDS interleaved rounds, reports medians' inputs. */
const page = (input: string, shape: number[], n: number) => `<!doctype html><script type="module">
import * as ort from './ort.webgpu.bundle.min.mjs';
import { load } from './model.mjs';
try {
  const adapter = await navigator.gpu.requestAdapter();
  const info = adapter.info ?? {};
  const x = new Float32Array(${n});
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i);
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create('./model.onnx', { executionProviders: ['webgpu'] });
  const m = await load();
  const feedsOrt = { ${JSON.stringify(input)}: new ort.Tensor('float32', x, ${JSON.stringify(shape)}) };
  const runOurs = async () => Object.values(await m.run({ ${JSON.stringify(input)}: x }))[0];
  const runOrt = async () => (await session.run(feedsOrt))[session.outputNames[0]].getData();
  await runOurs(); await runOrt(); await runOurs(); await runOrt();
  const ours = [], theirs = [];
  for (let r = 0; r < ${ROUNDS}; r++) {
    for (const [f, into] of r % 2 ? [[runOurs, ours], [runOrt, theirs]] : [[runOrt, theirs], [runOurs, ours]]) {
      const t0 = performance.now(); await f(); into.push(performance.now() - t0);
    }
  }
  window.__result = { adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' '), ours, theirs, out: Array.from(await runOurs()) };
} catch (e) { window.__result = { error: String(e) }; }
</script>`;

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;

export async function benchWebGpu(only: string | undefined, log: (s: string) => void): Promise<void> {
  log(`benchmark                          sparsec-webgpu  ort-web-webgpu  ort/sparsec  (headless Chromium, ${ROUNDS} rounds, software adapter without a GPU)`);
  for (const { key, name, make, shapes } of BENCH_CASES.filter((c) => !only || c.name.toLowerCase().includes(only.toLowerCase()))) {
    // minutes per run on a software adapter, times 24 runs: only when asked for by name
    if (key === 'resnet50' && !only) {
      log(`${name.padEnd(34)} not measured: minutes per run on a software adapter (--only ResNet-50 measures it)`);
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), 'sparsec-bench-webgpu-'));
    const bytes = make();
    const input = Object.keys(shapes)[0]!, shape = shapes[input]!, n = shape.reduce((a, b) => a * b, 1);
    try {
      const { module } = importOnnx(bytes, { shapes });
      runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
      const artifact = webgpuTarget.compile(webgpuTarget.plan(module.funcs[0]!));
      for (const [f, data] of Object.entries(artifact.files)) writeFileSync(join(dir, f), data);
      writeFileSync(join(dir, 'model.onnx'), bytes);
      for (const f of ['ort.webgpu.bundle.min.mjs', 'ort-wasm-simd-threaded.asyncify.wasm']) copyFileSync(join(ORT, f), join(dir, f));
      writeFileSync(join(dir, 'index.html'), page(input, shape, n));
      const server = await serveFolder(dir);
      let r: PageResult & { error?: string };
      try {
        r = (await pageResult<PageResult & { error?: string }>(server.url, ['--enable-unsafe-webgpu', '--enable-features=Vulkan'], 600_000)).result;
      } finally {
        await server.close();
      }
      if (r.error) throw new Error(r.error);
      const x = Tensor.from('f32', shape, Array.from({ length: n }, (_, i) => Math.sin(i)));
      const want = interpret(importOnnx(bytes, { shapes }).module, [x])[0]!;
      const rel = normwiseRelError(Tensor.from('f32', want.shape, r.out), want);
      if (rel > 1e-4) throw new Error(`sparsec-webgpu's output differs from the interpreter (relative ${rel.toExponential(2)})`);
      const ours = median(r.ours), theirs = median(r.theirs);
      log(`${name.padEnd(34)} ${`${ours.toFixed(3)} ms`.padStart(14)}  ${`${theirs.toFixed(3)} ms`.padStart(14)}  ${`${(theirs / ours).toFixed(2)}x`.padStart(11)}  (${r.adapter})`);
    } catch (e) {
      log(`${name.padEnd(34)} not measured: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}
