// A compiled model in a real browser: headless Chromium (Debian's package, installed by
// scripts/install-browser.sh) loads model.mjs from a local server and runs it; the outputs must match
// the reference interpreter.
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
import { compileWasm } from './compile.js';
import { loaderSource, typesSource } from './loader.js';
import { pageResult, serveFolder } from '../../src/testing/browser.js';

const EXAMPLE = new URL('../../examples/mlp-sparse90.onnx', import.meta.url).pathname;

describe('compiled model in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-browser-'));
  let server: Awaited<ReturnType<typeof serveFolder>>;

  beforeAll(async () => {
    const { module } = importOnnxFile(EXAMPLE, { shapes: { x: [1, 256] } });
    runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
    const { wasm, manifest } = compileWasm(module.funcs[0]!);
    writeFileSync(join(dir, 'model.wasm'), wasm);
    writeFileSync(join(dir, 'model.mjs'), loaderSource({ ...manifest }));
    writeFileSync(join(dir, 'model.d.mts'), typesSource(manifest));
    writeFileSync(join(dir, 'index.html'), `<!doctype html><script type="module">
import { load } from './model.mjs';
const m = await load(new URL('./model.wasm', location.href));
const x = new Float32Array(256).map((_, i) => Math.sin(i));
window.__result = Array.from((await m.run({ x })).logits);
</script>`);
    server = await serveFolder(dir);
  });

  afterAll(() => server.close());

  it('runs the compiled example and matches the interpreter', async () => {
    const { result: got, errors } = await pageResult<number[]>(server.url);
    expect(errors).toEqual([]);
    const { module } = importOnnxFile(EXAMPLE, { shapes: { x: [1, 256] } });
    const x = Tensor.from('f32', [1, 256], Array.from({ length: 256 }, (_, i) => Math.sin(i)));
    const want = interpret(module, [x])[0]!;
    const c = compareTensors(Tensor.from('f32', [1, 10], got), want, { rtol: 1e-4, atol: 1e-5 });
    expect(c.mismatch).toBeUndefined();
  }, 120_000);
});
