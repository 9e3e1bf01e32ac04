// `npm run test:ir [-- --update] [files or folders...]`: runs the golden IR tests (default: ir-tests/ and examples/).
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTestFile } from './ir-tests.js';

// An empty tuning database: a developer's own records (sparsec compile reads them) never change a golden output.
process.env['XDG_CACHE_HOME'] = mkdtempSync(join(tmpdir(), 'sparsec-test-cache-'));

const TEST_EXT = /\.(ir|mlir)$/;

export function findTestFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) walk(join(p, e));
    } else if (TEST_EXT.test(p)) out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

async function cli(argv: string[]): Promise<number> {
  const update = argv.includes('--update');
  const args = argv.filter((a) => a !== '--update');
  const unknown = args.find((a) => a.startsWith('-'));
  if (unknown) {
    process.stderr.write(`test:ir: unknown option '${unknown}' (accepted: --update)\n`);
    return 1;
  }
  const files = findTestFiles(args.length ? args : ['ir-tests', 'examples']);
  let passed = 0, failed = 0;
  for (const f of files) {
    const r = await runTestFile(f, { update });
    const bad = r.cases.filter((c) => c.error);
    passed += r.cases.length - bad.length;
    failed += bad.length;
    if (update && r.updated !== undefined) writeFileSync(f, r.updated);
    process.stdout.write(`${bad.length ? 'FAIL' : update ? 'UPDATED' : 'PASS'} ${r.file} (${r.cases.length} case${r.cases.length === 1 ? '' : 's'})\n`);
    for (const c of bad) process.stdout.write(`  case ${c.index + 1} (line ${c.line}):\n    ${c.error!.split('\n').join('\n    ')}\n`);
  }
  process.stdout.write(`\nir-tests: ${passed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

process.exitCode = await cli(process.argv.slice(2));
