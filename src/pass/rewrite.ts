// Pattern rewriting: patterns are data (a root op and a match-and-rewrite function); one greedy
// worklist driver applies them to a fixed point. The rewriter keeps use-def chains consistent and
// puts everything a rewrite touched back on the worklist. Ops left without users are erased.
import { dense, type Attr } from '../ir/attributes.js';
import { Builder, type CreateOptions } from '../ir/builder.js';
import type { Func, Module, Op, Value } from '../ir/core.js';
import type { OpDef } from '../ir/opdef.js';
import type { Tensor } from '../ir/tensor.js';
import type { Encoding } from '../ir/encodings.js';

export interface Pattern {
  /** Op name the pattern is tried on; undefined for every op. */
  readonly root: string | undefined;
  readonly name: string;
  /** Rewrites `op` and returns true, or leaves the IR untouched and returns false. */
  readonly rewrite: (op: Op, rw: Rewriter) => boolean;
}

let anonymous = 0;

/** A pattern rooted at an op (its definition or name; '*' for every op). */
export function pattern(root: OpDef | string, rewrite: (op: Op, rw: Rewriter) => boolean, name?: string): Pattern {
  const r = typeof root === 'string' ? root : root.name;
  return { root: r === '*' ? undefined : r, name: name ?? `${r}#${anonymous++}`, rewrite };
}

export class Rewriter {
  constructor(private readonly push: (op: Op) => void) {}

  /** A builder that inserts right before `op`. */
  before(op: Op): Builder {
    return new Builder(op.parent!).setInsertionPointBefore(op);
  }
  /** Creates an op before `at` (result types inferred unless given). */
  create(at: Op, name: string, operands: readonly Value[], attrs: Record<string, Attr> = {}, opts: CreateOptions = {}): Op {
    const op = this.before(at).create(name, operands, attrs, { ...(at.loc !== undefined ? { loc: at.loc } : {}), ...opts });
    this.push(op);
    return op;
  }
  constant(at: Op, t: Tensor, opts: { name?: string; encoding?: Encoding } = {}): Value {
    const v = this.before(at).constant(t, opts);
    this.push(v.definingOp!);
    return v;
  }
  /** Replaces every use of op's results with `values`, then erases op. */
  replaceOp(op: Op, values: readonly Value[]): void {
    for (const r of op.results) for (const u of r.users) this.push(u);
    values.forEach((v, i) => {
      const r = op.results[i];
      if (r && !v.name && r.name) v.name = r.name;
    });
    const operands = [...op.operands];
    op.replaceWith(values);
    for (const v of operands) if (v.definingOp) this.push(v.definingOp);
  }
  /** Points every use of `from` at `to` (the producer of `from` stays; it may become dead). */
  replaceAllUsesWith(from: Value, to: Value): void {
    for (const u of from.users) this.push(u);
    from.replaceAllUsesWith(to);
    if (from.definingOp) this.push(from.definingOp);
  }
  /** Erases an op whose results are unused. */
  eraseOp(op: Op): void {
    const operands = [...op.operands];
    op.erase();
    for (const v of operands) if (v.definingOp) this.push(v.definingOp);
  }
  /** Changes an op in place (attributes, operands) and revisits it and its users. */
  updateInPlace(op: Op, change: () => void): void {
    const oldOperands = [...op.operands];
    change();
    this.push(op);
    for (const r of op.results) for (const u of r.users) this.push(u);
    for (const v of oldOperands) if (v.definingOp) this.push(v.definingOp);
  }
  setConstantValue(op: Op, t: Tensor): void {
    this.updateInPlace(op, () => op.setAttr('value', dense(t)));
  }
}

export interface GreedyResult {
  changed: boolean;
  rewrites: number;
  /** Rewrites per pattern name. */
  byPattern: Map<string, number>;
}

/** Applies patterns to every op of func until none fires; fails when that takes more than `maxRewrites`. */
export function applyPatternsGreedily(func: Func, patterns: readonly Pattern[], opts: { maxRewrites?: number } = {}): GreedyResult {
  const byRoot = new Map<string | undefined, Pattern[]>();
  for (const p of patterns) byRoot.set(p.root, [...(byRoot.get(p.root) ?? []), p]);
  const any = byRoot.get(undefined) ?? [];
  const list: Op[] = [];
  const queued = new Set<Op>();
  const push = (op: Op) => {
    if (!queued.has(op)) {
      queued.add(op);
      list.push(op);
    }
  };
  for (const op of func.ops) push(op);
  const rw = new Rewriter(push);
  const limit = opts.maxRewrites ?? 10 * (func.ops.length + 10);
  const byPattern = new Map<string, number>();
  let rewrites = 0;
  while (list.length) {
    const op = list.pop()!;
    queued.delete(op);
    if (!op.parent) continue; // erased meanwhile
    // Ops are pure: one whose results are all unused is dead (as MLIR's greedy driver does).
    if (op.name !== 'return' && op.results.every((r) => !r.hasUses)) {
      rw.eraseOp(op);
      continue;
    }
    for (const p of [...(byRoot.get(op.name) ?? []), ...any]) {
      if (!p.rewrite(op, rw)) continue;
      rewrites++;
      byPattern.set(p.name, (byPattern.get(p.name) ?? 0) + 1);
      if (rewrites > limit) {
        const top = [...byPattern].sort((a, b) => b[1] - a[1])[0]!;
        throw new Error(`patterns did not reach a fixed point after ${limit} rewrites (pattern '${top[0]}' fired ${top[1]} times)`);
      }
      break;
    }
  }
  return { changed: rewrites > 0, rewrites, byPattern };
}

/** Applies patterns to every function of a module. */
export function applyPatterns(module: Module, patterns: readonly Pattern[], opts: { maxRewrites?: number } = {}): GreedyResult {
  const total: GreedyResult = { changed: false, rewrites: 0, byPattern: new Map() };
  for (const f of module.funcs) {
    const r = applyPatternsGreedily(f, patterns, opts);
    total.changed ||= r.changed;
    total.rewrites += r.rewrites;
    for (const [k, v] of r.byPattern) total.byPattern.set(k, (total.byPattern.get(k) ?? 0) + v);
  }
  return total;
}
