// The verifier: SSA dominance, use-def consistency, op and attribute schemas, encodings, and
// declared types against each op's inference. Every message names the op, where it is, and the value.
import { UserError } from '../util/errors.js';
import { getOpDef, allOpDefs } from '../dialects/index.js';
import type { Attr } from './attributes.js';
import type { Func, Module, Op, Value } from './core.js';
import { ENCODINGS } from './encodings.js';
import { OpContext, OpError, TYPE_CLASSES, type AttrSpec, type OpDef } from './opdef.js';
import { printOp, valueName } from './printer.js';
import { encodingViolation } from './sparse-data.js';
import { DYNAMIC, printType, type TensorType } from './types.js';
import { didYouMean } from '../util/suggest.js';
import { elide } from '../util/limits.js';

export interface Diagnostic {
  /** One line: where, which op, what is wrong. */
  readonly message: string;
  /** The offending op as printed IR, when there is one. */
  readonly snippet?: string;
  readonly op?: Op;
  readonly func?: Func;
}

export class VerifyError extends UserError {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more error${diagnostics.length > 2 ? 's' : ''})` : '';
    super(`${diagnostics[0]?.message ?? 'invalid IR'}${more}`);
    this.name = 'VerifyError';
  }
}

/** Checks the module; returns every problem found (empty when it is valid). */
export function verify(m: Module): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const f of m.funcs) {
    if (seen.has(f.name)) out.push({ func: f, message: `${funcWhere(f)}: function @${f.name} is defined twice` });
    seen.add(f.name);
    verifyFunc(f, out);
  }
  return out;
}

export function verifyOrThrow(m: Module, file?: string): void {
  const d = verify(m);
  if (d.length) throw new VerifyError(file ? d.map((x) => ({ ...x, message: `${file}:${x.message}` })) : d);
}

function funcWhere(f: Func): string {
  return f.pos ? `${f.pos.line}:${f.pos.col}` : `@${f.name}`;
}

/** `12:5: nn.conv "conv1"` or `@main op #3: nn.conv`: where an op is and what it is. */
export function describeOp(op: Op): string {
  const f = op.parent?.parent;
  let where: string;
  if (op.pos) where = `${op.pos.line}:${op.pos.col}`;
  else {
    let idx = -1;
    if (op.parent) for (let p: Op | undefined = op; p; p = p.prev) idx++;
    where = `${f ? '@' + f.name : 'detached'} op #${idx}`;
  }
  return `${where}: ${op.name}${op.loc !== undefined ? ` ${JSON.stringify(op.loc)}` : ''}`;
}

function verifyFunc(f: Func, out: Diagnostic[]): void {
  const report = (op: Op, msg: string) => out.push({ op, func: f, message: `${describeOp(op)}: ${msg}`, get snippet() { return printOp(op); } });
  const defined = new Set<Value>(f.args);
  const inFunc = new Set<Op>(f.body);
  const term = f.body.last;
  if (!term || term.name !== 'return') {
    out.push({ func: f, message: `${funcWhere(f)}: function @${f.name} must end with 'return'` });
  }
  if (f.argAttrs.length !== f.args.length || f.resultAttrs.length !== f.resultTypes.length) {
    out.push({ func: f, message: `${funcWhere(f)}: function @${f.name} has attribute lists that do not match its arguments/results` });
  }
  const funcReport = (msg: string) => out.push({ func: f, message: `${funcWhere(f)}: func @${f.name}: ${msg}` });
  f.args.forEach((a, i) => checkType(a.type, () => `argument #${i} (${valueName(a)})`, funcReport));
  // How many operand slots read each value: with every use valid and none listed twice, equal
  // counts mean each operand lists its use (checked once per value, linear in all uses).
  const reads = new Map<Value, number>();
  f.resultTypes.forEach((t, i) => checkType(t, () => `result #${i}`, funcReport));
  for (const op of f.body) {
    op.operands.forEach((v, i) => {
      if (!defined.has(v)) {
        const d = v.definingOp;
        const msg = d && inFunc.has(d)
          ? `operand #${i} (${valueName(v)}) is used before its definition at ${describeOp(d)}`
          : `operand #${i} is not defined in @${f.name} (its producer ${d ? d.name + ' was erased or belongs elsewhere' : 'is another block'})`;
        report(op, msg);
      }
      reads.set(v, (reads.get(v) ?? 0) + 1);
    });
    if (op.name === 'return' && op !== term) report(op, "'return' must be the last op of the function");
    verifyOp(op, (msg) => report(op, msg));
    for (const r of op.results) defined.add(r);
  }
  for (const a of f.args) checkUses(a, reads.get(a) ?? 0, inFunc, f, out, report);
  for (const op of f.body) for (const r of op.results) checkUses(r, reads.get(r) ?? 0, inFunc, f, out, report);
  if (term?.name === 'return') {
    const rv = term.operands;
    if (rv.length !== f.resultTypes.length) report(term, `returns ${rv.length} value(s), the signature of @${f.name} declares ${f.resultTypes.length}`);
    rv.forEach((v, i) => {
      const t = f.resultTypes[i];
      if (t && !v.type.equals(t)) report(term, `result #${i} (${valueName(v)}) has type ${printType(v.type)}, the signature declares ${printType(t)}`);
    });
  }
}

