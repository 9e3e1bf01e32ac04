// The ops' own rules refuse hand-written IR as they refuse imported models (issue 11): type
// constraints, negative sizes, windows larger than their input, layer norm operands that do not
// fit, and long values elided in the message.
import { describe, expect, it } from 'vitest';
import { parseModule } from '../ir/parser.js';
import { verify } from '../ir/verifier.js';

/** The verifier's messages for one function with the given signature and body. */
function problems(args: string, result: string, body: string): string[] {
  const text = `module {\n  func @f(${args}) -> (${result}) {\n${body.trim().split('\n').map((l) => `    ${l.trim()}`).join('\n')}\n    return %y\n  }\n}\n`;
  return verify(parseModule(text)).map((d) => d.message);
}

describe('op rules in the verifier', () => {
  it.each([
    ['tile with negative repeats', '%x: tensor<2x3xf32>', 'tensor<2x3xf32>', `
      %r = nn.constant dense<[1, -1]> : tensor<2xi64>
      %y = nn.tile(%x, %r) : tensor<2x3xf32>`, '4:5: nn.tile: repeats must be >= 0, got [1, -1]'],
    ['expand to a negative dim', '%x: tensor<1x3xf32>', 'tensor<2x3xf32>', `
      %s = nn.constant dense<[-2, 3]> : tensor<2xi64>
      %y = nn.expand(%x, %s) : tensor<2x3xf32>`, '4:5: nn.expand: shape values must be >= 0, got [-2, 3]'],
    ['split with a negative size', '%x: tensor<4xf32>', 'tensor<6xf32>', `
      %s = nn.constant dense<[6, -2]> : tensor<2xi64>
      %y, %z = nn.split(%x, %s) : tensor<6xf32>, tensor<0xf32>`, '4:5: nn.split: split sizes must be >= 0, got [6, -2]'],
    ['matmul of f32 and i64', '%a: tensor<2x3xf32>, %b: tensor<3x4xi64>', 'tensor<2x4xf32>',
      '%y = nn.matmul(%a, %b) : tensor<2x4xf32>', '3:5: nn.matmul: operand #1 has element type i64, expected f32 like operand #0'],
    ['instance norm with a scale of another type', '%x: tensor<1x2x3xf32>, %s: tensor<2xf64>, %b: tensor<2xf32>', 'tensor<1x2x3xf32>',
      '%y = nn.instance_normalization(%x, %s, %b) : tensor<1x2x3xf32>', '3:5: nn.instance_normalization: operand #1 has element type f64, expected f32 like operand #0'],
    ['conv kernel larger than its input', '%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x5x5xf32>', 'tensor<1x1x1x1xf32>',
      '%y = nn.conv(%x, %w) : tensor<1x1x1x1xf32>', '3:5: nn.conv: kernel_shape[0] = 5 is larger than input dim 2 (3)'],
    ['max pool window larger than its padded input', '%x: tensor<1x1x3x3xf32>', 'tensor<1x1x1x1xf32>',
      '%y = nn.max_pool(%x) {kernel_shape = [6, 1], pads = [1, 0, 1, 0]} : tensor<1x1x1x3xf32>', '3:5: nn.max_pool: kernel_shape[0] = 6 is larger than input dim 2 padded: 3 + 1 + 1 = 5'],
    ['layer norm scale of the wrong length', '%x: tensor<2x4xf32>, %s: tensor<3xf32>', 'tensor<2x4xf32>',
      '%y = nn.layer_normalization(%x, %s) : tensor<2x4xf32>', '3:5: nn.layer_normalization: scale shape [3] does not fit the normalized dims [4] (x dims from axis 1 on)'],
    ['constant_of_shape with an empty value', '%s: tensor<2xi64>', 'tensor<2x2xf32>',
      '%y = nn.constant_of_shape(%s) {value = dense<[]> : tensor<0xf32>} : tensor<2x2xf32>', "3:5: nn.constant_of_shape: attribute 'value' must be a one-element tensor, got a tensor of 0 elements, shape [0]"],
  ])('%s', (_name, args, result, body, message) => {
    expect(problems(args, result, body)[0]).toBe(message);
  });

  it('accepts a layer norm scale that covers the last normalized dims only', () => {
    expect(problems('%x: tensor<2x3x4xf32>, %s: tensor<1x4xf32>', 'tensor<2x3x4xf32>', '%y = nn.layer_normalization(%x, %s) {axis = 1} : tensor<2x3x4xf32>')).toEqual([]);
  });

  it('elides a long attribute in its message', () => {
    const perm = [...Array(100_000).keys()].join(', ');
    const [message] = problems('%x: tensor<2x3xf32>', 'tensor<3x2xf32>', `%y = nn.transpose(%x) {perm = [${perm}]} : tensor<3x2xf32>`);
    expect(message).toMatch(/^3:5: nn\.transpose: perm \[0, 1, 2, .* \.\.\.\(\d+ chars\)\.\.\. .*99998, 99999\] is not a permutation of 0\.\.1$/);
  });
});
