// Channel-mask transfer functions, by kind of op. The op tables reference these from their `mask`
// slots. A channel is a slice along axis 1; facts hold for every input of the function.
import type { ChannelFact, ChannelMap, MaskInputs, MaskTransfer, OpContext } from '../ir/opdef.js';
import { Tensor } from '../ir/tensor.js';
import { fromF64, toF64 } from '../tensor-math/numeric.js';
import { isInteger, type ElementType } from '../ir/types.js';

export const LIVE: ChannelFact = { k: 'L' };
export const ZERO: ChannelFact = { k: 'Z' };
export const konst = (v: number): ChannelFact => (v === 0 && !Object.is(v, -0) ? ZERO : Object.is(v, -0) ? ZERO : { k: 'C', v });

/**
 * The fact for a channel holding v in element type et. A fact's value must be exact: an integer
 * past 2^53 (only 64-bit types hold one) has no exact double, so such a channel is live.
 */
export const factOf = (et: ElementType, v: number): ChannelFact => (isInteger(et) && !Number.isSafeInteger(v) ? LIVE : konst(v));

/** x as the interpreter stores it in element type et (floats rounded, integers truncated and wrapped). */
export const storedAs = (et: ElementType, x: number): number => Number(fromF64(et, [1], [x]).get(0));

const resultChannels = (c: OpContext, i = 0): number | undefined => {
  const t = c.op.results[i]?.type;
  const d = t && t.rank >= 2 ? t.shape[1] : undefined;
  return typeof d === 'number' ? d : undefined;
};

const factCache = new WeakMap<Tensor, Map<number, ChannelFact[]>>();

/** The facts of a constant along `axis`: per index, zero / one value / live (memoised per tensor). */
export function constFacts(t: Tensor, axis: number): ChannelFact[] {
  let m = factCache.get(t);
  if (!m) factCache.set(t, (m = new Map()));
  let f = m.get(axis);
  if (!f) m.set(axis, (f = computeConstFacts(t, axis)));
  return f;
}

function computeConstFacts(t: Tensor, axis: number): ChannelFact[] {
  const v = toF64(t);
  const len = t.shape[axis] ?? 1;
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = v.length / (len * inner) || 0;
  const out: ChannelFact[] = [];
  for (let ch = 0; ch < len; ch++) {
    let first: number | undefined, same = true;
    for (let o = 0; o < outer && same; o++) for (let i = 0; i < inner; i++) {
      const x = v[(o * len + ch) * inner + i]!;
      if (first === undefined) first = x;
      else if (x !== first && !(Number.isNaN(x) && Number.isNaN(first))) { same = false; break; }
    }
    out.push(same && first !== undefined ? factOf(t.elementType, first) : first === undefined ? ZERO : LIVE);
  }
  return out;
}

/** A whole constant as one fact (uniform operands). */
function uniformFact(t: Tensor | undefined, f: readonly ChannelFact[] | undefined): ChannelFact {
  if (t) {
    const v = toF64(t);
    return v.every((x) => x === v[0]) ? factOf(t.elementType, v[0] ?? 0) : LIVE;
  }
  if (f && f.length === 1) return f[0]!;
  return LIVE;
}

/** The fact of operand i at result channel r under map m. */
function factAt(m: ChannelMap, in_: MaskInputs, i: number, r: number): ChannelFact {
  const f = in_.facts[i], t = in_.consts[i];
  switch (m.kind) {
    case 'same': {
      if (t) return constFacts(t, m.axis)[r] ?? LIVE;
      return f?.[r] ?? LIVE;
    }
    case 'uniform': return uniformFact(t, f);
    case 'slice': return (t ? constFacts(t, 1) : f)?.[m.start + r] ?? LIVE;
    default: return LIVE;
  }
}

const scalar = (f: ChannelFact, et: Tensor['elementType'], rank: number): Tensor | undefined =>
  f.k === 'L' ? undefined : Tensor.from(et, new Array<number>(Math.max(rank, 0)).fill(1), [et === 'i64' || et === 'u64' ? BigInt(Math.trunc(f.k === 'C' ? f.v : 0)) : et === 'bool' ? (f.k === 'C' && f.v !== 0) : f.k === 'C' ? f.v : 0]);

