// canonicalize: dead-code elimination, common subexpression elimination, constant folding through
// the interpreter, and removal of no-op ops (Identity, inference Dropout, same-shape Reshape,
// Transpose pairs that cancel, Reshape chains).
import { getOpDef } from '../src/dialects/index.js';
import { attrsEqual, ints } from '../src/ir/attributes.js';
import type { Func, Op } from '../src/ir/core.js';
import { OpContext } from '../src/ir/opdef.js';
import { Tensor } from '../src/ir/tensor.js';
import { definePass } from '../src/pass/define.js';
import { constValue, isStatic } from '../src/pass/helpers.js';
import { applyPatterns, pattern, type Pattern } from '../src/pass/rewrite.js';

const FOLD_LIMIT = 1 << 22; // elements; larger constant results stay computed at run time

export const CANONICALIZE_PATTERNS: Pattern[] = [
  pattern('*', (op, rw) => {
    if (op.name === 'return' || op.results.some((r) => r.hasUses)) return false;
    rw.eraseOp(op);
    return true;
  }, 'dead-code'),
  pattern('nn.identity', (op, rw) => (rw.replaceOp(op, [op.operand(0)]), true), 'identity'),
  pattern('nn.dropout', (op, rw) => {
    // Inference dropout is the identity; keep it when a mask is used or training mode may be on.
    if (op.results.length > 1 && op.results[1]!.hasUses) return false;
    if (op.operands.length > 2) {
      const t = constValue(op.operand(2));
      if (!t || t.data[0]) return false;
    }
    if (!op.result(0).hasUses) return false; // dead: the dead-code pattern erases it
    rw.replaceAllUsesWith(op.result(0), op.operand(0));
    return true;
  }, 'dropout'),
  pattern('nn.reshape', (op, rw) => {
    const x = op.operand(0);
    if (isStatic(x.type.shape) && x.type.equals(op.result(0).type)) {
      rw.replaceOp(op, [x]);
      return true;
    }
    // reshape(reshape(a)) -> reshape(a) when the outer shape is static
    const inner = x.definingOp;
    if (inner?.name === 'nn.reshape' && isStatic(op.result(0).type.shape)) {
      const shape = op.result(0).type.shape as number[];
      const s = rw.constant(op, Tensor.from('i64', [shape.length], shape.map(BigInt)));
      const r = rw.create(op, 'nn.reshape', [inner.operand(0), s], {}, { types: [op.result(0).type] });
      rw.replaceOp(op, [r.result(0)]);
      return true;
    }
    return false;
  }, 'reshape'),
  pattern('nn.transpose', (op, rw) => {
    const inner = op.operand(0).definingOp;
    if (inner?.name !== 'nn.transpose') return false;
    const ctx = (o: Op) => new OpContext(o, getOpDef('nn.transpose')!).ints('perm');
    const p1 = ctx(inner), p2 = ctx(op);
    const composed = p2.map((p) => p1[p]!);
    if (composed.every((p, i) => p === i)) rw.replaceOp(op, [inner.operand(0)]);
    else rw.replaceOp(op, [rw.create(op, 'nn.transpose', [inner.operand(0)], { perm: ints(composed) }, { types: [op.result(0).type] }).result(0)]);
    return true;
  }, 'transpose-pair'),
  pattern('*', (op, rw) => {
    if (op.name === 'nn.constant' || op.name === 'return' || op.operands.length === 0) return false;
    const def = getOpDef(op.name);
    if (!def?.interpret) return false;
    const values = op.operands.map((v) => constValue(v));
    if (values.some((v) => !v)) return false;
    if (op.results.some((r) => !isStatic(r.type.shape) || r.type.shape.reduce((a, b) => a * b, 1) > FOLD_LIMIT)) return false;
    const outs = def.interpret(new OpContext(op, def), values as Tensor[]);
    rw.replaceOp(op, op.results.map((r, i) => rw.constant(op, outs[i]!, r.name ? { name: r.name } : {})));
    return true;
  }, 'constant-fold'),
];

/** Merges ops that compute the same thing (same op, operands, attributes, types; equal constants). */
export function cse(f: Func): number {
  let removed = 0;
  const seen = new Map<string, Op[]>();
  for (const op of f.ops) {
    if (op.name === 'return') continue;
    const key = op.name === 'nn.constant'
      ? constKey(op)
      : `${op.name}|${op.operands.map((v) => valueId(v)).join(',')}|${op.results.map((r) => r.type.toString()).join(',')}|${[...op.attrs.keys()].sort().join(',')}`;
    if (key === undefined) continue;
    const same = seen.get(key)?.find((o) => o.results.every((r, i) => r.type.equals(op.results[i]!.type)) && sameAttrs(o, op));
    if (same) {
      op.replaceWith(same.results);
      removed++;
    } else seen.set(key, [...(seen.get(key) ?? []), op]);
  }
  return removed;
}

const ids = new WeakMap<object, number>();
let nextId = 0;
function valueId(v: object): number {
  let id = ids.get(v);
  if (id === undefined) ids.set(v, (id = nextId++));
  return id;
}

function constKey(op: Op): string | undefined {
  const a = op.attrs.get('value');
  if (a?.kind !== 'dense') return undefined;
  return `const|${op.result(0).type.toString()}|${a.value.size <= 64 ? Array.from({ length: a.value.size }, (_, i) => String(a.value.get(i))).join(',') : valueId(a.value)}`;
}

function sameAttrs(a: Op, b: Op): boolean {
  if (a.attrs.size !== b.attrs.size) return false;
  for (const [k, v] of a.attrs) {
    const w = b.attrs.get(k);
    if (!w || !attrsEqual(v, w)) return false;
  }
  return true;
}

export default definePass({
  name: 'canonicalize',
  summary: 'Dead-code and common-subexpression elimination, constant folding, and removal of no-op ops.',
  description:
    'Erases ops whose results are unused; merges identical ops and equal small constants; folds ops whose operands are all constant through the reference interpreter (results up to 4M elements); removes Identity, inference-mode Dropout, Reshape to the same shape, Transpose pairs that cancel, and merges Reshape chains.',
  options: {
    'max-rewrites': { type: 'int', default: 100000, min: 1, doc: 'fixed-point limit for the pattern driver' },
    cse: { type: 'bool', default: true, doc: 'merge identical ops' },
  },
  run(module, ctx) {
    for (let round = 0; round < 4; round++) {
      const r = applyPatterns(module, CANONICALIZE_PATTERNS, { maxRewrites: ctx.options['max-rewrites'] });
      for (const [k, v] of r.byPattern) ctx.stat(`${k.replace(/#\d+$/, '')} rewrites`, v);
      let merged = 0;
      if (ctx.options.cse) for (const f of module.funcs) merged += cse(f);
      if (merged) ctx.stat('ops merged (cse)', merged);
      if (!r.changed && merged === 0) break;
    }
  },
});
