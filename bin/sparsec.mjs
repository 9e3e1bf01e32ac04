#!/usr/bin/env node
// The sparsec command. Runs the JavaScript build in dist/ (`npm run build`; `npm install` and `npm pack`
// build it), so that it starts in plain Node: each command loads only what it needs.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// A sparsec command is a short process: V8's optimising tier (TurboFan) would recompile binaryen's
// large wasm in the background and cost more than it gains. Baseline-compiled wasm only: compile of
// examples/mlp-sparse90.onnx 2.6 s -> 1.2 s, of light ResNet-50 10.8 s -> 9.9 s (2 cores).
setFlagsFromString('--liftoff-only');

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`sparsec: error: sparsec is not built (no ${main.pathname}); run npm run build in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(1);
}
const cli = await import(main.href);
process.exitCode = await cli.main(process.argv.slice(2));
