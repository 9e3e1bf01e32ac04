// Random valid ONNX nets for the differential fuzzer: chains of layers in every element type the
// wasm target takes, with odd and 0-size shapes and weights that are dense, unstructured-sparse,
// N:M or block-sparse, so that every format the passes can choose gets exercised.
import { A, OnnxGraphBuilder } from '../onnx/build.js';
import { Tensor } from '../ir/tensor.js';
import { ELEMENT_TYPES, type ElementType } from '../ir/types.js';

export type Rng = () => number;

/** Element types the fuzzer builds nets in (what the wasm target accepts, f16 excepted). */
export const NET_TYPES = ['f32', 'f64', 'i32', 'i64', 'u32', 'u64', 'i16', 'u16', 'i8', 'u8'] as const;
type NetType = (typeof NET_TYPES)[number];
const FLOATS: readonly NetType[] = ['f32', 'f64'];
/** Types ONNX's MatMul and Gemm take (besides f16/bf16). */
const LINEAR_TYPES: readonly NetType[] = ['f32', 'f64', 'i32', 'i64', 'u32', 'u64'];

export interface RandomNet {
  model: Uint8Array;
  /** One input tensor per graph input. */
  inputs: Tensor[];
  /** What the net is, one line (for findings). */
  summary: string;
}

export const pick = <T>(r: Rng, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** A value of type et: small for integers (products stay exact) unless extreme (near the type's limits), finite for floats. */
export function randomScalar(r: Rng, et: ElementType, extreme = false): number | bigint {
  const info = ELEMENT_TYPES[et];
  if (info.kind === 'float') {
    const x = r() * 2 - 1;
    if (!extreme) return x;
    // Large and tiny, never Inf or NaN: with them, whether a zero weight meets a NaN (sparse and
    // interpreter kernels skip it, a dense SIMD kernel multiplies) decides the result, which no
    // oracle can check. Non-finite values have targeted tests instead (targets/wasm/regressions.test.ts).
    const k = r();
    return k < 0.1 ? x * 1e4 : k < 0.2 ? x * 1e-30 : x;
  }
  const unsigned = info.kind === 'uint';
  if (et === 'i64' || et === 'u64') {
    if (extreme && r() < 0.3) return unsigned ? 2n ** 64n - 1n - BigInt(int(r, 0, 5)) : (r() < 0.5 ? 2n ** 63n - 1n - BigInt(int(r, 0, 5)) : -(2n ** 63n) + BigInt(int(r, 0, 5)));
    return BigInt(unsigned ? int(r, 0, 20) : int(r, -20, 20));
  }
  if (info.kind === 'bool') return r() < 0.5 ? 1 : 0;
  if (extreme && r() < 0.3) {
    const bits = info.bytes * 8;
    return unsigned ? 2 ** bits - 1 - int(r, 0, 3) : (r() < 0.5 ? 2 ** (bits - 1) - 1 - int(r, 0, 3) : -(2 ** (bits - 1)) + int(r, 0, 3));
  }
  return unsigned ? int(r, 0, 9) : int(r, -9, 9);
}

export function randomTensor(r: Rng, et: ElementType, shape: readonly number[], opts: { density?: number; extreme?: boolean } = {}): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const zero = et === 'i64' || et === 'u64' ? 0n : 0;
  const vals = Array.from({ length: n }, () => (opts.density !== undefined && r() >= opts.density ? zero : randomScalar(r, et, opts.extreme)));
  return Tensor.from(et, shape, vals);
}

/** A [K, N] weight in one of the sparsity structures the passes look for (zeros along K). */
function structuredWeight(r: Rng, et: ElementType, K: number, N: number): { t: Tensor; kind: string } {
  const kind = pick(r, ['dense', 'sparse90', 'sparse60', 'nm24', 'nm12', 'block4', 'zero-cols']);
  const t = randomTensor(r, et, [K, N], kind === 'sparse90' ? { density: 0.1 } : kind === 'sparse60' ? { density: 0.4 } : {});
  const zero = (k: number, n: number) => t.set(k * N + n, 0);
  if (kind === 'nm24' || kind === 'nm12') {
    const [keep, m] = kind === 'nm24' ? [2, 4] : [1, 2];
    for (let n = 0; n < N; n++) for (let g = 0; g < K; g += m) {
      const kept = new Set<number>();
      while (kept.size < Math.min(keep, K - g)) kept.add(g + int(r, 0, Math.min(m, K - g) - 1));
      for (let k = g; k < Math.min(g + m, K); k++) if (!kept.has(k)) zero(k, n);
    }
  } else if (kind === 'block4') {
    for (let k0 = 0; k0 < K; k0 += 4) for (let n0 = 0; n0 < N; n0 += 4) {
      if (r() < 0.6) for (let k = k0; k < Math.min(k0 + 4, K); k++) for (let n = n0; n < Math.min(n0 + 4, N); n++) zero(k, n);
    }
  } else if (kind === 'zero-cols') {
    for (let n = 0; n < N; n++) if (r() < 0.5) for (let k = 0; k < K; k++) zero(k, n);
  }
  return { t, kind };
}

interface State { name: string; shape: number[]; et: NetType }

/** One layer: returns the new state, or undefined when the layer does not apply to this state. */
type Layer = (g: OnnxGraphBuilder, r: Rng, s: State, notes: string[]) => State | undefined;

const linear: Layer = (g, r, s, notes) => {
  if (!LINEAR_TYPES.includes(s.et) || s.shape.length < 1) return undefined;
  const K = s.shape[s.shape.length - 1]!, N = pick(r, [1, 3, 4, 5, 8, 16]);
  const { t, kind } = structuredWeight(r, s.et, K, N);
  const float = FLOATS.includes(s.et);
  if (s.shape.length === 2 && r() < 0.5) {
    const transB = r() < 0.5;
    const w = transB ? transpose2(t) : t;
    const M = s.shape[0]!;
    const cShape = pick(r, [[N], [1, N], [M, N], [1], []]);
    const c = r() < 0.7 ? [g.initializer(`c${g.nodes.length}`, randomTensor(r, s.et, cShape))] : [];
    const attrs = { transB: A.i(transB ? 1 : 0), ...(float && r() < 0.5 ? { alpha: A.f(pick(r, [0.5, -2, 1])), beta: A.f(pick(r, [0, 1, 3])) } : {}) };
    notes.push(`Gemm ${M}x${K}x${N} ${s.et} ${kind}${transB ? ' transB' : ''}${c.length ? ` C[${cShape.join('x')}]` : ''}`);
    return { name: g.op('Gemm', [s.name, g.initializer(`w${g.nodes.length}`, w), ...c], attrs), shape: [M, N], et: s.et };
  }
  notes.push(`MatMul [${s.shape.join('x')}]x[${K}x${N}] ${s.et} ${kind}`);
  return { name: g.op('MatMul', [s.name, g.initializer(`w${g.nodes.length}`, t)]), shape: [...s.shape.slice(0, -1), N], et: s.et };
};

function transpose2(t: Tensor): Tensor {
  const [K, N] = t.shape as [number, number];
  const out = Tensor.zeros(t.elementType, [N, K]);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) out.set(n * K + k, t.get(k * N + n));
  return out;
}

