// Mask propagation: per-channel facts (zero / constant / live) forward, used / dead backward, for
// every value with a channel axis (axis 1 of a tensor of rank >= 2). Each op's transfer function is
// the `mask` entry of its op table (src/analysis/transfer.ts and weighted.ts hold the kinds).
import { getOpDef } from '../dialects/index.js';
import { str } from '../ir/attributes.js';
import type { Func, Op, Value } from '../ir/core.js';
import { OpContext, type ChannelFact, type MaskInputs } from '../ir/opdef.js';
import { LIVE, opaqueMask } from './transfer.js';
import { constData } from '../pass/helpers.js';
import { MAX_TRACKED_CHANNELS } from '../util/limits.js';

export interface ChannelInfo {
  facts: ChannelFact[];
  used: boolean[];
}


/** Channels of a value (axis 1), or undefined when it has none or more than the analysis tracks. */
export function channelCount(v: Value): number | undefined {
  const t = v.type;
  const n = t.rank >= 2 ? t.shape[1] : undefined;
  return typeof n === 'number' && n <= MAX_TRACKED_CHANNELS ? n : undefined;
}

/** An op touching a value wider than the analysis tracks: its results are live and its operands fully used. */
const tooWide = (op: Op): boolean =>
  [...op.operands, ...op.results].some((v) => v.type.rank >= 2 && typeof v.type.shape[1] === 'number' && v.type.shape[1] > MAX_TRACKED_CHANNELS);

function inputsOf(op: Op, info: Map<Value, ChannelInfo>): MaskInputs {
  return { facts: op.operands.map((v) => info.get(v)?.facts), consts: op.operands.map(constData) };
}

export function analyzeChannels(f: Func): Map<Value, ChannelInfo> {
  const info = new Map<Value, ChannelInfo>();
  const set = (v: Value, facts: ChannelFact[] | undefined) => {
    const n = channelCount(v);
    if (n === undefined) return;
    info.set(v, { facts: facts && facts.length === n ? facts : new Array<ChannelFact>(n).fill(LIVE), used: new Array<boolean>(n).fill(false) });
  };
  for (const a of f.args) set(a, undefined);
  for (const op of f.ops) {
    if (op.name === 'return') continue;
    // Constants get no facts here: transfer functions read their values (weights can be large).
    if (op.name === 'nn.constant') continue;
    const def = getOpDef(op.name);
    const mask = def && !tooWide(op) ? (def.mask ?? opaqueMask) : undefined;
    if (!mask) {
      op.results.forEach((r) => set(r, undefined));
      continue;
    }
    let out: (ChannelFact[] | undefined)[];
    try {
      out = mask.forward(new OpContext(op, def!), inputsOf(op, info));
    } catch {
      out = opaqueMask.forward(new OpContext(op, def!), inputsOf(op, info));
    }
    op.results.forEach((r, i) => set(r, out[i]));
  }
  // Backward: returned values are used; each op turns its results' use into its operands'.
  for (const v of f.returnValues) info.get(v)?.used.fill(true);
  const ops = f.ops;
  for (let k = ops.length - 1; k >= 0; k--) {
    const op = ops[k]!;
    if (op.name === 'return' || op.name === 'nn.constant') continue;
    const def = getOpDef(op.name);
    const mask = def && !tooWide(op) ? (def.mask ?? opaqueMask) : undefined;
    if (!mask) {
      for (const v of op.operands) info.get(v)?.used.fill(true);
      continue;
    }
    const used = op.results.map((r) => info.get(r)?.used);
    const c = new OpContext(op, def!);
    let back: (boolean[] | undefined)[];
    try {
      back = mask.backward(c, inputsOf(op, info), used);
    } catch {
      back = opaqueMask.backward(c, inputsOf(op, info), used);
    }
    op.operands.forEach((v, i) => {
      const vi = info.get(v);
      const b = back[i];
      if (!vi) return;
      vi.used = vi.used.map((u, ch) => u || (b ? (b[ch] ?? true) : true));
    });
  }
  return info;
}

/** `L*3 Z c0.5 l`: one token per channel (run-length encoded); upper case used, lower case dead. */
export function formatChannels(ci: ChannelInfo): string {
  const tokens = ci.facts.map((f, i) => {
    const t = f.k === 'C' ? `C${f.v}` : f.k;
    return ci.used[i] ? t : t.toLowerCase();
  });
  const out: string[] = [];
  for (let i = 0; i < tokens.length;) {
    let j = i;
    while (j < tokens.length && tokens[j] === tokens[i]) j++;
    out.push(j - i > 1 ? `${tokens[i]}*${j - i}` : tokens[i]!);
    i = j;
  }
  return out.join(' ');
}

/** Writes the facts as `analysis.channels` attributes (`analysis.channels.N` for result N > 0). */
export function annotateChannels(f: Func, info: Map<Value, ChannelInfo>): number {
  let n = 0;
  for (const op of f.ops) {
    for (const key of [...op.attrs.keys()]) if (key.startsWith('analysis.channels')) op.attrs.delete(key);
    op.results.forEach((r, i) => {
      const ci = info.get(r);
      if (!ci || op.name === 'nn.constant') return;
      op.setAttr(i === 0 ? 'analysis.channels' : `analysis.channels.${i}`, str(formatChannels(ci)));
      n++;
    });
  }
  return n;
}
