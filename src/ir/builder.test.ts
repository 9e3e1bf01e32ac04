import { describe, expect, it } from 'vitest';
import { Builder, int, ints, Op, printModule, Tensor, TensorType, verify } from '../index.js';

function convNet() {
  const { module, func, b } = Builder.func('net');
  const x = func.addArgument(new TensorType(['N', 3, 8, 8], 'f32'), 'x');
  const w = b.constant(Tensor.from('f32', [4, 3, 1, 1], Array.from({ length: 12 }, (_, i) => i % 3)), { name: 'w' });
  const conv = b.op('nn.conv', [x, w], { strides: ints([2, 2]) }, { names: ['conv'], loc: 'Conv_0' });
  const relu = b.op('nn.relu', [conv], {}, { names: ['relu'] });
  const pool = b.op('nn.global_average_pool', [relu]);
  const flat = b.op('nn.flatten', [pool], { axis: int(1) });
  b.ret([flat], ['logits']);
  return { module, func, x, w, conv, relu, flat };
}

describe('builder', () => {
  it('infers result types, including symbolic dims', () => {
    const { module, conv, flat } = convNet();
    expect(conv.type.toString()).toBe('tensor<{N}x4x4x4xf32>');
    expect(flat.type.toString()).toBe('tensor<{N}x4xf32>');
    expect(verify(module)).toEqual([]);
    expect(printModule(module)).toContain('-> (tensor<{N}x4xf32> {name = "logits"})');
  });

  it('rejects ops whose inference fails with the op name and reason', () => {
    const { b, func } = Builder.func();
    const x = func.addArgument(new TensorType([2, 3], 'f32'));
    const y = func.addArgument(new TensorType([4, 5], 'f32'));
    expect(() => b.op('nn.matmul', [x, y])).toThrow(/nn\.matmul/);
    expect(() => b.op('nn.nonsense', [x])).toThrow(/unknown op 'nn.nonsense'/);
  });

  it('inserts before and after a given op', () => {
    const { func, conv, relu } = convNet();
    const b = new Builder(func).setInsertionPointAfter(conv.definingOp!);
    const t = b.op('nn.tanh', [conv]);
    relu.definingOp!.setOperand(0, t);
    expect(func.ops.map((o) => o.name).slice(0, 4)).toEqual(['nn.constant', 'nn.conv', 'nn.tanh', 'nn.relu']);
    new Builder(func).setInsertionPointBefore(func.ops[0]!).op('nn.identity', [func.args[0]!]);
    expect(func.ops[0]!.name).toBe('nn.identity');
  });
});

describe('use-def chains', () => {
  it('a value knows its users and rewrites keep the chains consistent', () => {
    const { module, func, conv, relu } = convNet();
    expect(conv.users.map((o) => o.name)).toEqual(['nn.relu']);
    // Replace relu with identity: RAUW then erase.
    const reluOp = relu.definingOp!;
    const id = new Builder(func).setInsertionPointBefore(reluOp).op('nn.identity', [conv]);
    reluOp.replaceWith([id]);
    expect(relu.hasUses).toBe(false);
    expect(conv.users.map((o) => o.name)).toEqual(['nn.identity']);
    expect(id.users.map((o) => o.name)).toEqual(['nn.global_average_pool']);
    expect(verify(module)).toEqual([]);
  });

  it('refuses to erase an op whose result is still used', () => {
    const { conv } = convNet();
    expect(() => conv.definingOp!.erase()).toThrow(/still has 1 use/);
  });

  it('the verifier catches a broken chain and an op used before its definition', () => {
    const { module, func, conv, relu } = convNet();
    // Move relu before conv: a dominance violation.
    const reluOp = relu.definingOp!;
    func.body.unlink(reluOp);
    func.body.insertBefore(reluOp, conv.definingOp!);
    const msgs = verify(module).map((d) => d.message);
    expect(msgs[0]).toMatch(/nn\.relu: operand #0 \(%conv\) is used before its definition/);
    // Forge a use that the operand list does not have.
    const { module: m2, x } = convNet();
    x.uses.push({ owner: new Op('nn.relu', [], []), index: 0 });
    expect(verify(m2).map((d) => d.message).join('\n')).toMatch(/use-def chain broken/);
  });

  it('many uses of one value are tracked per operand slot', () => {
    const { b, func, module } = Builder.func();
    const x = func.addArgument(new TensorType([4], 'f32'));
    const s = b.op('nn.add', [x, x]);
    const y = b.op('nn.mul', [s, x]);
    b.ret([y]);
    expect(x.uses.map((u) => [u.owner.name, u.index])).toEqual([['nn.add', 0], ['nn.add', 1], ['nn.mul', 1]]);
    const n = b.setInsertionPointBefore(s.definingOp!).op('nn.neg', [x]);
    x.replaceAllUsesWith(n);
    n.definingOp!.setOperand(0, x); // the neg itself still reads x
    expect(x.uses.length).toBe(1);
    expect(n.uses.length).toBe(3);
    expect(verify(module)).toEqual([]);
  });
});