const conv: Layer = (g, r, s, notes) => {
  if (!FLOATS.includes(s.et) || s.shape.length !== 4) return undefined;
  const [, C, H, W] = s.shape as [number, number, number, number];
  const group = C > 0 && r() < 0.3 ? (r() < 0.5 ? C : pick(r, [1, C].filter((d) => C % d === 0))) : 1;
  const O = group === C && group > 1 ? C * pick(r, [1, 2]) : pick(r, [1, 4, 5, 8]);
  const k = pick(r, [1, 1, 3, 3, 5]), stride = pick(r, [1, 1, 2]), dil = pick(r, [1, 1, 2]), pad = pick(r, [0, Math.floor(k / 2), k - 1]);
  const span = dil * (k - 1) + 1;
  if (H + 2 * pad < span || W + 2 * pad < span) return undefined;
  const w = randomTensor(r, s.et, [O, C / group, k, k], { density: pick(r, [1, 0.5, 0.1]) });
  if (r() < 0.3) for (let o = 0; o < O; o++) if (r() < 0.4) for (let i = 0; i < w.size / O; i++) w.set(o * (w.size / O) + i, 0);
  const bias = r() < 0.6 ? [g.initializer(`b${g.nodes.length}`, randomTensor(r, s.et, [O]))] : [];
  const Ho = Math.floor((H + 2 * pad - span) / stride) + 1, Wo = Math.floor((W + 2 * pad - span) / stride) + 1;
  notes.push(`Conv ${C}->${O} k${k} s${stride} d${dil} p${pad} g${group} ${s.et}`);
  const name = g.op('Conv', [s.name, g.initializer(`w${g.nodes.length}`, w), ...bias], {
    kernel_shape: A.ints([k, k]), strides: A.ints([stride, stride]), dilations: A.ints([dil, dil]), pads: A.ints([pad, pad, pad, pad]), group: A.i(group),
  });
  return { name, shape: [s.shape[0]!, O, Ho, Wo], et: s.et };
};

