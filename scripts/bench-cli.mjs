#!/usr/bin/env node
// `npm run bench:cli [-- --runs N] [-- --json]`: the wall time of sparsec commands on the bundled
// examples, each run as its own process the way a user or a script runs it (median of N runs,
// default 7), next to the targets the CLI is held to and plain Node's own start-up.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name, d) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : d);
const runs = value('--runs', 7);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('bench:cli: --runs needs a positive integer');
  process.exit(1);
}

// The CLI runs dist/: build it first so that the numbers are those of the current sources.
const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const tmp = mkdtempSync(join(tmpdir(), 'sparsec-bench-cli-'));
const ROWS = [
  { label: 'node -e 0 (Node itself)', args: null },
  { label: 'sparsec --help', args: ['--help'], target: 0.3 },
  { label: 'sparsec passes', args: ['passes'] },
  { label: 'sparsec import examples/mlp-sparse90.onnx', args: ['import', 'examples/mlp-sparse90.onnx', '-o', join(tmp, 'mlp.ir')], target: 0.5 },
  { label: 'sparsec opt examples/tiny-sparse.ir -p canonicalize,sparsify', args: ['opt', 'examples/tiny-sparse.ir', '-p', 'canonicalize,sparsify'] },
  { label: 'sparsec analyze examples/resnet-pruned.onnx', args: ['analyze', 'examples/resnet-pruned.onnx'], target: 0.8 },
  { label: 'sparsec compile examples/mlp-sparse90.onnx -o out', args: ['compile', 'examples/mlp-sparse90.onnx', '-o', join(tmp, 'out')], target: 2.5 },
  { label: 'sparsec compile examples/resnet-pruned.onnx -o out', args: ['compile', 'examples/resnet-pruned.onnx', '-o', join(tmp, 'out2')] },
];

function once(args) {
  const cmd = args ? [join(root, 'bin/sparsec.mjs'), ...args] : ['-e', '0'];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, cmd, { cwd: root, encoding: 'utf8' });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`sparsec ${args?.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return s;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
try {
  for (const row of ROWS) {
    once(row.args); // warm the file cache
    const times = Array.from({ length: runs }, () => once(row.args));
    const r = { command: row.label, medianSeconds: median(times), minSeconds: Math.min(...times), target: row.target ?? null };
    results.push(r);
    if (!flag('--json')) {
      const verdict = r.target === null ? '' : r.medianSeconds <= r.target ? 'ok' : 'OVER TARGET';
      console.log(`${r.command.padEnd(55)} ${r.medianSeconds.toFixed(2).padStart(6)} s  (min ${r.minSeconds.toFixed(2)})  ${r.target === null ? '' : `target <= ${r.target} s  ${verdict}`}`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (flag('--json')) console.log(JSON.stringify({ runs, results }, null, 2));
else console.log(`(median of ${runs} runs each, one process per run; node ${process.version}, ${process.platform}-${process.arch})`);
