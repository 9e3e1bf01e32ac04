// The fuzzer's `loader` class: a random net compiled and written as `sparsec compile` writes it, then
// its generated model.mjs used the wrong way (bad sources, another model's or a damaged model.wasm,
// bad feeds) or the right way. Misuse must end in one clear Error from the loader; right use must
// give the interpreter's results.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Tensor } from '../ir/tensor.js';
import { importOnnx } from '../importer/import.js';
import { interpret } from '../interp/interpret.js';
import { rng } from '../util/random.js';
import { compileWasm, type Manifest } from '../../targets/wasm/compile.js';
import { loaderSource } from '../../targets/wasm/loader.js';
import { ELEMENT_OF } from '../../targets/wasm/runtime.js';
import { pick, randomNet, type Rng } from './gen-net.js';
import { mutateBytes } from './mutate.js';
import { compareOutputs, type CaseResult } from './verdict.js';

interface Loaded { inputs: { name: string }[]; outputs: { name: string }[]; run(feeds: unknown): Promise<Record<string, ArrayLike<number | bigint>>>; runSync(feeds: unknown): Record<string, ArrayLike<number | bigint>> }
interface LoaderModule { load(source?: unknown): Promise<Loaded> }

/** A compiled random net written to a fresh folder; undefined when the net does not compile (a clear error elsewhere). */
async function compiledNet(r: Rng): Promise<{ dir: string; wasm: Uint8Array; manifest: Manifest; inputs: Tensor[]; want: Tensor[] } | undefined> {
  const net = randomNet(r);
  try {
    const { module } = importOnnx(net.model);
    const want = interpret(module, net.inputs);
    const { wasm, manifest } = compileWasm(module.funcs[0]!);
    const dir = mkdtempSync(join(tmpdir(), 'sparsec-fuzz-loader-'));
    writeFileSync(join(dir, 'model.wasm'), wasm);
    writeFileSync(join(dir, 'model.mjs'), loaderSource(manifest as Manifest & Record<string, unknown>));
    return { dir, wasm, manifest, inputs: net.inputs, want };
  } catch {
    return undefined;
  }
}

/** The typed array the loader expects for a tensor (its bytes copied). */
function typedArrayOf(t: Tensor): ArrayLike<number | bigint> {
  return t.data.slice() as unknown as ArrayLike<number | bigint>;
}

const BAD_FEEDS: readonly ((name: string, good: ArrayLike<number | bigint>) => unknown)[] = [
  () => null, () => undefined, () => 42, () => 'x', () => [], () => ({}),
  (n) => ({ [n]: null }), (n) => ({ [n]: [1, 2, 3] }), (n) => ({ [n]: new Float32Array(0) }),
  (n, g) => ({ [n]: new (g.constructor === Float64Array ? Float32Array : Float64Array)((g as { length: number }).length) }),
  (n, g) => ({ [n]: g, ['x'.repeat(10_000)]: g }), (n, g) => ({ [n]: g, 'a\nb': g }),
  (n, g) => ({ [n]: (g as Float32Array).subarray?.(1) ?? g }),
];

export async function runLoaderCase(seed: number): Promise<CaseResult> {
  const r = rng(seed);
  const a = await compiledNet(r);
  if (!a) return { verdict: 'clear-error', detail: 'the net does not compile (other classes check that)' };
  try {
    const { load } = (await import(pathToFileURL(join(a.dir, 'model.mjs')).href)) as LoaderModule;
    const kind = pick(r, ['source', 'source', 'feeds', 'feeds', 'feeds', 'right']);
    let how: string;
    let use: () => Promise<unknown>;
    if (kind === 'source') {
      const b = r() < 0.5 ? await compiledNet(r) : undefined;
      const damaged = mutateBytes(r, a.wasm);
      const sources: [string, unknown][] = [
        [`model.wasm ${damaged.how}`, damaged.bytes], ['an empty buffer', new Uint8Array(0)], ['a number', 42], ['null', null], ['an object', {}],
        ['a missing file', pathToFileURL(join(a.dir, 'nothing.wasm'))], ['the folder itself', pathToFileURL(a.dir + '/')],
        ...(b ? [["another model's model.wasm", b.wasm] as [string, unknown]] : []),
      ];
      const [what, source] = pick(r, sources);
      how = `load(${what})`;
      use = async () => (await load(source)).runSync(Object.fromEntries(a.manifest.inputs.map((s, i) => [s.name, typedArrayOf(a.inputs[i]!)])));
      if (b) rmSync(b.dir, { recursive: true, force: true });
    } else if (kind === 'feeds') {
      const bad = pick(r, BAD_FEEDS);
      const first = a.manifest.inputs[0]!;
      const feeds = bad(first.name, typedArrayOf(a.inputs[0]!));
      how = `run(${describeFeeds(feeds)})`;
      use = async () => (await load()).run(feeds);
    } else {
      how = 'run(the right inputs)';
      use = async () => {
        const out = await (await load()).run(Object.fromEntries(a.manifest.inputs.map((s, i) => [s.name, typedArrayOf(a.inputs[i]!)])));
        return a.manifest.outputs.map((s) => Tensor.from(ELEMENT_OF[s.dtype], s.shape, Array.from(out[s.name]!)));
      };
    }
    let result: unknown;
    try {
      result = await use();
    } catch (e) {
      return clearLoaderError(e, how);
    }
    if (kind === 'right') {
      const bad = compareOutputs(result as Tensor[], a.want, 'the loader\'s results differ from the interpreter');
      return bad ? { verdict: 'wrong-output', stage: 'loader', detail: `${how}: ${bad}` } : { verdict: 'ok', detail: how };
    }
    // Misuse that ran: an empty input given as an empty array of another view, or a damaged byte in a
    // weight (the fingerprint ties model.wasm to its model.mjs; it is not a checksum of the bytes).
    return { verdict: 'ok', detail: `${how}: ran` };
  } finally {
    rmSync(a.dir, { recursive: true, force: true });
  }
}

/** A loader error is clear when it is a plain Error (not a TypeError or RangeError from inside), one short line. */
function clearLoaderError(e: unknown, how: string): CaseResult {
  const msg = e instanceof Error ? e.message : String(e);
  const plain = e instanceof Error && e.constructor === Error;
  if (!plain || msg.includes('\n') || msg.length > 600) {
    return { verdict: 'internal-error', stage: 'loader', detail: `${how}: ${e instanceof Error ? e.constructor.name : typeof e}: ${msg.split('\n')[0]!.slice(0, 300)}` };
  }
  return { verdict: 'clear-error', stage: 'loader', detail: `${how}: ${msg.slice(0, 300)}` };
}

function describeFeeds(f: unknown): string {
  if (f === null || typeof f !== 'object') return String(typeof f === 'string' ? JSON.stringify(f) : f);
  if (Array.isArray(f)) return '[]';
  return `{ ${Object.entries(f).map(([k, v]) => `${JSON.stringify(k.length > 20 ? k.slice(0, 20) + '...' : k)}: ${v === null ? 'null' : (v as object)?.constructor?.name ?? typeof v}`).join(', ')} }`;
}
