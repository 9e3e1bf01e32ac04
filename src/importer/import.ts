// The ONNX importer: decodes a model, turns graph inputs into function arguments (named dims for
// dynamic sizes), initializers into constants, and each node through its converter. Ops whose
// operands are all constant fold on the way, so PyTorch's Shape -> Gather -> Concat -> Reshape
// chains become static shapes when the input shape is static.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { str } from '../ir/attributes.js';
import { Builder } from '../ir/builder.js';
import { Func, Module, type Value } from '../ir/core.js';
import type { Tensor } from '../ir/tensor.js';
import { DYNAMIC, ELEMENT_TYPES, isValidDimName, TensorType, type Dim } from '../ir/types.js';
import { verify } from '../ir/verifier.js';
import { decodeModel, dtypeName, elementTypeOf, OnnxError, tensorFromProto, toNumber, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from '../onnx/proto.js';
import { InvalidModelError, LimitError, UnsupportedError, UserError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { checkTensorSize, elide, formatCount } from '../util/limits.js';
import { NodeContext, type ImportEnv } from './node-context.js';
import { CONVERTERS, SUPPORTED_ONNX_OPS } from './ops/index.js';
import { pickVersion } from './registry.js';

export const MIN_OPSET = 7;
export const MAX_OPSET = 25;

export interface ImportOptions {
  /** Static shapes for inputs, by input name (replaces the model's dims). */
  shapes?: Record<string, readonly number[]>;
  /** Sizes for named dims of inputs (dim_param, e.g. { N: 1 }), wherever they occur; `shapes` wins. */
  dims?: Readonly<Record<string, number>>;
  /** Name of the file, for messages. */
  file?: string;
  /** Folder external data is read from (the model's folder). */
  baseDir?: string;
  /**
   * Graph inputs bound to fixed values: they become constants (specialisation, as compilers do for
   * shape inputs), so results whose rank depends on them get static types.
   */
  bind?: ReadonlyMap<string, Tensor>;
}

export interface ImportResult {
  module: Module;
  opset: number;
  /** Ops folded to constants during import. */
  folded: number;
  /** ONNX op types seen, with counts. */
  opTypes: Map<string, number>;
  /** Names of the graph's real inputs (not initializers), in order, bound ones included. */
  inputNames: string[];
}

export function importOnnxFile(path: string, opts: ImportOptions = {}): ImportResult {
  return importOnnx(readModelFile(path), { file: path, baseDir: dirname(path), ...opts });
}

function readModelFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OnnxError(`cannot read '${path}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): ImportResult {
  const file = opts.file ?? '<model>';
  const model = decodeModel(bytes, file);
  const invalid = (msg: string) => new InvalidModelError(`${file}: invalid model: ${msg}`);
  const opset = defaultOpset(model, invalid);
  if (opset > MAX_OPSET) throw new UnsupportedError(`${file}: opset ${opset} is newer than the newest supported (${MAX_OPSET})`);
  for (const o of model.opsetImport ?? []) {
    if (o.domain && o.domain !== 'ai.onnx' && (model.graph?.node ?? []).some((n) => n.domain === o.domain)) {
      throw new UnsupportedError(`${file}: operator domain '${elide(o.domain)}' is not supported (only the default ONNX domain)`);
    }
  }
  const g = model.graph!;
  checkSingleAssignment(g, invalid);
  const module = new Module();
  const func = module.addFunc(new Func(sanitizeFuncName(g.name)));
  const b = new Builder(func);
  const values = new Map<string, Value>();
  const env: ImportEnv = { b, lookup: (n) => values.get(n), baseDir: opts.baseDir, folded: 0 };

  // Initializers first: they are constants, even when also listed as graph inputs (old exports).
  for (const init of g.initializer ?? []) {
    const name = init.name ?? '';
    const t = tensorFromProto(init, { what: `${file}: initializer '${elide(name)}'`, ...(opts.baseDir ? { baseDir: opts.baseDir } : {}) });
    values.set(name, b.constant(t, { name }));
  }
  if ((g.sparseInitializer?.length ?? 0) > 0) throw new UnsupportedError(`${file}: sparse_initializer is not supported`);
  const shapes = new Map(Object.entries(opts.shapes ?? {}));
  const inputNames: string[] = [];
  for (const input of g.input ?? []) {
    const name = input.name ?? '';
    if (values.has(name)) continue;
    inputNames.push(name);
    const bound = opts.bind?.get(name);
    if (bound) {
      shapes.delete(name);
      values.set(name, b.constant(bound, { name }));
      continue;
    }
    const type = inputType(input, shapes.get(name), file, opts.dims ?? {});
    shapes.delete(name);
    values.set(name, func.addArgument(type, name, new Map([['name', str(name)]])));
  }
  if (shapes.size) throw new OnnxError(`${file}: --shape names ${[...shapes.keys()].map((n) => `'${elide(n)}'`).join(', ')}, which ${shapes.size === 1 ? 'is not a graph input' : 'are not graph inputs'} (inputs: ${elide((g.input ?? []).filter((i) => !values.get(i.name ?? '')?.definingOp).map((i) => i.name).join(', '))})`);

  const opTypes = new Map<string, number>();
  for (const node of topoSort(g, values, file)) {
    const opType = node.opType ?? '';
    opTypes.set(opType, (opTypes.get(opType) ?? 0) + 1);
    const node1 = `node '${elide(node.name || node.output?.[0] || '?')}' (${elide(opType)})`;
    const where = `${file}: ${node1}`;
    if (node.domain && node.domain !== 'ai.onnx') throw new UnsupportedError(`${where}: domain '${elide(node.domain)}' is not supported`);
    const conv = CONVERTERS.get(opType);
    if (!conv) throw new UnsupportedError(`${where}: op ${elide(opType)} is not supported${didYouMean(opType, SUPPORTED_ONNX_OPS, 2)} (docs/importer.md lists the ${SUPPORTED_ONNX_OPS.length} supported ops)`);
    const variant = pickVersion(conv, opset);
    if (!variant) throw new UnsupportedError(`${where}: ${opType} has no converter for opset ${opset}`);
    let outs: readonly (Value | undefined)[];
    try {
      outs = variant.convert(new NodeContext(env, node, opset));
    } catch (e) {
      // The node's name goes in front; the error keeps its kind (a sparsec bug stays internal).
      if (e instanceof InvalidModelError) throw invalid(`${node1}: ${e.message}`);
      if (e instanceof UnsupportedError) throw new UnsupportedError(`${where}: ${e.message}`);
      if (e instanceof LimitError) throw new LimitError(`${where}: ${e.message}`);
      if (e instanceof OnnxError) throw new OnnxError(`${where}: ${e.message}`);
      if (e instanceof UserError) throw new UserError(`${where}: ${e.message}`);
      if (e instanceof Error) e.message = `${where}: ${e.message}`;
      throw e;
    }
    (node.output ?? []).forEach((name, i) => {
      if (!name) return;
      const v = outs[i];
      if (!v) throw new UnsupportedError(`${where}: output #${i} ('${elide(name)}') is not supported`);
      if (!v.name) v.name = name;
      values.set(name, v);
    });
  }

  const results: Value[] = [];
  const names: string[] = [];
  for (const out of g.output ?? []) {
    const name = out.name ?? '';
    const v = values.get(name);
    if (!v) throw invalid(`graph output '${elide(name)}' is not produced by any node, initializer or input`);
    const declared = out.type?.tensorType?.elemType;
    if (out.type?.sequenceType || out.type?.mapType || out.type?.optionalType) throw new UnsupportedError(`${file}: output '${elide(name)}' has ${article(typeKind(out))} type (only tensors are supported)`);
    if (declared && elementTypeOf(declared, `${file}: output '${elide(name)}'`) !== v.type.elementType) {
      throw invalid(`graph output '${elide(name)}' is declared ${dtypeName(declared)}, the graph computes ${v.type.elementType}`);
    }
    results.push(v);
    names.push(name);
  }
  b.ret(results, names);
  removeDeadOps(func);
  // Every op was checked as it was made (a node's error names the node); what is left is sparsec's fault.
  const problems = verify(module);
  if (problems.length) throw new Error(`${file}: the imported IR does not verify (an importer bug): ${problems[0]!.message}`);
  return { module, opset, folded: env.folded, opTypes, inputNames };
}

