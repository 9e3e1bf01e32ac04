// Runs a TypeScript entry point from source (`node scripts/run-ts.mjs <entry.ts> [args]`), for the
// dev scripts that compile (npm start, the benchmarks, the fuzzer): binaryen is imported by plain Node
// first (tsx would transform its 15 MB on every start, ~13 s), then tsx runs the TypeScript sources,
// which find binaryen already loaded.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

await import('binaryen');
const { register } = await import('tsx/esm/api');
register();
const entry = process.argv[2];
if (!entry) throw new Error('usage: node scripts/run-ts.mjs <entry.ts> [args]');
process.argv.splice(2, 1);
await import(pathToFileURL(resolve(entry)).href);
