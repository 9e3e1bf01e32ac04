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
});
