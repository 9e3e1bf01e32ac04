// A compiled model in a real browser: headless Chromium (Debian's package, installed by
// scripts/install-browser.sh) loads model.mjs from a local server and runs it; the outputs must match
// the reference interpreter.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
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

const EXAMPLE = new URL('../../examples/mlp-sparse90.onnx', import.meta.url).pathname;
const CHROMIUM = '/usr/bin/chromium';

describe('compiled model in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-browser-'));
  let server: Server;
  let url = '';

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
    const types: Record<string, string> = { '.html': 'text/html', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
    server = createServer((req, res) => {
      const file = join(dir, (req.url ?? '/') === '/' ? 'index.html' : req.url!.slice(1));
      try {
        const body = readFileSync(file);
        res.writeHead(200, { 'content-type': types[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('runs the compiled example and matches the interpreter', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { __result?: number[] }).__result !== undefined, undefined, { timeout: 30_000 });
      const got = await page.evaluate(() => (window as unknown as { __result: number[] }).__result);
      expect(errors).toEqual([]);
      const { module } = importOnnxFile(EXAMPLE, { shapes: { x: [1, 256] } });
      const x = Tensor.from('f32', [1, 256], Array.from({ length: 256 }, (_, i) => Math.sin(i)));
      const want = interpret(module, [x])[0]!;
      const c = compareTensors(Tensor.from('f32', [1, 10], got), want, { rtol: 1e-4, atol: 1e-5 });
      expect(c.mismatch).toBeUndefined();
    } finally {
      await browser.close();
    }
  }, 120_000);
});
