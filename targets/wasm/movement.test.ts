// Data movement found wrong by the fuzzer (issue 11), compiled and checked against the interpreter.
import { describe, it } from 'vitest';
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
});
