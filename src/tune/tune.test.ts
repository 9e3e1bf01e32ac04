// The tuner: its decision rule on synthetic timings, the interleaved timer on runners made clearly
// slower than others (never an absolute time), and tuning a real model end to end: every candidate is
// checked against the interpreter, and the tuned plan runs and matches it.
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../importer/import.js';
import { interpret } from '../interp/interpret.js';
import { compareTensors } from '../interp/compare.js';
import { randomInputs } from '../pass/semantics.js';
import { runPipeline } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { passRegistry } from '../pass/registry.js';
import { DEFAULT_COMPILE_PIPELINE } from '../cli/pipelines.js';
import { main, version } from '../cli/main.js';
import { loadTarget } from '../../targets/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendRecords, lookup, opSignature, readDb, tuningVersion, type TuneRecord } from './db.js';
import { candidates } from '../lower/select.js';
import { pickFastest, timeInterleaved, type Timing } from './measure.js';
import { tune } from './tune.js';

const t = (median: number, noise: number): Timing => ({ median, noise, samples: 9 });

/** Busy work of about `n` multiply-adds (not optimised away: the result is kept). */
let sink = 0;
const work = (n: number) => () => {
  let s = 0;
  for (let i = 0; i < n; i++) s += i * 1e-9;
  sink += s;
};

