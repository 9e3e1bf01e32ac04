// `--weight-dtype f16`: the one lossy change a user may allow. The weights of dense products are
// rounded to f16 in the IR, so the interpreter, every kernel check and the autotuner all see the
// rounded model, and a kernel that stores those weights as f16 loses nothing further (dense_gemv
// offers f16 values exactly when every value is an f16). The error the rounding causes is measured
// by the interpreter: the model's outputs before and after, on seeded random inputs.
import type { Module, Op } from '../ir/core.js';
import { dense } from '../ir/attributes.js';
import { Tensor } from '../ir/tensor.js';
import { cloneModule } from '../ir/clone.js';
import { interpret } from '../interp/interpret.js';
import { normwiseRelError } from '../interp/compare.js';
import { randomInputs } from '../pass/semantics.js';
import { roundToHalf } from '../tensor-math/half.js';

const PRODUCTS = new Set(['nn.matmul', 'nn.gemm']);

export interface WeightRounding {
  /** Weights rounded, and their values. */
  readonly weights: number;
  readonly values: number;
  /** Weights kept f32 because a value is beyond f16's range, with why. */
  readonly kept: readonly string[];
  /** Largest normwise relative error (max |after - before| / max |before|) over the outputs and inputs tried. */
  readonly outputError: number;
  readonly trials: number;
}

const label = (op: Op) => `${op.name}${op.loc ? ` "${op.loc}"` : ''}`;

/** Rounds the dense f32 constant weights of products (operand 1 of nn.matmul / nn.gemm) to f16, in place. */
function roundProducts(m: Module): { weights: number; values: number; kept: string[] } {
  let weights = 0, values = 0;
  const kept: string[] = [];
  const done = new Set<Op>();
  for (const f of m.funcs) for (const op of f.ops) {
    if (!PRODUCTS.has(op.name) || op.operands.length < 2) continue;
    const w = op.operand(1), c = w.definingOp;
    const a = c?.name === 'nn.constant' && !w.type.encoding ? c.attr('value') : undefined;
    if (!c || a?.kind !== 'dense' || a.value.elementType !== 'f32' || done.has(c)) continue;
    done.add(c);
    const r = roundToHalf(a.value.data as Float32Array);
    if ('overflow' in r) {
      kept.push(`${label(op)}: weight value ${(a.value.data as Float32Array)[r.overflow]} is beyond f16's range (65504)`);
      continue;
    }
    c.setAttr('value', dense(new Tensor('f32', a.value.shape, r.values), a.resource));
    weights++;
    values += r.values.length;
  }
  return { weights, values, kept };
}

/**
 * Rounds the module's product weights to f16 (in place) and measures what it costs: the outputs of
 * the model before and after on `trials` seeded random inputs (batch 1), through the interpreter.
 */
export function roundWeightsToHalf(m: Module, trials = 2): WeightRounding {
  const before = cloneModule(m);
  const r = roundProducts(m);
  let outputError = 0;
  if (r.weights > 0) {
    for (let t = 0; t < trials; t++) {
      const inputs = randomInputs(before, 101 + t, 1);
      const want = interpret(before, inputs), got = interpret(m, inputs);
      got.forEach((g, i) => (outputError = Math.max(outputError, normwiseRelError(g, want[i]!))));
    }
  }
  return { ...r, outputError, trials };
}

/** One line for the user: what was rounded and the error it causes. */
export function describeRounding(r: WeightRounding): string {
  if (r.weights === 0) return `--weight-dtype f16: no dense product weight to round${r.kept.length ? ` (${r.kept.join('; ')})` : ''}; the model is unchanged`;
  return `--weight-dtype f16 (lossy): ${r.weights} product weight(s), ${r.values} values rounded to f16; output error ${r.outputError.toExponential(2)} (normwise relative, largest over ${r.trials} random inputs)${r.kept.length ? `; kept f32: ${r.kept.join('; ')}` : ''}`;
}
