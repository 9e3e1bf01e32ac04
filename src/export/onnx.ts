// IR back to ONNX (`sparsec export`): so that what the passes made (channels eliminated, batch norms
// folded, pruned or N:M weights) runs in any ONNX runtime. The nn dialect mirrors ONNX at its latest
// opset (operands where ONNX has inputs, its attribute names), so most ops map one to one: nn.max_pool
// is MaxPool with its attributes. What sparsec added is undone: sparse ops become their nn op with
// the weight written dense (a sparse Conv's 2-d weight reshaped to its kernel), a fused activation
// becomes its own node, a MatMul's bias an Add. An op without an ONNX form is one error naming it.
import type { Attr } from '../ir/attributes.js';
import type { Func, Module, Op, Value } from '../ir/core.js';
import { Tensor } from '../ir/tensor.js';
import type { ElementType } from '../ir/types.js';
import { A, OnnxGraphBuilder } from '../onnx/build.js';
import { onnxDtypeOf, type AttributeProto } from '../onnx/proto.js';
import { CONVERTERS } from '../importer/ops/index.js';
import { getOpDef } from '../dialects/index.js';
import { constData } from '../pass/helpers.js';
import { UserError } from '../util/errors.js';

/** The opset written: the nn dialect follows the latest conventions (axes and pads as inputs). */
export const EXPORT_OPSET = 21;

export class ExportError extends UserError {
  override name = 'ExportError';
}

/** Attributes sparsec adds for its own passes and kernels: not written. */
const SPARSEC_ATTRS = new Set(['activation', 'activation_params', 'format_reason']);

const describe = (op: Op) => `${op.name}${op.loc ? ` "${op.loc}"` : ''}`;

/** The ONNX op type of an IR op (a sparse op's is its nn op's), from the op definitions; or an error naming it. */
function opTypeOf(op: Op): string {
  const t = getOpDef(op.name.replace(/^sparse\./, 'nn.'))?.onnx;
  if (!t || !CONVERTERS.has(t)) throw new ExportError(`export: ${describe(op)} has no ONNX form`);
  return t;
}

function attrOf(op: Op, name: string, a: Attr): AttributeProto | undefined {
  switch (a.kind) {
    case 'int': return A.i(a.value);
    case 'float': return A.f(a.value);
    case 'bool': return A.i(a.value ? 1 : 0);
    case 'string': return A.s(a.value);
    case 'type': return A.i(onnxDtypeOf(typeof a.value === 'string' ? a.value : a.value.elementType));
    case 'dense': return A.t(a.value);
    case 'array': {
      if (a.value.every((x) => x.kind === 'int')) return A.ints(a.value.map((x) => (x as { value: number }).value));
      if (a.value.every((x) => x.kind === 'int' || x.kind === 'float')) return A.floats(a.value.map((x) => (x as { value: number }).value));
      if (a.value.every((x) => x.kind === 'string')) return { type: 8, strings: a.value.map((x) => new TextEncoder().encode((x as { value: string }).value)) };
      break;
    }
    default: break;
  }
  throw new ExportError(`export: ${describe(op)}: attribute '${name}' (${a.kind}) has no ONNX form`);
}

/** A fused activation as ONNX nodes after `y`; returns the output name. */
function activationNodes(g: OnnxGraphBuilder, op: Op, y: string, out: string, et: ElementType): string {
  const a = op.attrs.get('activation');
  const act = a?.kind === 'string' ? a.value : 'none';
  const params = (() => {
    const p = op.attrs.get('activation_params');
    return p?.kind === 'array' ? p.value.map((x) => Number((x as { value: number }).value)) : [];
  })();
  switch (act) {
    case 'none': return g.op('Identity', [y], {}, out);
    case 'relu': return g.op('Relu', [y], {}, out);
    case 'sigmoid': return g.op('Sigmoid', [y], {}, out);
    case 'tanh': return g.op('Tanh', [y], {}, out);
    case 'hard_swish': return g.op('HardSwish', [y], {}, out);
    case 'leaky_relu': return g.op('LeakyRelu', [y], { alpha: A.f(params[0] ?? 0.01) }, out);
    case 'gelu': return g.op('Gelu', [y], {}, out);
    case 'gelu_tanh': return g.op('Gelu', [y], { approximate: A.s('tanh') }, out);
    case 'clip': {
      const bound = (v: number, k: string) => g.initializer(`${out}_${k}`, Tensor.from(et, [], [v]));
      return g.op('Clip', [y, bound(params[0] ?? -Infinity, 'min'), bound(params[1] ?? Infinity, 'max')], {}, out);
    }
    default: throw new ExportError(`export: ${describe(op)}: fused activation '${act}' has no ONNX form`);
  }
}

