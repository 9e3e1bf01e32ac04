import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpret } from '../interp/interpret.js';
import { printModule } from '../ir/printer.js';
import { Tensor } from '../ir/tensor.js';
import { A, OnnxGraphBuilder } from '../onnx/build.js';
import { onnx, OnnxError } from '../onnx/proto.js';
import { InvalidModelError, UnsupportedError } from '../util/errors.js';
import { importOnnx, importOnnxFile } from './import.js';

const f32 = (shape: number[], v: number[]) => Tensor.from('f32', shape, v);

function relu(): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder('g');
  g.input('x', 'f32', ['N', 4]);
  g.op('Relu', ['x'], {}, 'y');
  g.output('y', 'f32', ['N', 4]);
  return g;
}

describe('ONNX importer', () => {
  it('keeps named dims and input/output names', () => {
    const { module } = importOnnx(relu().model());
    expect(printModule(module)).toContain('func @g(%x: tensor<{N}x4xf32> {name = "x"}) -> (tensor<{N}x4xf32> {name = "y"})');
  });

  it('--shape fixes an input shape, and an unknown name is refused', () => {
    const { module } = importOnnx(relu().model(), { shapes: { x: [2, 4] } });
    expect(module.funcs[0]!.args[0]!.type.toString()).toBe('tensor<2x4xf32>');
    expect(() => importOnnx(relu().model(), { shapes: { z: [2, 4] } })).toThrow(/--shape names 'z', which is not a graph input \(inputs: x\)/);
  });

  it('folds a PyTorch-style shape sub-graph to a static reshape', () => {
    const g = new OnnxGraphBuilder('flatten_by_shape');
    g.input('x', 'f32', [2, 3, 4]);
    const shape = g.op('Shape', ['x']);
    const zero = g.initializer('zero', Tensor.from('i64', [], [0n]));
    const n = g.op('Gather', [shape, zero], { axis: A.i(0) });
    const nn = g.op('Unsqueeze', [n, g.initializer('axes', Tensor.from('i64', [1], [0n]))]);
    const cat = g.op('Concat', [nn, g.initializer('minus1', Tensor.from('i64', [1], [-1n]))], { axis: A.i(0) });
    g.op('Reshape', ['x', cat], {}, 'y');
    g.output('y', 'f32');
    const r = importOnnx(g.model(13));
    const text = printModule(r.module);
    expect(text).toMatch(/nn\.reshape\(%x, %\w+\) : tensor<2x12xf32>/);
    expect(text).toContain('dense<[2, -1]> : tensor<2xi64>');
    expect(text).not.toContain('nn.shape');
    expect(r.folded).toBeGreaterThanOrEqual(4);
  });

  it('reads initializers from typed fields and raw data, including ones also listed as inputs', () => {
    const g = new OnnxGraphBuilder('typed');
    g.input('x', 'f32', [2]);
    g.input('w', 'f32', [2]); // old exports list initializers as inputs too
    g.initializers.push({ name: 'w', dims: [2], dataType: 1, floatData: [2, 3] });
    g.initializers.push({ name: 'i64', dims: [2], dataType: 7, int64Data: [5, -6] });
    g.initializers.push({ name: 'i32', dims: [1], dataType: 6, int32Data: [7] });
    g.initializers.push({ name: 'f64', dims: [1], dataType: 11, doubleData: [0.25] });
    const y = g.op('Mul', ['x', 'w'], {}, 'y');
    g.op('Cast', ['i64'], { to: A.i(1) }, 'a');
    g.op('Cast', ['i32'], { to: A.i(1) }, 'b');
    g.op('Cast', ['f64'], { to: A.i(1) }, 'c');
    for (const o of [y, 'a', 'b', 'c']) g.output(o, 'f32');
    const { module } = importOnnx(g.model());
    expect(module.funcs[0]!.args).toHaveLength(1);
    const out = interpret(module, [f32([2], [1, 1])]).map((t) => [...t.data]);
    expect(out).toEqual([[2, 3], [5, -6], [7], [0.25]]);
  });

  it('reads external data relative to the model and refuses paths that escape its folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsec-ext-'));
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'model', 'w.bin'), new Uint8Array(new Float32Array([4, 5]).buffer));
    writeFileSync(join(dir, 'secret.bin'), new Uint8Array(8));
    const make = (location: string) => {
      const g = new OnnxGraphBuilder('ext');
      g.input('x', 'f32', [2]);
      g.initializers.push({ name: 'w', dims: [2], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: location }] });
      g.op('Add', ['x', 'w'], {}, 'y');
      g.output('y', 'f32');
      const path = join(dir, 'model', `m-${location.replace(/\W/g, '_')}.onnx`);
      writeFileSync(path, g.model());
      return path;
    };
    const ok = importOnnxFile(make('w.bin'));
    expect([...interpret(ok.module, [f32([2], [1, 1])])[0]!.data]).toEqual([5, 6]);
    expect(() => importOnnxFile(make('../secret.bin'))).toThrow(/external data location '..\/secret.bin' escapes the model's folder/);
    expect(() => importOnnxFile(make(join(dir, 'secret.bin')))).toThrow(/is absolute/);
    expect(() => importOnnxFile(make('missing.bin'))).toThrow(/external data file 'missing.bin' not found/);
  });

  describe('malformed input gets one clear error', () => {
    const cases: [string, () => Uint8Array, RegExp, typeof OnnxError | typeof UnsupportedError | typeof InvalidModelError][] = [
      ['a truncated file', () => relu().model().slice(0, 30), /truncated or is not an ONNX model/, OnnxError],
      ['a file that is not ONNX', () => new TextEncoder().encode('hello, this is not a model\n'), /not an ONNX model/, OnnxError],
      ['an empty file', () => new Uint8Array(0), /the file is empty/, OnnxError],
      ['an unknown op', () => {
        const g = new OnnxGraphBuilder('g');
        g.input('x', 'f32', [4]);
        g.op('FancyOp', ['x'], {}, 'y');
        g.output('y', 'f32');
        return g.model();
      }, /node 'FancyOp_0' \(FancyOp\): op FancyOp is not supported \(docs\/importer\.md lists the \d+ supported ops\)$/, UnsupportedError],
      ['a missing initializer', () => {
        const g = new OnnxGraphBuilder('g');
        g.input('x', 'f32', [1, 1, 4, 4]);
        g.op('Conv', ['x', 'conv.weight'], {}, 'y');
        g.output('y', 'f32');
        return g.model();
      }, /invalid model: node 'Conv_0' \(Conv\): input 'conv.weight' is not produced by any node, initializer or graph input/, InvalidModelError],
      ['a tensor whose size does not match its data', () => {
        const g = new OnnxGraphBuilder('g');
        g.input('x', 'f32', [3]);
        g.initializers.push({ name: 'w', dims: [3], dataType: 1, rawData: new Uint8Array(8) });
        g.op('Add', ['x', 'w'], {}, 'y');
        g.output('y', 'f32');
        return g.model();
      }, /initializer 'w': declared shape \[3\] of FLOAT needs 3 elements \(12 bytes\), the data has 8 bytes/, OnnxError],
      ['a graph with a cycle', () => {
        const g = new OnnxGraphBuilder('g');
        g.input('x', 'f32', [3]);
        g.node('Add', ['x', 'b'], {}, ['a']);
        g.node('Relu', ['a'], {}, ['b']);
        g.output('b', 'f32');
        return g.model();
      }, /invalid model: the graph has a cycle through nodes 'Add_0' \(Add\) -> 'Relu_1' \(Relu\)/, InvalidModelError],
      ['a wrong attribute kind', () => {
        const g = new OnnxGraphBuilder('g');
        g.input('x', 'f32', [3]);
        g.op('LeakyRelu', ['x'], { alpha: A.s('big') }, 'y');
        g.output('y', 'f32');
        return g.model();
      }, /invalid model: node 'LeakyRelu_0' \(LeakyRelu\): attribute 'alpha' must be float, got string/, InvalidModelError],
      ['shapes that do not fit the op', () => {
        const g = new OnnxGraphBuilder('g');
        g.input('a', 'f32', [2, 3]);
        g.input('b', 'f32', [4, 5]);
        g.op('MatMul', ['a', 'b'], {}, 'y');
        g.output('y', 'f32');
        return g.model();
      }, /invalid model: node 'MatMul_0' \(MatMul\): reduction dims of a and b differ: 3 vs 4/, InvalidModelError],
    ];
    it.each(cases)('%s', (_name, make, message, type) => {
      let err: unknown;
      try {
        importOnnx(make(), { file: 'bad.onnx' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(/^bad\.onnx: /);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    });
  });

  it('refuses opsets newer than it knows', () => {
    expect(() => importOnnx(relu().model(26))).toThrow(/opset 26 is newer than the newest supported \(25\)/);
  });

  it('decodes what the builder encodes (sanity of the proto layer)', () => {
    const m = onnx.ModelProto.decode(relu().model());
    expect(m.graph?.node?.[0]?.opType).toBe('Relu');
  });
});
