#!/usr/bin/env node
// `npm run build`: compiles the library and the CLI to dist/ with tsc (tsconfig.build.json,
// incremental), then deletes outputs whose source is gone, so that dist/ (and `npm pack`) never
// carries a module that no longer exists. Plain JavaScript: it runs before anything is built.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

const OUTPUT = /\.(d\.ts|js\.map|js)$/;
let removed = 0;
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path);
    else if (OUTPUT.test(e.name) && !existsSync(join(root, relative(dist, path)).replace(OUTPUT, '.ts'))) {
      rmSync(path);
      removed++;
    }
  }
};
walk(dist);
if (removed) console.log(`build: removed ${removed} output file(s) whose source is gone`);