/**
 * Element-wise ops (and per-channel ones such as BatchNormalization): each result channel depends
 * only on the same channel of its operands, so a channel whose operands are all zero/constant is
 * constant, with the value the op computes on those constants. x * 0 is 0 whatever x is (finite).
 */
export function pointwise(mapOf: (c: OpContext) => ChannelMap[]): MaskTransfer {
  return {
    map: mapOf,
    forward(c, in_) {
      const n = resultChannels(c);
      if (n === undefined) return c.op.results.map(() => undefined);
      const maps = mapOf(c);
      const def = c.def;
      const out: ChannelFact[] = [];
      for (let r = 0; r < n; r++) {
        const fs = maps.map((m, i) => factAt(m, in_, i, r));
        if (c.op.name === 'nn.mul' && fs.some((f) => f.k === 'Z')) {
          out.push(ZERO);
          continue;
        }
        if (fs.some((f) => f.k === 'L') || !def.interpret) {
          out.push(LIVE);
          continue;
        }
        // Evaluate the op on one-element tensors holding the channel's values.
        try {
          const ops = fs.map((f, i) => scalar(f, c.op.operands[i]!.type.elementType, c.op.operands[i]!.type.rank)!);
          const y = def.interpret(c, ops)[0]!;
          out.push(factOf(y.elementType, Number(y.get(0))));
        } catch {
          out.push(LIVE);
        }
      }
      return [out, ...c.op.results.slice(1).map(() => undefined)];
    },
    backward(c, in_, used) {
      const maps = mapOf(c);
      const u = used[0];
      const n = resultChannels(c);
      return maps.map((m, i) => {
        const f = in_.facts[i];
        if (!f || in_.consts[i]) return undefined;
        if (!u || n === undefined) return f.map(() => true);
        if (m.kind === 'same' && m.axis === 1) {
          return f.map((_, r) => {
            // In x * y, x's channel is unused where y's channel is zero.
            if (c.op.name === 'nn.mul' && maps.some((mm, j) => j !== i && factAt(mm, in_, j, r).k === 'Z')) return false;
            return u[r] ?? true;
          });
        }
        if (m.kind === 'uniform') return f.map(() => u.some(Boolean));
        return f.map(() => true);
      });
    },
  };
}

/** Numpy broadcasting: which operands carry result channels (axis 1) and which are uniform along it. */
export function broadcastMap(c: OpContext): ChannelMap[] {
  const r = c.op.results[0]!.type.rank;
  return c.op.operands.map((v) => {
    const k = 1 - (r - v.type.rank);
    if (r < 2 || k < 0 || v.type.shape[k] === 1) return { kind: 'uniform' } as const;
    return { kind: 'same', axis: k } as const;
  });
}

/** First operand carries the channels, the others are per-channel vectors (BatchNormalization, InstanceNormalization). */
export const perChannelParamsMap = (c: OpContext): ChannelMap[] => c.op.operands.map((_, i) => (i === 0 ? { kind: 'same', axis: 1 } : { kind: 'same', axis: 0 }));

export const elementwiseMask = pointwise(broadcastMap);
export const perChannelMask = pointwise(perChannelParamsMap);
/** Ops whose result #0 is a copy of operand #0 channel by channel (identity, dropout, pooling without padding effects...). */
export const firstOperandMask = pointwise((c) => c.op.operands.map((_, i) => (i === 0 ? { kind: 'same', axis: 1 } : { kind: 'uniform' })));

/** Everything may depend on everything: results live, every operand channel used. */
export const opaqueMask: MaskTransfer = {
  map: (c) => c.op.operands.map(() => ({ kind: 'opaque' })),
  forward: (c) => c.op.results.map((r) => (r.type.rank >= 2 && typeof r.type.shape[1] === 'number' ? new Array<ChannelFact>(r.type.shape[1]).fill(LIVE) : undefined)),
  backward: (_c, in_) => in_.facts.map((f) => f?.map(() => true)),
};

