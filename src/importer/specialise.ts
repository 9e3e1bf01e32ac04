// Importing a model for given input data: when a result's rank depends on an input's value
// (Unsqueeze axes fed as a graph input, say), the integer inputs are bound to their values and
// become constants, as compilers specialise shape inputs.
import { elide } from '../util/limits.js';
import type { Func } from '../ir/core.js';
import type { Tensor } from '../ir/tensor.js';
import { graphInputNames, importOnnxFile, type ImportOptions, type ImportResult } from './import.js';

export interface NamedTensor {
  readonly name: string;
  readonly tensor: Tensor;
}

export interface SpecialisedImport extends ImportResult {
  /** Inputs bound to their data (empty when none were needed). */
  specialised: string[];
}

/** A function's input names, as `orderInputs` matches them: the name attribute, else the value's name, else input_N. */
export function argNames(f: Func): string[] {
  return f.args.map((a, i) => {
    const n = f.argAttrs[i]?.get('name');
    return n?.kind === 'string' ? n.value : a.name ?? `input_${i}`;
  });
}

/** Names data inputs: by the name stored in the file, else by position among the graph inputs `names`. */
export function nameInputs(names: readonly string[], inputs: readonly NamedTensor[]): NamedTensor[] {
  return inputs.map((x, i) => ({ name: x.name || names[i] || `input_${i}`, tensor: x.tensor }));
}

/** Imports the model; only when that needs input values are the inputs read (`inputs()`) and bound. */
export function importForData(path: string, inputs: () => readonly NamedTensor[], opts: ImportOptions & { requireStatic?: boolean } = {}): SpecialisedImport {
  const { requireStatic, ...importOpts } = opts;
  const bindAll = (e: unknown, kinds: RegExp) => {
    const bind = new Map<string, Tensor>();
    for (const x of nameInputs(graphInputNames(path), inputs())) if (kinds.test(x.tensor.elementType)) bind.set(x.name, x.tensor);
    if (bind.size === 0) throw e;
    return { ...importOnnxFile(path, { ...importOpts, bind }), specialised: [...bind.keys()] };
  };
  let plain: SpecialisedImport;
  try {
    plain = { ...importOnnxFile(path, importOpts), specialised: [] };
  } catch (e) {
    if (!/depends on run-time values/.test((e as Error).message)) throw e;
    return bindAll(e, /^[iu]\d+$/);
  }
  // A compiler needs static shapes: shapes or flags fed as integer/bool inputs are bound to the data.
  const dynamic = plain.module.funcs[0]?.ops.some((o) => o.results.some((r) => r.type.shape.some((d) => typeof d !== 'number')));
  if (requireStatic && dynamic) {
    try {
      return bindAll(undefined, /^([iu]\d+|bool)$/);
    } catch {
      return plain;
    }
  }
  return plain;
}

/** The function's arguments in order, taken from named data inputs; throws naming what is missing. */
export function orderInputs(argNames: readonly string[], inputs: readonly NamedTensor[]): Tensor[] {
  return argNames.map((n, i) => {
    const t = inputs.find((x) => x.name === n)?.tensor;
    if (!t) throw new Error(`no data for input #${i} '${elide(n)}' (data has ${inputs.map((x) => `'${elide(x.name)}'`).join(', ') || 'nothing'})`);
    return t;
  });
}
