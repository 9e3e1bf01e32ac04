// The IR's structure: Module > Func > Block > Op, with SSA Values that know their uses, so that
// rewrites (replace all uses, erase, insert) are cheap. Ops live in an intrusive doubly-linked list.
import type { Attr, AttrDict } from './attributes.js';
import type { TensorType } from './types.js';

export interface Use {
  readonly owner: Op;
  readonly index: number;
}

/** Where an op or value was written in a text file (1-based). */
export interface SourcePos {
  readonly line: number;
  readonly col: number;
}

export class Value {
  /** Every (op, operand index) that reads this value. */
  readonly uses: Use[] = [];
  /** A name to print (`%conv1`); the printer makes names unique and falls back to numbers. */
  name: string | undefined;

  constructor(
    public type: TensorType,
    /** The op that produces it, or the block whose argument it is. */
    readonly owner: Op | Block,
    readonly index: number,
  ) {}

  get definingOp(): Op | undefined {
    return this.owner instanceof Op ? this.owner : undefined;
  }
  get isBlockArgument(): boolean {
    return this.owner instanceof Block;
  }
  /** Distinct ops that use this value, in use order. */
  get users(): Op[] {
    return [...new Set(this.uses.map((u) => u.owner))];
  }
  get hasUses(): boolean {
    return this.uses.length > 0;
  }

  replaceAllUsesWith(v: Value): void {
    if (v === this) return;
    for (const u of [...this.uses]) u.owner.setOperand(u.index, v);
  }
}

export class Op {
  private _operands: Value[] = [];
  readonly results: Value[];
  readonly attrs: AttrDict;
  parent: Block | undefined;
  prev: Op | undefined;
  next: Op | undefined;
  /** A label for where this op came from (an ONNX node name); printed as `loc("...")`. */
  loc: string | undefined;
  /** Where the op was parsed from, for error messages; not printed. */
  pos: SourcePos | undefined;

  constructor(readonly name: string, operands: readonly Value[], resultTypes: readonly TensorType[], attrs?: AttrDict | Record<string, Attr>) {
    this.attrs = attrs instanceof Map ? new Map(attrs) : new Map(Object.entries(attrs ?? {}));
    this.results = resultTypes.map((t, i) => new Value(t, this, i));
    this.setOperands(operands);
  }

  get operands(): readonly Value[] {
    return this._operands;
  }
  operand(i: number): Value {
    const v = this._operands[i];
    if (!v) throw new Error(`${this.name} has no operand #${i}`);
    return v;
  }
  result(i = 0): Value {
    const v = this.results[i];
    if (!v) throw new Error(`${this.name} has no result #${i}`);
    return v;
  }

  setOperand(i: number, v: Value): void {
    const old = this._operands[i];
    if (!old) throw new Error(`${this.name} has no operand #${i}`);
    if (old === v) return;
    removeUse(old, this, i);
    this._operands[i] = v;
    v.uses.push({ owner: this, index: i });
  }

  setOperands(vs: readonly Value[]): void {
    for (const v of new Set(this._operands)) removeUsesBy(v, this);
    this._operands = [...vs];
    this._operands.forEach((v, i) => v.uses.push({ owner: this, index: i }));
  }

  attr(name: string): Attr | undefined {
    return this.attrs.get(name);
  }
  setAttr(name: string, a: Attr): void {
    this.attrs.set(name, a);
  }

  /** Takes the op out of its block and drops its operand uses; its results must be unused. */
  erase(): void {
    const used = this.results.find((r) => r.hasUses);
    if (used) throw new Error(`cannot erase ${this.name}: result #${used.index} still has ${used.uses.length} use(s)`);
    this.setOperands([]);
    this.parent?.unlink(this);
  }

  /** Replaces each result's uses with the given values, then erases this op. */
  replaceWith(values: readonly Value[]): void {
    if (values.length !== this.results.length) {
      throw new Error(`${this.name} has ${this.results.length} result(s), replacement has ${values.length}`);
    }
    this.results.forEach((r, i) => r.replaceAllUsesWith(values[i]!));
    this.erase();
  }
}