/** Ops that mix all channels (softmax over axis 1, layer norm over the channel axis): live out; any use keeps every input channel. */
export const couplingMask: MaskTransfer = {
  ...opaqueMask,
  backward: (_c, in_, used) => in_.facts.map((f) => f?.map(() => (used[0] ? used[0].some(Boolean) : true))),
};

/** Pooling: zero stays zero; a constant stays constant unless padded values enter an average. */
export const poolMask: MaskTransfer = {
  map: () => [{ kind: 'same', axis: 1 }],
  forward(c, in_) {
    const f = in_.facts[0];
    if (!f) return [undefined];
    const avg = c.op.name === 'nn.average_pool';
    const padded = c.hasAttr('pads') && c.ints('pads').some((p) => p > 0) || (c.hasAttr('auto_pad') && c.string('auto_pad') !== 'NOTSET' && c.string('auto_pad') !== 'VALID');
    const countPad = avg && c.hasAttr('count_include_pad') && c.int('count_include_pad') === 1 && padded;
    const out = f.map((x) => (x.k === 'C' && countPad ? LIVE : x));
    return [out, ...c.op.results.slice(1).map(() => undefined)];
  },
  backward: (_c, in_, used) => [in_.facts[0] ? in_.facts[0].map((_, r) => used[0]?.[r] ?? true) : undefined],
};

/** Data movement along axis 1 with a fixed map, values unchanged (concat, slice, flatten, reshape, transpose keeping axis 1...). */
export function movementMask(mapOf: (c: OpContext) => ChannelMap[]): MaskTransfer {
  return {
    map: mapOf,
    forward(c, in_) {
      const n = resultChannels(c);
      const maps = mapOf(c);
      // Constant operands (shapes, starts...) do not carry channels; an opaque data operand makes the result opaque.
      if (n === undefined || maps.some((m, i) => m.kind === 'opaque' && !in_.consts[i])) return opaqueMask.forward(c, in_);
      const out = new Array<ChannelFact>(n).fill(LIVE);
      maps.forEach((m, i) => {
        const f = in_.facts[i] ?? (in_.consts[i] && in_.consts[i]!.shape.length >= 2 ? constFacts(in_.consts[i]!, 1) : undefined);
        if (!f) return;
        if (m.kind === 'same') f.forEach((x, r) => (out[r] = x));
        else if (m.kind === 'offset') f.forEach((x, r) => (out[r + m.offset] = x));
        else if (m.kind === 'slice') for (let r = 0; r < m.count; r++) out[r] = f[m.start + r] ?? LIVE;
        else if (m.kind === 'block') f.forEach((x, r) => out.fill(x, r * m.size, (r + 1) * m.size));
      });
      return [out, ...c.op.results.slice(1).map(() => undefined)];
    },
    backward(c, in_, used) {
      const maps = mapOf(c);
      const u = used[0];
      return maps.map((m, i) => {
        const f = in_.facts[i];
        if (!f || in_.consts[i]) return undefined;
        if (!u) return f.map(() => true);
        switch (m.kind) {
          case 'same': return f.map((_, r) => u[r] ?? true);
          case 'offset': return f.map((_, r) => u[r + m.offset] ?? true);
          case 'slice': return f.map((_, r) => (r >= m.start && r < m.start + m.count ? (u[r - m.start] ?? true) : false));
          case 'block': return f.map((_, r) => u.slice(r * m.size, (r + 1) * m.size).some(Boolean));
          default: return f.map(() => true);
        }
      });
    },
  };
}

