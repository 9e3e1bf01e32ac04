import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from './make-examples.js';

describe('example models', () => {
  it.each(Object.keys(EXAMPLES))('examples/%s.onnx is what the seeded script writes', (name) => {
    const onDisk = readFileSync(new URL(`../examples/${name}.onnx`, import.meta.url));
    expect(Buffer.compare(Buffer.from(EXAMPLES[name]!()), onDisk), 'run `npm run examples`').toBe(0);
  });
});
