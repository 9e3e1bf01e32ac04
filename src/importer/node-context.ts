// What an op converter sees of one ONNX node: its inputs as IR values, its attributes with
// defaults, constant inputs, and a builder whose ops fold to constants when all inputs are constant.
import { getOpDef } from '../dialects/index.js';
import { dense, type Attr } from '../ir/attributes.js';
import type { Builder } from '../ir/builder.js';
import { OpContext } from '../ir/opdef.js';
import type { Value } from '../ir/core.js';
import { Tensor } from '../ir/tensor.js';
import type { ElementType } from '../ir/types.js';
import { toNumber, tensorFromProto, type AttributeProto, type NodeProto } from '../onnx/proto.js';

import { UnsupportedError } from '../util/errors.js';

export { UnsupportedError };

/** A node that is malformed for its op and opset. */
export class NodeError extends Error {
  override name = 'NodeError';
}

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
    if (!v) throw new NodeError(`input '${name}' is not produced by any node, initializer or graph input`);
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
    if (t !== kind) throw new NodeError(`attribute '${name}' must be ${ATTR_KIND[kind]}, got ${ATTR_KIND[t ?? 0] ?? 'unknown'}`);
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
    return a?.t ? tensorFromProto(a.t, { what: `attribute '${name}'`, ...(this.env.baseDir ? { baseDir: this.env.baseDir } : {}) }) : undefined;
  }
  private missing(name: string): never {
    throw new NodeError(`attribute '${name}' is required`);
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

  /** Creates an op (result types inferred), folding it to constants when every operand is constant. */
  op(name: string, operands: readonly (Value | undefined)[], attrs: Record<string, Attr> = {}, numResults?: number): Value[] {
    const ops = operands.filter((v): v is Value => v !== undefined);
    if (ops.length !== operands.length && operands.slice(ops.length).some((v) => v !== undefined)) {
      throw new Error(`internal: ${name} got an absent operand before a present one`);
    }
    const op = this.b.create(name, ops, attrs, { loc: this.label, ...(numResults !== undefined ? { numResults } : {}) });
    // Shape and Size read only the static type of their operand: fold them even when it is not constant.
    if ((name === 'nn.shape' || name === 'nn.size') && ops[0]!.type.shape.every((d) => typeof d === 'number')) {
      const probe = Tensor.zeros(ops[0]!.type.elementType, ops[0]!.type.shape as number[]);
      const def = getOpDef(name)!;
      const t = def.interpret!(new OpContext(op, def), [probe])[0]!;
      const c = this.b.create('nn.constant', [], { value: dense(t) }, { types: [op.result(0).type.withShape(t.shape)] }).result(0);
      op.replaceWith([c]);
      this.env.folded++;
      return [c];
    }
    const consts = ops.map((v) => (v.definingOp?.name === 'nn.constant' ? v.definingOp.attrs.get('value') : undefined));
    const def = getOpDef(name);
    if (def?.interpret && consts.every((a) => a?.kind === 'dense')) {
      const values = def.interpret(new OpContext(op, def), consts.map((a) => (a as { value: Tensor }).value));
      const replacements = op.results.map((r, i) => this.b.create('nn.constant', [], { value: dense(values[i]!) }, { types: [r.type.withShape(values[i]!.shape)] }).result(0));
      op.replaceWith(replacements);
      this.env.folded++;
      return replacements;
    }
    return op.results;
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