/** Split along axis 1 gives each result a slice of the channels; along another axis, facts pass. */
export const splitMask: MaskTransfer = {
  map: (c) => [{ kind: 'opaque' }, ...c.op.operands.slice(1).map(() => ({ kind: 'opaque' }) as const)],
  forward(c, in_) {
    const f = in_.facts[0];
    if (!f) return c.op.results.map(() => undefined);
    const axis = c.int('axis') < 0 ? c.int('axis') + c.rank(0) : c.int('axis');
    let start = 0;
    return c.op.results.map((r) => {
      const n = r.type.shape[1];
      if (typeof n !== 'number') return undefined;
      if (axis !== 1) return [...f];
      const out = f.slice(start, start + n);
      start += n;
      return out;
    });
  },
  backward(c, in_, used) {
    const f = in_.facts[0];
    if (!f) return in_.facts.map(() => undefined);
    const axis = c.int('axis') < 0 ? c.int('axis') + c.rank(0) : c.int('axis');
    const out = f.map(() => false);
    let start = 0;
    c.op.results.forEach((r, i) => {
      const n = (r.type.shape[1] as number | undefined) ?? 0;
      const u = used[i];
      if (axis !== 1) f.forEach((_, k) => (out[k] ||= u ? (u[k] ?? true) : true));
      else for (let k = 0; k < n; k++) out[start + k] ||= u ? (u[k] ?? true) : true;
      start += n;
    });
    return [out, ...in_.facts.slice(1).map((x) => x?.map(() => true))];
  },
};

/** Concat: along axis 1, each input owns a channel range; along another axis, facts merge. */
export const concatMask: MaskTransfer = {
  map(c) {
    const axis = c.int('axis') < 0 ? c.int('axis') + c.rank(0) : c.int('axis');
    if (axis !== 1) return c.op.operands.map(() => ({ kind: 'same', axis: 1 }) as const);
    let off = 0;
    return c.op.operands.map((v) => {
      const m = { kind: 'offset', offset: off } as const;
      off += (v.type.shape[1] as number | undefined) ?? 0;
      return typeof v.type.shape[1] === 'number' ? m : ({ kind: 'opaque' } as const);
    });
  },
  forward(c, in_) {
    const maps = concatMask.map!(c);
    if (maps.every((m) => m.kind === 'offset')) return movementMask(concatMask.map!).forward(c, in_);
    const n = c.op.results[0]!.type.shape[1];
    if (typeof n !== 'number' || c.op.results[0]!.type.rank < 2) return [undefined];
    const all = c.op.operands.map((_, i) => in_.facts[i] ?? (in_.consts[i] ? constFacts(in_.consts[i]!, 1) : undefined));
    return [Array.from({ length: n }, (_, r) => {
      const fs = all.map((f) => f?.[r] ?? LIVE);
      const first = fs[0]!;
      return fs.every((f) => f.k === first.k && (f.k !== 'C' || first.k !== 'C' || f.v === first.v)) ? first : LIVE;
    })];
  },
  backward: (c, in_, used) => movementMask(concatMask.map!).backward(c, in_, used),
};

/** Pad: along axis 1 it is opaque; elsewhere a channel stays zero/constant when the padding matches it. */
export const padMask: MaskTransfer = {
  map: (c) => c.op.operands.map((_, i) => (i === 0 ? { kind: 'same', axis: 1 } : { kind: 'opaque' }) as ChannelMap),
  forward(c, in_) {
    const f = in_.facts[0];
    const pads = in_.consts[1] ? Array.from({ length: in_.consts[1].size }, (_, k) => Number(in_.consts[1]!.get(k))) : undefined;
    const axes = in_.consts[3] ? Array.from({ length: in_.consts[3].size }, (_, k) => Number(in_.consts[3]!.get(k))) : [...Array(c.rank(0)).keys()];
    if (!f || !pads) return opaqueMask.forward(c, in_);
    const onChannel = axes.some((a, k) => (a < 0 ? a + c.rank(0) : a) === 1 && (pads[k] !== 0 || pads[k + axes.length] !== 0));
    if (onChannel) return opaqueMask.forward(c, in_);
    const mode = c.string('mode');
    const value = in_.consts[2] ? Number(in_.consts[2].get(0)) : 0;
    return [f.map((x) => {
      if (x.k === 'L' || mode !== 'constant') return x;
      const v = x.k === 'Z' ? 0 : x.v;
      return v === value ? x : LIVE;
    })];
  },
  backward: (c, in_, used) => (padMask.forward(c, in_)[0] && in_.facts[0] ? [in_.facts[0].map((_, r) => used[0]?.[r] ?? true), ...in_.facts.slice(1).map(() => undefined)] : opaqueMask.backward(c, in_, used)),
};
