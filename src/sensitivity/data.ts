// What sensitivity measures a pruned model on: a folder of input_N.pb files (one batch, as `sparsec
// run` takes), optional labels, and the score of the first output's rows against them (top-1
// accuracy) or against the unpruned model's (top-1 agreement, normwise error).
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readTensors } from '../conformance/conformance.js';
import type { Tensor } from '../ir/tensor.js';
import { readTensorFile } from '../onnx/proto.js';
import { toF64 } from '../tensor-math/numeric.js';
import { UserError } from '../util/errors.js';

export interface EvalData {
  readonly inputs: readonly { readonly name: string; readonly tensor: Tensor }[];
  /** The class of each row of the first output, when labels were given. */
  readonly labels?: Int32Array;
}

/**
 * The data folder's inputs and, when a file is named, its labels (an integer TensorProto .pb, or text:
 * integers separated by spaces, commas or lines, or a JSON array). Paths are as the user gave them,
 * relative to `cwd`.
 */
export function readEvalData(dir: string, labelsFile?: string, cwd = '.'): EvalData {
  try {
    readdirSync(resolve(cwd, dir));
  } catch {
    throw new UserError(`cannot read the data folder '${dir}'`);
  }
  const inputs = readTensors(resolve(cwd, dir), 'input');
  if (!inputs.length) throw new UserError(`the data folder '${dir}' has no input_N.pb files (ONNX TensorProto files, one per model input, each a whole batch)`);
  return { inputs, ...(labelsFile !== undefined ? { labels: readLabels(labelsFile, cwd) } : {}) };
}

export function readLabels(file: string, cwd = '.'): Int32Array {
  const path = resolve(cwd, file);
  if (file.endsWith('.pb')) {
    const { tensor } = readTensorFile(path);
    if (!/^(i|u)/.test(tensor.elementType)) throw new UserError(`labels ${file}: expected an integer tensor, got ${tensor.elementType}`);
    return Int32Array.from(toF64(tensor));
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read labels '${file}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const words = text.replace(/[[\],]/g, ' ').split(/\s+/).filter(Boolean);
  const bad = words.find((w) => !/^\d+$/.test(w));
  if (bad !== undefined) throw new UserError(`labels ${file}: '${bad.slice(0, 20)}' is not a class index (expected non-negative integers)`);
  return Int32Array.from(words, Number);
}

/** The class of each row: the arg max over the last axis (the first maximum). */
export function argmaxRows(t: Tensor): Int32Array {
  const v = toF64(t), classes = t.shape[t.shape.length - 1] ?? 1;
  const rows = classes ? v.length / classes : 0;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (v[r * classes + c]! > v[r * classes + best]!) best = c;
    out[r] = best;
  }
  return out;
}

export interface Score {
  /** What the sweep ranks by: top-1 accuracy with labels, else top-1 agreement with the unpruned model. */
  readonly metric: number;
  readonly agreement: number;
  /** Normwise relative error of the output against the unpruned model's. */
  readonly error: number;
}

/** The reference a pruned model is scored against: the unpruned model's first output. */
export interface Reference {
  readonly output: Tensor;
  readonly classes: Int32Array;
  readonly labels?: Int32Array;
}

export function reference(output: Tensor, labels?: Int32Array): Reference {
  const classes = argmaxRows(output);
  if (labels && labels.length !== classes.length) throw new UserError(`${labels.length} labels for ${classes.length} rows of the model's first output [${output.shape.join('x')}] (one label per row)`);
  return { output, classes, ...(labels ? { labels } : {}) };
}

export function score(out: Tensor, ref: Reference): Score {
  const got = argmaxRows(out);
  const share = (want: Int32Array) => got.reduce((n, c, i) => n + (c === want[i] ? 1 : 0), 0) / Math.max(1, got.length);
  const a = toF64(out), b = toF64(ref.output);
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  const agreement = share(ref.classes);
  return { metric: ref.labels ? share(ref.labels) : agreement, agreement, error: Math.sqrt(num / Math.max(den, 1e-30)) };
}
