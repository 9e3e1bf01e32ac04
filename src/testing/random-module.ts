// A random module generator for property tests: constants of every element type (inline, resource
// and sparse), chains of shape-preserving ops, odd value names and locations.
import fc from 'fast-check';
import { bsr, csr, nm } from '../ir/encodings.js';
import { Builder, encodingViolation, float, Func, Module, str, Tensor, TensorType, type ElementType, type Encoding, type Value } from '../index.js';

const ELEMENTS: ElementType[] = ['f32', 'f16', 'f64', 'i64', 'i32', 'i8', 'u8', 'bool'];
const UNARY = ['nn.relu', 'nn.sigmoid', 'nn.tanh', 'nn.abs', 'nn.neg', 'nn.exp', 'nn.identity'];
const BINARY = ['nn.add', 'nn.mul', 'nn.sub', 'nn.max'];

/** Names that stress quoting: bare, dotted, unicode, quotes, spaces, numeric-looking. */
const NAMES = ['x', 'input.1', 'conv_1/W', 'a b', 'q"uote', 'ünï', '0', '12', '_', 'a$b', 'x\\y', ''];

function randomValue(rng: () => number, et: ElementType, sparse: boolean): number | bigint | boolean {
  if (sparse && rng() < 0.6) return et === 'bool' ? false : et === 'i64' ? 0n : 0;
  switch (et) {
    case 'bool': return rng() < 0.5;
    case 'i64': return BigInt(Math.floor((rng() - 0.5) * 2 ** 53)) * (rng() < 0.1 ? 1024n : 1n);
    case 'i32': return Math.floor((rng() - 0.5) * 2 ** 32);
    case 'i8': return Math.floor(rng() * 256) - 128;
    case 'u8': return Math.floor(rng() * 256);
    default: {
      const r = rng();
      if (r < 0.03) return NaN;
      if (r < 0.06) return rng() < 0.5 ? Infinity : -Infinity;
      if (r < 0.1) return -0;
      return (rng() - 0.5) * 10 ** Math.floor(rng() * 12 - 6);
    }
  }
}

export interface RandomModuleOptions {
  seed: number;
}

/** Builds a verifiable random module from a seed (deterministic). */
export function randomModule(seed: number): Module {
  let s = seed >>> 0 || 1;
  const rng = () => {
    // xorshift32
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rng() * a.length)]!;
  const module = new Module();
  const nFuncs = 1 + Math.floor(rng() * 2);
  for (let fi = 0; fi < nFuncs; fi++) {
    const f = module.addFunc(new Func(fi === 0 ? 'main' : pick(['f.2', 'other fn', 'g'])));
    const b = new Builder(f);
    const shape = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => 1 + Math.floor(rng() * 4));
    const dims = shape.map((d, i) => (i === 0 && rng() < 0.3 ? 'N' : d));
    const x = f.addArgument(new TensorType(dims, 'f32'), pick(NAMES), new Map([['name', str(pick(NAMES))]]));
    const live: Value[] = [x];
    const results: Value[] = [];
    const nOps = Math.floor(rng() * 6);
    for (let k = 0; k < nOps; k++) {
      const v = pick(live);
      const r = rng();
      let out: Value;
      if (r < 0.4) out = b.op(pick(UNARY), [v], {}, { names: [pick(NAMES)], loc: rng() < 0.3 ? pick(NAMES) + '\n\t"' : undefined });
      else if (r < 0.7) out = b.op(pick(BINARY), [v, pick(live)]);
      else out = b.op('nn.leaky_relu', [v], { alpha: float(rng()) });
      live.push(out);
    }
    // Constants of every kind; returned so they are live.
    const nConst = Math.floor(rng() * 4);
    for (let k = 0; k < nConst; k++) {
      const et = pick(ELEMENTS);
      const cshape = Array.from({ length: Math.floor(rng() * 3) + (rng() < 0.5 ? 2 : 0) }, () => 1 + Math.floor(rng() * 6));
      const sparse = rng() < 0.5;
      const size = cshape.reduce((a, c) => a * c, 1);
      const splat = rng() < 0.15 ? randomValue(rng, et, false) : undefined;
      const t = Tensor.from(et, cshape, Array.from({ length: size }, () => splat ?? randomValue(rng, et, sparse)));
      let encoding: Encoding | undefined;
      if (cshape.length >= 2 && et !== 'bool' && rng() < 0.5) {
        const [rows, cols] = cshape.slice(-2) as [number, number];
        const choices: Encoding[] = [csr(pick([8, 16, 32] as const))];
        if (rows % 2 === 0 && cols % 2 === 0) choices.push(bsr([2, 2], 16));
        const axis = cshape.length - 1;
        if (cols % 2 === 0) choices.push(nm(1, 2, axis), nm(2, 2, axis));
        const e = pick(choices);
        if (!encodingViolation(t, e)) encoding = e;
      }
      results.push(b.constant(t, { name: pick(NAMES), ...(encoding ? { encoding } : {}), ...(rng() < 0.2 ? { resource: 'blob_' + k } : {}) }));
    }
    results.push(live[live.length - 1]!);
    b.ret(results, rng() < 0.5 ? results.map(() => pick(NAMES)) : undefined);
  }
  return module;
}

export const seeds = fc.integer({ min: 1, max: 2 ** 31 - 1 });