describe('tuning', () => {
  it('keeps the default unless another candidate is faster beyond the noise', () => {
    expect(pickFastest([t(1, 0.01), t(0.5, 0.01)])).toBe(1);
    expect(pickFastest([t(1, 0.01), t(0.7, 0.01), t(0.5, 0.01)])).toBe(2);
    expect(pickFastest([t(1, 0.2), t(0.8, 0.2)])).toBe(0); // within 2 sigma of the difference
    expect(pickFastest([t(1, 0), t(0.99, 0)])).toBe(0); // under 2%
    expect(pickFastest([t(0.5, 0.01), t(1, 0.01)])).toBe(0);
  });

  it('measures interleaved: a clearly slower candidate loses, identical ones tie', () => {
    const fast = work(2_000), slow = work(60_000);
    expect(pickFastest(timeInterleaved([slow, fast], { sampleMs: 1 }))).toBe(1);
    expect(pickFastest(timeInterleaved([fast, slow], { sampleMs: 1 }))).toBe(0);
    const same = work(20_000);
    expect(pickFastest(timeInterleaved([same, same], { rounds: 15, sampleMs: 1 }))).toBe(0);
    expect(sink).toBeGreaterThan(0);
  });

  it('tunes a model: every layer with a choice is measured, and the tuned plan matches the interpreter', async () => {
    const { module } = importOnnxFile(new URL('../../examples/mlp-sparse90.onnx', import.meta.url).pathname, { dims: { N: 8 } });
    runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
    const target = await loadTarget('wasm');
    const lines: string[] = [];
    const db = { records: [] as TuneRecord[], target: 'wasm', machine: 'this machine', sparsec: '0.0.0-test' };
    const r = await tune(target.plan(module.funcs[0]!), target, { budgetMs: 60_000, sampleMs: 0.5, rounds: 5, db, log: (l) => lines.push(l) });
    expect(r.rows.map((row) => row.op)).toEqual(['sparse.gemm', 'sparse.gemm', 'sparse.gemm']);
    for (const row of r.rows) expect(row.candidates).toBeGreaterThan(2);
    expect(lines.filter((l) => l.startsWith('tune '))).toHaveLength(3);
    for (const c of r.plan.calls) if (c.call.why.startsWith('tuned:')) expect(r.rows.some((row) => row.chosen.startsWith(c.call.kernel))).toBe(true);
    const artifact = target.compile(r.plan);
    const model = await target.instantiate((name) => artifact.files[name]);
    const inputs = randomInputs(module, 3, 8);
    const want = interpret(module, inputs);
    (await model.run(inputs)).forEach((got, i) => expect(compareTensors(got, want[i]!, { rtol: 1e-4, atol: 1e-5 }).mismatch).toBeUndefined());

    // The records reproduce the tuned plan with no measuring; another machine's only when asked.
    expect(r.records).toHaveLength(3);
    const again = await tune(target.plan(module.funcs[0]!), target, { budgetMs: 0, measure: false, db: { ...db, records: r.records } });
    expect(again.fromDb).toBe(3);
    expect(again.rows).toEqual([]);
    expect(r.plan.calls.map((c) => c.call.source)).toEqual(['tuned', 'tuned', 'tuned']);
    expect(again.plan.calls.map((c) => c.call.source)).toEqual(['database', 'database', 'database']);
    expect(target.plan(module.funcs[0]!).calls.map((c) => c.call.source)).toEqual(['default', 'default', 'default']);
    expect(again.plan.calls.map((c) => [c.call.kernel, c.call.format, c.call.schedule])).toEqual(r.plan.calls.map((c) => [c.call.kernel, c.call.format, c.call.schedule]));
    const elsewhere = await tune(target.plan(module.funcs[0]!), target, { budgetMs: 0, measure: false, db: { ...db, machine: 'another', records: r.records } });
    expect(elsewhere.fromDb).toBe(0);
    expect((await tune(target.plan(module.funcs[0]!), target, { budgetMs: 0, measure: false, db: { ...db, machine: 'another', anyMachine: true, records: r.records } })).fromDb).toBe(3);
  }, 120_000);

  it('the whole model is never slower than the default: choices that lose end to end are dropped and recorded as defaults', async () => {
    const { module } = importOnnxFile(new URL('../../examples/mlp-sparse90.onnx', import.meta.url).pathname, { dims: { N: 8 } });
    runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
    const target = await loadTarget('wasm');
    const base = target.plan(module.funcs[0]!);
    // Records (say, from a machine where they won) that read each 90%-sparse weight dense: ten times the work.
    const dense = (pc: (typeof base.calls)[number]) => candidates(pc.op, target.caps).applicable.find((k) => k.name === 'dense_gemm')!.space(pc.op, target.caps)[0]!;
    const records: TuneRecord[] = base.calls.map((pc) => ({
      v: 1, signature: opSignature(pc.op), op: pc.op.name, target: 'wasm', machine: 'this machine', sparsec: '0.0.0-test',
      choice: { kernel: 'dense_gemm', ...dense(pc) }, timeMs: 1, defaultMs: 2, noiseMs: 0.1, at: '2026-01-01T00:00:00Z',
    }));
    const lines: string[] = [];
    const r = await tune(base, target, { budgetMs: 60_000, sampleMs: 0.5, rounds: 7, db: { records, target: 'wasm', machine: 'this machine', sparsec: '0.0.0-test' }, log: (l) => lines.push(l) });
    expect(r.fromDb).toBe(3);
    expect(r.endToEnd?.kept).toBe('default');
    expect(r.endToEnd!.tunedMs).toBeGreaterThan(r.endToEnd!.defaultMs);
    expect(r.plan.calls.map((c) => c.call.kernel)).toEqual(base.calls.map((c) => c.call.kernel));
    expect(lines.at(-1)).toMatch(/^tune: whole model: default [\d.]+ ms, tuned [\d.]+ ms \(noise [\d.]+ ms\): the tuned plan is slower, so every layer keeps its default$/);
    // The dropped database choices are recorded as defaults, so a plain compile with the records no longer takes them.
    expect(r.records.map((x) => x.choice.kernel)).toEqual(base.calls.map((c) => c.call.kernel));
    const after = await tune(base, target, { budgetMs: 0, measure: false, db: { records: [...records, ...r.records], target: 'wasm', machine: 'this machine', sparsec: '0.0.0-test' } });
    expect(after.plan.calls.map((c) => c.call.kernel)).toEqual(base.calls.map((c) => c.call.kernel));
  }, 120_000);

  it('the database: records round-trip through the file, lookups take the newest exact match, a damaged line is one error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsec-db-'));
    const path = join(dir, 'sub', 'tuning.jsonl');
    expect(readDb(path)).toEqual([]);
    const rec = (machine: string, at: string, tile: number): TuneRecord => ({
      v: 1, signature: 'abc', op: 'sparse.gemm', target: 'wasm', machine, sparsec: '1.0.0',
      choice: { kernel: 'csr_matmul_batched', format: { kind: 'csr', indexBits: 16 }, schedule: { tile } }, timeMs: 1, defaultMs: 2, noiseMs: 0.1, at,
    });
    appendRecords(path, [rec('m1', '2026-01-01T00:00:00Z', 4), rec('m1', '2026-02-01T00:00:00Z', 8)]);
    appendRecords(path, [rec('m2', '2026-03-01T00:00:00Z', 16)]);
    const records = readDb(path);
    expect(records).toHaveLength(3);
    const base = { records, target: 'wasm', machine: 'm1', sparsec: '1.0.0' };
    expect(lookup(base, 'abc')?.choice.schedule).toEqual({ tile: 8 });
    expect(lookup({ ...base, machine: 'm3' }, 'abc')).toBeUndefined();
    expect(lookup({ ...base, machine: 'm3', anyMachine: true }, 'abc')?.choice.schedule).toEqual({ tile: 16 });
    expect(lookup({ ...base, sparsec: '1.0.1' }, 'abc')).toBeUndefined();
    expect(lookup({ ...base, target: 'webgpu' }, 'abc')).toBeUndefined();
    expect(lookup(base, 'other')).toBeUndefined();
    writeFileSync(path, '{"v": 1}\n');
    expect(() => readDb(path)).toThrow(`${path}:1: not a tuning record (needs v: 1, signature, machine, choice)`);
  });

  it('sparsec compile --tune reports each layer and what it chose; a bad --budget is one line', async () => {
    let err = '';
    const io = { out: () => undefined, err: (s: string) => void (err += s), cwd: new URL('../../', import.meta.url).pathname, readStdin: () => '', readFile: () => '' };
    const db = join(mkdtempSync(join(tmpdir(), 'sparsec-db-')), 'tuning.jsonl');
    expect(await main(['compile', 'examples/mlp-2of4.onnx', '--tune', '--budget', '30s', '--db', db, '--emit', 'plan'], io)).toBe(0);
    expect(err).toMatch(/^tune 1\/3: sparse\.gemm "Gemm_0": .* \(\d+ of \d+ candidates measured, noise [\d.]+ ms, [\d.]+ s\)$/m);
    // (the whole-model check may drop the changes, depending on timings: both outcomes are reported)
    expect(err).toMatch(/^tuned 3 layer\(s\) in [\d.]+ s: \d changed, \d kept their defaults( \(the changes measured slower for the whole model and were dropped\))?; 3 record\(s\) added to .*tuning\.jsonl$/m);
    // records are keyed by the version plus a hash of the kernel code (a changed kernel does not reuse old timings)
    expect(readDb(db).map((r) => r.sparsec)).toEqual(Array(3).fill(tuningVersion(version())));
    expect(tuningVersion('1.2.3')).toMatch(/^1\.2\.3\+[0-9a-f]{12}$/);
    // A plain compile then takes every choice from the database.
    err = '';
    expect(await main(['compile', 'examples/mlp-2of4.onnx', '--db', db, '--emit', 'plan'], io)).toBe(0);
    expect(err).toMatch(/^note: 3 layer\(s\) chose from the tuning database .*tuning\.jsonl$/m);
    expect(err).not.toMatch(/^tune /m);
    // sparsec tune: per layer and end to end, as JSON (a fresh database: everything measured).
    let out = '';
    const tuneDb = join(mkdtempSync(join(tmpdir(), 'sparsec-db-')), 'tuning.jsonl');
    expect(await main(['tune', 'examples/mlp-2of4.onnx', '--budget', '30', '--db', tuneDb, '--json'], { ...io, out: (s: string) => void (out += s) })).toBe(0);
    const report = JSON.parse(out) as { measured: number; fromDatabase: number; layers: { op: string; default: string; chosen: string; defaultMs: number; chosenMs: number; speedup: number }[]; endToEnd: { defaultMs: number; tunedMs: number; speedup: number; kept: string } | null; plan: { kernel: string; source: string }[] };
    expect(report.measured).toBe(3);
    expect(report.fromDatabase).toBe(0);
    expect(report.layers.map((l) => l.op)).toEqual(['sparse.gemm', 'sparse.gemm', 'sparse.gemm']);
    for (const l of report.layers) expect(l.chosenMs).toBeLessThanOrEqual(l.defaultMs);
    // The whole model is timed when some layer changed (and keeps the defaults if it measured slower).
    if (report.layers.some((l) => l.chosen !== l.default)) {
      expect(report.endToEnd!.defaultMs).toBeGreaterThan(0);
      expect(report.endToEnd!.kept === 'tuned' ? report.endToEnd!.tunedMs <= report.endToEnd!.defaultMs : true).toBe(true);
    } else expect(report.endToEnd).toBeNull();
    expect(report.plan.map((c) => c.source)).toEqual(['tuned', 'tuned', 'tuned']);
    // Again: all from the database, the table has its header and no rows.
    out = '';
    expect(await main(['tune', 'examples/mlp-2of4.onnx', '--db', tuneDb], { ...io, out: (s: string) => void (out += s) })).toBe(0);
    expect(out).toMatch(/^layer +op +default +chosen +default ms +chosen ms +speedup\nend to end: (default [\d.]+ ms, tuned [\d.]+ ms \([\d.]+x, noise [\d.]+ ms\)(; slower, so the defaults were kept)?|no layer changed, so the model is the default one); 0 layer\(s\) measured, 3 from the database .*tuning\.jsonl\n$/);
    // On a terminal: a status line (layer k of n, candidate, elapsed of budget) rewritten in place, cleared before each result line.
    err = '';
    const termDb = join(mkdtempSync(join(tmpdir(), 'sparsec-db-')), 'tuning.jsonl');
    expect(await main(['compile', 'examples/mlp-2of4.onnx', '--tune', '--budget', '30', '--db', termDb, '--emit', 'plan'], { ...io, errIsTerminal: true })).toBe(0);
    expect(err).toMatch(/\r\x1b\[Ktune: [\d.]+ s of 30 s, layer 1 of 3: checking candidate 1 of \d+ \(\d+ in the space\)/);
    expect(err).toMatch(/\r\x1b\[Ktune: [\d.]+ s of 30 s, layer 3 of 3: timing \d+ candidates side by side/);
    expect(err).toMatch(/\r\x1b\[Ktune 3\/3: sparse\.gemm "Gemm_4": /);
    err = '';
    expect(await main(['compile', 'examples/mlp-2of4.onnx', '--tune', '--budget', 'soon', '--emit', 'plan'], io)).toBe(1);
    expect(err).toBe("sparsec: error: --budget takes a number of seconds > 0, e.g. 60 or 60s, got 'soon'\n");
  }, 120_000);
});
