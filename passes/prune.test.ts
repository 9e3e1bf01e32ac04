// The prune pass and `sparsec prune`: magnitude (per layer and one global threshold), N:M and whole
// channels give exactly the sparsity asked; the written model loads and runs in onnxruntime-node and
// agrees with the interpreter on the pruned IR; channel-pruned layers shrink under channel elimination.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx, importOnnxFile } from '../src/importer/import.js';
import { interpret } from '../src/interp/interpret.js';
import { compareTensors } from '../src/interp/compare.js';
import { nm } from '../src/ir/encodings.js';
import { encodingViolation } from '../src/ir/sparse-data.js';
import type { Module } from '../src/ir/core.js';
import { constData } from '../src/pass/helpers.js';
import { runPipeline } from '../src/pass/manager.js';
import { parsePipeline } from '../src/pass/pipeline.js';
import { passRegistry } from '../src/pass/registry.js';
import { randomInputs } from '../src/pass/semantics.js';
import { toF64 } from '../src/tensor-math/numeric.js';
import { runOrt } from '../src/testing/ort.js';
import { runCli } from '../src/testing/cli.js';
import { prunableLayers } from './prune.js';

const EXAMPLES = ['mlp-sparse90', 'mlp-2of4', 'resnet-pruned', 'squeezenet-pruned'];
const load = (name: string) => importOnnxFile(`examples/${name}.onnx`, { dims: { N: 2 } }).module;
const pipeline = (m: Module, p: string) => runPipeline(m, parsePipeline(p, passRegistry()), { log: () => undefined });
const weightsOf = (m: Module) => prunableLayers(m).map((l) => ({ name: l.name, w: constData(l.weight)!, axis: l.cand.reductionAxis }));
const zeros = (v: ArrayLike<number>) => Array.from(v).filter((x) => x === 0).length;

const run = runCli;

describe('prune pass', () => {
  it('magnitude per layer: each layer loses exactly its share, the smallest first (zeros already there count)', () => {
    for (const ex of EXAMPLES) {
      const before = weightsOf(load(ex));
      const m = load(ex);
      pipeline(m, 'prune{sparsity=0.93}');
      weightsOf(m).forEach(({ name, w }, i) => {
        const v = toF64(w), had = toF64(before[i]!.w);
        expect(zeros(v), `${ex} ${name}`).toBe(Math.max(zeros(had), Math.floor(0.93 * v.length)));
        // nothing kept is smaller in magnitude than something cut
        const cut = had.filter((x, k) => x !== 0 && v[k] === 0).map(Math.abs), kept = v.filter((x) => x !== 0).map(Math.abs);
        if (cut.length && kept.length) expect(Math.max(...cut)).toBeLessThanOrEqual(Math.min(...kept));
      });
    }
  });

  it('magnitude global: one threshold over every layer, exactly the fraction asked', () => {
    const m = load('resnet-pruned');
    const orig = weightsOf(load('resnet-pruned'));
    pipeline(m, 'prune{sparsity=0.8,scope=global}');
    const after = weightsOf(m);
    const total = after.reduce((a, l) => a + l.w.size, 0);
    let cut = 0, largestCut = 0, smallestKept = Infinity;
    after.forEach((l, i) => {
      const before = toF64(orig[i]!.w), now = toF64(l.w);
      now.forEach((x, k) => {
        if (x === 0 && before[k] !== 0) { cut++; largestCut = Math.max(largestCut, Math.abs(before[k]!)); }
        if (x !== 0) smallestKept = Math.min(smallestKept, Math.abs(x));
      });
    });
    expect(cut).toBeGreaterThan(0);
    expect(after.reduce((a, l) => a + zeros(toF64(l.w)), 0)).toBe(Math.floor(0.8 * total));
    expect(largestCut).toBeLessThanOrEqual(smallestKept);
    // layers end at different sparsities (a global threshold is not a fraction per layer)
    expect(new Set(after.map((l) => (zeros(toF64(l.w)) / l.w.size).toFixed(2))).size).toBeGreaterThan(1);
  });

  it('N:M along the reduction axis satisfies N:M; channels zero whole filters and their biases; only / exclude pick layers', () => {
    const m = load('resnet-pruned');
    pipeline(m, 'prune{method=nm,n=1,m=4,exclude=Gemm_*}');
    for (const l of prunableLayers(m)) {
      const w = constData(l.weight)!;
      if (l.op.name === 'nn.gemm') expect(encodingViolation(w, nm(1, 4, l.cand.reductionAxis))).toBeDefined();
      else if (w.shape[l.cand.reductionAxis]! % 4 === 0) expect(encodingViolation(w, nm(1, 4, l.cand.reductionAxis)), l.name).toBeUndefined();
    }
    const c = load('mlp-sparse90');
    pipeline(c, 'prune{method=channel,ratio=0.25,criterion=l2,only=Gemm_0}');
    const [fc1, fc2] = prunableLayers(c);
    const w = toF64(constData(fc1!.weight)!), [N, K] = constData(fc1!.weight)!.shape as [number, number];
    const dead = Array.from({ length: N }, (_, n) => n).filter((n) => w.slice(n * K, (n + 1) * K).every((x) => x === 0));
    expect(dead.length).toBeGreaterThanOrEqual(Math.floor(0.25 * N));
    const bias = toF64(constData(fc1!.op.operand(2))!);
    for (const n of dead.slice(0, Math.floor(0.25 * N))) expect(bias[n]).toBe(0);
    expect(zeros(toF64(constData(fc2!.weight)!))).toBe(zeros(toF64(constData(prunableLayers(load('mlp-sparse90'))[1]!.weight)!)));
  });
});

