// `sparsec compile` end to end in Node: the generated model.mjs loads model.wasm (from its folder,
// from bytes), runs with typed arrays of the model's element types, matches the interpreter, and
// refuses wrong names, sizes and array types with errors that say what was expected; model.d.mts
// carries the real names, shapes and array types.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { enableRelaxedSimd } from './features.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { importOnnxFile } from '../../src/importer/import.js';
import { interpret } from '../../src/interp/interpret.js';
import { Tensor } from '../../src/ir/tensor.js';
import { OnnxGraphBuilder } from '../../src/onnx/build.js';
import { encodeTensor } from '../../src/onnx/proto.js';
import { FINGERPRINT_SECTION } from './fingerprint.js';

const NODE_TESTS = new URL('../../../shared/onnx-tests/node/', import.meta.url).pathname;

async function compile(model: string, extra: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-loader-'));
  let err = '';
  const io: Io = { out: () => undefined, err: (s) => void (err += s), cwd: process.cwd(), readStdin: () => '', readFile: (p) => readFileSync(p, 'utf8') };
  expect(await main(['compile', model, '-o', dir, ...extra], io), err).toBe(0);
  return dir;
}

/** Runs the CLI; returns the exit code and what it printed. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), cwd: process.cwd(), readStdin: () => '', readFile: (p) => readFileSync(p, 'utf8') };
  const code = await main(args, io);
  return { code, out, err };
}

/** A model y = x @ W (x: float32 [2, 3]) whose weight depends on `seed`: models of one signature. */
function matmulModel(seed: number): string {
  const g = new OnnxGraphBuilder('mm');
  g.input('x', 'f32', [2, 3]);
  g.initializer('w', Tensor.from('f32', [3, 4], Array.from({ length: 12 }, (_, i) => (i % 5) - 2 + seed)));
  g.op('MatMul', ['x', 'w'], {}, 'y');
  g.output('y', 'f32', [2, 4]);
  const file = join(mkdtempSync(join(tmpdir(), 'sparsec-mm-')), 'mm.onnx');
  writeFileSync(file, g.model());
  return file;
}

/** A copy of a compiled folder (a fresh model.mjs URL, so the import is not the cached one). */
function copyDir(dir: string): string {
  const to = mkdtempSync(join(tmpdir(), 'sparsec-copy-'));
  cpSync(dir, to, { recursive: true });
  return to;
}

const loadFrom = async (dir: string) => (await import(pathToFileURL(join(dir, 'model.mjs')).href)) as { load: (s?: unknown) => Promise<Loaded> };

type Loaded = { inputs: { name: string; dtype: string }[]; run(feeds: Record<string, unknown>): Promise<Record<string, ArrayLike<number>>>; runSync(feeds: Record<string, unknown>): Record<string, ArrayLike<number>> };

