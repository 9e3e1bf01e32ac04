#!/usr/bin/env node
// The sparsec command: runs the TypeScript sources directly through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
// After tsx, so that it runs first: `import 'sparsec'` in user pass files means this copy.
const { registerSelfResolve } = await import('../src/cli/self-resolve.ts');
registerSelfResolve();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
