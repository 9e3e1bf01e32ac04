// `sparsec conformance`: ONNX test folders through the importer and the interpreter.
import { findTests, runTest, runTestWasm, summarize, type TestResult } from '../conformance/conformance.js';
import { CliError, type Command } from './command.js';
import { tolerance } from './run.js';

export const conformanceCommand: Command = {
  name: 'conformance',
  summary: 'Run ONNX conformance test folders and report passed / failed / unsupported.',
  usage: '<test dirs or parent dirs...> [--target interp] [--json] [--rtol 1e-3 --atol 1e-7]',
  description: 'Each test folder holds model.onnx and test_data_set_*/ with input_N.pb and output_N.pb. Prints one row per test, a per-op coverage table and a closing count; exit code 1 when any test fails.',
  positionals: [1, Infinity],
  options: {
    target: { type: 'string', arg: 'NAME', help: 'what runs the model: interp (the reference interpreter, default) or wasm (compiled)' },
    json: { type: 'boolean', help: 'print the results as JSON' },
    rtol: { type: 'number', arg: 'R', help: 'relative tolerance (default 1e-3)' },
    atol: { type: 'number', arg: 'A', help: 'absolute tolerance (default 1e-7)' },
  },
  async run(args, io) {
    const target = (args.options['target'] as string | undefined) ?? 'interp';
    if (target !== 'interp' && target !== 'wasm') throw new CliError(`unknown target '${target}' (targets: interp, wasm)`);
    const tol = tolerance(args.options, { rtol: 1e-3, atol: 1e-7 });
    let dirs: string[];
    try {
      dirs = findTests(args.positionals);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (dirs.length === 0) throw new CliError(`no test folders (with model.onnx) under ${args.positionals.join(', ')}`);
    const json = args.options['json'] === true;
    const results: TestResult[] = [];
    const w = Math.min(60, Math.max(...dirs.map((d) => d.split('/').pop()!.length)));
    for (const d of dirs) {
      const r = target === 'wasm' ? await runTestWasm(d, tol) : runTest(d, tol);
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
  },
};
