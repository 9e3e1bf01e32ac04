import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../ir/tensor.js';
import { encodeTensor, readTensorFile } from './proto.js';

describe('TensorProto files', () => {
  it('write then read gives the same tensor, name and bytes for every element type', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsec-pb-'));
    const cases = [
      Tensor.from('f32', [2, 2], [1.5, -0, NaN, Infinity]),
      Tensor.from('f16', [3], [0.5, 65504, -2]),
      Tensor.from('f64', [1], [0.1]),
      Tensor.from('i64', [2], [-(2n ** 63n), 2n ** 63n - 1n]),
      Tensor.from('i32', [1], [-5]),
      Tensor.from('i8', [2], [-128, 127]),
      Tensor.from('u8', [2], [0, 255]),
      Tensor.from('bool', [3], [true, false, true]),
      Tensor.from('f32', [], [3]),
      Tensor.zeros('f32', [0, 4]),
    ];
    cases.forEach((t, i) => {
      const path = join(dir, `t${i}.pb`);
      writeFileSync(path, encodeTensor(t, `name${i}`));
      const back = readTensorFile(path);
      expect(back.name).toBe(`name${i}`);
      expect(back.tensor.elementType).toBe(t.elementType);
      expect(back.tensor.shape).toEqual(t.shape);
      expect(back.tensor.bitwiseEquals(t)).toBe(true);
    });
  });

  it('reads ONNX test data written by ONNX itself', () => {
    const t = readTensorFile(new URL('../../../shared/onnx-tests/node/test_relu/test_data_set_0/input_0.pb', import.meta.url).pathname);
    expect(t.tensor.shape).toEqual([3, 4, 5]);
    expect(t.tensor.elementType).toBe('f32');
  });

  it('refuses a file that is not a TensorProto', () => {
    const p = join(mkdtempSync(join(tmpdir(), 'sparsec-pb-')), 'bad.pb');
    writeFileSync(p, new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    expect(() => readTensorFile(p)).toThrow(/bad\.pb: not a TensorProto file/);
    expect(readFileSync(p).length).toBe(4);
  });
});
