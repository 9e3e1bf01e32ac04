// What a fuzz case ended in, and the rule that tells a clear error (the input's fault, said in one
// line) from an internal one (a sparsec bug). Time and memory limits are the driver's (driver.ts).
import { Tensor } from '../ir/tensor.js';
import { ELEMENT_TYPES } from '../ir/types.js';
import { compareTensors, describeMismatch } from '../interp/compare.js';
import { PassError } from '../pass/manager.js';
import { UserError } from '../util/errors.js';

export type Verdict =
  /** Ran and the results agreed. */
  | 'ok'
  /** Refused with a clear one-line error. */
  | 'clear-error'
  /** Results differ between the interpreter and a pass or the compiled code. */
  | 'wrong-output'
  /** An error that is not the input's fault, or an unclear one (multi-line, huge, not a UserError). */
  | 'internal-error'
  /** Over the case's time limit (set by the driver). */
  | 'timeout'
  /** Over the case's memory limit (resident set size, set by the driver). */
  | 'over-memory'
  /** The process died (a native abort, the heap exhausted, a stack overflow that escaped). */
  | 'crash';

export const VERDICTS: readonly Verdict[] = ['ok', 'clear-error', 'wrong-output', 'internal-error', 'timeout', 'over-memory', 'crash'];
export const FAILURES: readonly Verdict[] = ['wrong-output', 'internal-error', 'timeout', 'over-memory', 'crash'];

/** A case's input in a form that can be saved and replayed (see corpus.ts). */
export interface CaseInput {
  kind: 'onnx' | 'ir';
  /** base64 for onnx, text for ir. */
  data?: string;
  /** onnx only, instead of data: an example model (examples/NAME) and one splice of it, [offset, bytes removed, base64 of bytes inserted]. */
  base?: string;
  splice?: [number, number, string];
  /** The pipeline run before compiling. */
  pipeline?: string;
  /** The inputs, as [element type, shape, base64 of the bytes]; absent: seeded random inputs. */
  inputs?: [string, number[], string][];
}

export interface CaseResult {
  verdict: Verdict;
  /** One line: the net or mutation, and for failures what went wrong. */
  detail: string;
  /** Which stage ended the case (import, interpret, passes, compile, run...). */
  stage?: string;
  input?: CaseInput;
}

/** The longest error message the fuzzer accepts as "clear" (long values must be elided). */
const MAX_MESSAGE = 600;

/** Classifies a thrown value: a UserError with a short single-line message is clear; anything else is a bug. */
export function classifyError(e: unknown, stage: string): CaseResult {
  const msg = e instanceof Error ? e.message : `non-Error thrown: ${String(e)}`;
  const line = msg.split('\n')[0]!.slice(0, 300);
  // A pass that failed on a UserError (a limit) is still the input's fault.
  const user = e instanceof UserError || (e instanceof PassError && e.cause instanceof UserError);
  if (!user) return { verdict: 'internal-error', stage, detail: `${stage}: ${e instanceof Error ? e.name : typeof e}: ${line}` };
  if (msg.includes('\n') || msg.length > MAX_MESSAGE) return { verdict: 'internal-error', stage, detail: `${stage}: unclear error (${msg.length} chars${msg.includes('\n') ? ', several lines' : ''}): ${line}` };
  if (/internal/i.test(msg)) return { verdict: 'internal-error', stage, detail: `${stage}: ${line}` };
  return { verdict: 'clear-error', stage, detail: `${stage}: ${line}` };
}

/**
 * Compares results: integers and bools exactly, floats elementwise within 1e-4 relative to the
 * element plus 1e-4 of the output's largest magnitude (summation order differs between kernels).
 * Where the reference is NaN or infinite, any value is accepted (a kernel may overflow in another
 * order). With `nonFinite` (an input, constant or intermediate value of the reference run holds Inf
 * or NaN), a NaN or Inf result is
 * accepted anywhere too: whether a zero weight's product with a NaN counts is left to the kernel
 * (sparse and reference kernels skip zeros, dense SIMD kernels multiply; docs/sparsity.md).
 */
export function compareOutputs(got: readonly Tensor[], want: readonly Tensor[], what: string, nonFinite = false): string | undefined {
  if (got.length !== want.length) return `${what}: ${got.length} outputs, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    let w = want[i]!, gt = got[i]!;
    let scale = 0;
    if (ELEMENT_TYPES[w.elementType].kind === 'float' && gt.elementType === w.elementType && gt.size === w.size) {
      for (let k = 0; k < w.size; k++) {
        const x = Math.abs(Number(w.get(k)));
        if (Number.isFinite(x)) scale = Math.max(scale, x);
      }
      const keep = nonFinite ? (k: number) => Number.isFinite(Number(w.get(k))) && Number.isFinite(Number(gt.get(k))) : (k: number) => Number.isFinite(Number(w.get(k)));
      [w, gt] = [zeroWhere(w, keep), zeroWhere(gt, keep)];
    }
    const c = compareTensors(gt, w, { rtol: 1e-4, atol: 1e-6 + 1e-4 * scale });
    if (!c.ok) return `${what}: output #${i}: ${describeMismatch(c.mismatch!, w.shape)}`;
  }
  return undefined;
}

/** t with every element not kept set to 0. */
function zeroWhere(t: Tensor, keep: (k: number) => boolean): Tensor {
  const out = Tensor.fromBytes(t.elementType, t.shape, t.bytes().slice());
  for (let k = 0; k < t.size; k++) if (!keep(k)) out.set(k, 0);
  return out;
}

/** Whether a tensor is floating point and holds Inf or NaN. */
export function nonFiniteIn(t: Tensor): boolean {
  return ELEMENT_TYPES[t.elementType].kind === 'float' && Array.prototype.some.call(t.data, (x: number) => !Number.isFinite(x));
}

export function encodeInputs(ts: readonly Tensor[]): [string, number[], string][] {
  return ts.map((t) => [t.elementType, [...t.shape], Buffer.from(t.bytes()).toString('base64')]);
}

export function decodeInputs(xs: readonly [string, number[], string][]): Tensor[] {
  return xs.map(([et, shape, b64]) => Tensor.fromBytes(et as keyof typeof ELEMENT_TYPES, shape, new Uint8Array(Buffer.from(b64, 'base64'))));
}
