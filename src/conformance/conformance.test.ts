// ONNX's own conformance tests (../shared/onnx-tests) through the importer and interpreter.
import { describe, expect, it } from 'vitest';
import { findTests, runTest, summarize, type TestResult } from './conformance.js';

const ROOT = new URL('../../../shared/onnx-tests/', import.meta.url).pathname;
const SUITES = ['node', 'pytorch-converted', 'pytorch-operator'].map((s) => ROOT + s);

describe('ONNX conformance (interpreter)', () => {
  const results: TestResult[] = [];
  it('runs every test of node, pytorch-converted and pytorch-operator', () => {
    for (const d of findTests(SUITES)) results.push(runTest(d, { rtol: 1e-3, atol: 1e-7 }));
    const s = summarize(results);
    console.log(`conformance: ${s.passed} passed, ${s.failed} failed, ${s.unsupported} unsupported; float32 ${s.float32.passed}/${s.float32.total}`);
    expect(results.length).toBeGreaterThan(400);
    expect(results.filter((r) => r.status === 'failed').map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
    expect(s.float32.passed / s.float32.total).toBeGreaterThanOrEqual(0.95);
  });

  it('gives every unsupported test a reason that names the missing feature', () => {
    for (const r of results.filter((x) => x.status === 'unsupported')) {
      expect(r.reason, r.name).toMatch(/sequence|optional|training mode|not supported/);
    }
  });
});
