// Replaces ConstantOfShape weight fills (as in ONNX's "light" models) with seeded random
// initializers, so differential tests exercise real arithmetic.
import { Tensor } from '../ir/tensor.js';
import { onnx, tensorFromProto, tensorToProto, type NodeProto } from '../onnx/proto.js';
import { normal, rng } from '../util/random.js';

export interface RandomizeOptions {
  /** Drop a Softmax that produces a graph output (random weights saturate it). */
  dropFinalSoftmax?: boolean;
  /** Zero a random fraction in [min, max] of every Conv's output channels (filter rows and bias), like channel pruning. */
  zeroChannels?: { min: number; max: number };
}

export function randomizeConstantOfShape(bytes: Uint8Array, seed: number, opts: RandomizeOptions = {}): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  const r = rng(seed);
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const keep: NodeProto[] = [];
  const fills = new Map<string, { shape: number[]; data: Float32Array }>();
  const fillShapes = new Set<string>();
  for (const n of g.node ?? []) {
    const shapeInit = n.opType === 'ConstantOfShape' ? inits.get(n.input?.[0] ?? '') : undefined;
    if (!shapeInit) {
      keep.push(n);
      continue;
    }
    fillShapes.add(shapeInit.name ?? '');
    const shape = Array.from(tensorFromProto(shapeInit, { what: 'shape' }).data as BigInt64Array, Number);
    const size = shape.reduce((a, b) => a * b, 1);
    // Weights (rank >= 2): He-scaled normal; vectors (biases, norm parameters, variances): [0.5, 1.5).
    const data = shape.length >= 2
      ? normal(r, size, Math.sqrt(2 / Math.max(1, size / shape[0]!)))
      : Float32Array.from({ length: size }, () => 0.5 + r());
    fills.set(n.output![0]!, { shape, data });
  }
  if (opts.zeroChannels) {
    const { min, max } = opts.zeroChannels;
    for (const n of keep) {
      if (n.opType !== 'Conv') continue;
      const w = fills.get(n.input?.[1] ?? ''), b = fills.get(n.input?.[2] ?? '');
      if (!w) continue;
      const m = w.shape[0]!, per = w.data.length / m;
      const count = Math.round((min + (max - min) * r()) * m);
      const order = [...Array(m).keys()].sort(() => r() - 0.5);
      for (const ch of order.slice(0, count)) {
        w.data.fill(0, ch * per, (ch + 1) * per);
        if (b) b.data[ch] = 0;
      }
    }
  }
  for (const [name, t] of fills) g.initializer!.push(tensorToProto(new Tensor('f32', t.shape, t.data), name));
  g.node = keep;
  // The shape initializers of the replaced fills are no longer used.
  const used = new Set(keep.flatMap((n) => n.input ?? []));
  const dropped = (name: string | null | undefined) => fillShapes.has(name ?? '') && !used.has(name ?? '');
  g.initializer = (g.initializer ?? []).filter((t) => !dropped(t.name));
  g.input = (g.input ?? []).filter((i) => !dropped(i.name)); // old exports list initializers as inputs too
  if (opts.dropFinalSoftmax) {
    // A Softmax that produces a graph output: output its input instead.
    for (const out of g.output ?? []) {
      const k = keep.findIndex((n) => n.opType === 'Softmax' && n.output?.[0] === out.name);
      if (k < 0) continue;
      const input = keep[k]!.input![0]!;
      keep.splice(k, 1);
      for (const n of keep) {
        n.output = n.output?.map((o) => (o === input ? out.name! : o));
        n.input = n.input?.map((i) => (i === input ? out.name! : i));
      }
    }
  }
  return onnx.ModelProto.encode(m).finish();
}
