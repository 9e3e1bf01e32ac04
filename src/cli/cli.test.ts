import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from './command.js';
import { main } from './main.js';

async function run(argv: string[], stdin = '') {
  let out = '', err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), cwd: process.cwd(), readStdin: () => stdin, readFile: (p) => readFileSync(p, 'utf8') };
  const code = await main(argv, io);
  return { code, out, err };
}

const IR = 'module {\n  func @f(%x: tensor<2xf32>) -> (tensor<2xf32>) {\n    %0 = nn.relu(%x) : tensor<2xf32>\n    return %0\n  }\n}\n';

describe('sparsec CLI', () => {
  it('opt reads stdin and prints canonical IR', async () => {
    const r = await run(['opt', '-'], IR.replace('    %0', '   %0'));
    expect(r).toEqual({ code: 0, out: IR, err: '' });
  });

  it('opt -o writes the output file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsec-'));
    writeFileSync(join(dir, 'in.ir'), IR);
    const r = await run(['opt', join(dir, 'in.ir'), '-o', join(dir, 'out.ir')]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'out.ir'), 'utf8')).toBe(IR);
  });

  it('errors are one line with exit code 1; --debug adds the stack', async () => {
    const bad = IR.replace('tensor<2xf32>\n    return', 'tensor<3xf32>\n    return');
    const r = await run(['opt', '-'], bad);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^sparsec: error: <stdin>:3:5: nn\.relu: result #0/);
    const d = await run(['opt', '-', '--debug'], bad);
    expect(d.err.split('\n').length).toBeGreaterThan(2);
    expect(d.err).toMatch(/VerifyError/);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await run(['--version'])).out).toBe(`sparsec ${pkg.version}\n`);
  });

  it('rejects a missing option value', async () => {
    const r = await run(['opt', '-', '--inline-limit']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--inline-limit/);
  });
});
