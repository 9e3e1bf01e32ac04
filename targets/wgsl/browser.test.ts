// A model compiled for WebGPU in a real browser: headless Chromium with WebGPU (its own software
// adapter, SwiftShader, where the machine has no GPU) loads model.mjs, model.wgsl and weights.bin
// from a local server and runs them; the outputs must match the reference interpreter.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../src/importer/import.js';
import { interpret } from '../../src/interp/interpret.js';
import { compareTensors } from '../../src/interp/compare.js';
import { Tensor } from '../../src/ir/tensor.js';
import { runPipeline } from '../../src/pass/manager.js';
import { parsePipeline } from '../../src/pass/pipeline.js';
import { passRegistry } from '../../src/pass/registry.js';
import { DEFAULT_COMPILE_PIPELINE } from '../../src/cli/pipelines.js';
import { pageResult, serveFolder } from '../../src/testing/browser.js';
import { webgpuTarget } from './target.js';

const EXAMPLE = new URL('../../examples/resnet-pruned.onnx', import.meta.url).pathname;
const SHAPE = [1, 3, 32, 32];
const input = () => Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));

describe('WebGPU model in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-webgpu-browser-'));
  let server: Awaited<ReturnType<typeof serveFolder>>;
  let outputs = 0;

  beforeAll(async () => {
    const { module } = importOnnxFile(EXAMPLE, { shapes: { image: SHAPE } });
    runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
    const artifact = webgpuTarget.compile(webgpuTarget.plan(module.funcs[0]!));
    for (const [name, data] of Object.entries(artifact.files)) writeFileSync(join(dir, name), data);
    outputs = artifact.outputs[0]!.shape.reduce((a, b) => a * b, 1);
    const inName = artifact.inputs[0]!.name;
    writeFileSync(join(dir, 'index.html'), `<!doctype html><script type="module">
import { load } from './model.mjs';
try {
  const m = await load();
  const x = new Float32Array(${input().length}).map((_, i) => Math.sin(i));
  const out = await m.run({ ${JSON.stringify(inName)}: x });
  window.__result = Array.from(Object.values(out)[0]);
  m.destroy();
} catch (e) { window.__result = String(e); }
</script>`);
    server = await serveFolder(dir);
  });

  afterAll(() => server.close());

  it('runs the compiled example on navigator.gpu and matches the interpreter', async () => {
    const { result, errors } = await pageResult<number[] | string>(server.url, ['--enable-unsafe-webgpu', '--enable-features=Vulkan'], 60_000);
    expect(errors).toEqual([]);
    expect(typeof result, String(result)).toBe('object');
    const { module } = importOnnxFile(EXAMPLE, { shapes: { image: SHAPE } });
    const want = interpret(module, [Tensor.from('f32', SHAPE, input())])[0]!;
    expect(result).toHaveLength(outputs);
    const c = compareTensors(Tensor.from('f32', want.shape, result as number[]), want, { rtol: 1e-4, atol: 1e-5 });
    expect(c.mismatch).toBeUndefined();
  }, 120_000);
});
