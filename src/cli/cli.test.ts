import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from '../onnx/build.js';
import type { Io } from './command.js';
import { main } from './main.js';

async function run(argv: string[], stdin = '') {
  let out = '', err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), cwd: process.cwd(), readStdin: () => stdin, readFile: (p) => readFileSync(p, 'utf8') };
  const code = await main(argv, io);
  return { code, out, err };
}

const IR = 'module {\n  func @f(%x: tensor<2xf32>) -> (tensor<2xf32>) {\n    %0 = nn.relu(%x) : tensor<2xf32>\n    return %0\n  }\n}\n';

describe('sparsec CLI', () => {
  it('opt reads stdin and prints canonical IR', async () => {
    const r = await run(['opt', '-'], IR.replace('    %0', '   %0'));
    expect(r).toEqual({ code: 0, out: IR, err: '' });
  });

  it('opt -o writes the output file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsec-'));
    writeFileSync(join(dir, 'in.ir'), IR);
    const r = await run(['opt', join(dir, 'in.ir'), '-o', join(dir, 'out.ir')]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'out.ir'), 'utf8')).toBe(IR);
  });

  it('errors are one line with exit code 1; --debug adds the stack', async () => {
    const bad = IR.replace('tensor<2xf32>\n    return', 'tensor<3xf32>\n    return');
    const r = await run(['opt', '-'], bad);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^sparsec: error: <stdin>:3:5: nn\.relu: result #0/);
    const d = await run(['opt', '-', '--debug'], bad);
    expect(d.err.split('\n').length).toBeGreaterThan(2);
    expect(d.err).toMatch(/VerifyError/);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await run(['--version'])).out).toBe(`sparsec ${pkg.version}\n`);
  });

  it('rejects a missing option value', async () => {
    const r = await run(['opt', '-', '--inline-limit']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--inline-limit/);
  });
});

