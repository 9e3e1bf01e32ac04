// The reference interpreter: runs a function op by op with each op's `interpret` entry. Plain and
// checked rather than fast: inputs are checked against the signature, every result against its
// declared type, and tensors are dropped after their last use so large models fit in memory.
import { getOpDef } from '../dialects/index.js';
import type { Func, Module, Op, Value } from '../ir/core.js';
import { OpContext, OpError } from '../ir/opdef.js';
import type { Tensor } from '../ir/tensor.js';
import { DYNAMIC, printType, type TensorType } from '../ir/types.js';
import { describeOp } from '../ir/verifier.js';
import { UnsupportedError, UserError } from '../util/errors.js';

export class InterpError extends UserError {
  override name = 'InterpError';
}

export interface InterpretOptions {
  /** Called after each op with its index, the op count and the op name (for progress). */
  onOp?: (index: number, total: number, name: string) => void;
  /** Called with each op's results once they are checked (to inspect intermediate values). */
  onResults?: (op: Op, results: readonly Tensor[]) => void;
}

/**
 * Checks a concrete tensor against a type; named dims are bound in `dims` (and must agree). `what`
 * may be a function so that describing the value (which can be linear in the function's size) is
 * only paid on failure.
 */
export function checkAgainstType(t: Tensor, type: TensorType, dims: Map<string, number>, what: string | (() => string)): void {
  const fail = (why: string) => {
    throw new InterpError(`${typeof what === 'string' ? what : what()}: got ${t.elementType}[${t.shape.join('x')}], expected ${printType(type)}${why ? ` (${why})` : ''}`);
  };
  if (t.elementType !== type.elementType || t.shape.length !== type.rank) fail('');
  type.shape.forEach((d, i) => {
    const n = t.shape[i]!;
    if (typeof d === 'number') {
      if (d !== n) fail(`dim ${i} is ${n}, not ${d}`);
    } else if (d !== DYNAMIC) {
      const bound = dims.get(d);
      if (bound === undefined) dims.set(d, n);
      else if (bound !== n) fail(`dim {${d}} is ${bound} elsewhere, ${n} here`);
    }
  });
}

/** Runs func (or @main / the first function of a module) on the inputs; returns its results. */
export function interpret(target: Func | Module, inputs: readonly Tensor[], opts: InterpretOptions = {}): Tensor[] {
  const f = 'funcs' in target ? (target.func('main') ?? target.funcs[0]) : target;
  if (!f) throw new InterpError('the module has no function to run');
  if (inputs.length !== f.args.length) {
    throw new InterpError(`@${f.name} takes ${f.args.length} input(s) (${f.args.map((a) => printType(a.type)).join(', ')}), got ${inputs.length}`);
  }
  const dims = new Map<string, number>();
  const env = new Map<Value, Tensor>();
  f.args.forEach((a, i) => {
    const name = f.argAttrs[i]?.get('name');
    checkAgainstType(inputs[i]!, a.type, dims, `input #${i}${name?.kind === 'string' ? ` ('${name.value}')` : ''}`);
    env.set(a, inputs[i]!);
  });
  const ops = f.ops;
  const returned = new Set(f.returnValues);
  // Last use of each value, so its tensor can be dropped afterwards.
  const lastUse = new Map<Value, number>();
  ops.forEach((op, k) => op.operands.forEach((v) => lastUse.set(v, k)));
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k]!;
    const operands = op.operands.map((v) => {
      const t = env.get(v);
      if (!t) throw new InterpError(`${describeOp(op)}: operand has no value (is the IR verified?)`);
      return t;
    });
    if (op.name === 'return') return operands;
    const def = getOpDef(op.name);
    if (!def?.interpret) throw new InterpError(`${describeOp(op)}: the interpreter has no semantics for ${op.name}`);
    let results: Tensor[];
    try {
      results = def.interpret(new OpContext(op, def), operands);
    } catch (e) {
      if (e instanceof InterpError) throw e;
      if (e instanceof UnsupportedError) throw new UnsupportedError(`${describeOp(op)}: ${e.message}`);
      const msg = e instanceof OpError || e instanceof Error ? e.message : String(e);
      throw new InterpError(`${describeOp(op)}: ${msg}`);
    }
    if (results.length < op.results.length) throw new InterpError(`${describeOp(op)}: produced ${results.length} result(s), the op has ${op.results.length}`);
    op.results.forEach((r, i) => {
      checkAgainstType(results[i]!, r.type, dims, () => `${describeOp(op)}: result #${i}`);
      env.set(r, results[i]!);
    });
    opts.onResults?.(op, results);
    for (const v of op.operands) if (lastUse.get(v) === k && !returned.has(v)) env.delete(v);
    opts.onOp?.(k, ops.length, op.name);
  }
  throw new InterpError(`@${f.name} has no return`);
}
