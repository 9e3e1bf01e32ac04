// Starts a fuzzer entry point (`node src/fuzz/boot.mjs src/fuzz/driver.ts [args]`): binaryen is
// imported by plain Node first (tsx would transform its 15 MB on every start, ~13 s), then tsx
// runs the TypeScript sources, which find binaryen already loaded.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

await import('binaryen');
const { register } = await import('tsx/esm/api');
register();
const entry = process.argv[2];
if (!entry) throw new Error('usage: node src/fuzz/boot.mjs <entry.ts> [args]');
process.argv.splice(2, 1);
await import(pathToFileURL(resolve(entry)).href);
