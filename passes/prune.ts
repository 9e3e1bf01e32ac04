// prune: writes zeros into the constant weights of Conv, Gemm and MatMul (the layers sparse kernels
// run), by one of three methods:
// - magnitude: the smallest |w| of each layer (scope=layer, the same fraction per layer) or under one
//   threshold over every prunable weight (scope=global);
// - nm: the n largest |w| of every group of m along the reduction axis (what nm-layout stores);
// - channel: whole output channels (filters) with the smallest l1 / l2 norm, with their bias
//   entries, so that channel elimination can then remove them.
// The weights keep their names and shapes (the ONNX initializers they came from), so `sparsec prune`
// writes them back into the model. Lossy by design: it is the pruning a user asks for.
import { dense } from '../src/ir/attributes.js';
import type { Module, Op, Value } from '../src/ir/core.js';
import type { Tensor } from '../src/ir/tensor.js';
import { definePass } from '../src/pass/define.js';
import { constValue } from '../src/pass/helpers.js';
import { sparseCandidate, type SparseCandidate } from '../src/pass/sparse-weights.js';
import { fromF64, toF64 } from '../src/tensor-math/numeric.js';
import { UserError } from '../src/util/errors.js';
import { pruneToNM } from './nm-layout.js';

/** A prunable layer: its op, weight value and what it is called (its node name, else the weight's). */
export interface PrunableLayer {
  readonly op: Op;
  readonly weight: Value;
  readonly name: string;
  readonly cand: SparseCandidate;
}

/** The kind a layer answers to in --only / --exclude: conv, gemm or matmul. */
const kindOf = (op: Op): string => op.name.replace(/^nn\./, '');

/** Whether a layer matches a name or kind pattern (exact, or a glob with *). */
export function layerMatches(l: PrunableLayer, pat: string): boolean {
  const re = new RegExp(`^${pat.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return [l.name, l.weight.name ?? '', kindOf(l.op), l.op.name].some((s) => re.test(s));
}

/** The layers a prune touches: each weight once (a weight shared by two layers goes with the first), filtered by only / exclude. */
export function prunableLayers(module: Module, only: readonly string[] = [], exclude: readonly string[] = []): PrunableLayer[] {
  const seen = new Set<Value>();
  const out: PrunableLayer[] = [];
  for (const f of module.funcs) {
    for (const op of f.ops) {
      const cand = sparseCandidate(op);
      if (!cand || seen.has(op.operand(1))) continue;
      seen.add(op.operand(1));
      const l = { op, weight: op.operand(1), name: op.loc ?? op.operand(1).name ?? `${op.name}#${out.length}`, cand };
      if (only.length && !only.some((p) => layerMatches(l, p))) continue;
      if (exclude.some((p) => layerMatches(l, p))) continue;
      out.push(l);
    }
  }
  return out;
}

/** LAYER=FRACTION entries, checked: [pattern, fraction]. */
export function parsePerLayer(entries: readonly string[]): [string, number][] {
  return entries.map((e) => {
    const at = e.lastIndexOf('=');
    const frac = Number(e.slice(at + 1));
    if (at <= 0 || !(frac >= 0 && frac <= 1) || e.slice(at + 1).trim() === '') throw new UserError(`prune: per-layer entry '${e}' is not LAYER=FRACTION with a fraction from 0 to 1`);
    return [e.slice(0, at), frac];
  });
}

/**
 * Zeros exactly `count` values of the smallest magnitude over the arrays, ties broken by array then
 * position (typed arrays and one numeric sort: global pruning of a ResNet-50 is 25M values).
 */
function zeroSmallest(values: readonly Float64Array[], count: number): void {
  const total = values.reduce((a, v) => a + v.length, 0);
  if (count <= 0 || total === 0) return;
  const mags = new Float64Array(total);
  let o = 0;
  for (const v of values) for (let i = 0; i < v.length; i++) mags[o++] = Math.abs(v[i]!);
  mags.sort();
  const t = mags[Math.min(count, total) - 1]!;
  let ties = Math.min(count, total);
  for (const v of values) for (const x of v) if (Math.abs(x) < t) ties--;
  for (const v of values) {
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i]!);
      if (a < t) v[i] = 0;
      else if (a === t && ties > 0) {
        v[i] = 0;
        ties--;
      }
    }
  }
}

/** Every output channel's values (indices into the weight): rows of [out, in] views, columns of [in, out] ones. */
function channels(c: SparseCandidate): number[][] {
  const w = c.weight;
  if (c.op.name === 'nn.conv' || c.reductionAxis === 1) {
    const rows = w.shape[0]!, per = w.size / rows;
    return Array.from({ length: rows }, (_, r) => Array.from({ length: per }, (_, k) => r * per + k));
  }
  const [K, N] = w.shape as [number, number];
  return Array.from({ length: N }, (_, n) => Array.from({ length: K }, (_, k) => k * N + n));
}

function setWeight(v: Value, t: Tensor): void {
  v.definingOp!.setAttr('value', dense(t));
}

