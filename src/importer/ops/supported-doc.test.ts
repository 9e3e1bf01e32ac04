import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_ONNX_OPS } from './index.js';

describe('docs/importer.md', () => {
  it('lists exactly the ops in the converter table', () => {
    const doc = readFileSync(new URL('../../../docs/importer.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Supported ops'));
    const listed = section.split('\n').slice(2).join(' ').split('A unit test')[0]!.split(',').map((s) => s.trim().replace(/\.$/, '')).filter(Boolean);
    expect([...listed].sort()).toEqual([...SUPPORTED_ONNX_OPS].sort());
  });
});
