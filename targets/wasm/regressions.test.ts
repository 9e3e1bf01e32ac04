// Regressions from fuzzing the wasm target against the reference interpreter (issue 11): products
// and convolutions with non-f32 weights, wide N:M positions, empty Gemm products, float-to-int casts
// and int64 wrap-around, and memory plans past 2 GiB / over wasm32's 4 GiB.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PASSES } from '../../passes/index.js';
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { importOnnx } from '../../src/importer/import.js';
import { interpret } from '../../src/interp/interpret.js';
import { float, int, ints, str } from '../../src/ir/attributes.js';
import { Builder } from '../../src/ir/builder.js';
import type { Module } from '../../src/ir/core.js';
import { csr, nm } from '../../src/ir/encodings.js';
import { Tensor } from '../../src/ir/tensor.js';
import { ELEMENT_TYPES, TensorType, type ElementType } from '../../src/ir/types.js';
import { verifyOrThrow } from '../../src/ir/verifier.js';
import { OnnxGraphBuilder } from '../../src/onnx/build.js';
import { runPipeline } from '../../src/pass/manager.js';
import { parsePipeline } from '../../src/pass/pipeline.js';
import { passRegistry } from '../../src/pass/registry.js';
import { LimitError } from '../../src/util/errors.js';
import { rng } from '../../src/util/random.js';
import { binaryenError, compileWasm } from './compile.js';
import { binaryen, wasmToText } from './emit.js';
import { instantiate } from './runtime.js';

const is64 = (et: ElementType) => et === 'i64' || et === 'u64';
const isFloatType = (et: ElementType) => ELEMENT_TYPES[et].kind === 'float';

/** Random values of an element type over its whole range (floats in [-2, 2)); integers often near the edges. */
function randomTensor(et: ElementType, shape: number[], seed: number, zeros = 0): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const bits = 8 * ELEMENT_TYPES[et].bytes;
  const signed = et.startsWith('i');
  const lo = signed ? -(2n ** BigInt(bits - 1)) : 0n, span = 2n ** BigInt(bits);
  const vals = Array.from({ length: n }, () => {
    if (r() < zeros) return is64(et) ? 0n : 0;
    if (isFloatType(et)) return r() * 4 - 2;
    // half small values, half anywhere in the range
    const big = r() < 0.5 ? BigInt(Math.floor(r() * 7) - 3) - lo : BigInt(Math.floor(r() * 2 ** 26)) * BigInt(Math.floor(r() * 2 ** 26)) * 4096n + BigInt(Math.floor(r() * 4096));
    const v = lo + (((big % span) + span) % span);
    return is64(et) ? v : Number(v);
  });
  return Tensor.from(et, shape, vals as number[] | bigint[]);
}