/** The names of a model's real graph inputs (not initializers), in order. */
export function graphInputNames(path: string): string[] {
  return graphInputs(path).map((i) => i.name);
}

/** A graph input as the file declares it: dims are sizes, names (dim_param) or null (unknown); null dims when it has no shape. */
export interface InputSignature {
  name: string;
  dims: (number | string | null)[] | null;
}

/** The graph's real inputs (not initializers), in order, read without importing the model. */
export function graphInputs(path: string): InputSignature[] {
  const m = decodeModel(readModelFile(path), path);
  const inits = new Set((m.graph?.initializer ?? []).map((t) => t.name ?? ''));
  return (m.graph?.input ?? []).filter((i) => !inits.has(i.name ?? '')).map((i) => {
    const shape = i.type?.tensorType?.shape;
    const dims = shape ? (shape.dim ?? []).map((d) => (d.dimValue !== null && d.dimValue !== undefined && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : d.dimParam || null)) : null;
    return { name: i.name ?? '', dims };
  });
}

/** The opset of the default domain: ONNX requires a model to declare it (it fixes every op's meaning). */
function defaultOpset(m: ModelProto, invalid: (msg: string) => Error): number {
  const found = (m.opsetImport ?? []).filter((x) => !x.domain || x.domain === 'ai.onnx');
  if (found.length === 0) {
    throw invalid(`the model has no opset_import for the default ONNX domain, so the version of its ops is unknown (ONNX requires one, e.g. opset_import { domain: "", version: 17 })`);
  }
  if (found.length > 1) throw invalid(`opset_import lists the default ONNX domain ${found.length} times (versions ${elide(found.map((o) => toNumber(o.version)).join(', '))})`);
  const v = toNumber(found[0]!.version);
  if (!Number.isSafeInteger(v) || v < 1) throw invalid(`opset_import gives the default ONNX domain version ${v}; opset versions start at 1`);
  return v;
}

