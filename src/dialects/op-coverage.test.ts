// Every op in the tables has a round-trip golden test and a verifier golden test; every encoding
// has a round-trip test. Adding an op without tests fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allOpDefs, ENCODINGS } from '../index.js';

const root = new URL('../../ir-tests/', import.meta.url).pathname;
const textOf = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ir')).map((f) => readFileSync(join(root, dir, f), 'utf8')).join('\n');
const used = (text: string, op: string) => new RegExp(`(^|[\\s=])${op.replace('.', '\\.')}\\b(?!_)`, 'm').test(text);

describe('golden test coverage', () => {
  const ops = allOpDefs().map((d) => d.name);

  it('every op round-trips in ir-tests/ops', () => {
    const text = textOf('ops') + textOf('syntax');
    expect(ops.filter((op) => !used(text, op))).toEqual([]);
  });

  it('every op has a verifier failure case in ir-tests/verifier', () => {
    const text = textOf('verifier');
    expect(ops.filter((op) => !new RegExp(`CHECK: .*${op.replace('.', '\\.')}:`).test(text))).toEqual([]);
  });

  it('every encoding round-trips in ir-tests/syntax', () => {
    const text = textOf('syntax');
    expect(Object.keys(ENCODINGS).filter((e) => !text.includes(`#${e}<`))).toEqual([]);
  });
});
