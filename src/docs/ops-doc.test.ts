import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderOpsDoc } from './ops-doc.js';
import { allOpDefs } from '../index.js';

describe('docs', () => {
  it('docs/ops.md is generated from the current op tables (run `npm run docs` if this fails)', () => {
    const onDisk = readFileSync(new URL('../../docs/ops.md', import.meta.url), 'utf8');
    expect(onDisk === renderOpsDoc(), 'docs/ops.md is stale: run `npm run docs`').toBe(true);
  });

  it('documents every op', () => {
    const doc = renderOpsDoc();
    for (const d of allOpDefs()) expect(doc).toContain(`### \`${d.name}\``);
  });
});