/** v's uses are exactly the operand slots that read it (`reads` of them in the function). */
function checkUses(v: Value, reads: number, inFunc: Set<Op>, f: Func, out: Diagnostic[], report: (op: Op, msg: string) => void): void {
  const seen = new Map<Op, Set<number>>();
  let valid = 0;
  for (const u of v.uses) {
    if (!inFunc.has(u.owner) || u.owner.operands[u.index] !== v) {
      out.push({ func: f, message: `@${f.name}: use-def chain broken: ${valueName(v)} lists a use by ${u.owner.name} (operand #${u.index}) that ${inFunc.has(u.owner) ? 'reads another value' : 'is not in the function'}` });
      continue;
    }
    let at = seen.get(u.owner);
    if (!at) seen.set(u.owner, (at = new Set()));
    if (at.has(u.index)) {
      out.push({ func: f, message: `@${f.name}: use-def chain broken: ${valueName(v)} lists its use by ${u.owner.name} (operand #${u.index}) twice` });
      continue;
    }
    at.add(u.index);
    valid++;
  }
  if (valid === reads) return;
  // Some operand reads v without a use listed: find it (only on this error path).
  for (const op of f.body) {
    op.operands.forEach((x, i) => {
      if (x === v && !seen.get(op)?.has(i)) report(op, `use-def chain broken: operand #${i} (${valueName(v)}) does not list this op as a user`);
    });
  }
}

/** Checks one op against its definition. */
export function verifyOp(op: Op, report: (msg: string) => void): void {
  for (const r of op.results) checkType(r.type, () => `result #${r.index}`, report);
  const def = getOpDef(op.name);
  if (!def) {
    report(`unknown op '${op.name}'${suggest(op.name)}`);
    return;
  }
  if (!checkArity(op, def, report)) return;
  def.operands.forEach((spec, i) => {
    const vs = spec.variadic ? op.operands.slice(i) : op.operands.slice(i, i + 1);
    for (const [k, v] of vs.entries()) {
      if (spec.types && !TYPE_CLASSES[spec.types](v.type.elementType)) {
        report(`operand #${i + k} (${spec.name}) has element type ${v.type.elementType}, expected ${spec.types}`);
      }
    }
  });
  for (const [name, a] of op.attrs) {
    const spec = def.attrs[name];
    if (!spec && name.startsWith('analysis.')) continue; // results of analyses, on any op
    if (!spec) report(`unknown attribute '${elide(name)}'; ${op.name} accepts ${Object.keys(def.attrs).sort().join(', ') || 'no attributes'}`);
    else {
      const why = attrMismatch(a, spec);
      if (why) report(`attribute '${name}' ${why}`);
    }
  }
  for (const [name, spec] of Object.entries(def.attrs)) {
    if (spec.required && !op.attrs.has(name)) report(`missing required attribute '${name}' (${spec.type})`);
  }
  if (op.name === 'nn.constant') checkConstant(op, report);
  const c = new OpContext(op, def);
  try {
    def.verify?.(c);
    if (def.infer) checkInferred(op, def.infer(c), report);
  } catch (e) {
    if (e instanceof OpError) report(e.message);
    else throw e;
  }
}

