// What each command loads: the sparsec command runs dist/ in plain Node, and a command imports only
// what it needs, so that `--help` and the commands that do not compile start at once. A module hook
// records every module the process loads; no timing is asserted (bench:cli measures it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/sparsec.mjs');
const dir = mkdtempSync(join(tmpdir(), 'sparsec-startup-'));

const RECORD = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.SPARSEC_LOADED, url + '\\n');
  return next(url, context);
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RECORD)}`)});`;

/** Runs the command and returns the modules it loaded: package names, and sparsec's own files (dist/...). */
function loaded(args: string[]): { code: number | null; modules: Set<string> } {
  const log = join(dir, 'loaded.txt');
  rmSync(log, { force: true });
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SPARSEC_LOADED: log } });
  const modules = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (pkg) modules.add(pkg[1]!);
    else if (url.includes('/dist/')) modules.add(url.slice(url.indexOf('/dist/') + 1));
  }
  return { code: r.status, modules };
}

const HEAVY = ['binaryen', 'esbuild', 'onnx-proto'];

describe('what a command loads', () => {
  it('--help and a command\'s --help load no compiler module and no dependency', () => {
    for (const args of [['--help'], ['--version'], ['import', '--help'], ['opt', '-h']]) {
      const { code, modules } = loaded(args);
      expect(code, args.join(' ')).toBe(0);
      expect([...modules].filter((m) => !m.startsWith('dist/src/cli/') && !m.startsWith('dist/src/util/') && m !== 'dist/src/pass/pass-error.js' && m !== 'dist/targets/index.js'), args.join(' ')).toEqual([]);
    }
  });

  it('import, opt, passes, analyze and run never load binaryen (nor esbuild without a TypeScript pass file)', () => {
    const runs = [
      ['import', 'examples/mlp-sparse90.onnx', '-o', join(dir, 'x.ir')],
      ['opt', 'examples/tiny-sparse.ir', '-p', 'canonicalize,sparsify'],
      ['passes'],
      ['analyze', 'examples/resnet-pruned.onnx'],
      ['run', '../shared/onnx-tests/node/test_relu/model.onnx', '--data', '../shared/onnx-tests/node/test_relu/test_data_set_0', '--check'],
    ];
    for (const args of runs) {
      const { code, modules } = loaded(args);
      expect(code, args.join(' ')).toBe(0);
      expect(HEAVY.slice(0, 2).filter((m) => modules.has(m)), args.join(' ')).toEqual([]);
    }
  });

  it('compile loads binaryen, and the dependencies it loads are only the package\'s own', () => {
    const { code, modules } = loaded(['compile', 'examples/mlp-sparse90.onnx', '-o', join(dir, 'out')]);
    expect(code).toBe(0);
    expect(modules.has('binaryen')).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect([...modules].filter((m) => !m.startsWith('dist/') && !(m in pkg.dependencies))).toEqual([]);
  });
});