describe('sparsec compile: static shapes for a first compile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-batch-'));
  const model = (name: string, dims: (number | string)[]) => {
    const g = new OnnxGraphBuilder(name);
    g.output(g.op('Relu', [g.input('x', 'f32', dims)]), 'f32');
    writeFileSync(join(dir, `${name}.onnx`), g.model());
    return join(dir, `${name}.onnx`);
  };

  it('a named batch dim becomes 1, with a note saying how to choose another', async () => {
    const r = await run(['compile', 'examples/mlp-sparse90.onnx', '-o', join(dir, 'mlp')]);
    expect(r.err).toBe("note: batch size 1 for 'x' [N, 256] (named leading dim N); choose another with --shape x=8x256\n");
    expect(r.code).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, 'mlp', 'manifest.json'), 'utf8')) as { inputs: { shape: number[] }[] }).inputs[0]!.shape).toEqual([1, 256]);
  });

  it('--shape wins, without a note; a named dim it fixes on one input has that size on the others', async () => {
    const r = await run(['compile', 'examples/mlp-sparse90.onnx', '-o', join(dir, 'mlp8'), '--shape', 'x=8x256']);
    expect(r).toMatchObject({ code: 0, err: '' });
    const g = new OnnxGraphBuilder('two');
    g.output(g.op('Add', [g.input('a', 'f32', ['N', 3]), g.input('b', 'f32', ['N', 3])]), 'f32');
    writeFileSync(join(dir, 'two.onnx'), g.model());
    const two = await run(['compile', join(dir, 'two.onnx'), '-o', join(dir, 'two'), '--shape', 'b=4x3']);
    expect(two).toMatchObject({ code: 0, err: '' });
    expect((JSON.parse(readFileSync(join(dir, 'two', 'manifest.json'), 'utf8')) as { inputs: { shape: number[] }[] }).inputs.map((i) => i.shape)).toEqual([[4, 3], [4, 3]]);
    const both = await run(['compile', join(dir, 'two.onnx'), '-o', join(dir, 'two1')]);
    expect(both.err).toBe("note: batch size 1 for 'a' [N, 3], 'b' [N, 3] (named leading dim N); choose another with --shape a=8x3 --shape b=8x3\n");
  });

  it('--weight-dtype f16 rounds the dense product weights, says what it cost, records it, and the matrix-vector kernel reads f16', async () => {
    const out = join(dir, 'f16');
    const r = await run(['compile', 'examples/mlp-sparse90.onnx', '-o', out, '-p', 'canonicalize', '--weight-dtype', 'f16']);
    expect(r.code).toBe(0);
    const line = /--weight-dtype f16 \(lossy\): 3 product weight\(s\), \d+ values rounded to f16; output error (\S+) \(normwise relative, largest over 2 random inputs\)\n/.exec(r.err);
    expect(line).not.toBeNull();
    const error = Number(line![1]);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(1e-2);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { lossy: string[]; kernels: { kernel: string; schedule: Record<string, unknown> }[] };
    expect(manifest.lossy).toEqual([line![0].trim()]);
    const gemv = manifest.kernels.filter((k) => k.kernel === 'dense_gemv');
    // fc1 and fc2 (N a multiple of 4) store f16; fc3 (10 outputs) keeps f32 values (rounded all the same)
    expect(gemv.map((k) => k.schedule['values'])).toEqual(['f16', 'f16', 'f32']);
    expect(await run(['compile', 'examples/mlp-sparse90.onnx', '-o', out, '--weight-dtype', 'f8'])).toEqual({ code: 1, out: '', err: "sparsec: error: --weight-dtype takes f32 or f16, got 'f8'\n" });
    // without it nothing is rounded, so no weight is exactly f16 and no kernel reads f16
    const plain = await run(['compile', 'examples/mlp-sparse90.onnx', '--emit', 'plan', '-p', 'canonicalize']);
    expect(plain.out).not.toMatch(/values=f16/);
    expect(plain.err).not.toMatch(/lossy/);
  });

  it('compile --target webgpu writes the WGSL output; --tune measures on the adapter and keys the records by it; f16 weights are stored as f16', async () => {
    const out = join(dir, 'gpu');
    const r = await run(['compile', 'examples/mlp-sparse90.onnx', '-o', out, '--target', 'webgpu']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote .*model\.wgsl \(3 shaders, 3 dispatches\), weights\.bin/);
    for (const f of ['model.wgsl', 'weights.bin', 'model.mjs', 'model.d.mts', 'manifest.json']) expect(existsSync(join(out, f))).toBe(true);
    const dbFile = join(dir, 'gpu-tuning.jsonl');
    const tuned = await run(['compile', 'examples/mlp-sparse90.onnx', '-o', out, '--target', 'webgpu', '--tune', '--budget', '3', '--db', dbFile]);
    expect(tuned.code).toBe(0);
    expect(tuned.err).toMatch(/tune 1\/3: sparse\.gemm "Gemm_0": .*candidates measured/);
    expect(tuned.err).toMatch(/tuned [1-3] layer\(s\) in /);
    const records = readFileSync(dbFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { target: string; machine: string });
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((x) => x.target === 'webgpu' && x.machine.startsWith('webgpu adapter: software: '))).toBe(true);
    const again = await run(['compile', 'examples/mlp-sparse90.onnx', '-o', out, '--target', 'webgpu', '--db', dbFile]);
    expect(again.err).toMatch(new RegExp(`note: ${records.length} layer\\(s\\) chose from the tuning database`));
    // --weight-dtype f16: the dense weights are stored as f16 on the GPU too
    const half = await run(['compile', 'examples/mlp-sparse90.onnx', '-o', join(dir, 'gpu16'), '--target', 'webgpu', '-p', 'canonicalize', '--weight-dtype', 'f16']);
    expect(half.code).toBe(0);
    const kernels = (JSON.parse(readFileSync(join(dir, 'gpu16', 'manifest.json'), 'utf8')) as { kernels: { kernel: string; schedule: Record<string, unknown> }[] }).kernels;
    expect(kernels.filter((k) => k.kernel === 'matmul_grid').map((k) => k.schedule['values'])).toEqual(['f16', 'f16', 'f16']);
  });

  it('a compile without --emit wat removes the model.wat an earlier one wrote', async () => {
    const out = join(dir, 'wat');
    expect((await run(['compile', 'examples/mlp-sparse90.onnx', '-o', out, '--emit', 'wat'])).code).toBe(0);
    expect(existsSync(join(out, 'model.wat'))).toBe(true);
    expect((await run(['compile', 'examples/mlp-sparse90.onnx', '-o', out])).code).toBe(0);
    expect(existsSync(join(out, 'model.wat'))).toBe(false);
    expect((await run(['compile', 'examples/mlp-sparse90.onnx', '-o', out, '--target', 'webgl'])).err).toBe("sparsec: error: unknown target 'webgl' (targets: wasm, webgpu)\n");
  });

  it('other named or unknown dims are one error naming the inputs and dims, with the --shape to give', async () => {
    const seq = await run(['compile', model('seq', ['batch', 'seq', 16]), '-o', join(dir, 'seq')]);
    expect(seq.code).toBe(1);
    expect(seq.err).toBe("sparsec: error: compiled code needs static shapes: give --shape x=1x<seq>x16 with sizes for the named or unknown dims of input 'x' [batch, seq, 16] (a leading named dim is the batch and defaults to 1)\n");
    const unknown = await run(['compile', model('unknown', ['', 4]), '-o', join(dir, 'unknown')]);
    expect(unknown.err).toContain("give --shape x=<size>x4 with sizes for the named or unknown dims of input 'x' [?, 4]");
  });
});