/**
 * ONNX graphs are in SSA form: each name is defined once, by an initializer, a graph input or one
 * node output. (An initializer may also be listed as a graph input: old exports do, and it stays a
 * constant.) Checked before anything is decoded, so the last definition cannot silently win.
 */
function checkSingleAssignment(g: GraphProto, invalid: (msg: string) => Error): void {
  const defined = new Map<string, { what: string; node?: NodeProto }>();
  const q = (name: string) => `'${elide(name)}'`;
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    if (defined.has(name)) throw invalid(`initializer ${q(name)} is defined twice`);
    defined.set(name, { what: `initializer ${q(name)}` });
  }
  const inputs = new Set<string>();
  for (const i of g.input ?? []) {
    const name = i.name ?? '';
    if (inputs.has(name)) throw invalid(`graph input ${q(name)} is listed twice`);
    inputs.add(name);
    if (!defined.has(name)) defined.set(name, { what: `graph input ${q(name)}` });
  }
  for (const n of g.node ?? []) {
    const node = `node ${q(n.name || n.output?.[0] || '?')} (${elide(n.opType ?? '')})`;
    for (const o of n.output ?? []) {
      if (!o) continue;
      const before = defined.get(o);
      if (before) throw invalid(`${node}: output ${q(o)} is already defined by ${before.node === n ? 'the same node' : before.what} (each name may be assigned once)`);
      defined.set(o, { what: node, node: n });
    }
  }
}