/** Compiles, runs and compares with the interpreter: integers exactly, floats to `rtol`. Returns the kernels used. */
async function same(module: Module, inputs: Tensor[], rtol = 1e-12): Promise<string[]> {
  verifyOrThrow(module);
  const want = interpret(module, inputs);
  const { wasm, manifest } = compileWasm(module.funcs[0]!);
  const got = (await instantiate(wasm, manifest)).run(inputs);
  got.forEach((g, o) => {
    const w = want[o]!;
    expect(g.elementType).toBe(w.elementType);
    expect(g.shape).toEqual(w.shape);
    const gs = Array.from(g.data as ArrayLike<number | bigint>), ws = Array.from(w.data as ArrayLike<number | bigint>);
    for (let i = 0; i < ws.length; i++) {
      const a = gs[i]!, b = ws[i]!;
      if (typeof b === 'bigint' || !isFloatType(w.elementType) || Number.isNaN(b)) expect(String(a), `output ${o} element ${i}`).toBe(String(b));
      else expect(Math.abs((a as number) - b), `output ${o} element ${i}: ${a} vs ${b}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(b)));
    }
  });
  return manifest.kernels.map((k) => k.kernel);
}

const NON_F32: ElementType[] = ['f64', 'i32', 'i64', 'i8', 'u8'];

describe('products and convolutions with non-f32 weights (issue 11)', () => {
  it('a 1x8 f64 MatMul with a constant weight (from ONNX) gives the interpreter\'s 12, not f32 bytes', async () => {
    const g = new OnnxGraphBuilder('mm64');
    g.input('x', 'f64', [1, 8]);
    g.initializer('w', Tensor.from('f64', [8, 1], [1, 1, 1, 1, 2, 2, 2, 2]));
    g.op('MatMul', ['x', 'w'], {}, 'y');
    g.output('y', 'f64', [1, 1]);
    const { module } = importOnnx(g.model());
    const x = Tensor.from('f64', [1, 8], [1, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(interpret(module, [x])[0]!.data as Float64Array)).toEqual([12]);
    const kernels = await same(module, [x]);
    expect(kernels).toEqual(['matmul_typed']);
  });

  for (const et of NON_F32) {
    // Conv and ConvTranspose take floats only (f64 here; f32 has its own kernels)
    it(`${et}: MatMul (gemv and batched rows), Gemm (transposes, alpha, beta, broadcast C, relu)${isFloatType(et) ? ', Conv (pads, groups, bias), ConvTranspose' : ''} with constant weights`, async () => {
      for (let seed = 1; seed <= 3; seed++) {
        for (const M of [1, 5]) {
          const { module, func, b } = Builder.func();
          const x = func.addArgument(new TensorType([M, 7], et), 'x');
          b.ret([b.op('nn.matmul', [x, b.constant(randomTensor(et, [7, 6], seed + 10, 0.3))])]);
          await same(module, [randomTensor(et, [M, 7], seed)]);
        }
        for (const [transA, transB] of [[0, 0], [1, 1], [0, 1]] as const) {
          const { module, func, b } = Builder.func();
          const x = func.addArgument(new TensorType(transA ? [5, 3] : [3, 5], et), 'x');
          const floatT = isFloatType(et);
          const y = b.op('nn.gemm', [x, b.constant(randomTensor(et, transB ? [4, 5] : [5, 4], seed + 20)), b.constant(randomTensor(et, [3, 1], seed + 30))],
            { transA: int(transA), transB: int(transB), alpha: float(floatT ? 0.5 : 1), beta: float(floatT ? 2 : 1), activation: str('relu') });
          b.ret([y]);
          await same(module, [randomTensor(et, transA ? [5, 3] : [3, 5], seed)]);
        }
        if (!isFloatType(et)) continue;
        {
          const { module, func, b } = Builder.func();
          const x = func.addArgument(new TensorType([2, 4, 5, 6], et), 'x');
          const y = b.op('nn.conv', [x, b.constant(randomTensor(et, [6, 2, 3, 3], seed + 40, 0.3)), b.constant(randomTensor(et, [6], seed + 50))],
            { kernel_shape: ints([3, 3]), pads: ints([1, 0, 1, 2]), strides: ints([1, 2]), group: int(2) });
          b.ret([y]);
          expect(await same(module, [randomTensor(et, [2, 4, 5, 6], seed)])).toEqual(['conv_typed']);
        }
        {
          const { module, func, b } = Builder.func();
          const x = func.addArgument(new TensorType([1, 2, 3, 3], et), 'x');
          const y = b.op('nn.conv_transpose', [x, b.constant(randomTensor(et, [2, 3, 2, 2], seed + 60)), b.constant(randomTensor(et, [3], seed + 70))], { kernel_shape: ints([2, 2]), strides: ints([2, 1]) });
          b.ret([y]);
          expect(await same(module, [randomTensor(et, [1, 2, 3, 3], seed)])).toEqual(['conv_transpose_typed']);
        }
      }
    });
  }

  it('run-time operands in other types: batched MatMul with broadcasting (i64, f64), a 1-d Conv whose weight is an input (f64)', async () => {
    for (const et of ['i64', 'f64'] as ElementType[]) {
      const { module, func, b } = Builder.func();
      const a = func.addArgument(new TensorType([2, 1, 3, 4], et), 'a');
      const w = func.addArgument(new TensorType([3, 4, 5], et), 'w');
      b.ret([b.op('nn.matmul', [a, w])]);
      await same(module, [randomTensor(et, [2, 1, 3, 4], 1), randomTensor(et, [3, 4, 5], 2)]);
    }
    const { module, func, b } = Builder.func();
    const x = func.addArgument(new TensorType([1, 2, 5], 'f64'), 'x');
    const w = func.addArgument(new TensorType([3, 2, 2], 'f64'), 'w');
    b.ret([b.op('nn.conv', [x, w], { kernel_shape: ints([2]) })]);
    await same(module, [randomTensor('f64', [1, 2, 5], 3), randomTensor('f64', [3, 2, 2], 4)]);
  });

  it('a sparse.gemm whose i32 weight carries an encoding reads it densely', async () => {
    const { module, func, b } = Builder.func();
    const x = func.addArgument(new TensorType([2, 8], 'i32'), 'x');
    b.ret([b.op('sparse.gemm', [x, b.constant(randomTensor('i32', [8, 3], 5, 0.7), { encoding: csr(16) })])]);
    await same(module, [randomTensor('i32', [2, 8], 6)]);
  });

  it('nm-layout{n=1,m=512}: positions past 255 are kept (u16), not wrapped (600, not 88)', async () => {
    const K = 1024, N = 3;
    const w = new Array<number>(K * N).fill(0); // [K, N]: one nonzero per group of 512 inputs per output
    w[600 * N + 0] = 1; w[300 * N + 1] = 2; w[(512 + 511) * N + 2] = -1; w[255 * N + 2] = 3;
    const { module, func, b } = Builder.func();
    const x = func.addArgument(new TensorType([1, K], 'f32'), 'x');
    b.ret([b.op('nn.matmul', [x, b.constant(Tensor.from('f32', [K, N], w))])]);
    runPipeline(module, parsePipeline('nm-layout{n=1,m=512,min-fill=0}', passRegistry([...BUILTIN_PASSES])), { log: () => undefined });
    const xs = Tensor.from('f32', [1, K], Array.from({ length: K }, (_, i) => i));
    expect(Array.from(interpret(module, [xs])[0]!.data as Float32Array)).toEqual([600, 600, 3 * 255 - 1023]);
    const { manifest } = compileWasm(module.funcs[0]!);
    expect(manifest.plan.calls.map((c) => [c.kernel, c.format, c.schedule['positionBytes']])).toEqual([['nm_matmul', { kind: 'nm', n: 1, m: 512, axis: 1 }, 2]]);
    await same(module, [xs], 1e-6);
    // directly as #nm<1, 512> over a batch of rows too
    const m2 = Builder.func();
    const x2 = m2.func.addArgument(new TensorType([5, K], 'f32'), 'x');
    m2.b.ret([m2.b.op('sparse.matmul', [x2, m2.b.constant(Tensor.from('f32', [K, N], w), { encoding: nm(1, 512, 0) })])]);
    await same(m2.module, [randomTensor('f32', [5, K], 9)], 1e-6);
  });

  it('a Gemm with K = 0 is beta * C broadcast (3, not 0), in f32 and i32; a MatMul with K = 0 is its bias or zeros', async () => {
    for (const et of ['f32', 'i32'] as ElementType[]) {
      for (const cShape of [[3], [2, 1], [2, 3], []]) {
        const { module, func, b } = Builder.func();
        const x = func.addArgument(new TensorType([2, 0], et), 'x');
        const cVals = Array.from({ length: cShape.reduce((a, c) => a * c, 1) }, (_, i) => 3 + i);
        b.ret([b.op('nn.gemm', [x, b.constant(Tensor.from(et, [0, 3], [])), b.constant(Tensor.from(et, cShape, cVals))], { beta: float(2) })]);
        const want = interpret(module, [Tensor.from(et, [2, 0], [])])[0]!;
        expect(want.get(0)).toBe(6);
        await same(module, [Tensor.from(et, [2, 0], [])]);
      }
    }
    const { module, func, b } = Builder.func();
    const x = func.addArgument(new TensorType([4, 0], 'f32'), 'x');
    const w = func.addArgument(new TensorType([0, 5], 'f32'), 'w');
    b.ret([b.op('nn.matmul', [x, w])]);
    await same(module, [Tensor.from('f32', [4, 0], []), Tensor.from('f32', [0, 5], [])]);
  });
});

describe('casts and integer wrap-around agree with the interpreter (issue 11)', () => {
  // The chosen semantics, in the interpreter and in wasm: a float cast to an integer type truncates
  // toward zero and wraps modulo 2^width (whatever the magnitude); NaN and +-Inf give 0.
  const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 0.5, -2.5, 127.9, 128, -129, 255.5, 256, 3e9, -3e9, 2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 5, 1e20, -1e20, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 2 ** 63 + 4096, 2 ** 64, 2 ** 64 + 2 ** 12, -(2 ** 64) - 2 ** 12, 2 ** 100 + 2 ** 60, 3.4e38, -3.4e38, 1e300, -1e300];
  const INT_TYPES: ElementType[] = ['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64'];

  it('f32 and f64 to every integer type and bool, on NaN, +-Inf, huge values and random ones', async () => {
    const r = rng(7);
    const values = [...SPECIAL, ...Array.from({ length: 200 }, () => (r() * 2 - 1) * 2 ** (r() * 80))];
    for (const from of ['f32', 'f64'] as ElementType[]) {
      for (const to of [...INT_TYPES, 'bool'] as ElementType[]) {
        const { module, func, b } = Builder.func();
        const x = func.addArgument(new TensorType([values.length], from), 'x');
        b.ret([b.op('nn.cast', [x], { to: { kind: 'type', value: to } })]);
        await same(module, [Tensor.from(from, [values.length], values)]);
      }
    }
  });

  it('the cast semantics: truncate toward zero, wrap modulo 2^width, NaN and +-Inf to 0', async () => {
    const values = [NaN, Infinity, -Infinity, -2.5, 3e9, 1e20, -(2 ** 63), 2 ** 64 + 2 ** 12];
    const { module, func, b } = Builder.func();
    const x = func.addArgument(new TensorType([values.length], 'f64'), 'x');
    b.ret([b.op('nn.cast', [x], { to: { kind: 'type', value: 'i32' } }), b.op('nn.cast', [x], { to: { kind: 'type', value: 'i64' } })]);
    const wrap = (v: number, bits: number) => (Number.isFinite(v) ? BigInt.asIntN(bits, BigInt(Math.trunc(v))) : 0n);
    const { wasm, manifest } = compileWasm(module.funcs[0]!);
    for (const outs of [interpret(module, [Tensor.from('f64', [values.length], values)]), (await instantiate(wasm, manifest)).run([Tensor.from('f64', [values.length], values)])]) {
      expect(Array.from(outs[0]!.data as Int32Array).map(String)).toEqual(values.map((v) => String(wrap(v, 32))));
      expect(Array.from(outs[1]!.data as BigInt64Array).map(String)).toEqual(values.map((v) => String(wrap(v, 64))));
    }
  });

  it('integer to integer casts are exact and wrap, 64-bit included (u64 2^64-1 to i64 is -1, was 0 through f64)', async () => {
    const vals = [0n, 1n, -1n, 127n, -128n, 255n, 65535n, -32769n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 123456789012345678n];
    for (const from of INT_TYPES) {
      const bits = 8 * ELEMENT_TYPES[from].bytes;
      const xs = vals.map((v) => (from.startsWith('u') ? BigInt.asUintN(bits, v) : BigInt.asIntN(bits, v)));
      for (const to of INT_TYPES) {
        const { module, func, b } = Builder.func();
        const x = func.addArgument(new TensorType([xs.length], from), 'x');
        b.ret([b.op('nn.cast', [x], { to: { kind: 'type', value: to } })]);
        await same(module, [Tensor.from(from, [xs.length], (is64(from) ? xs : xs.map(Number)) as number[] | bigint[])]);
      }
    }
  });

  it('integer add, sub, mul, div, max, min are exact and wrap (int64 near 2^63, u64, int32 products), with broadcasting', async () => {
    const big = [2n ** 63n - 1n, -(2n ** 63n), 2n ** 62n + 1n, -(2n ** 62n) - 3n, 123456789012345678n, -1n, 0n, 1n, 3n, 2n ** 53n + 1n];
    const r = rng(11);
    const pick = () => (r() < 0.5 ? big[Math.floor(r() * big.length)]! : BigInt.asIntN(64, BigInt(Math.floor(r() * 2 ** 32)) * BigInt(Math.floor(r() * 2 ** 32)) + BigInt(Math.floor(r() * 2 ** 32))));
    const n = 64;
    const exact: Record<string, (a: bigint, b: bigint) => bigint> = {
      'nn.add': (a, b) => a + b, 'nn.sub': (a, b) => a - b, 'nn.mul': (a, b) => a * b, 'nn.div': (a, b) => (b === 0n ? 0n : a / b),
      'nn.max': (a, b) => (a > b ? a : b), 'nn.min': (a, b) => (a < b ? a : b),
    };
    for (const et of INT_TYPES) {
      const bits = 8 * ELEMENT_TYPES[et].bytes;
      const wrap = (v: bigint) => (et.startsWith('u') ? BigInt.asUintN(bits, v) : BigInt.asIntN(bits, v));
      const a = Array.from({ length: n }, () => wrap(pick())), bv = Array.from({ length: n }, () => wrap(pick()));
      const t = (v: bigint[], shape = [v.length]) => Tensor.from(et, shape, (is64(et) ? v : v.map(Number)) as number[] | bigint[]);
      for (const [opName, f] of Object.entries(exact)) {
        const { module, func, b } = Builder.func();
        const x = func.addArgument(new TensorType([n], et), 'x');
        const y = func.addArgument(new TensorType([n], et), 'y');
        b.ret([b.op(opName, [x, y])]);
        const outs = interpret(module, [t(a), t(bv)]);
        expect(Array.from(outs[0]!.data as ArrayLike<number | bigint>).map(String), `${opName} ${et} (interpreter)`).toEqual(a.map((v, i) => String(wrap(f(v, bv[i]!)))));
        await same(module, [t(a), t(bv)]);
      }
      // variadic sum over a broadcast operand
      const { module, func, b } = Builder.func();
      const x = func.addArgument(new TensorType([4, n / 4], et), 'x');
      const z = func.addArgument(new TensorType([n / 4], et), 'z');
      b.ret([b.op('nn.sum', [x, z, x]), b.op('nn.mul', [x, z]), b.op('nn.max', [z, x, z]), b.op('nn.min', [x, z, x])]);
      await same(module, [t(a, [4, n / 4]), t(bv.slice(0, n / 4))]);
    }
  });
});

describe('memory plans past 2 GiB and over wasm32 (issue 11)', () => {
  // Shapes only: nothing of these sizes is ever allocated (inputs and activations are not data).
  const chain = (n: number) => {
    const { module, func, b } = Builder.func();
    const x = func.addArgument(new TensorType([n], 'f32'), 'x');
    // a and b are live together, c takes a's slot: inputs n, activations 2n
    const a = b.op('nn.neg', [x]), c = b.op('nn.relu', [x]);
    b.ret([b.op('nn.add', [a, c])]);
    return module;
  };

  it('a plan over 4 GiB is refused with what it needs and the limit', () => {
    const module = chain(400_000_000);
    expect(() => compileWasm(module.funcs[0]!)).toThrow(LimitError);
    expect(() => compileWasm(module.funcs[0]!)).toThrow('wasm target: the model needs 4800000016 bytes (4.47 GiB) of memory (weights 0 bytes, inputs 1600000000 bytes (1.49 GiB), activations 3200000000 bytes (2.98 GiB), scratch 0 bytes); wasm32 addresses at most 4294967296 bytes (4 GiB)');
  });

  it('a 4.8 GB input is refused before lowering (no module whose output overlaps its input)', () => {
    const { module, func, b } = Builder.func();
    const x = func.addArgument(new TensorType([1, 1_200_000_000], 'f32'), 'x');
    b.ret([b.op('nn.relu', [x])]);
    expect(() => compileWasm(module.funcs[0]!)).toThrow(/^wasm target: the model needs at least 9600000000 bytes \(8\.94 GiB\) of memory \(inputs 4800000000 bytes \(4\.47 GiB\), activations at least 4800000000 bytes .*; wasm32 addresses at most 4294967296 bytes \(4 GiB\)$/);
  });

  it('a plan between 2 and 4 GiB keeps 64-bit-safe offsets: no overlap, nothing negative, pages within wasm32', () => {
    const n = 300_000_000; // 1.2 GB per tensor: input, two live activations = 3.6 GB
    const { wasm, manifest } = compileWasm(chain(n).funcs[0]!);
    expect(WebAssembly.validate(wasm as Uint8Array<ArrayBuffer>)).toBe(true);
    const inp = manifest.inputs[0]!, out = manifest.outputs[0]!;
    expect(inp.offset).toBe(16);
    expect(out.offset).toBeGreaterThanOrEqual(inp.offset + 4 * n);
    expect(out.offset + 4 * n).toBeLessThanOrEqual(manifest.memoryBytes);
    expect(manifest.arenaBytes).toBe(2 * 4 * n);
    expect(manifest.memoryBytes).toBeGreaterThan(2 ** 31);
    expect(manifest.memoryBytes).toBeLessThanOrEqual(2 ** 32);
  });

  it('sparsec compile prints one clear line (no [object Object], not "internal"); binaryen\'s own exceptions are readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsec-big-'));
    const g = new OnnxGraphBuilder('big');
    const n = 400_000_000;
    g.input('x', 'f32', [n]);
    g.op('Add', [g.op('Neg', ['x']), g.op('Relu', ['x'])], {}, 'y');
    g.output('y', 'f32', [n]);
    writeFileSync(join(dir, 'big.onnx'), g.model());
    let err = '';
    const io: Io = { out: () => undefined, err: (s) => void (err += s), cwd: dir, readStdin: () => '', readFile: (p) => readFileSync(p, 'utf8') };
    expect(await main(['compile', 'big.onnx', '-o', 'out'], io)).toBe(1);
    expect(err).toBe('sparsec: error: wasm target: the model needs 4800000016 bytes (4.47 GiB) of memory (weights 0 bytes, inputs 1600000000 bytes (1.49 GiB), activations 3200000000 bytes (2.98 GiB), scratch 0 bytes); wasm32 addresses at most 4294967296 bytes (4 GiB)\n');
    const garbage = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 200]);
    expect(() => wasmToText(garbage)).toThrow(/binaryen cannot read the module: .*error in parsing wasm binary/);
    // what binaryen throws (a C++ exception as a plain object) becomes a message
    let thrown: unknown;
    try { binaryen.readBinary(garbage); } catch (e) { thrown = e; }
    expect(thrown).not.toBeInstanceOf(Error);
    expect(binaryenError(thrown).message).toBe('wasm target: internal: binaryen failed while building the module: std::runtime_error: Fatal: error in parsing wasm binary');
  });
});
