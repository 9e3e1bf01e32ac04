// `sparsec conformance`: ONNX test folders through the importer and the interpreter.
import { findTests, runTest, summarize, type TestResult } from '../conformance/conformance.js';
import { CliError, type Io, type ParsedArgs } from './command.js';
import { tolerance } from './options.js';
import { loadTarget, TARGET_NAMES } from '../../targets/index.js';

export async function runConformance(args: ParsedArgs, io: Io): Promise<number> {
  const target = (args.options['target'] as string | undefined) ?? 'interp';
  if (target !== 'interp' && !TARGET_NAMES.includes(target)) throw new CliError(`unknown target '${target}' (targets: interp, ${TARGET_NAMES.join(', ')})`);
  const tol = tolerance(args.options, { rtol: 1e-3, atol: 1e-7 });
  let dirs: string[];
  try {
    dirs = findTests(args.positionals);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (dirs.length === 0) throw new CliError(`no test folders (with model.onnx) under ${args.positionals.join(', ')}`);
  // Only a compile target loads its code generator (wasm: binaryen).
  const compiled = target === 'interp' ? undefined : { run: (await import('../conformance/compiled.js')).runTestCompiled, target: await loadTarget(target) };
  const json = args.options['json'] === true;
  const results: TestResult[] = [];
  const w = Math.min(60, Math.max(...dirs.map((d) => d.split('/').pop()!.length)));
  for (const d of dirs) {
    const r = compiled ? await compiled.run(d, tol, compiled.target) : runTest(d, tol);
    results.push(r);
    if (!json) io.out(`${r.status.padEnd(11)} ${r.name.padEnd(w)}  ${r.reason ?? ''}${r.specialised ? `(specialised on ${r.specialised.join(', ')})` : ''}\n`);
  }
  const s = summarize(results);
  const line = `${s.passed} passed, ${s.failed} failed, ${s.unsupported} unsupported`;
  if (json) {
    io.out(JSON.stringify({ results, summary: { passed: s.passed, failed: s.failed, unsupported: s.unsupported, float32: s.float32, ops: Object.fromEntries(s.ops) } }, null, 2) + '\n');
  } else {
    io.out('\nop coverage (tests using the op: passed / failed / unsupported)\n');
    const ow = Math.max(...[...s.ops.keys()].map((k) => k.length));
    for (const [op, c] of [...s.ops].sort((a, b) => a[0].localeCompare(b[0]))) {
      io.out(`  ${op.padEnd(ow)}  ${String(c.passed).padStart(4)} / ${String(c.failed).padStart(3)} / ${String(c.unsupported).padStart(3)}\n`);
    }
    io.out(`\nfloat32 tests: ${s.float32.passed} of ${s.float32.total} passed\n`);
    io.out(`${line}\n`);
  }
  return s.failed > 0 ? 1 : 0;
}
