// Writes the generated docs: docs/ops.md from the op tables, docs/passes.md from the pass registry.
import { writeFileSync } from 'node:fs';
import { renderOpsDoc } from '../src/docs/ops-doc.js';
import { renderPassesDoc } from '../src/docs/passes-doc.js';

for (const [file, text] of [['ops.md', renderOpsDoc()], ['passes.md', renderPassesDoc()]] as const) {
  const path = new URL(`../docs/${file}`, import.meta.url);
  writeFileSync(path, text);
  console.log(`wrote docs/${file}`);
}