describe('generated loader (model.mjs) in Node', () => {
  // relaxed SIMD on for this process before any model.mjs is imported (each decides once, on import)
  beforeAll(async () => void expect(await enableRelaxedSimd()).toBe(true));
  it('runs an int8 model with typed arrays and reports wrong inputs clearly', async () => {
    const dir = await compile(join(NODE_TESTS, 'test_add_int8/model.onnx'));
    const { load } = await import(pathToFileURL(join(dir, 'model.mjs')).href) as { load: (s?: unknown) => Promise<Loaded> };
    const m = await load();
    expect(m.inputs.map((i) => `${i.name}:${i.dtype}`)).toEqual(['x:int8', 'y:int8']);
    const x = Int8Array.from({ length: 60 }, (_, i) => i * 7 - 100), y = Int8Array.from({ length: 60 }, (_, i) => 50 - i * 3);
    const want = interpret(importOnnxFile(join(NODE_TESTS, 'test_add_int8/model.onnx')).module, [new Tensor('i8', [3, 4, 5], x), new Tensor('i8', [3, 4, 5], y)])[0]!;
    expect(Array.from((await m.run({ x, y }))['sum']!)).toEqual(Array.from(want.data as Int8Array));
    expect(() => m.runSync({ x: new Float32Array(60), y })).toThrow("input 'x': expected Int8Array (int8) of 60 values (shape [3, 4, 5]), got Float32Array");
    expect(() => m.runSync({ x: new Int8Array(59), y })).toThrow("input 'x': expected 60 values (shape [3, 4, 5]), got 59");
    expect(() => m.runSync({ x, y, z: x })).toThrow('unknown input "z" (inputs: x, y)');
    await expect(m.run({ x: new Int8Array(59), y })).rejects.toThrow("input 'x': expected 60 values (shape [3, 4, 5]), got 59");
    const types = readFileSync(join(dir, 'model.d.mts'), 'utf8');
    expect(types).toContain('"x": Int8Array;');
    expect(types).toContain('/** int8, shape [3, 4, 5] (60 values) */');
    // load() also takes the module's bytes
    const again = await load(readFileSync(join(dir, 'model.wasm')));
    expect(Array.from(again.runSync({ x, y })['sum']!)).toEqual(Array.from(want.data as Int8Array));
  });

  it('model.d.mts types model.mjs for TypeScript: the real names and array types, wrong feeds refused', async () => {
    const dir = await compile(join(NODE_TESTS, 'test_add_int8/model.onnx'));
    writeFileSync(join(dir, 'use.mts'), [
      "import { load, type Outputs } from './model.mjs';",
      'const m = await load();',
      'const out: Outputs = await m.run({ x: new Int8Array(60), y: new Int8Array(60) });',
      'const now: Outputs = m.runSync({ x: new Int8Array(60), y: new Int8Array(60) });',
      'export const sum: Int8Array = out.sum;',
      '// @ts-expect-error: x is an Int8Array',
      'm.run({ x: new Float32Array(60), y: new Int8Array(60) });',
      '// @ts-expect-error: y is missing',
      'm.run({ x: new Int8Array(60) });',
    ].join('\n'));
    const program = ts.createProgram([join(dir, 'use.mts')], {
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
      strict: true, noEmit: true, types: [], moduleDetection: ts.ModuleDetectionKind.Force,
    });
    const messages = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(messages).toEqual([]);
  });

  it('compiles a pruned example with --shape and writes the manifest with formats and schedules', async () => {
    const dir = await compile(new URL('../../examples/mlp-sparse90.onnx', import.meta.url).pathname, ['--shape', 'x=2x256', '--emit', 'wat']);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { kernels: { kernel: string; format: string; schedule?: object }[]; inputs: { shape: number[] }[] };
    expect(manifest.inputs[0]!.shape).toEqual([2, 256]);
    expect(manifest.kernels.some((k) => k.kernel === 'sell_gemv' && k.format.startsWith('csr') && k.schedule)).toBe(true);
    expect(readFileSync(join(dir, 'model.wat'), 'utf8')).toContain('(export "run"');
  });

  it('run(null), run({ x: null }) and other non-objects are clear errors naming the input and what was expected', async () => {
    const dir = await compile(matmulModel(1));
    const m = await (await loadFrom(dir)).load();
    const want = 'run() and runSync() take an object with one typed array per input ({ "x": Float32Array }), got';
    expect(() => m.runSync(null as never)).toThrow(`${want} null`);
    expect(() => m.runSync(undefined as never)).toThrow(`${want} nothing`);
    expect(() => m.runSync([new Float32Array(6)] as never)).toThrow(`${want} an array`);
    expect(() => m.runSync(5 as never)).toThrow(`${want} number`);
    expect(() => m.runSync({ x: null })).toThrow("input 'x': expected Float32Array (float32) of 6 values (shape [2, 3]), got null");
    expect(() => m.runSync({})).toThrow("input 'x': expected Float32Array (float32) of 6 values (shape [2, 3]), got nothing");
    expect(() => m.runSync({ x: [1, 2, 3, 4, 5, 6] })).toThrow("input 'x': expected Float32Array (float32) of 6 values (shape [2, 3]), got an array");
    await expect((await loadFrom(dir)).load(42)).rejects.toThrow("load() takes model.wasm's bytes (Uint8Array or ArrayBuffer), a URL or a path, got number");
  });

  it('a truncated model.wasm fails in load() with "not a valid sparsec module", never at run', async () => {
    const dir = await compile(matmulModel(1));
    const { load } = await loadFrom(dir);
    const bytes = readFileSync(join(dir, 'model.wasm'));
    const fp = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { fingerprint: string }).fingerprint;
    const section = 2 + 1 + FINGERPRINT_SECTION.length + fp.length; // id, size, name length, name, value
    for (const cut of [0, 8, 20, Math.floor(bytes.length / 2), bytes.length - section, bytes.length - 5, bytes.length - 1]) {
      await expect(load(bytes.subarray(0, cut)), `cut at ${cut} of ${bytes.length}`).rejects.toThrow(/^model\.wasm is not a valid sparsec module: /);
    }
    // cut exactly before the fingerprint: a valid module, but not the whole of sparsec's
    await expect(load(bytes.subarray(0, bytes.length - section))).rejects.toThrow('model.wasm is not a valid sparsec module: it carries no sparsec fingerprint (truncated, or not written by sparsec compile)');
    // the same from the folder (load() without arguments reads model.relaxed.wasm: relaxed SIMD is on in this process)
    const cutDir = copyDir(dir);
    writeFileSync(join(cutDir, 'model.relaxed.wasm'), readFileSync(join(dir, 'model.relaxed.wasm')).subarray(0, bytes.length - 100));
    await expect((await loadFrom(cutDir)).load()).rejects.toThrow(/^model\.relaxed\.wasm is not a valid sparsec module: /);
  });

  it('load() takes model.relaxed.wasm where the engine has relaxed SIMD, and it computes what model.wasm does', async () => {
    const dir = await compile(matmulModel(3));
    expect((JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { relaxedSimd: boolean }).relaxedSimd).toBe(true);
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const { load } = await loadFrom(dir);
    const relaxed = (await (await load()).run({ x }))['y']!;
    const plain = (await (await load(readFileSync(join(dir, 'model.wasm')))).run({ x }))['y']!;
    Array.from(relaxed).forEach((v, i) => expect(v).toBeCloseTo(plain[i]!, 5));
    // without model.wasm in the folder it still loads (it never read it)
    const only = copyDir(dir);
    rmSync(join(only, 'model.wasm'));
    expect((await (await (await loadFrom(only)).load()).run({ x }))['y']).toEqual(relaxed);
    // without model.relaxed.wasm (only model.wasm deployed) it falls back to model.wasm
    const plainOnly = copyDir(dir);
    rmSync(join(plainOnly, 'model.relaxed.wasm'));
    expect((await (await (await loadFrom(plainOnly)).load()).run({ x }))['y']).toEqual(plain);
  });

  it("another model's model.wasm of the same signature is refused by the fingerprint (not wrong numbers)", async () => {
    const a = await compile(matmulModel(1)), b = await compile(matmulModel(2));
    const fa = (JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8')) as { fingerprint: string }).fingerprint;
    const fb = (JSON.parse(readFileSync(join(b, 'manifest.json'), 'utf8')) as { fingerprint: string }).fingerprint;
    expect(fa).not.toBe(fb);
    const loadA = (await loadFrom(a)).load;
    // each model runs with its own module
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const ya = (await (await loadA()).run({ x }))['y']!, yb = (await (await loadFrom(b)).load()).runSync({ x })['y']!;
    expect(Array.from(ya)).not.toEqual(Array.from(yb));
    const mismatch = `model.wasm does not belong to this model.mjs: its fingerprint is ${fb}, this loader expects ${fa} (copy model.wasm and model.mjs from the same sparsec compile)`;
    await expect(loadA(readFileSync(join(b, 'model.wasm')))).rejects.toThrow(mismatch);
    const swapped = copyDir(a);
    for (const f of ['model.wasm', 'model.relaxed.wasm']) cpSync(join(b, f), join(swapped, f));
    await expect((await loadFrom(swapped)).load()).rejects.toThrow(mismatch.replaceAll('model.wasm', 'model.relaxed.wasm'));
  });

  it('sparsec run on a compiled folder: a bad manifest.json, a swapped or truncated model.wasm are one clear line naming the field', async () => {
    const a = await compile(matmulModel(1)), b = await compile(matmulModel(2));
    const data = mkdtempSync(join(tmpdir(), 'sparsec-data-'));
    writeFileSync(join(data, 'input_0.pb'), encodeTensor(Tensor.from('f32', [2, 3], [1, 2, 3, 4, 5, 6]), 'x'));
    const ok = await cli(['run', a, '--data', data]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain("output #0 'y': f32[2x4]");
    const manifest = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8')) as Record<string, unknown> & { inputs: Record<string, unknown>[]; outputs: Record<string, unknown>[] };
    const cases: [string, (m: typeof manifest) => unknown, string][] = [
      ['dtype', (m) => { m.inputs[0]!['dtype'] = 'float33'; }, 'manifest.json: inputs[0].dtype must be one of float32, float64, int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool, got "float33"'],
      ['shape', (m) => { m.inputs[0]!['shape'] = [2, -3]; }, 'manifest.json: inputs[0].shape[1] must be a non-negative integer, got -3'],
      ['shape type', (m) => { m.outputs[0]!['shape'] = '2x4'; }, 'manifest.json: outputs[0].shape must be an array of non-negative integers, got "2x4"'],
      ['offset', (m) => { m.outputs[0]!['offset'] = 1e12; }, 'manifest.json: outputs[0].offset must be within the memory'],
      ['offset type', (m) => { m.inputs[0]!['offset'] = '16'; }, 'manifest.json: inputs[0].offset must be a non-negative integer, got "16"'],
      ['inputs', (m) => { (m as Record<string, unknown>)['inputs'] = 'x'; }, 'manifest.json: inputs must be an array, got "x"'],
      ['memoryBytes', (m) => { m['memoryBytes'] = -1; }, 'manifest.json: memoryBytes must be an integer from 0 to 4294967296, got -1'],
      ['fingerprint', (m) => { delete m['fingerprint']; }, 'manifest.json: fingerprint must be the hex string sparsec compile wrote, got nothing'],
      ['another model', (m) => { m['fingerprint'] = (JSON.parse(readFileSync(join(b, 'manifest.json'), 'utf8')) as { fingerprint: string }).fingerprint; }, '.wasm does not match manifest.json'],
    ];
    expect(existsSync(join(a, 'model.relaxed.wasm'))).toBe(true);
    for (const [what, edit, message] of cases) {
      const dir = copyDir(a);
      const m = structuredClone(manifest);
      edit(m);
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
      const r = await cli(['run', dir, '--data', data]);
      expect(r.code, what).toBe(1);
      expect(r.err, what).toMatch(/^sparsec: error: [^\n]*\n$/);
      expect(r.err, what).toContain(message);
      expect(r.err, what).not.toMatch(/internal|RangeError|TypeError/);
    }
    const broken = copyDir(a);
    writeFileSync(join(broken, 'manifest.json'), '{ "inputs": [');
    expect((await cli(['run', broken, '--data', data])).err).toMatch(/^sparsec: error: cannot read .*manifest\.json: .*JSON/);
    const truncated = copyDir(a);
    // (both modules: run takes model.relaxed.wasm where the engine has relaxed SIMD)
    for (const f of ['model.wasm', 'model.relaxed.wasm']) writeFileSync(join(truncated, f), readFileSync(join(a, f)).subarray(0, 60));
    const r = await cli(['run', truncated, '--data', data]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^sparsec: error: model(\.relaxed)?\.wasm is not a valid sparsec module: [^\n]*\n$/);
  });
});
