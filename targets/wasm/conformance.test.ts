// ONNX conformance through the wasm target: nothing compiled may fail, and every test the reference
// interpreter passes must pass compiled too, except the gaps listed here with their reasons.
import { describe, expect, it } from 'vitest';
import { findTests, runTest, summarize, type TestResult } from '../../src/conformance/conformance.js';
import { runTestCompiled } from '../../src/conformance/compiled.js';
import { wasmTarget } from './target.js';

const SUITES = ['node', 'pytorch-converted', 'pytorch-operator'].map((s) => new URL(`../../../shared/onnx-tests/${s}`, import.meta.url).pathname);

/** Tests the interpreter passes that the wasm target refuses, and why (none now). Never grow it without a reason. */
const KNOWN_GAPS: Record<string, string> = {};

describe('ONNX conformance (wasm target)', () => {
  it('passes every test the interpreter passes (but the listed gaps); nothing compiled fails', async () => {
    const wasm: TestResult[] = [];
    const gaps: string[] = [];
    for (const d of findTests(SUITES)) {
      const w = await runTestCompiled(d, { rtol: 1e-3, atol: 1e-6 }, wasmTarget);
      wasm.push(w);
      if (w.status !== 'passed' && !(w.name in KNOWN_GAPS) && (await runTest(d, { rtol: 1e-3, atol: 1e-6 })).status === 'passed') gaps.push(`${w.name}: ${w.reason}`);
    }
    const s = summarize(wasm);
    console.log(`wasm conformance: ${s.passed} passed, ${s.failed} failed, ${s.unsupported} unsupported`);
    expect(wasm.filter((r) => r.status === 'failed').map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
    expect(gaps).toEqual([]);
    // A gap that closed must leave the list.
    expect(wasm.filter((r) => r.name in KNOWN_GAPS && r.status === 'passed').map((r) => r.name)).toEqual([]);
  }, 300_000);
});