function removeUse(v: Value, owner: Op, index: number): void {
  // From the end: the use most recently added is the likeliest to go (builders, rewrites).
  for (let k = v.uses.length - 1; k >= 0; k--) {
    const u = v.uses[k]!;
    if (u.owner === owner && u.index === index) {
      v.uses.splice(k, 1);
      return;
    }
  }
}

/** Drops every use of v by owner in one pass (linear in v's uses, however many operands owner has). */
function removeUsesBy(v: Value, owner: Op): void {
  let w = 0;
  for (const u of v.uses) if (u.owner !== owner) v.uses[w++] = u;
  v.uses.length = w;
}

export class Block {
  readonly args: Value[] = [];
  first: Op | undefined;
  last: Op | undefined;
  parent: Func | undefined;

  addArgument(type: TensorType, name?: string): Value {
    const v = new Value(type, this, this.args.length);
    v.name = name;
    this.args.push(v);
    return v;
  }

  *[Symbol.iterator](): IterableIterator<Op> {
    for (let op = this.first; op; ) {
      const next = op.next; // safe against erasing the current op
      yield op;
      op = next;
    }
  }
  get ops(): Op[] {
    return [...this];
  }
  /** The block's last op when it is a `return`. */
  get terminator(): Op | undefined {
    return this.last?.name === 'return' ? this.last : undefined;
  }

  append(op: Op): Op {
    return this.insertBefore(op, undefined);
  }
  /** Inserts `op` before `ref` (at the end when `ref` is undefined). */
  insertBefore(op: Op, ref: Op | undefined): Op {
    if (op.parent) throw new Error(`${op.name} is already in a block`);
    if (ref && ref.parent !== this) throw new Error(`insertion point ${ref.name} is not in this block`);
    op.parent = this;
    op.next = ref;
    op.prev = ref ? ref.prev : this.last;
    if (op.prev) op.prev.next = op;
    else this.first = op;
    if (ref) ref.prev = op;
    else this.last = op;
    return op;
  }
  insertAfter(op: Op, ref: Op): Op {
    return this.insertBefore(op, ref.next);
  }
  /** Removes `op` from the list without touching its uses (see Op.erase). */
  unlink(op: Op): void {
    if (op.parent !== this) throw new Error(`${op.name} is not in this block`);
    if (op.prev) op.prev.next = op.next;
    else this.first = op.next;
    if (op.next) op.next.prev = op.prev;
    else this.last = op.prev;
    op.parent = op.prev = op.next = undefined;
  }
}

export class Func {
  readonly body = new Block();
  /** Per-argument and per-result attributes, e.g. `{name = "input.1"}` for the ONNX name. */
  readonly argAttrs: AttrDict[] = [];
  resultAttrs: AttrDict[] = [];
  pos: SourcePos | undefined;

  constructor(public name: string, public resultTypes: TensorType[] = []) {
    this.body.parent = this;
  }

  get args(): Value[] {
    return this.body.args;
  }
  addArgument(type: TensorType, name?: string, attrs?: AttrDict): Value {
    this.argAttrs.push(attrs ?? new Map());
    return this.body.addArgument(type, name);
  }
  /** The values the function returns (operands of its `return`). */
  get returnValues(): readonly Value[] {
    return this.body.terminator?.operands ?? [];
  }
  /** Every op, in order. */
  get ops(): Op[] {
    return this.body.ops;
  }
}

export class Module {
  readonly funcs: Func[] = [];

  addFunc(f: Func): Func {
    this.funcs.push(f);
    return f;
  }
  func(name: string): Func | undefined {
    return this.funcs.find((f) => f.name === name);
  }
  /** Every op of every function. */
  *walk(): IterableIterator<Op> {
    for (const f of this.funcs) yield* f.body;
  }
}
