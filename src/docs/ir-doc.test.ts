// The examples in docs/ir.md are real: every ```mlir block that is a whole module round-trips
// through the parser, verifier and printer unchanged.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseModule, printModule, verifyOrThrow } from '../index.js';

const doc = readFileSync(new URL('../../docs/ir.md', import.meta.url), 'utf8');
const modules = [...doc.matchAll(/```mlir\n(module \{[\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/ir.md', () => {
  it('has module examples', () => expect(modules.length).toBeGreaterThan(0));
  it.each(modules.map((m, i) => [i, m] as const))('example %i round-trips', (_, text) => {
    const m = parseModule(text, { file: 'docs/ir.md' });
    verifyOrThrow(m);
    expect(printModule(m)).toBe(text);
  });
});
