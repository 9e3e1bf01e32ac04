import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PASSES } from '../../passes/index.js';
import { renderPassesDoc } from './passes-doc.js';

const root = new URL('../../', import.meta.url);

describe('passes', () => {
  it('docs/passes.md is generated from the registry (run `npm run docs` if this fails)', () => {
    expect(readFileSync(new URL('docs/passes.md', root), 'utf8') === renderPassesDoc(), 'docs/passes.md is stale: run `npm run docs`').toBe(true);
  });

  it.each(BUILTIN_PASSES.map((p) => p.name))('%s has its own file and a golden test with a must-not-fire case', (name) => {
    expect(existsSync(new URL(`passes/${name}.ts`, root))).toBe(true);
    const test = readFileSync(new URL(`ir-tests/passes/${name}.ir`, root), 'utf8');
    expect(test).toMatch(new RegExp(`RUN: sparsec opt %s .*-p "?${name}`));
    expect(test).toMatch(/Must not fire/);
  });
});
