// `sparsec compile` end to end in Node: the generated model.mjs loads model.wasm (from its folder,
// from bytes), runs with typed arrays of the model's element types, matches the interpreter, and
// refuses wrong names, sizes and array types with errors that say what was expected; model.d.ts
// carries the real names, shapes and array types.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { importOnnxFile } from '../../src/importer/import.js';
import { interpret } from '../../src/interp/interpret.js';
import { Tensor } from '../../src/ir/tensor.js';

const NODE_TESTS = new URL('../../../shared/onnx-tests/node/', import.meta.url).pathname;

async function compile(model: string, extra: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-loader-'));
  let err = '';
  const io: Io = { out: () => undefined, err: (s) => void (err += s), cwd: process.cwd(), readStdin: () => '', readFile: (p) => readFileSync(p, 'utf8') };
  expect(await main(['compile', model, '-o', dir, ...extra], io), err).toBe(0);
  return dir;
}

type Loaded = { inputs: { name: string; dtype: string }[]; run(feeds: Record<string, unknown>): Record<string, ArrayLike<number>> };

describe('generated loader (model.mjs) in Node', () => {
  it('runs an int8 model with typed arrays and reports wrong inputs clearly', async () => {
    const dir = await compile(join(NODE_TESTS, 'test_add_int8/model.onnx'));
    const { load } = await import(pathToFileURL(join(dir, 'model.mjs')).href) as { load: (s?: unknown) => Promise<Loaded> };
    const m = await load();
    expect(m.inputs.map((i) => `${i.name}:${i.dtype}`)).toEqual(['x:int8', 'y:int8']);
    const x = Int8Array.from({ length: 60 }, (_, i) => i * 7 - 100), y = Int8Array.from({ length: 60 }, (_, i) => 50 - i * 3);
    const want = interpret(importOnnxFile(join(NODE_TESTS, 'test_add_int8/model.onnx')).module, [new Tensor('i8', [3, 4, 5], x), new Tensor('i8', [3, 4, 5], y)])[0]!;
    expect(Array.from(m.run({ x, y })['sum']!)).toEqual(Array.from(want.data as Int8Array));
    expect(() => m.run({ x: new Float32Array(60), y })).toThrow("input 'x': expected Int8Array (int8) of 60 values (shape [3, 4, 5]), got Float32Array");
    expect(() => m.run({ x: new Int8Array(59), y })).toThrow("input 'x': expected 60 values (shape [3, 4, 5]), got 59");
    expect(() => m.run({ x, y, z: x })).toThrow("unknown input 'z' (inputs: x, y)");
    const types = readFileSync(join(dir, 'model.d.ts'), 'utf8');
    expect(types).toContain('"x": Int8Array;');
    expect(types).toContain('/** int8, shape [3, 4, 5] (60 values) */');
    // load() also takes the module's bytes
    const again = await load(readFileSync(join(dir, 'model.wasm')));
    expect(Array.from(again.run({ x, y })['sum']!)).toEqual(Array.from(want.data as Int8Array));
  });

  it('compiles a pruned example with --shape and writes the manifest with formats and schedules', async () => {
    const dir = await compile(new URL('../../examples/mlp-sparse90.onnx', import.meta.url).pathname, ['--shape', 'x=2x256', '--emit', 'wat']);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { kernels: { kernel: string; format: string; schedule?: object }[]; inputs: { shape: number[] }[] };
    expect(manifest.inputs[0]!.shape).toEqual([2, 256]);
    expect(manifest.kernels.some((k) => k.kernel === 'sell_gemv' && k.format.startsWith('csr') && k.schedule)).toBe(true);
    expect(readFileSync(join(dir, 'model.wat'), 'utf8')).toContain('(export "run"');
  });
});
