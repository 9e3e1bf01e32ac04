// Writes docs/ops.md from the op tables (`npm run docs`).
import { writeFileSync } from 'node:fs';
import { renderOpsDoc } from '../src/docs/ops-doc.js';

const path = new URL('../docs/ops.md', import.meta.url);
writeFileSync(path, renderOpsDoc());
console.log(`wrote ${path.pathname}`);
