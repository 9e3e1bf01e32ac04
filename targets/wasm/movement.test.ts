// Data movement and pooling, compiled and checked against the interpreter: cases the fuzzer found
// wrong (issue 11), copies as runs instead of element tables, pooling windows walked by arithmetic.
import { describe, expect, it } from 'vitest';
import { copyRuns } from './lower/movement.js';
import { compileWasm } from './compile.js';
import { parseModule } from '../../src/ir/parser.js';
import { agree } from './agree.js';

const net = (t: string, body: string, out: string) => parseModule(`module {\n  func @main(%x: ${t}) -> (${out}) {\n${body}\n  }\n}\n`);

describe('wasm data movement', () => {
  it('a concat that lists one value twice copies it into both places (was: the first left unwritten)', async () => {
    await agree(net('tensor<1x2x3x3xf32>', [
      '    %a = nn.relu(%x) : tensor<1x2x3x3xf32>',
      '    %c = nn.concat(%a, %a, %x, %a) {axis = 1} : tensor<1x8x3x3xf32>',
      '    %d = nn.sigmoid(%c) : tensor<1x8x3x3xf32>',
      '    return %d',
    ].join('\n'), 'tensor<1x8x3x3xf32>'), 1);
  });
  it('0-size operands and results get no storage and need none (was: "internal: no address for a value of nn.concat")', async () => {
    await agree(net('tensor<0x8x8xu8>', [
      '    %k = nn.constant dense<0> : tensor<0x8x0xu8>',
      '    %c = nn.concat(%x, %k) {axis = 2} : tensor<0x8x8xu8>',
      '    %a = nn.abs(%c) : tensor<0x8x8xu8>',
      '    return %a',
    ].join('\n'), 'tensor<0x8x8xu8>'), 1);
    await agree(net('tensor<2x0xi16>', [
      '    %k = nn.constant dense<0> : tensor<1x0xi16>',
      '    %c = nn.concat(%x, %k) {axis = 0} : tensor<3x0xi16>',
      '    %k2 = nn.constant dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9]]> : tensor<3x3xi16>',
      '    %e = nn.concat(%c, %k2) {axis = 1} : tensor<3x3xi16>',
      '    return %e',
    ].join('\n'), 'tensor<3x3xi16>'), 1);
  });

  it('copy tables become runs: consecutive sources, fill, and left elements skipped', () => {
    expect(copyRuns([4, 5, 6, -1, -1, 0, 1, -2, -2, 9])).toEqual([{ dst: 0, src: 4, len: 3 }, { dst: 3, src: -1, len: 2 }, { dst: 5, src: 0, len: 2 }, { dst: 9, src: 9, len: 1 }]);
    expect(copyRuns([])).toEqual([]);
  });

  it('a channel concat, a split and a pad of whole rows are block copies, unrolled or from a run table; a transpose keeps its element table', async () => {
    const concat = await agree(net('tensor<2x3x4x4xf32>', [
      '    %a = nn.relu(%x) : tensor<2x3x4x4xf32>',
      '    %c = nn.concat(%x, %a) {axis = 1} : tensor<2x6x4x4xf32>',
      '    return %c',
    ].join('\n'), 'tensor<2x6x4x4xf32>'), 2, ['copy_runs']);
    expect(concat).not.toContain('gather');
    // 2.0 is not one repeated byte: the fill is a loop; 48 rows of 16 with pads on both sides: a table of runs.
    const pad = parseModule(`module {\n  func @main(%x: tensor<2x3x8x16xf32>) -> (tensor<2x3x11x19xf32>) {\n    %p = nn.constant dense<[0, 0, 3, 1, 0, 0, 0, 2]> : tensor<8xi64>\n    %v = nn.constant dense<2.0> : tensor<f32>\n    %y = nn.pad(%x, %p, %v) {mode = "constant"} : tensor<2x3x11x19xf32>\n    return %y\n  }\n}\n`);
    await agree(pad, 3, ['copy_runs']);
    expect(compileWasm(pad.funcs[0]!).manifest.kernels[0]!.schedule).toMatchObject({ unrolled: 0 });
    const transpose = await agree(net('tensor<16x20xi32>', '    %t = nn.transpose(%x) {perm = [1, 0]} : tensor<20x16xi32>\n    return %t', 'tensor<20x16xi32>'), 4);
    expect(transpose).toEqual(['gather']);
  });

  it('pooling walks its windows by arithmetic: 1-d to 3-d, pads, dilations, ceil mode, count_include_pad, global pools', async () => {
    const pools = [
      ['tensor<1x2x9xf32>', 'nn.max_pool(%x) {kernel_shape = [3], strides = [2], pads = [1, 1]}', 'tensor<1x2x5xf32>'],
      ['tensor<2x3x7x7xf32>', 'nn.average_pool(%x) {kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1], count_include_pad = 1}', 'tensor<2x3x4x4xf32>'],
      ['tensor<2x3x7x7xf32>', 'nn.average_pool(%x) {kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]}', 'tensor<2x3x4x4xf32>'],
      ['tensor<1x2x8x8xf32>', 'nn.max_pool(%x) {kernel_shape = [2, 2], strides = [3, 3], ceil_mode = 1}', 'tensor<1x2x3x3xf32>'],
      ['tensor<1x1x9x9xi8>', 'nn.max_pool(%x) {kernel_shape = [2, 2], dilations = [2, 2]}', 'tensor<1x1x7x7xi8>'],
      ['tensor<1x2x4x5x6xf32>', 'nn.average_pool(%x) {kernel_shape = [2, 2, 3], strides = [1, 2, 3]}', 'tensor<1x2x3x2x2xf32>'],
      ['tensor<2x4x5x5xf32>', 'nn.global_average_pool(%x)', 'tensor<2x4x1x1xf32>'],
      ['tensor<2x4x5x5xf32>', 'nn.global_max_pool(%x)', 'tensor<2x4x1x1xf32>'],
    ];
    for (const [t, pool, out] of pools) {
      const kernels = await agree(net(t!, `    %y = ${pool} : ${out}\n    return %y`, out!), 5);
      expect(kernels, pool).toEqual([pool!.includes('max') ? 'max_pool' : 'avg_pool']);
    }
  });
});
