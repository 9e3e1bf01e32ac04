import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError, parseModule, printModule, verify } from '../index.js';
import { randomModule, seeds } from '../testing/random-module.js';

describe('textual IR round trip', () => {
  it('print(parse(print(m))) === print(m) for random modules, and they verify', () => {
    fc.assert(
      fc.property(seeds, fc.integer({ min: 0, max: 20 }), (seed, inlineLimit) => {
        const m = randomModule(seed);
        expect(verify(m).map((d) => d.message)).toEqual([]);
        const text = printModule(m, { inlineLimit });
        const again = parseModule(text);
        expect(verify(again).map((d) => d.message)).toEqual([]);
        expect(printModule(again, { inlineLimit })).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('the elided form parses and prints unchanged', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        const text = printModule(randomModule(seed), { inlineLimit: 2, elideWeights: true });
        expect(printModule(parseModule(text), { inlineLimit: 2, elideWeights: true })).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('mutated text either parses or fails with a ParseError naming line and column', () => {
    fc.assert(
      fc.property(seeds, fc.nat(), fc.nat(), fc.constantFrom('', '%', '<', '>', '{', '"', 'x', '0', ',', '#', '\n', ']', 'dense<'), (seed, at, len, insert) => {
        const text = printModule(randomModule(seed), { inlineLimit: 4 });
        const i = at % (text.length + 1);
        const mutated = text.slice(0, i) + insert + text.slice(i + (len % 4));
        try {
          const m = parseModule(mutated, { file: 'mutant.ir' });
          verify(m); // must not throw either
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
          expect((e as Error).message).toMatch(/^mutant\.ir:\d+:\d+: expected .+, found .+/s);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