export default definePass({
  name: 'prune',
  summary: 'Zeros weights of Conv, Gemm and MatMul by magnitude (per layer or one global threshold), to N:M, or by whole output channels.',
  lossy: true,
  description:
    'method=magnitude zeros the `sparsity` fraction of smallest |w|, in each layer (scope=layer; per-layer LAYER=FRACTION entries override it for the layers they name) or under one threshold over all prunable weights (scope=global). method=nm keeps the n largest |w| of every group of m along the reduction axis (layers whose reduction length is not a multiple of m are left and counted). method=channel zeros the `ratio` fraction of output channels with the smallest l1 or l2 norm in each layer, with their bias entries (Gemm C / Conv B), so channel-elimination can remove them. only / exclude select layers by node name, weight name or kind (conv, gemm, matmul), with * as a wildcard. Weights keep their names and shapes.',
  options: {
    method: { type: 'string', default: 'magnitude', oneOf: ['magnitude', 'nm', 'channel'], doc: 'what is zeroed' },
    sparsity: { type: 'float', default: 0.5, min: 0, max: 1, doc: 'magnitude: the fraction of weights zeroed' },
    scope: { type: 'string', default: 'layer', oneOf: ['layer', 'global'], doc: 'magnitude: the fraction per layer, or one threshold over all' },
    n: { type: 'int', default: 2, min: 1, doc: 'nm: values kept per group' },
    m: { type: 'int', default: 4, min: 2, doc: 'nm: group length along the reduction axis' },
    criterion: { type: 'string', default: 'l1', oneOf: ['l1', 'l2'], doc: 'channel: the norm that ranks output channels' },
    ratio: { type: 'float', default: 0.3, min: 0, max: 1, doc: 'channel: the fraction of output channels zeroed per layer' },
    'per-layer': { type: 'strings', default: [], doc: 'magnitude: LAYER=FRACTION entries that override sparsity for the layers they name (node or weight names, or kinds; * wildcards; the first match wins)' },
    only: { type: 'strings', default: [], doc: 'prune only these layers (node or weight names, or kinds; * wildcards)' },
    exclude: { type: 'strings', default: [], doc: 'leave these layers (node or weight names, or kinds; * wildcards)' },
  },
  run(module, ctx) {
    const o = ctx.options;
    const layers = prunableLayers(module, o.only, o.exclude);
    ctx.stat('layers pruned', layers.length);
    if (o['per-layer'].length && (o.method !== 'magnitude' || o.scope !== 'layer')) throw new UserError('prune: per-layer sparsities go with method=magnitude, scope=layer');
    if (o.method === 'magnitude' && o.scope === 'global') {
      // one threshold: the k-th smallest |w| over every layer, exactly k zeroed
      const values = layers.map((l) => Float64Array.from(toF64(l.cand.weight)));
      zeroSmallest(values, Math.floor(o.sparsity * values.reduce((a, v) => a + v.length, 0)));
      layers.forEach((l, li) => setWeight(l.weight, fromF64(l.cand.weight.elementType, l.cand.weight.shape, values[li]!)));
      return;
    }
    const perLayer = parsePerLayer(o['per-layer']);
    for (const l of layers) {
      const w = l.cand.weight;
      if (o.method === 'magnitude') {
        const v = Float64Array.from(toF64(w)), s = perLayer.find(([p]) => layerMatches(l, p))?.[1] ?? o.sparsity;
        zeroSmallest([v], Math.floor(s * v.length));
        setWeight(l.weight, fromF64(w.elementType, w.shape, v));
      } else if (o.method === 'nm') {
        if (o.n > o.m) throw new UserError(`prune: method=nm needs n <= m, got n=${o.n}, m=${o.m}`);
        if (w.shape[l.cand.reductionAxis]! % o.m !== 0) {
          ctx.stat(`layers left (reduction length not a multiple of ${o.m})`);
          continue;
        }
        setWeight(l.weight, pruneToNM(w, o.n, o.m, l.cand.reductionAxis).pruned);
      } else {
        pruneChannels(l, o.ratio, o.criterion === 'l2', ctx.stat);
      }
    }
  },
});

/** Zeros the `ratio` fraction of a layer's output channels with the smallest norm, and their bias entries. */
function pruneChannels(l: PrunableLayer, ratio: number, l2: boolean, stat: (name: string, n?: number) => void): void {
  const w = l.cand.weight, v = Float64Array.from(toF64(w)), chans = channels(l.cand);
  const norm = (idx: number[]) => idx.reduce((s, i) => s + (l2 ? v[i]! * v[i]! : Math.abs(v[i]!)), 0);
  const order = chans.map((c, k) => [norm(c), k] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cut = order.slice(0, Math.floor(ratio * chans.length)).map(([, k]) => k);
  for (const k of cut) for (const i of chans[k]!) v[i] = 0;
  setWeight(l.weight, fromF64(w.elementType, w.shape, v));
  stat('output channels zeroed', cut.length);
  // the bias of a zeroed channel goes too: the channel is then exactly zero, not a constant
  const bias = l.op.operands[2];
  const b = constValue(bias);
  if (!bias || !b || b.size !== chans.length || bias.users.length > 1) return;
  const bv = Float64Array.from(toF64(b));
  for (const k of cut) bv[k] = 0;
  setWeight(bias, fromF64(b.elementType, b.shape, bv));
}