describe('sparsec prune', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-prune-'));

  it('writes a model onnxruntime-node runs, equal to the interpreter on the pruned IR, with the per-layer sparsity printed', async () => {
    for (const [ex, args] of [['resnet-pruned', ['--sparsity', '0.9', '--scope', 'global']], ['mlp-2of4', ['--method', 'nm', '--n', '1', '--m', '4']], ['squeezenet-pruned', ['--method', 'channel', '--ratio', '0.3', '--exclude', 'conv']]] as const) {
      const out = join(dir, `${ex}.onnx`);
      const r = await run(['prune', `examples/${ex}.onnx`, '-o', out, ...args, '--json']);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as { layers: { layer: string; after: number }[]; total: { after: number } };
      if (args[1] === '0.9') expect(report.total.after).toBeCloseTo(0.9, 3);
      if (args[1] === 'nm') expect(report.layers.every((l) => l.after >= 0.75 - 1e-9)).toBe(true);
      const pruned = importOnnx(new Uint8Array(readFileSync(out)), { dims: { N: 2 } }).module;
      const inputs = randomInputs(pruned, 3, 1);
      const want = interpret(pruned, inputs);
      const names = pruned.funcs[0]!.args.map((a, i) => a.name ?? `in${i}`);
      const got = Object.values(await runOrt(readFileSync(out), Object.fromEntries(names.map((n, i) => [n, inputs[i]!]))));
      got.forEach((t, i) => expect(compareTensors(t, want[i]!, { rtol: 1e-3, atol: 1e-4 }).mismatch, ex).toBeUndefined());
    }
    const text = await run(['prune', 'examples/mlp-sparse90.onnx', '-o', join(dir, 'mlp.onnx'), '--sparsity', '0.95']);
    expect(text.out).toMatch(/^layer\s+kind\s+shape\s+sparsity\nGemm_0\s+gemm\s+512x256\s+90\.0% -> 95\.0%\n/);
    expect(text.out).toMatch(/total\s+3\s+264704 weights\s+90\.0% -> 95\.0%\nwrote /);
  });

  it('channel-pruned layers shrink under channel elimination by at least the pruned channels\' weights', async () => {
    const out = join(dir, 'mlp-channels.onnx');
    expect((await run(['prune', 'examples/mlp-sparse90.onnx', '-o', out, '--method', 'channel', '--ratio', '0.3', '--only', 'Gemm_0,Gemm_2'])).code).toBe(0);
    const count = (m: Module) => prunableLayers(m).reduce((a, l) => a + constData(l.weight)!.size, 0);
    const base = importOnnx(new Uint8Array(readFileSync(out)), { dims: { N: 1 } }).module;
    const before = count(base);
    pipeline(base, 'canonicalize,mask-propagation,channel-elimination');
    // Gemm_0 loses 30% of its 512 rows (x 256 inputs) and Gemm_2 30% of its 256 rows (x 512), at least
    expect(before - count(base)).toBeGreaterThanOrEqual(Math.floor(0.3 * 512) * 256 + Math.floor(0.3 * 256) * 512);
  });

  it('--schedule gives layers their own sparsity (patterns allowed, the rest take --sparsity)', async () => {
    const profile = join(dir, 'profile.json');
    writeFileSync(profile, JSON.stringify({ layers: { Gemm_0: 0.97, 'Gemm_[24]': 0.5, 'Gemm_*': { sparsity: 0.92 } } }));
    const r = await run(['prune', 'examples/mlp-sparse90.onnx', '-o', join(dir, 'sched.onnx'), '--schedule', profile, '--json']);
    expect(r.code, r.err).toBe(0);
    const by = Object.fromEntries((JSON.parse(r.out) as { layers: { layer: string; after: number }[] }).layers.map((l) => [l.layer, l.after]));
    // 'Gemm_[24]' is a name, not a class: it matches nothing, so Gemm_2 and Gemm_4 take the pattern after it
    expect(by['Gemm_0']).toBeCloseTo(0.97, 3);
    expect(by['Gemm_2']).toBeCloseTo(0.92, 3);
    expect(by['Gemm_4']).toBeCloseTo(0.92, 2);
    writeFileSync(profile, JSON.stringify({ layers: { Gemm_0: 1.5 } }));
    expect((await run(['prune', 'examples/mlp-sparse90.onnx', '-o', join(dir, 'sched.onnx'), '--schedule', profile])).err).toBe(`sparsec: error: --schedule ${profile}: layer 'Gemm_0': expected a sparsity from 0 to 1 (a number, or { "sparsity": n }), got 1.5\n`);
  });

  it('bad options are one line each', async () => {
    const bad = async (args: string[]) => (await run(['prune', 'examples/mlp-sparse90.onnx', ...args])).err;
    expect(await bad(['--sparsity', '0.5'])).toBe('sparsec: error: prune writes a model: give -o FILE\n');
    expect(await bad(['-o', join(dir, 'x.onnx'), '--sparsity', '1.5'])).toMatch(/^sparsec: error: --sparsity: needs a value from 0 to 1, got 1\.5\n$/);
    expect(await bad(['-o', join(dir, 'x.onnx'), '--method', 'random'])).toMatch(/^sparsec: error: --method: needs one of magnitude, nm, channel, got "random"\n$/);
    expect(await bad(['-o', join(dir, 'x.onnx'), '--method', 'nm', '--n', '5'])).toBe('sparsec: error: --n 5 is more than --m 4: N:M keeps n of every m\n');
    expect((await run(['prune', 'missing.onnx', '-o', join(dir, 'x.onnx')])).err).toBe("sparsec: error: cannot read 'missing.onnx': no such file\n");
  });
});