/** Writes one function as an ONNX model (bytes). */
export function exportOnnx(module: Module): Uint8Array {
  if (module.funcs.length !== 1) throw new ExportError(`export: the module has ${module.funcs.length} functions; an ONNX model is one graph`);
  return exportFunc(module.funcs[0]!);
}

function exportFunc(f: Func): Uint8Array {
  const g = new OnnxGraphBuilder(f.name);
  const names = new Map<Value, string>();
  const used = new Set<string>();
  const unique = (want: string | undefined): string => {
    let n = want && want.length ? want : `v${used.size}`;
    for (let k = 1; used.has(n); k++) n = `${want ?? 'v'}_${k}`;
    used.add(n);
    return n;
  };
  // constants become initializers where they are used (a sparse Conv's 2-d weight is not: its kernel-shaped copy is)
  const nameOf = (v: Value): string => {
    const known = names.get(v);
    if (known !== undefined) return known;
    if (v.definingOp?.name !== 'nn.constant') throw new ExportError('export: internal: a value is used before it is defined');
    const t = constData(v);
    if (!t) throw new ExportError(`export: ${describe(v.definingOp)}: its value is elided (print the IR without --elide-weights)`);
    const n = g.initializer(unique(v.name), t);
    names.set(v, n);
    return n;
  };
  const attrName = (attrs: ReadonlyMap<string, Attr> | undefined) => {
    const a = attrs?.get('name');
    return a?.kind === 'string' ? a.value : undefined;
  };
  f.args.forEach((a, i) => {
    const n = unique(attrName(f.argAttrs[i]) ?? a.name ?? `input_${i}`);
    names.set(a, n);
    g.input(n, a.type.elementType as ElementType, a.type.shape.map((d) => (typeof d === 'number' ? d : String(d))));
  });
  for (const op of f.ops) {
    if (op.name === 'return') continue;
    if (op.name === 'nn.constant') continue;
    exportOp(g, op, names, nameOf, unique);
  }
  f.returnValues.forEach((v, i) => {
    const out = unique(attrName(f.resultAttrs[i]) ?? `output_${i}`);
    g.op('Identity', [nameOf(v)], {}, out);
    g.output(out, v.type.elementType as ElementType, v.type.shape.map((d) => (typeof d === 'number' ? d : String(d))));
  });
  return g.model(EXPORT_OPSET, 10);
}

function exportOp(g: OnnxGraphBuilder, op: Op, names: Map<Value, string>, nameOf: (v: Value) => string, unique: (n?: string) => string): void {
  const type = opTypeOf(op);
  const inputs = op.operands.map((v, i) => {
    // a sparse Conv's weight is its 2-d view: back to [M, C / group, ...kernel]
    if (i === 1 && op.name === 'sparse.conv' && v.type.rank === 2) {
      const t = constData(v)!, ks = op.attrs.get('kernel_shape');
      const kernel = ks?.kind === 'array' ? ks.value.map((x) => Number((x as { value: number }).value)) : [];
      const M = t.shape[0]!, k = kernel.reduce((a, b) => a * b, 1);
      return g.initializer(unique(`${v.name ?? 'w'}_kernel`), new Tensor(t.elementType, [M, t.shape[1]! / k, ...kernel], t.data));
    }
    return nameOf(v);
  });
  const attrs: Record<string, AttributeProto> = {};
  // the attributes the op's definition declares (analysis facts and sparsec's own are not ONNX's)
  const declared = getOpDef(op.name.replace(/^sparse\./, 'nn.'))?.attrs ?? {};
  for (const [k, a] of op.attrs) {
    if (SPARSEC_ATTRS.has(k) || !(k in declared)) continue;
    const p = attrOf(op, k, a);
    if (p) attrs[k] = p;
  }
  const fused = op.attrs.has('activation') && !(op.attrs.get('activation')?.kind === 'string' && (op.attrs.get('activation') as { value: string }).value === 'none');
  const matmulBias = type === 'MatMul' && inputs.length > 2;
  const outs = op.results.map((r) => unique(r.name));
  if (!fused && !matmulBias) {
    g.node(type, inputs, attrs, outs);
  } else {
    const y = op.result(0), et = y.type.elementType as ElementType;
    let cur = g.node(type, matmulBias ? inputs.slice(0, 2) : inputs, attrs, [unique(`${outs[0]}_sum`)])[0]!;
    if (matmulBias) cur = g.op('Add', [cur, inputs[2]!], {}, fused ? unique(`${outs[0]}_biased`) : outs[0]);
    if (fused) activationNodes(g, op, cur, outs[0]!, et);
  }
  op.results.forEach((r, i) => names.set(r, outs[i]!));
}