function checkArity(op: Op, def: OpDef, report: (msg: string) => void): boolean {
  const count = (specs: OpDef['operands']) => {
    const min = specs.filter((s) => !s.optional).length;
    const max = specs.some((s) => s.variadic) ? Infinity : specs.length;
    return { min, max };
  };
  const names = (specs: OpDef['operands']) => specs.map((s) => `${s.name}${s.variadic ? '...' : ''}${s.optional ? '?' : ''}`).join(', ');
  const o = count(def.operands), r = count(def.results);
  let ok = true;
  const n = op.operands.length, m = op.results.length;
  if (n < o.min || n > o.max) {
    report(`has ${n} operand(s), expected ${o.min === o.max ? o.min : o.max === Infinity ? `at least ${o.min}` : `${o.min} to ${o.max}`} (${names(def.operands)})`);
    ok = false;
  }
  if (m < r.min || m > r.max) {
    report(`has ${m} result(s), expected ${r.min === r.max ? r.min : r.max === Infinity ? `at least ${r.min}` : `${r.min} to ${r.max}`} (${names(def.results)})`);
    ok = false;
  }
  return ok;
}

/** Whether an attribute value has the kind its spec declares (an int is accepted as a float). */
function attrHasKind(a: Attr, type: AttrSpec['type']): boolean {
  const arrayOf = (...kinds: Attr['kind'][]) => a.kind === 'array' && a.value.every((x) => kinds.includes(x.kind));
  switch (type) {
    case 'int': return a.kind === 'int';
    case 'float': return a.kind === 'float' || a.kind === 'int';
    case 'bool': return a.kind === 'bool';
    case 'string': return a.kind === 'string';
    case 'ints': return arrayOf('int');
    case 'floats': return arrayOf('float', 'int');
    case 'strings': return arrayOf('string');
    case 'type': return a.kind === 'type';
    case 'tensor': return a.kind === 'dense' || a.kind === 'elided';
    case 'encoding': return a.kind === 'encoding';
  }
}

function attrMismatch(a: Attr, spec: AttrSpec): string | undefined {
  if (!attrHasKind(a, spec.type)) return `must be ${spec.type === 'ints' ? 'an array of integers' : spec.type === 'floats' ? 'an array of floats' : `of kind ${spec.type}`}, got ${a.kind}`;
  if (spec.oneOf && a.kind === 'string' && !spec.oneOf.includes(a.value)) return `is "${elide(a.value)}", expected one of ${spec.oneOf.map((s) => `"${s}"`).join(', ')}`;
  return undefined;
}

/** A type's dims (integers from 0 to 2^53 - 1, so they print and parse back exactly) and its encoding. */
function checkType(t: TensorType, what: () => string, report: (msg: string) => void): void {
  const bad = t.shape.find((d) => typeof d === 'number' && !(Number.isSafeInteger(d) && d >= 0));
  if (bad !== undefined) report(`${what()} has dim ${bad}; static dims must be integers from 0 to ${Number.MAX_SAFE_INTEGER}`);
  if (t.encoding) checkEncoding(t, what(), report);
}

function checkEncoding(t: TensorType, what: string, report: (msg: string) => void): void {
  if (!t.encoding) return;
  const why = ENCODINGS[t.encoding.kind].checkType(t.encoding, t);
  if (why) report(`${what} type ${printType(t)}: encoding ${why}`);
}

function checkConstant(op: Op, report: (msg: string) => void): void {
  const v = op.attrs.get('value');
  const t = op.results[0]?.type;
  if (v?.kind !== 'dense' || !t?.encoding) return;
  const why = encodingViolation(v.value, t.encoding);
  if (why) report(`value does not satisfy its encoding: ${why}`);
}

function checkInferred(op: Op, inferred: ReturnType<NonNullable<OpDef['infer']>>, report: (msg: string) => void): void {
  inferred.forEach((inf, i) => {
    const r = op.results[i];
    if (!r) return;
    const t = r.type;
    // Unknown parts (they depend on run-time values) print as `?`.
    const dims = inf.shape ? inf.shape.map((d) => (d === undefined ? '?' : typeof d === 'string' ? `{${d}}` : String(d))) : ['*'];
    const want = `tensor<${[...dims, inf.elementType ?? '?'].join('x')}>`;
    const bad = (inf.elementType !== undefined && inf.elementType !== t.elementType) ||
      (inf.shape !== undefined && (inf.shape.length !== t.rank || inf.shape.some((d, k) => d !== undefined && t.shape[k] !== DYNAMIC && d !== t.shape[k])));
    if (bad) report(`result #${i} (${valueName(r)}) has type ${elide(printType(t))}, expected ${elide(want)} from its operands and attributes`);
  });
}

function suggest(name: string): string {
  return didYouMean(name, allOpDefs().map((d) => d.name));
}
