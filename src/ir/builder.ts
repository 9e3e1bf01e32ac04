// The builder API that the importer and passes create IR with: an insertion point, ops whose
// result types are inferred from their op definition, and constants.
import { getOpDef } from '../dialects/index.js';
import { dense, type Attr, type AttrDict } from './attributes.js';
import { Block, Func, Module, Op, type Value } from './core.js';
import { OpContext, OpError } from './opdef.js';
import type { Tensor } from './tensor.js';
import type { Encoding } from './encodings.js';
import { DYNAMIC, TensorType } from './types.js';

export interface CreateOptions {
  /** Result types; inferred from the op definition when omitted. */
  types?: readonly TensorType[];
  /** Number of results when inferring (for ops with optional or variadic results). Default: the op's required results. */
  numResults?: number;
  /** Name hints for the results. */
  names?: readonly (string | undefined)[];
  /** Source label (an ONNX node name). */
  loc?: string;
}

export class Builder {
  private block: Block;
  private before: Op | undefined;

  constructor(where: Block | Func) {
    this.block = where instanceof Func ? where.body : where;
  }

  /** A module with one empty function, and a builder at its end. */
  static func(name = 'main'): { module: Module; func: Func; b: Builder } {
    const module = new Module();
    const func = module.addFunc(new Func(name));
    return { module, func, b: new Builder(func) };
  }

  setInsertionPointToEnd(block: Block): this {
    this.block = block;
    this.before = undefined;
    return this;
  }
  setInsertionPointBefore(op: Op): this {
    if (!op.parent) throw new Error(`${op.name} is not in a block`);
    this.block = op.parent;
    this.before = op;
    return this;
  }
  setInsertionPointAfter(op: Op): this {
    if (!op.parent) throw new Error(`${op.name} is not in a block`);
    this.block = op.parent;
    this.before = op.next;
    return this;
  }

  /** Creates an op at the insertion point and returns it. */
  create(name: string, operands: readonly Value[], attrs: Record<string, Attr> | AttrDict = {}, opts: CreateOptions = {}): Op {
    const op = new Op(name, operands, opts.types ?? inferTypes(name, operands, attrs, opts.numResults), attrs);
    op.loc = opts.loc;
    opts.names?.forEach((n, i) => {
      if (op.results[i]) op.results[i]!.name = n;
    });
    this.block.insertBefore(op, this.before);
    return op;
  }

  /** Creates an op with one result and returns that result. */
  op(name: string, operands: readonly Value[], attrs: Record<string, Attr> | AttrDict = {}, opts: CreateOptions = {}): Value {
    return this.create(name, operands, attrs, opts).result(0);
  }

  /** A constant; `encoding` marks its type sparse, `resource` names its entry in the resource table. */
  constant(t: Tensor, opts: { name?: string; encoding?: Encoding; resource?: string; loc?: string } = {}): Value {
    const type = new TensorType(t.shape, t.elementType, opts.encoding);
    return this.create('nn.constant', [], { value: dense(t, opts.resource) }, { types: [type], names: [opts.name], ...(opts.loc ? { loc: opts.loc } : {}) }).result(0);
  }

  /** Ends the function: adds `return` and sets the signature's result types. */
  ret(values: readonly Value[], names?: readonly string[]): Op {
    const f = this.block.parent;
    const op = this.create('return', values, {}, { types: [] });
    if (f) {
      f.resultTypes = values.map((v) => v.type);
      f.resultAttrs = values.map((_, i) => {
        const n = names?.[i];
        return new Map<string, Attr>(n !== undefined ? [['name', { kind: 'string', value: n }]] : []);
      });
    }
    return op;
  }
}

/** Result types from the op definition's inference; fails when a result depends on run-time values. */
export function inferTypes(name: string, operands: readonly Value[], attrs: Record<string, Attr> | AttrDict, numResults?: number): TensorType[] {
  const def = getOpDef(name);
  if (!def) throw new Error(`unknown op '${name}'`);
  if (!def.infer) throw new Error(`${name} cannot infer its result types; pass types`);
  const n = numResults ?? def.results.filter((r) => !r.optional).length;
  // Inference reads the op (attributes, operands, result count), so it gets a detached probe.
  const probe = new Op(name, operands, new Array<TensorType>(n).fill(new TensorType([], 'f32')), attrs);
  try {
    return def.infer(new OpContext(probe, def)).slice(0, n).map((t, i) => {
      if (!t.elementType) throw new OpError(`the element type of result #${i} depends on run-time values; pass types`);
      if (!t.shape) throw new OpError(`the rank of result #${i} depends on run-time values; pass types`);
      return new TensorType(t.shape.map((d) => d ?? DYNAMIC), t.elementType);
    });
  } catch (e) {
    if (e instanceof OpError) throw new Error(`cannot create ${name}: ${e.message}`);
    throw e;
  } finally {
    probe.setOperands([]);
  }
}
