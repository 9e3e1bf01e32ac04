// Custom passes through the real CLI: a pass file outside the repository (no node_modules beside
// it) that imports only 'sparsec', a config file, and broken passes reported by name.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/sparsec.mjs', import.meta.url).pathname;
const EXAMPLE = new URL('../../examples/custom-pass/fold-scale.ts', import.meta.url).pathname;
const IR = readFileSync(new URL('../../examples/custom-pass/fold-scale.ir', import.meta.url), 'utf8').split('// -----')[0]!;

function sparsec(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('custom passes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-user-'));
  copyFileSync(EXAMPLE, join(dir, 'fold-scale.ts'));
  writeFileSync(join(dir, 'in.ir'), IR);

  it('loads a pass file from a folder without node_modules and runs it in a pipeline', () => {
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    const r = sparsec(['opt', 'in.ir', '--load-pass', './fold-scale.ts', '-p', 'canonicalize,fold-scale', '--stats'], dir);
    expect(r.err).toContain('fold-scale: 1 scales folded');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('nn.mul');
    expect(r.out).toContain('dense<[3.0, 0.5]>');
  });

  it('lists loaded passes, and finds them through sparsec.config.ts', () => {
    expect(sparsec(['passes', '--load-pass', 'fold-scale.ts'], dir).out).toMatch(/^fold-scale {2}Folds a per-channel constant Mul/m);
    const withConfig = mkdtempSync(join(tmpdir(), 'sparsec-config-'));
    copyFileSync(EXAMPLE, join(withConfig, 'fold-scale.ts'));
    writeFileSync(join(withConfig, 'sparsec.config.ts'), "export default { passes: ['./fold-scale.ts'] };\n");
    expect(sparsec(['passes'], withConfig).out).toContain('fold-scale');
  });

  it('reports a pass that throws by name, with a reproducer and no stack trace', () => {
    writeFileSync(join(dir, 'boom.ts'), "import { definePass } from 'sparsec';\nexport default definePass({ name: 'boom', summary: 'throws', run() { throw new Error('kaboom'); } });\n");
    const r = sparsec(['opt', 'in.ir', '--load-pass', 'boom.ts', '-p', 'canonicalize,boom', '--reproducer-dir', 'repro'], dir);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^sparsec: error: pass 'boom' failed: kaboom \(IR at the failure written to .*sparsec-reproducer-boom\.ir\)/);
    expect(readFileSync(join(dir, 'repro', 'sparsec-reproducer-boom.ir'), 'utf8')).toMatch(/^\/\/ sparsec reproducer: pass 'boom' threw: kaboom[\s\S]*func @scaled_conv/);
  });

  it('reports a pass that leaves invalid IR by name, with the IR it produced', () => {
    writeFileSync(join(dir, 'breaker.ts'), [
      "import { definePass, TensorType } from 'sparsec';",
      "export default definePass({ name: 'break-types', summary: 'corrupts a type', run(m) {",
      "  const op = m.funcs[0].ops.find((o) => o.name === 'nn.conv');",
      "  op.results[0].type = new TensorType([7], 'f32');",
      '} });',
    ].join('\n'));
    const r = sparsec(['opt', 'in.ir', '--load-pass', 'breaker.ts', '-p', 'break-types', '--reproducer-dir', 'repro'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^sparsec: error: pass 'break-types' produced invalid IR: .*nn\.conv: result #0 .* has type tensor<7xf32>.* \(the IR it produced is in .*sparsec-reproducer-break-types\.ir\)\n$/);
    expect(readFileSync(join(dir, 'repro', 'sparsec-reproducer-break-types.ir'), 'utf8')).toContain('tensor<7xf32>');
  });

  it('refuses a file that exports no pass, and a missing file', () => {
    writeFileSync(join(dir, 'nothing.ts'), 'export const x = 1;\n');
    expect(sparsec(['passes', '--load-pass', 'nothing.ts'], dir).err).toMatch(/pass file 'nothing.ts' exports no pass/);
    expect(sparsec(['passes', '--load-pass', 'missing.ts'], dir).err).toMatch(/cannot load pass file 'missing.ts': no such file/);
  });

  it('loads .mjs pass files as they are, and TypeScript files that import each other the TypeScript way', () => {
    writeFileSync(join(dir, 'noop.mjs'), "import { definePass } from 'sparsec';\nexport default definePass({ name: 'noop-js', summary: 'does nothing', run() {} });\n");
    writeFileSync(join(dir, 'names.ts'), "export const NAME: string = 'with-helper';\n");
    writeFileSync(join(dir, 'helped.ts'), "import { definePass, type Pass } from 'sparsec';\nimport { NAME } from './names.js';\nconst p: Pass = definePass({ name: NAME, summary: 'named by a helper', run() {} });\nexport default p;\n");
    const r = sparsec(['passes', '--load-pass', 'noop.mjs', '--load-pass', 'helped.ts'], dir);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^noop-js {2}does nothing$/m);
    expect(r.out).toMatch(/^with-helper {2}named by a helper$/m);
  });

  it('a TypeScript syntax error is one line naming the file, line and column', () => {
    writeFileSync(join(dir, 'broken.ts'), "import { definePass } from 'sparsec';\nexport const = 1;\n");
    const r = sparsec(['passes', '--load-pass', 'broken.ts'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^sparsec: error: cannot load pass file 'broken.ts': .*broken\.ts:2:14: Expected identifier but found "="\n$/);
  });

  it('the CLI still starts without any pass files', () => {
    expect(execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })).toMatch(/^sparsec \d/);
  });
});
