// The shape of an op table entry (OpDef) and the context its inference and verification rules
// read operands and attributes through. Dialect files (src/dialects) are tables of OpDefs.
import { asFloats, asInts, type Attr } from './attributes.js';
import type { Op } from './core.js';
import type { Tensor } from './tensor.js';
import { DYNAMIC, ELEMENT_TYPES, type Dim, type ElementType, type TensorType } from './types.js';

export type AttrType = 'int' | 'float' | 'bool' | 'string' | 'ints' | 'floats' | 'strings' | 'type' | 'tensor' | 'encoding';
type AttrJs = number | boolean | string | readonly number[] | readonly string[];

export interface AttrSpec {
  readonly type: AttrType;
  readonly doc?: string;
  readonly required?: boolean;
  /** The value an absent attribute has; a function when it depends on the operands (e.g. one stride per spatial dim). */
  readonly default?: AttrJs | ((c: OpContext) => AttrJs);
  /** For string attributes: the accepted values. */
  readonly oneOf?: readonly string[];
}

/** Element-type classes an operand or result accepts. */
export type TypeClass = 'any' | 'float' | 'numeric' | 'int' | 'index' | 'bool';

export interface OperandSpec {
  readonly name: string;
  readonly types?: TypeClass;
  /** Optional operands may only be omitted from the end of the operand list. */
  readonly optional?: boolean;
  /** Takes all remaining operands (one or more). */
  readonly variadic?: boolean;
  readonly doc?: string;
}

export interface ResultSpec {
  readonly name: string;
  readonly types?: TypeClass;
  readonly optional?: boolean;
  readonly variadic?: boolean;
}

/** What inference knows of a result: an unknown element type or dim is undefined (it depends on runtime values). */
export interface InferredType {
  readonly elementType: ElementType | undefined;
  readonly shape: readonly (Dim | undefined)[] | undefined;
}

/** Reference semantics: computes an op's results from its operands' values (filled in with the interpreter). */
export type InterpretFn = (c: OpContext, inputs: readonly Tensor[]) => Tensor[];

/** What is known of one channel (a slice along axis 1) of a tensor for every input: all zero, all one constant, or nothing. */
export type ChannelFact = { readonly k: 'Z' } | { readonly k: 'C'; readonly v: number } | { readonly k: 'L' };

/** How an operand's channels relate to result #0's channels (for mask propagation and channel elimination). */
export type ChannelMap =
  | { readonly kind: 'same'; readonly axis: number } // operand channel c (along `axis`) is result channel c
  | { readonly kind: 'offset'; readonly offset: number } // operand channel c is result channel c + offset (concat)
  | { readonly kind: 'slice'; readonly start: number; readonly count: number } // result channel c is operand channel start + c
  | { readonly kind: 'block'; readonly size: number } // operand channel c is result channels [c*size, (c+1)*size) (flatten)
  | { readonly kind: 'uniform' } // the operand is the same for every result channel (broadcast)
  | { readonly kind: 'weights' } // a conv/gemm input: channels mix through a constant weight
  | { readonly kind: 'opaque' }; // anything else: every channel may affect every channel

/** Per-operand facts (undefined: not a channel tensor) and constant values, as transfer functions see them. */
export interface MaskInputs {
  readonly facts: readonly (readonly ChannelFact[] | undefined)[];
  readonly consts: readonly (Tensor | undefined)[];
}

/**
 * Channel-mask transfer function (mask propagation): how per-channel facts (zero / constant / live)
 * flow forward to the results, and whether each operand channel is used, flowing backward.
 */
export interface MaskTransfer {
  readonly forward: (c: OpContext, in_: MaskInputs) => (ChannelFact[] | undefined)[];
  readonly backward: (c: OpContext, in_: MaskInputs, used: readonly (readonly boolean[] | undefined)[]) => (boolean[] | undefined)[];
  /** How each operand's channels map to result #0's (channel elimination reads it). */
  readonly map?: (c: OpContext) => ChannelMap[];
}

export interface OpDef {
  /** Full name with dialect prefix: `nn.conv`. */
  readonly name: string;
  readonly summary: string;
  /** The ONNX op type(s) this op stands for, if any. */
  readonly onnx?: string;
  readonly operands: readonly OperandSpec[];
  readonly results: readonly ResultSpec[];
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  /** Result types from operand types, attributes and constant operands. */
  readonly infer?: (c: OpContext) => InferredType[];
  /** Rules beyond operand/attribute schemas and inference; call c.fail() to reject. */
  readonly verify?: (c: OpContext) => void;
  /** A line of IR showing the op, for the docs. */
  readonly example?: string;
  readonly interpret?: InterpretFn;
  readonly mask?: MaskTransfer;
}