function sanitizeFuncName(name: string | null | undefined): string {
  return name && /^[A-Za-z_][A-Za-z0-9_.$]*$/.test(name) ? name : 'main';
}

function typeKind(v: ValueInfoProto): string {
  if (v.type?.sequenceType) return 'sequence';
  if (v.type?.mapType) return 'map';
  if (v.type?.optionalType) return 'optional';
  return 'non-tensor';
}

function inputType(input: ValueInfoProto, override: readonly number[] | undefined, file: string, named: Readonly<Record<string, number>>): TensorType {
  const name = input.name ?? '';
  const tt = input.type?.tensorType;
  if (!tt) throw new UnsupportedError(`${file}: input '${elide(name)}' has ${article(typeKind(input))} type (only tensors are supported)`);
  const et = elementTypeOf(tt.elemType, `${file}: input '${elide(name)}'`);
  const what = `${file}: input '${elide(name)}'`;
  if (override) {
    const bad = override.find((d) => !Number.isSafeInteger(d) || d < 0);
    if (bad !== undefined) throw new OnnxError(`${what}: --shape dim ${bad} is not a size (an integer from 0 to 2^53)`);
    checkTensorSize(override, ELEMENT_TYPES[et].bytes, what);
    return new TensorType([...override], et);
  }
  if (!tt.shape) throw new OnnxError(`${what} has no shape; give one with --shape ${name}=1x3x224x224`);
  const dims: Dim[] = (tt.shape.dim ?? []).map((d, i) => {
    const value = d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue) : undefined;
    if (value !== undefined && value > Number.MAX_SAFE_INTEGER) throw new LimitError(`${what}: dim ${i} is ${formatCount(value)}, over the largest dim, 2^53`);
    if (value !== undefined && value > 0) return value;
    if (d.dimParam && Object.hasOwn(named, d.dimParam)) return named[d.dimParam]!;
    if (d.dimParam && isValidDimName(d.dimParam)) return d.dimParam;
    if (value === 0 && !d.dimParam) return 0;
    return DYNAMIC;
  });
  // Its named dims may be anything; the static ones alone must fit the limits.
  checkTensorSize(dims.map((d) => (typeof d === 'number' ? d : 1)), ELEMENT_TYPES[et].bytes, what);
  return new TensorType(dims, et);
}

/** Nodes in an order where every input is defined first; refuses cycles and names the nodes in one. */
function topoSort(g: GraphProto, known: Map<string, Value>, file: string): NodeProto[] {
  const nodes = g.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const state = new Uint8Array(nodes.length); // 0 new, 1 visiting, 2 done
  const order: NodeProto[] = [];
  const visit = (start: number) => {
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [i, k] = top;
      const inputs = nodes[i]!.input ?? [];
      if (k < inputs.length) {
        top[1]++;
        const name = inputs[k]!;
        if (!name || known.has(name)) continue;
        const p = producer.get(name);
        if (p === undefined) continue; // reported by the converter as a missing input
        if (state[p] === 1) {
          const cycle = stack.slice(stack.findIndex(([j]) => j === p)).map(([j]) => `'${elide(nodes[j]!.name || nodes[j]!.output?.[0] || '?')}' (${nodes[j]!.opType})`);
          throw new InvalidModelError(`${file}: invalid model: the graph has a cycle through nodes ${elide(cycle.join(' -> '), 400)}`);
        }
        if (state[p] === 0) {
          state[p] = 1;
          stack.push([p, 0]);
        }
      } else {
        state[i] = 2;
        order.push(nodes[i]!);
        stack.pop();
      }
    }
  };
  nodes.forEach((_, i) => state[i] === 0 && visit(i));
  return order;
}

/** Drops ops whose results nothing uses (folded shape arithmetic, unused constants). */
function removeDeadOps(f: Func): void {
  const ops = f.ops;
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    if (op.name !== 'return' && op.results.every((r) => !r.hasUses)) op.erase();
  }
}

function article(word: string): string {
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}
