// What an op converter sees of one ONNX node: its inputs as IR values, its attributes with
// defaults, constant inputs, and a builder whose ops fold to constants when all inputs are constant.
import { getOpDef } from '../dialects/index.js';
import { list } from '../dialects/infer.js';
import { dense, type Attr } from '../ir/attributes.js';
import type { Builder } from '../ir/builder.js';
import { OpContext, OpError, type OpDef } from '../ir/opdef.js';
import type { Op, Value } from '../ir/core.js';
import { Tensor } from '../ir/tensor.js';
import { DYNAMIC, ELEMENT_TYPES, TensorType, type ElementType } from '../ir/types.js';
import { verifyOp } from '../ir/verifier.js';
import { toNumber, tensorFromProto, type AttributeProto, type NodeProto } from '../onnx/proto.js';
import { InvalidModelError, LimitError, UnsupportedError } from '../util/errors.js';
import { checkTensorSize, formatCount, elide } from '../util/limits.js';

export { UnsupportedError };

/** A node that breaks its op's rules for its opset: the model is invalid (the importer adds the node's name). */
export class NodeError extends InvalidModelError {
  override name = 'NodeError';
}

/** The result type an op has between its creation and its inference. */
const UNTYPED = new TensorType([], 'f32');

const ATTR_KIND: Record<number, string> = { 1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings', 9: 'tensors', 10: 'graphs', 11: 'sparse tensor', 13: 'type' };

export interface ImportEnv {
  readonly b: Builder;
  /** ONNX value name -> IR value. */
  lookup(name: string): Value | undefined;
  readonly baseDir: string | undefined;
  /** Constants folded so far. */
  folded: number;
}

export class NodeContext {
  private readonly attrs = new Map<string, AttributeProto>();

  constructor(readonly env: ImportEnv, readonly node: NodeProto, readonly opset: number) {
    for (const a of node.attribute ?? []) this.attrs.set(a.name ?? '', a);
  }

  get opType(): string {
    return this.node.opType ?? '';
  }
  get label(): string {
    return this.node.name || this.node.output?.[0] || this.opType;
  }
  get b(): Builder {
    return this.env.b;
  }

  // ---- inputs and outputs ----
  get numInputs(): number {
    return this.node.input?.length ?? 0;
  }
  /** Input i, or undefined when absent (past the end or an empty name). */
  input(i: number): Value | undefined {
    const name = this.node.input?.[i];
    if (!name) return undefined;
    const v = this.env.lookup(name);
    if (!v) throw new NodeError(`input '${elide(name)}' is not produced by any node, initializer or graph input`);
    return v;
  }
  need(i: number, what = `input #${i}`): Value {
    const v = this.input(i);
    if (!v) throw new NodeError(`${what} is required`);
    return v;
  }
  /** Number of outputs the node declares (trailing empty names dropped). */
  get numOutputs(): number {
    const o = this.node.output ?? [];
    let n = o.length;
    while (n > 0 && !o[n - 1]) n--;
    return n;
  }
  /** The value of a constant input, if it is one. */
  constInput(i: number): Tensor | undefined {
    const v = this.input(i);
    const def = v?.definingOp;
    if (def?.name !== 'nn.constant') return undefined;
    const a = def.attrs.get('value');
    return a?.kind === 'dense' ? a.value : undefined;
  }
  constInts(i: number): number[] | undefined {
    const t = this.constInput(i);
    if (!t) return undefined;
    return Array.from({ length: t.size }, (_, k) => Number(t.get(k)));
  }

  // ---- attributes ----
  has(name: string): boolean {
    return this.attrs.has(name);
  }
  private get(name: string, kind: number): AttributeProto | undefined {
    const a = this.attrs.get(name);
    if (!a) return undefined;
    // Old models may leave `type` unset; infer it from the field that is filled.
    const t = a.type || inferAttrType(a);
    if (t !== kind) throw new NodeError(`attribute '${elide(name)}' must be ${ATTR_KIND[kind]}, got ${ATTR_KIND[t ?? 0] ?? 'unknown'}`);
    return a;
  }
  int(name: string, def?: number): number {
    const a = this.get(name, 2);
    if (!a) return def ?? this.missing(name);
    return toNumber(a.i);
  }
  float(name: string, def?: number): number {
    const a = this.get(name, 1);
    if (!a) return def ?? this.missing(name);
    return a.f ?? 0;
  }
  string(name: string, def?: string): string {
    const a = this.get(name, 3);
    if (!a) return def ?? this.missing(name);
    return new TextDecoder().decode(a.s ?? new Uint8Array());
  }
  ints(name: string, def?: number[]): number[] {
    const a = this.get(name, 7);
    if (!a) return def ?? this.missing(name);
    return (a.ints ?? []).map((v) => toNumber(v));
  }
  floats(name: string, def?: number[]): number[] {
    const a = this.get(name, 6);
    if (!a) return def ?? this.missing(name);
    return [...(a.floats ?? [])];
  }
  tensor(name: string): Tensor | undefined {
    const a = this.get(name, 4);
    return a?.t ? tensorFromProto(a.t, { what: `attribute '${elide(name)}'`, ...(this.env.baseDir ? { baseDir: this.env.baseDir } : {}) }) : undefined;
  }
  private missing(name: string): never {
    throw new NodeError(`attribute '${elide(name)}' is required`);
  }

  // ---- building ----
  constant(t: Tensor, name?: string): Value {
    return this.b.constant(t, name ? { name } : {});
  }
  i64(values: readonly number[]): Value {
    return this.constant(Tensor.from('i64', [values.length], values.map((v) => BigInt(v))));
  }
  scalar(et: ElementType, v: number): Value {
    return this.constant(Tensor.from(et, [], [et === 'i64' || et === 'u64' ? BigInt(v) : v]));
  }

  /**
   * Creates an op with the result types its definition infers, checked against the definition (the
   * verifier's rules) at once, so that a node breaking them is reported as the node's fault. When every
   * operand is constant, the op is evaluated and replaced by constants (sizes checked first).
   */
  op(name: string, operands: readonly (Value | undefined)[], attrs: Record<string, Attr> = {}, numResults?: number): Value[] {
    const ops = operands.filter((v): v is Value => v !== undefined);
    if (ops.length !== operands.length && operands.slice(ops.length).some((v) => v !== undefined)) {
      throw new Error(`internal: ${name} got an absent operand before a present one`);
    }
    const def = getOpDef(name);
    if (!def?.infer) throw new Error(`internal: ${name} is not an op whose result types can be inferred`);
    // The op itself is typed by its inference (no detached probe op: its uses would be added and
    // removed again, which costs time proportional to a value's uses, on every op).
    const n = numResults ?? def.results.filter((r) => !r.optional).length;
    const op = this.b.create(name, ops, attrs, { loc: this.label, types: new Array<TensorType>(n).fill(UNTYPED) });
    try {
      typeAndCheck(op, def);
    } catch (e) {
      op.erase();
      throw e;
    }
    // Shape and Size read only the static type of their operand: fold them even when it is not constant.
    if ((name === 'nn.shape' || name === 'nn.size') && ops[0]!.type.isStatic) {
      return this.replaceByConstants(op, [name === 'nn.shape' ? shapeOf(op, def) : sizeOf(ops[0]!.type.shape as number[])]);
    }
    const consts = ops.map((v) => (v.definingOp?.name === 'nn.constant' ? v.definingOp.attrs.get('value') : undefined));
    if (def.interpret && consts.every((a) => a?.kind === 'dense')) {
      // Folding allocates the results: each is size-checked before.
      for (const r of op.results) {
        if (r.type.isStatic) checkTensorSize(r.type.shape as number[], ELEMENT_TYPES[r.type.elementType].bytes, `result #${r.index} (folded to a constant)`);
      }
      return this.replaceByConstants(op, def.interpret(new OpContext(op, def), consts.map((a) => (a as { value: Tensor }).value)));
    }
    return op.results;
  }

  private replaceByConstants(op: Op, values: readonly Tensor[]): Value[] {
    const replacements = op.results.map((r, i) => this.b.create('nn.constant', [], { value: dense(values[i]!) }, { types: [r.type.withShape(values[i]!.shape)] }).result(0));
    op.replaceWith(replacements);
    this.env.folded++;
    return replacements;
  }
  op1(name: string, operands: readonly (Value | undefined)[], attrs: Record<string, Attr> = {}): Value {
    return this.op(name, operands, attrs)[0]!;
  }

  fail(msg: string): never {
    throw new NodeError(msg);
  }
  unsupported(msg: string): never {
    throw new UnsupportedError(msg);
  }
}

function inferAttrType(a: AttributeProto): number | undefined {
  if (a.t) return 4;
  if (a.g) return 5;
  if (a.floats?.length) return 6;
  if (a.ints?.length) return 7;
  if (a.strings?.length) return 8;
  if (a.s?.length) return 3;
  if (a.i !== undefined && a.i !== null && toNumber(a.i) !== 0) return 2;
  if (a.f) return 1;
  return undefined;
}

/**
 * Sets the op's result types from its definition's inference, then checks the op as the verifier
 * would; the first problem is the node's error. A result whose rank or element type depends on
 * run-time values is unsupported (the IR's types are static), not invalid.
 */
function typeAndCheck(op: Op, def: OpDef): void {
  const firstProblem = (): string | undefined => {
    let first: string | undefined;
    verifyOp(op, (m) => (first ??= m));
    return first;
  };
  const most = def.results.some((r) => r.variadic) ? Infinity : def.results.length;
  if (op.results.length > most) throw new NodeError(`has ${op.results.length} outputs, the op has at most ${most} (${def.results.map((r) => r.name).join(', ')})`);
  let inferred;
  try {
    inferred = def.infer!(new OpContext(op, def));
  } catch (e) {
    if (!(e instanceof OpError)) throw e;
    // A broken schema (operand count, types, attributes) explains a failed inference best.
    throw new NodeError(firstProblem() ?? e.message);
  }
  op.results.forEach((r, i) => {
    const t = inferred[i];
    if (!t) throw new Error(`internal: ${op.name} inferred ${inferred.length} result types for ${op.results.length} results`);
    if (!t.elementType) throw new UnsupportedError(`the element type of result #${i} depends on run-time values (sparsec's types are static)`);
    if (!t.shape) throw new UnsupportedError(`the rank of result #${i} depends on run-time values (sparsec's types are static)`);
    for (const d of t.shape) {
      if (typeof d !== 'number' || (Number.isSafeInteger(d) && d >= 0)) continue;
      if (d > Number.MAX_SAFE_INTEGER) throw new LimitError(`result #${i} would have shape ${list(t.shape)}: dim ${formatCount(d)} is over the largest dim, 2^53`);
      throw new NodeError(`result #${i} would have shape ${list(t.shape)}, with dim ${d}`);
    }
    r.type = new TensorType(t.shape.map((d) => d ?? DYNAMIC), t.elementType);
  });
  const problem = firstProblem();
  if (problem) throw new NodeError(problem);
}

/** nn.shape of a static operand, without building a tensor of that shape. */
function shapeOf(op: Op, def: OpDef): Tensor {
  const dims = op.operand(0).type.shape as number[];
  const c = new OpContext(op, def);
  const r = dims.length;
  const start = Math.min(Math.max(c.int('start') < 0 ? c.int('start') + r : c.int('start'), 0), r);
  const n = op.result(0).type.shape[0] as number;
  return Tensor.from('i64', [n], dims.slice(start, start + n).map((d) => BigInt(d)));
}

/** nn.size of a static shape, exactly (as a bigint product). */
function sizeOf(dims: readonly number[]): Tensor {
  return Tensor.from('i64', [], [dims.reduce((a, d) => a * BigInt(d), 1n)]);
}