const unary: Layer = (g, r, s, notes) => {
  const float = FLOATS.includes(s.et), signed = ELEMENT_TYPES[s.et].kind === 'int';
  const ops = [...(float ? ['Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Abs', 'Neg', 'Exp', 'Erf'] : []), ...(signed ? ['Relu', 'Abs', 'Neg'] : []), ...(s.et === 'u8' || s.et === 'u16' ? ['Abs'] : [])];
  if (!ops.length) return undefined;
  const op = pick(r, ops);
  notes.push(`${op} ${s.et}`);
  return { ...s, name: g.op(op, [s.name], op === 'LeakyRelu' ? { alpha: A.f(0.1) } : {}) };
};

const binary: Layer = (g, r, s, notes) => {
  const op = pick(r, ['Add', 'Sub', 'Mul', 'Max', 'Min']);
  // A constant operand broadcast against a suffix of the shape, with some dims 1.
  const suffix = s.shape.slice(int(r, 0, s.shape.length)).map((d) => (r() < 0.3 ? 1 : d));
  const other = r() < 0.2 ? s.name : g.initializer(`k${g.nodes.length}`, randomTensor(r, s.et, suffix, { extreme: r() < 0.3 }));
  notes.push(`${op} ${s.et} [${s.shape.join('x')}] with ${other === s.name ? 'itself' : `[${suffix.join('x')}]`}`);
  return { ...s, name: g.op(op, [s.name, other]) };
};

const cast: Layer = (g, r, s, notes) => {
  // Float to integer only on the input itself: a computed float that differs in the last bit between
  // kernels (summation order) may truncate to another integer.
  const toInt = !FLOATS.includes(s.et) || s.name === 'x';
  const to = pick(r, toInt ? NET_TYPES : FLOATS);
  notes.push(`Cast ${s.et}->${to}`);
  return { ...s, et: to, name: g.op('Cast', [s.name], { to: A.i(onnxCode(to)) }) };
};

const reduce: Layer = (g, r, s, notes) => {
  if (s.shape.length === 0) return undefined;
  const axes = [...new Set(Array.from({ length: int(r, 1, s.shape.length) }, () => int(r, 0, s.shape.length - 1)))].sort();
  const keep = r() < 0.5;
  const op = pick(r, ['ReduceSum', 'ReduceMax', 'ReduceMean']);
  if (op !== 'ReduceSum' && axes.some((a) => s.shape[a] === 0)) return undefined; // max/mean of nothing
  if (op === 'ReduceMean' && !FLOATS.includes(s.et)) return undefined;
  const shape = keep ? s.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : s.shape.filter((_, i) => !axes.includes(i));
  notes.push(`${op} axes [${axes.join(',')}] keepdims=${keep ? 1 : 0} ${s.et}`);
  const ins = op === 'ReduceSum' ? [s.name, g.initializer(`ax${g.nodes.length}`, Tensor.from('i64', [axes.length], axes.map(BigInt)))] : [s.name];
  const attrs = { keepdims: A.i(keep ? 1 : 0), ...(op === 'ReduceSum' ? {} : { axes: A.ints(axes) }) };
  return { ...s, shape, name: g.op(op, ins, attrs) };
};

const transpose: Layer = (g, r, s, notes) => {
  if (s.shape.length < 2) return undefined;
  const perm = [...s.shape.keys()].sort(() => r() - 0.5);
  notes.push(`Transpose [${perm.join(',')}]`);
  return { ...s, shape: perm.map((p) => s.shape[p]!), name: g.op('Transpose', [s.name], { perm: A.ints(perm) }) };
};

const softmax: Layer = (g, r, s, notes) => {
  if (!FLOATS.includes(s.et) || s.shape.length === 0) return undefined;
  const axis = int(r, -s.shape.length, s.shape.length - 1);
  notes.push(`Softmax axis ${axis}`);
  return { ...s, name: g.op('Softmax', [s.name], { axis: A.i(axis) }) };
};

