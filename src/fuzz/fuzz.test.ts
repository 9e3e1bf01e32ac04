// The fuzzer in the test suite: a short fixed-seed run of every input class (in this process), every
// saved finding in corpus/ replayed, and the driver itself run end to end in its child process.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FUZZ_CLASSES } from './classes.js';
import { runCase } from './run-case.js';
import { FAILURES, type CaseInput } from './verdict.js';

/** Cases per class in `npm test` (the seeds are fixed, so a failure here is reproducible). */
const CASES: Record<string, number> = { net: 120, 'onnx-mutant': 80, 'onnx-invalid': 120, 'ir-mutant': 300, pipeline: 150, loader: 40 };

describe('fuzz: fixed seeds', () => {
  for (const c of FUZZ_CLASSES) {
    it(`${c.name}: ${CASES[c.name] ?? 20} cases end in a correct result or a clear error`, async () => {
      const bad: string[] = [];
      for (let seed = 1; seed <= (CASES[c.name] ?? 20); seed++) {
        const r = await runCase({ cls: c.name, seed });
        if (FAILURES.includes(r.verdict)) bad.push(`seed ${seed}: ${r.verdict}: ${r.detail}`);
      }
      expect(bad).toEqual([]);
    }, 240_000);
  }
});

const CORPUS = new URL('./corpus/', import.meta.url);

describe('fuzz: every saved finding stays fixed', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json')).sort();
  it('the corpus holds the findings', () => expect(files.length).toBeGreaterThan(0));
  for (const f of files) {
    it(f, async () => {
      const finding = JSON.parse(readFileSync(new URL(f, CORPUS), 'utf8')) as { class: string; seed: number; input?: CaseInput; detail: string };
      // Without a saved input (the loader class), the case is generated again from its seed.
      const r = await runCase({ cls: finding.class, seed: finding.seed, ...(finding.input ? { input: finding.input } : {}) });
      expect(FAILURES, `${r.verdict}: ${r.detail}`).not.toContain(r.verdict);
    });
  }
});

describe('fuzz driver', () => {
  it('runs cases in its worker and prints counts per class (npm run fuzz -- --count 2)', () => {
    const out = execFileSync(process.execPath, ['scripts/run-ts.mjs', 'src/fuzz/driver.ts', '--count', '2', '--class', 'net,pipeline', '--out', '.tmp/fuzz-test'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toMatch(/^class +ok +clear-error +wrong-output +internal-error +timeout +over-memory +crash +slowest$/m);
    expect(out).toMatch(/^net +\d+ +\d+ +0 +0 +0 +0 +0 /m);
    expect(out).toMatch(/^4 cases in \d+ s; worker peak resident memory \d+ MiB; 0 failure\(s\)$/m);
  }, 120_000);
});
