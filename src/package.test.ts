// The package as a user gets it: `npm pack`, installed into a fresh project (from the npm cache where
// it has the dependencies), then used there: the sparsec command, a plain .mjs file that imports
// sparsec, a TypeScript pass loaded with --load-pass, and a TypeScript file checked against the types.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const example = (name: string) => join(ROOT, 'examples', name);

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the npm package', () => {
  let project = '';
  let files: string[] = [];
  beforeAll(() => {
    const tmp = mkdtempSync(join(tmpdir(), 'sparsec-package-'));
    // dist/ is fresh: the global setup built it.
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
    files = packed[0]!.files.map((f) => f.path);
    project = join(tmp, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const r = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(tmp, packed[0]!.filename)], project);
    if (r.code !== 0) throw new Error(`npm install of the tarball failed:\n${r.err}`);
  }, 300_000);

  it('ships the built JavaScript, its types and the command, not sources or tests', () => {
    expect(files).toContain('bin/sparsec.mjs');
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/targets/wasm/compile.js');
    expect(files.filter((f) => /\.test\.|(^|\/)src\/.*\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs the compiler without the reference runtimes or the TypeScript tool chain', () => {
    for (const dep of ['binaryen', 'esbuild', 'onnx-proto']) expect(existsSync(join(project, 'node_modules', dep)), dep).toBe(true);
    for (const dep of ['onnxruntime-node', 'onnxruntime-web', 'typescript', 'tsx', 'ts-morph', 'vitest']) expect(existsSync(join(project, 'node_modules', dep)), dep).toBe(false);
  });

  it('npx sparsec --version, and compile of a bundled example whose model then runs', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run('npx', ['--no-install', 'sparsec', '--version'], project).out).toBe(`sparsec ${pkg.version}\n`);
    const c = run('npx', ['--no-install', 'sparsec', 'compile', example('mlp-sparse90.onnx'), '-o', 'out'], project);
    expect(c.err).toMatch(/^note: batch size 1 for 'x' \[N, 256\]/);
    expect(c.code).toBe(0);
    for (const f of ['model.wasm', 'model.mjs', 'model.d.mts', 'manifest.json']) expect(existsSync(join(project, 'out', f)), f).toBe(true);
    const script = "const m = await (await import('./out/model.mjs')).load(); console.log((await m.run({ x: new Float32Array(256).fill(0.5) })).logits.length);";
    expect(run(process.execPath, ['--input-type=module', '-e', script], project).out).toBe('10\n');
  });

  it('a plain .mjs file imports sparsec, builds a module, runs a pass and prints the IR', () => {
    copyFileSync(example('use-from-js.mjs'), join(project, 'use.mjs'));
    const r = run(process.execPath, ['use.mjs'], project);
    expect(r.err).toBe('');
    expect(r.out).toContain('canonicalize: 1 identity rewrites');
    expect(r.out).toContain('%0 = nn.relu(%x) : tensor<2x3xf32>');
  });

  it('a TypeScript pass loads with --load-pass and runs in a pipeline', () => {
    copyFileSync(example('custom-pass/fold-scale.ts'), join(project, 'fold-scale.ts'));
    writeFileSync(join(project, 'in.ir'), readFileSync(example('custom-pass/fold-scale.ir'), 'utf8').split('// -----')[0]!);
    const r = run('npx', ['--no-install', 'sparsec', 'opt', 'in.ir', '--load-pass', 'fold-scale.ts', '-p', 'canonicalize,fold-scale', '--stats'], project);
    expect(r.err).toContain('fold-scale: 1 scales folded');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('nn.mul');
  });

  it('TypeScript code type-checks against the package types', () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use.ts'] }));
    writeFileSync(join(project, 'use.ts'), [
      "import { definePass, parsePipeline, passRegistry, TensorType, type Pass } from 'sparsec';",
      "const p: Pass = definePass({ name: 'noop', summary: 'does nothing', run() {} });",
      'parsePipeline(p.name, passRegistry([p]));',
      "const t: TensorType = new TensorType([2], 'f32');",
      '// @ts-expect-error: a shape is a list of dims',
      "new TensorType('2', 'f32');",
      'export { t };',
    ].join('\n'));
    const r = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
    expect(r.out + r.err).toBe('');
    expect(r.code).toBe(0);
  });
});
