#!/usr/bin/env node
// The sparsec command. Runs the JavaScript build in dist/ (`npm run build`; `npm install` and `npm pack`
// build it), so that it starts in plain Node: each command loads only what it needs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`sparsec: error: sparsec is not built (no ${fileURLToPath(main)}); run npm run build in ${fileURLToPath(new URL('..', import.meta.url))}\n`);
  process.exit(1);
}
const cli = await import(main.href);
process.exitCode = await cli.main(process.argv.slice(2));