/** An error in an op's operands, attributes or types; the verifier adds the op's name and place. */
export class OpError extends Error {}

export const TYPE_CLASSES: Readonly<Record<TypeClass, (t: ElementType) => boolean>> = {
  any: () => true,
  float: (t) => ELEMENT_TYPES[t].kind === 'float',
  numeric: (t) => t !== 'bool',
  int: (t) => ELEMENT_TYPES[t].kind === 'int' || ELEMENT_TYPES[t].kind === 'uint',
  index: (t) => t === 'i64' || t === 'i32',
  bool: (t) => t === 'bool',
};

/** Read access to an op for its definition's rules: operand types, attributes with defaults, constants. */
export class OpContext {
  constructor(readonly op: Op, readonly def: OpDef) {}

  get numOperands(): number {
    return this.op.operands.length;
  }
  has(i: number): boolean {
    return i < this.op.operands.length;
  }
  type(i: number): TensorType {
    const v = this.op.operands[i];
    if (!v) this.fail(`missing operand #${i}`);
    return v.type;
  }
  /** Operand i's dims; a dynamic dim (`?`) reads as undefined, i.e. unknown to inference. */
  shape(i: number): readonly (Dim | undefined)[] {
    return this.type(i).shape.map((d) => (d === DYNAMIC ? undefined : d));
  }
  rank(i: number): number {
    return this.type(i).rank;
  }
  elementType(i: number): ElementType {
    return this.type(i).elementType;
  }

  fail(msg: string): never {
    throw new OpError(msg);
  }

  hasAttr(name: string): boolean {
    return this.op.attrs.has(name);
  }
  private attrOrDefault(name: string): Attr | AttrJs {
    const a = this.op.attrs.get(name);
    if (a) return a;
    const spec = this.def.attrs[name];
    if (!spec) this.fail(`op definition has no attribute '${name}'`);
    if (spec.default === undefined) this.fail(`missing required attribute '${name}'`);
    return typeof spec.default === 'function' ? spec.default(this) : spec.default;
  }
  int(name: string): number {
    const a = this.attrOrDefault(name);
    if (typeof a === 'number') return a;
    if (typeof a === 'object' && 'kind' in a && a.kind === 'int') return a.value;
    return this.fail(`attribute '${name}' must be an integer`);
  }
  float(name: string): number {
    const a = this.attrOrDefault(name);
    if (typeof a === 'number') return a;
    if (typeof a === 'object' && 'kind' in a && (a.kind === 'float' || a.kind === 'int')) return a.value;
    return this.fail(`attribute '${name}' must be a float`);
  }
  string(name: string): string {
    const a = this.attrOrDefault(name);
    if (typeof a === 'string') return a;
    if (typeof a === 'object' && 'kind' in a && a.kind === 'string') return a.value;
    return this.fail(`attribute '${name}' must be a string`);
  }
  ints(name: string): number[] {
    const a = this.attrOrDefault(name);
    if (Array.isArray(a)) return [...(a as number[])];
    const v = typeof a === 'object' && 'kind' in a ? asInts(a) : undefined;
    return v ?? this.fail(`attribute '${name}' must be an array of integers`);
  }
  floats(name: string): number[] {
    const a = this.attrOrDefault(name);
    if (Array.isArray(a)) return [...(a as number[])];
    const v = typeof a === 'object' && 'kind' in a ? asFloats(a) : undefined;
    return v ?? this.fail(`attribute '${name}' must be an array of floats`);
  }
  /** Attribute `name` when present, else undefined (no default). */
  raw(name: string): Attr | undefined {
    return this.op.attrs.get(name);
  }

  /** The value of operand i when it is produced by a constant op with its data in the IR. */
  constant(i: number): Tensor | undefined {
    const def = this.op.operands[i]?.definingOp;
    if (!def || def.name !== 'nn.constant') return undefined;
    const v = def.attrs.get('value');
    return v?.kind === 'dense' ? v.value : undefined;
  }
  /** Operand i as integers, when it is a constant. */
  constInts(i: number): number[] | undefined {
    const t = this.constant(i);
    if (!t) return undefined;
    const out: number[] = [];
    for (let k = 0; k < t.size; k++) out.push(Number(t.get(k)));
    return out;
  }
}
