// `sparsec sensitivity` on the trained digits MLP and its held-back digits: each figure of the report
// checked against the same pruning done by `sparsec prune` and scored by onnxruntime-node; the
// recommended profile within its drop; the report page rendered in headless Chromium.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTensorFile } from '../onnx/proto.js';
import { OnnxGraphBuilder } from '../onnx/build.js';
import { Tensor } from '../ir/tensor.js';
import { runCli } from '../testing/cli.js';
import { inspectPage } from '../testing/browser.js';
import { runOrt } from '../testing/ort.js';
import { argmaxRows, readLabels } from './data.js';
import type { SensitivityReport } from './report.js';

const MODEL = 'examples/digits-mlp.onnx', DATA = 'examples/digits', LABELS = 'examples/digits/labels.pb';
const pixels = readTensorFile(join(DATA, 'input_0.pb')).tensor, labels = readLabels(LABELS);

/** Top-1 accuracy of a model file on the held-back digits, by onnxruntime-node. */
async function accuracyByOrt(file: string): Promise<number> {
  const classes = argmaxRows((await runOrt(readFileSync(file), { pixels }))['logits']!);
  return classes.reduce((n, c, i) => n + (c === labels[i] ? 1 : 0), 0) / labels.length;
}

describe('sparsec sensitivity', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-sensitivity-'));
  const out = join(dir, 'report');
  let report: SensitivityReport;

  it('sweeps every layer and both whole-model curves, measured on wasm', async () => {
    const r = await runCli(['sensitivity', MODEL, '--data', DATA, '--labels', LABELS, '--ladder', '0.5,0.9', '--max-drop', '2%', '-o', out]);
    expect(r.code, r.err).toBe(0);
    report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as SensitivityReport;
    expect(r.out).toContain('profile within a drop of 2.0%');
    expect(report.layers.map((l) => l.layer)).toEqual(['fc1', 'fc2', 'fc3']);
    expect(report.rows).toBe(500);
    expect(report.base.metric).toBe(await accuracyByOrt(MODEL));
    for (const l of report.layers) {
      expect(l.points.map((p) => p.sparsity)).toEqual([0, 0.5, 0.9]);
      for (const p of l.points) expect(p.ms, `${l.layer} ${p.sparsity}`).toBeGreaterThan(0);
    }
    expect(report.curves.map((c) => c.scope)).toEqual(['global', 'layer']);
    for (const c of report.curves) for (const p of c.points) expect(p.ms).toBeGreaterThan(0);
  }, 300_000);

  it("each layer's and each curve's metric is what prune + onnxruntime give", async () => {
    const check = async (args: string[], want: number, what: string) => {
      const file = join(dir, 'p.onnx');
      const r = await runCli(['prune', MODEL, '-o', file, ...args]);
      expect(r.code, r.err).toBe(0);
      expect(await accuracyByOrt(file), what).toBe(want);
    };
    for (const l of report.layers) await check(['--only', l.layer, '--sparsity', '0.9'], l.points[2]!.metric, `${l.layer} at 90%`);
    await check(['--scope', 'global', '--sparsity', '0.9'], report.curves[0]!.points[1]!.metric, 'global 90%');
    await check(['--sparsity', '0.5'], report.curves[1]!.points[0]!.metric, 'layer-wise 50%');
  }, 120_000);

  it('the profile keeps within the drop as measured, and prune --schedule reads it', async () => {
    const rec = report.recommendation!;
    expect(rec.drop).toBeLessThanOrEqual(0.02 + 1e-9);
    expect(rec.speedup).toBeGreaterThan(0);
    const profile = JSON.parse(readFileSync(join(out, 'profile.json'), 'utf8')) as { layers: Record<string, number> };
    expect(profile.layers).toEqual(rec.profile);
    const file = join(dir, 'profiled.onnx');
    expect((await runCli(['prune', MODEL, '-o', file, '--schedule', join(out, 'profile.json')])).code).toBe(0);
    expect(await accuracyByOrt(file)).toBe(rec.metric);
  }, 60_000);

  it('report.html renders its charts in headless Chromium, with no errors and nothing loaded', async () => {
    const url = pathToFileURL(join(out, 'report.html')).href;
    const { result, errors, requests } = await inspectPage(url, () => Array.from(document.querySelectorAll('svg.chart')).map((svg) => ({
      series: svg.querySelectorAll('path.series').length,
      points: svg.querySelectorAll('circle').length,
      width: svg.getBoundingClientRect().width,
      title: svg.querySelector('.title')?.textContent ?? '',
    })));
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(result.map((c) => c.series)).toEqual([3, 3, 2]);
    expect(result.map((c) => c.points)).toEqual([9, 9, 6]);
    for (const c of result) expect(c.width).toBeGreaterThan(300);
    expect(result[2]!.title).toContain('end-to-end');
  }, 60_000);

  it('estimates with the cost model when told not to measure', async () => {
    const r = await runCli(['sensitivity', MODEL, '--data', DATA, '--ladder', '0.9', '--no-measure', '--only', 'fc1', '-o', join(dir, 'est'), '--json']);
    expect(r.code, r.err).toBe(0);
    const est = JSON.parse(r.out) as SensitivityReport;
    expect(est.latency).toBe('cost model');
    expect(est.metric).toBe('top-1 agreement');
    const [dense, sparse] = est.layers[0]!.points;
    expect(dense!.metric).toBe(1);
    expect(sparse!.ms!).toBeLessThan(dense!.ms!);
  }, 120_000);

  it('bad input is one line each', async () => {
    const cases: [string[], RegExp][] = [
      [['sensitivity', MODEL], /needs --data DIR/],
      [['sensitivity', MODEL, '--data', 'nowhere'], /cannot read the data folder 'nowhere'/],
      [['sensitivity', MODEL, '--data', DATA, '--max-drop', 'lots'], /--max-drop takes the metric drop allowed/],
      [['sensitivity', MODEL, '--data', DATA, '--ladder', '0.5,2'], /--ladder takes sparsities from 0 to 1/],
      [['sensitivity', MODEL, '--data', DATA, '--labels', 'package.json'], /labels package.json: '\{' is not a class index/],
      [['sensitivity', MODEL, '--data', DATA, '--only', 'nothing'], /no prunable layers/],
      [['sensitivity', 'examples/tiny-sparse.ir', '--data', DATA], /is not a \.onnx file/],
      [['sensitivity', MODEL, '--data', DATA, '-o', 'package.json'], /cannot create the output folder 'package.json': a file is in the way/],
      [['sensitivity', MODEL, '--data', DATA, '--labels', join(dir, 'three.txt')], /3 labels for 500 rows of the model's first output \[500x10\]/],
    ];
    writeFileSync(join(dir, 'three.txt'), '1 2\n3\n');
    // a layer named like a kind: as a pattern it picks every Gemm
    const g = new OnnxGraphBuilder('ambiguous');
    const w = g.initializer('w', new Tensor('f32', [4, 4], new Float32Array(16).fill(1)));
    g.op('Gemm', [g.op('Gemm', [g.input('x', 'f32', ['N', 4]), w], {}, undefined, 'gemm'), g.initializer('v', new Tensor('f32', [4, 4], new Float32Array(16).fill(2)))], {}, 'y', 'other');
    g.output('y', 'f32', ['N', 4]);
    writeFileSync(join(dir, 'ambiguous.onnx'), g.model(17));
    cases.push([['sensitivity', join(dir, 'ambiguous.onnx'), '--data', DATA], /layer 'gemm' cannot be pruned alone: its name also picks other layers/]);
    for (const [args, want] of cases) {
      const r = await runCli(args.includes('-o') ? args : [...args, '-o', join(dir, 'bad')]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(want);
    }
  }, 60_000);
});
