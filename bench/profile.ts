// `npm run bench:profile -- <key> [--target wasm|webgpu]` (keys in bench/models.ts BENCH_CASES):
// where a compiled benchmark model spends its time, kernel by kernel. wasm: each step exported and
// timed on its own (median of repeated calls). webgpu: each dispatch alone on the process's adapter,
// timed by its timestamp queries where it has them (median of repeats); on a software adapter the
// figures are CPU time, not a GPU's.
import { importOnnx } from '../src/importer/import.js';
import { runPipeline } from '../src/pass/manager.js';
import { parsePipeline } from '../src/pass/pipeline.js';
import { passRegistry } from '../src/pass/registry.js';
import { randomArgs } from '../src/pass/semantics.js';
import { rng } from '../src/util/random.js';
import { DEFAULT_COMPILE_PIPELINE } from '../src/cli/pipelines.js';
import type { KernelCall } from '../src/lower/plan.js';
import { compileWasm } from '../targets/wasm/compile.js';
import { hostMath } from '../targets/wasm/runtime.js';
import { webgpuTarget } from '../targets/wgsl/target.js';
import { processDevice, releaseDevice } from '../targets/wgsl/device.js';
import type { Func } from '../src/ir/core.js';
import { BENCH_CASES } from './models.js';

interface Step { readonly label: string; readonly kernel: string; readonly format: string; readonly ms: number; readonly macs?: number }

const args = process.argv.slice(2);
const targetAt = args.indexOf('--target');
const target = targetAt >= 0 ? args.splice(targetAt, 2)[1] : 'wasm';
if (target !== 'wasm' && target !== 'webgpu') throw new Error(`--target takes wasm or webgpu, got '${target}'`);
const which = args[0] ?? 'bert';
const entry = BENCH_CASES.find((c) => c.key === which);
if (!entry) throw new Error(`unknown model '${which}' (${BENCH_CASES.map((c) => c.key).join(', ')})`);
const { module } = importOnnx(entry.make(), { shapes: entry.shapes });
runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
const func = module.funcs[0]!;

/** Multiply-adds of a product or convolution call (dense count: what the layer would cost unpruned). */
function macsOf(call: Pick<KernelCall, 'dims'> | undefined): number | undefined {
  const d = call?.dims;
  if (!d) return undefined;
  if (d['CK'] !== undefined) return d['N']! * d['M']! * d['CK']! * d['P']!;
  if (d['K'] !== undefined) return d['M']! * d['K']! * d['N']!;
  return undefined;
}

async function wasmSteps(f: Func): Promise<Step[]> {
  const { wasm, manifest } = compileWasm(f, { exportSteps: true });
  const { instance } = await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, { env: hostMath() });
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  const r = rng(1);
  manifest.inputs.forEach((slot) => {
    const n = slot.shape.reduce((a, b) => a * b, 1);
    new Float32Array(memory.buffer, slot.offset, n).set(Float32Array.from({ length: n }, () => r() * 2 - 1));
  });
  (instance.exports['run'] as () => void)();
  return manifest.kernels.map((k, i) => {
    const step = instance.exports[`step${i}`] as () => void;
    const times: number[] = [];
    for (let t = 0; t < 15; t++) {
      const t0 = performance.now();
      step();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const macs = macsOf(manifest.plan.calls.find((c) => c.loc === k.loc && c.op === k.op));
    return { label: `${k.kernel} ${k.op}${k.loc ? ` "${k.loc}"` : ''} ${k.format}${k.schedule ? ` ${JSON.stringify(k.schedule)}` : ''}`, kernel: k.kernel, format: k.format, ms: times[7]!, ...(macs === undefined ? {} : { macs }) };
  });
}

async function webgpuSteps(f: Func): Promise<Step[]> {
  const plan = webgpuTarget.plan(f);
  const artifact = webgpuTarget.compile(plan);
  const model = await webgpuTarget.instantiate((name) => artifact.files[name]);
  try {
    const p = await model.profile!(randomArgs(f, 1, 1), 7);
    console.log(`adapter: ${(await processDevice()).adapter}; clock: ${p.clock}; a whole run ${p.runMs.toFixed(3)} ms`);
    const manifest = JSON.parse(String(artifact.files['manifest.json'])) as { dispatches: { op: string; loc?: string; kernel: string }[] };
    return p.steps.map((s, i) => {
      const d = manifest.dispatches[i]!, pc = plan.calls.find((c) => c.op.loc === d.loc && c.op.name === d.op && c.call.kernel === d.kernel);
      const macs = macsOf(pc?.call);
      const format = pc ? pc.call.format.kind : '';
      return { label: `${s.label} ${format}${pc ? ` ${JSON.stringify(pc.call.schedule)}` : ''}`, kernel: d.kernel, format, ms: s.ms, ...(macs === undefined ? {} : { macs }) };
    });
  } finally {
    model.dispose?.();
    await releaseDevice();
  }
}

const steps = target === 'wasm' ? await wasmSteps(func) : await webgpuSteps(func);
const total = steps.reduce((a, b) => a + b.ms, 0);
const byKernel = new Map<string, number>();
for (const s of steps) {
  const key = `${s.kernel} [${s.format.replace(/ \(.*/, '')}]`;
  byKernel.set(key, (byKernel.get(key) ?? 0) + s.ms);
}
console.log(`${which} (${target}): ${steps.length} steps, ${total.toFixed(2)} ms in all`);
for (const [k, ms] of [...byKernel].sort((a, b) => b[1] - a[1])) console.log(`  ${(100 * ms / total).toFixed(1).padStart(5)}%  ${ms.toFixed(3).padStart(8)} ms  ${k}`);
console.log('slowest steps (GMAC/s counts the dense multiply-adds):');
for (const s of [...steps].sort((a, b) => b.ms - a.ms).slice(0, 8)) {
  const rate = s.macs === undefined ? '' : ` ${(s.macs / s.ms / 1e6).toFixed(2)} GMAC/s`;
  console.log(`  ${s.ms.toFixed(3).padStart(8)} ms${rate}  ${s.label}`);
}