const pool: Layer = (g, r, s, notes) => {
  if (!FLOATS.includes(s.et) || s.shape.length !== 4) return undefined;
  const [B, C, H, W] = s.shape as [number, number, number, number];
  const k = pick(r, [1, 2, 3]), stride = pick(r, [1, 2]), pad = pick(r, [0, Math.floor(k / 2)]);
  if (H + 2 * pad < k || W + 2 * pad < k) return undefined;
  const op = pick(r, ['MaxPool', 'AveragePool']);
  notes.push(`${op} k${k} s${stride} p${pad}`);
  const out = (d: number) => Math.floor((d + 2 * pad - k) / stride) + 1;
  return { ...s, shape: [B, C, out(H), out(W)], name: g.op(op, [s.name], { kernel_shape: A.ints([k, k]), strides: A.ints([stride, stride]), pads: A.ints([pad, pad, pad, pad]) }) };
};

const batchnorm: Layer = (g, r, s, notes) => {
  if (!FLOATS.includes(s.et) || s.shape.length !== 4) return undefined;
  const C = s.shape[1]!;
  const p = (tag: string, lo: number) => g.initializer(`${tag}${g.nodes.length}`, Tensor.from(s.et, [C], Array.from({ length: C }, () => lo + r())));
  notes.push(`BatchNormalization C=${C}`);
  return { ...s, name: g.op('BatchNormalization', [s.name, p('scale', -0.5), p('bias', -0.5), p('mean', -0.5), p('var', 0.1)], { epsilon: A.f(1e-5) }) };
};

const concat: Layer = (g, r, s, notes) => {
  if (s.shape.length === 0) return undefined;
  const axis = int(r, 0, s.shape.length - 1);
  const extra = s.shape.map((d, i) => (i === axis ? int(r, 0, 3) : d));
  notes.push(`Concat axis ${axis} with [${extra.join('x')}]`);
  const other = g.initializer(`cat${g.nodes.length}`, randomTensor(r, s.et, extra));
  return { ...s, shape: s.shape.map((d, i) => (i === axis ? d + extra[axis]! : d)), name: g.op('Concat', [s.name, other], { axis: A.i(axis) }) };
};

const LAYERS: readonly (readonly [Layer, number])[] = [[linear, 4], [conv, 4], [unary, 2], [binary, 2], [cast, 1], [reduce, 1], [transpose, 1], [softmax, 1], [pool, 1], [batchnorm, 1], [concat, 1]];

function onnxCode(et: ElementType): number {
  return { f32: 1, u8: 2, i8: 3, u16: 4, i16: 5, i32: 6, i64: 7, bool: 9, f16: 10, f64: 11, u32: 12, u64: 13 }[et];
}

/** A random net from a seed: an input of odd (sometimes 0-size) shape, then 1-5 layers. */
export function randomNet(r: Rng): RandomNet {
  const g = new OnnxGraphBuilder('fuzz');
  const et = r() < 0.5 ? pick(r, FLOATS) : pick(r, NET_TYPES);
  const rank4 = FLOATS.includes(et) && r() < 0.4;
  const shape = rank4
    ? [pick(r, [1, 1, 2, 0]), pick(r, [1, 2, 3, 4, 8]), pick(r, [1, 3, 5, 8, 9]), pick(r, [1, 3, 4, 7])]
    : Array.from({ length: int(r, 1, 3) }, (_, i) => pick(r, i === 0 ? [1, 2, 3, 4, 5, 0, 17] : [1, 3, 4, 8, 13, 32, 0]));
  const notes: string[] = [`input ${et}[${shape.join('x')}]`];
  let s: State = { name: g.input('x', et, shape), shape, et };
  const total = LAYERS.reduce((a, [, w]) => a + w, 0);
  const depth = int(r, 1, 5);
  for (let i = 0, tries = 0; i < depth && tries < 40; tries++) {
    let u = r() * total, layer = LAYERS[0]![0];
    for (const [l, w] of LAYERS) if ((u -= w) < 0) { layer = l; break; }
    const next = layer(g, r, s, notes);
    if (!next) continue;
    s = next;
    i++;
  }
  g.output(s.name, s.et, s.shape);
  return { model: g.model(17), inputs: [randomTensor(r, et, shape, { extreme: r() < 0.2 })], summary: notes.join(' -> ') };
}
