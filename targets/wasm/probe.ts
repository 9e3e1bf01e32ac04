// The cost model's calibration on this machine (src/tune/cost.ts): two small wasm loops timed here.
// Memory bandwidth: f32x4 loads summing a 64 MiB buffer (larger than the caches) after it is
// written once (fresh memory maps every page to the same zero page, which reads from cache). SIMD throughput: f32x4 multiplies and adds on eight independent
// accumulators that stay in registers. Each takes its best run (about 0.3 s in all).
import type { MachineRates } from '../../src/tune/cost.js';
import { binaryen, FnBuilder, i32, v128 } from './emit.js';

const STREAM_BYTES = 64 << 20;
const ARITH_STEPS = 2_000_000;
/** Vector instructions per step of the arithmetic loop: 8 multiplies and 8 adds. */
const OPS_PER_STEP = 16;

function probeModule(): Uint8Array {
  const mod = new binaryen.Module();
  try {
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt);
    mod.setMemory(STREAM_BYTES / 65536 + 1, STREAM_BYTES / 65536 + 1, 'memory');
    // stream(): sum of every f32 of the buffer, four vectors per step
    {
      const fb = new FnBuilder(mod, []);
      const p = fb.local(i32), acc = [0, 1, 2, 3].map(() => fb.local(v128));
      fb.finish('stream', [
        fb.for(p, fb.c(0), fb.c(STREAM_BYTES), 64, acc.map((a, i) => fb.set(a, mod.f32x4.add(fb.get(a, v128), mod.v128.load(16 * i, 16, fb.get(p)))))),
        mod.return(mod.f32x4.extract_lane(mod.f32x4.add(mod.f32x4.add(fb.get(acc[0]!, v128), fb.get(acc[1]!, v128)), mod.f32x4.add(fb.get(acc[2]!, v128), fb.get(acc[3]!, v128))), 0)),
      ], binaryen.f32);
    }
    // arith(): eight independent multiply-add chains for ARITH_STEPS steps
    {
      const fb = new FnBuilder(mod, []);
      const s = fb.local(i32), m = fb.local(v128), acc = Array.from({ length: 8 }, () => fb.local(v128));
      fb.finish('arith', [
        fb.set(m, mod.f32x4.splat(mod.f32.const(0.999))),
        ...acc.map((a, i) => fb.set(a, mod.f32x4.splat(mod.f32.const(i + 1)))),
        fb.for(s, fb.c(0), fb.c(ARITH_STEPS), 1, acc.map((a) => fb.set(a, mod.f32x4.add(mod.f32x4.mul(fb.get(a, v128), fb.get(m, v128)), fb.get(m, v128))))),
        mod.return(mod.f32x4.extract_lane(acc.slice(1).reduce((e, a) => mod.f32x4.add(e, fb.get(a, v128)), fb.get(acc[0]!, v128)), 0)),
      ], binaryen.f32);
    }
    // fill(): writes every page of the buffer
    {
      const fb = new FnBuilder(mod, []);
      fb.finish('fill', [mod.memory.fill(mod.i32.const(0), mod.i32.const(1), mod.i32.const(STREAM_BYTES))]);
    }
    mod.addFunctionExport('fill', 'fill');
    mod.addFunctionExport('stream', 'stream');
    mod.addFunctionExport('arith', 'arith');
    if (!mod.validate()) throw new Error('internal: the probe module does not validate');
    return mod.emitBinary().slice();
  } finally {
    mod.dispose();
  }
}

/** The fastest of at least 8 runs, running on until 4 in a row bring no new best (V8 moves a loop to its optimising compiler after some runs). */
function best(f: () => unknown): number {
  let min = Infinity;
  for (let i = 0, since = 0; i < 40 && (i < 8 || since < 4); i++, since++) {
    const t = performance.now();
    f();
    const ms = performance.now() - t;
    if (ms < min * 0.99) since = 0;
    min = Math.min(min, ms);
  }
  return min;
}

let cached: MachineRates | undefined;

/** This machine's streaming bandwidth and SIMD throughput as wasm sees them (measured once per process). */
export async function probeWasm(): Promise<MachineRates> {
  if (cached) return cached;
  const { instance } = await WebAssembly.instantiate(probeModule() as Uint8Array<ArrayBuffer>);
  const stream = instance.exports['stream'] as () => number, arith = instance.exports['arith'] as () => number;
  (instance.exports['fill'] as () => void)();
  const streamMs = best(stream), arithMs = best(arith);
  cached = { bytesPerMs: STREAM_BYTES / streamMs, opsPerMs: (ARITH_STEPS * OPS_PER_STEP) / arithMs };
  return cached;
}
