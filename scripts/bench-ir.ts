// Times the text form on a ResNet-50-size module: print, parse, verify, and the `sparsec opt`
// command end to end. Usage: npm run bench:ir [-- --keep DIR]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseModule, printModule, verify } from '../src/index.js';
import { resnet50Module } from './resnet50-ir.js';

const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
};

const [m, tBuild] = time(() => resnet50Module());
let weights = 0;
for (const op of m.walk()) {
  const v = op.attr('value');
  if (v?.kind === 'dense') weights += v.value.size;
}
const [text, tPrint] = time(() => printModule(m));
const [parsed, tParse] = time(() => parseModule(text));
const [diags, tVerify] = time(() => verify(parsed));
if (diags.length) throw new Error(`verify failed: ${diags[0]!.message}`);
const [again, tPrint2] = time(() => printModule(parsed));
if (again !== text) throw new Error('round trip changed the text');

const keep = process.argv.indexOf('--keep');
const dir = keep > 0 ? process.argv[keep + 1]! : mkdtempSync(join(tmpdir(), 'sparsec-bench-'));
const file = join(dir, 'resnet50.ir');
writeFileSync(file, text);
const bin = new URL('../bin/sparsec.mjs', import.meta.url).pathname;
const [, tCli] = time(() => execFileSync(process.execPath, [bin, 'opt', file, '-o', join(dir, 'out.ir')]));

const mb = (statSync(file).size / 2 ** 20).toFixed(1);
console.log(`ResNet-50-size module: ${(weights / 1e6).toFixed(1)}M weights, ${[...m.walk()].length} ops, ${mb} MiB of text`);
console.log(`build ${tBuild.toFixed(2)} s, print ${tPrint.toFixed(2)} s, parse ${tParse.toFixed(2)} s, verify ${tVerify.toFixed(2)} s, print again ${tPrint2.toFixed(2)} s`);
console.log(`sparsec opt ${file} -o out.ir: ${tCli.toFixed(2)} s (process start to exit)`);
