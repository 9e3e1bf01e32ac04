import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder } from '../ir/builder.js';
import { TensorType } from '../ir/types.js';
import { definePass } from './define.js';
import { runPipeline, statsTable, timingTable } from './manager.js';
import { parsePipeline, PipelineError, printPipeline } from './pipeline.js';
import { passRegistry } from './registry.js';
import { applyPatternsGreedily, pattern } from './rewrite.js';

const registry = passRegistry();

describe('pipeline strings', () => {
  it('parses passes and typed options, and prints back the same pipeline', () => {
    const p = parsePipeline('canonicalize{cse=false,max-rewrites=10}, fold-batchnorm,fuse-activation{ops=relu+clip}', registry);
    expect(p.map((e) => e.pass.name)).toEqual(['canonicalize', 'fold-batchnorm', 'fuse-activation']);
    expect(p[0]!.options).toEqual({ cse: false, 'max-rewrites': 10 });
    expect(p[2]!.options).toEqual({ ops: ['relu', 'clip'] });
    const text = printPipeline(p);
    expect(text).toBe('canonicalize{max-rewrites=10,cse=false},fold-batchnorm,fuse-activation{ops=relu+clip}');
    expect(printPipeline(parsePipeline(text, registry))).toBe(text);
  });

  it('print(parse(p)) is stable for random pipelines', () => {
    const entry = fc.oneof(
      fc.constant('fold-batchnorm'),
      fc.constant('fuse-bias'),
      fc.record({ cse: fc.boolean(), n: fc.integer({ min: 1, max: 1000 }) }).map(({ cse, n }) => `canonicalize{cse=${cse},max-rewrites=${n}}`),
      fc.subarray(['relu', 'clip', 'gelu', 'sigmoid'], { minLength: 1 }).map((ops) => `fuse-activation{ops=${ops.join('+')}}`),
    );
    fc.assert(fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
      const text = entries.join(',');
      const once = printPipeline(parsePipeline(text, registry));
      expect(printPipeline(parsePipeline(once, registry))).toBe(once);
      expect(parsePipeline(once, registry).map((e) => e.pass.name)).toEqual(parsePipeline(text, registry).map((e) => e.pass.name));
    }), { numRuns: 300 });
  });

  it.each([
    ['canonicalize,fold-batchnrm', 14, /unknown pass 'fold-batchnrm'; did you mean 'fold-batchnorm'\? \(passes: canonicalize, fold-batchnorm, fuse-bias, fuse-activation, /],
    ['canonicalize{cs=true}', 14, /unknown option 'cs' for canonicalize; did you mean 'cse'\? \(options: max-rewrites, cse\)/],
    ['canonicalize{cse=maybe}', 18, /option 'cse' needs true or false, got "maybe"/],
    ['canonicalize{max-rewrites=1.5}', 27, /option 'max-rewrites' needs an integer/],
    ['fuse-activation{ops=relu+tanh}', 21, /option 'ops' needs one of relu, clip, leaky_relu, sigmoid, hard_swish, gelu/],
    ['canonicalize fold-bias', 14, /expected ',' between passes/],
    ['canonicalize{cse=true', 22, /expected ',' or '}' closing the options of canonicalize/],
  ])('%s is refused at character %i', (text, at, message) => {
    let err: unknown;
    try {
      parsePipeline(text, registry);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).at + 1).toBe(at);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(`at character ${at}`);
  });

  it('definePass refuses bad names and badly typed defaults', () => {
    expect(() => definePass({ name: 'Bad_Name', summary: '', run() {} })).toThrow(/kebab-case/);
    expect(() => definePass({ name: 'ok', summary: '', options: { n: { type: 'int', default: 1.5, doc: '' } }, run() {} })).toThrow(/option 'n' needs an integer/);
  });
});

describe('pass manager and rewriting', () => {
  function relus() {
    const { module, func, b } = Builder.func();
    const x = func.addArgument(new TensorType([4], 'f32'), 'x');
    b.ret([b.op('nn.relu', [b.op('nn.relu', [b.op('nn.identity', [x])])])]);
    return module;
  }

  it('records statistics and timings, and dumps IR after changes', () => {
    const m = relus();
    const log: string[] = [];
    const records = runPipeline(m, parsePipeline('canonicalize,fuse-bias', registry), { printIrAfterChange: true, log: (s) => log.push(s) });
    expect(records.map((r) => r.changed)).toEqual([true, false]);
    expect(log.join('')).toMatch(/^\/\/ -----\/\/ IR Dump After canonicalize \/\/----- \/\//);
    expect(log.join('')).not.toContain('After fuse-bias');
    expect(statsTable(records)).toContain('canonicalize: 1 identity rewrites');
    expect(timingTable(records)).toMatch(/canonicalize +\d+\.\d+ +\d+\.\d\n/);
  });

  it('stops a pattern set that never converges, naming the pattern', () => {
    const m = relus();
    const flipflop = pattern('nn.relu', (op, rw) => {
      rw.updateInPlace(op, () => op.setAttr('x', { kind: 'int', value: ((op.attr('x') as { value: number } | undefined)?.value ?? 0) + 1 }));
      return true;
    }, 'forever');
    expect(() => applyPatternsGreedily(m.funcs[0]!, [flipflop], { maxRewrites: 50 })).toThrow(/did not reach a fixed point after 50 rewrites \(pattern 'forever' fired/);
  });
});

describe('the semantics check', () => {
  it('catches a pass that changes results, naming the pass and the worst element', async () => {
    const { checkPassSemantics } = await import('./semantics.js');
    const { applyPatterns } = await import('./rewrite.js');
    const wrong = definePass({
      name: 'relu-to-sigmoid',
      summary: 'wrong on purpose',
      run(m) {
        applyPatterns(m, [pattern('nn.relu', (op, rw) => (rw.replaceOp(op, [rw.create(op, 'nn.sigmoid', [op.operand(0)]).result(0)]), true))]);
      },
    });
    const { module, func, b } = Builder.func();
    b.ret([b.op('nn.relu', [func.addArgument(new TensorType([8], 'f32'), 'x')])]);
    const r = checkPassSemantics(wrong, module);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^pass relu-to-sigmoid changed output #0: values differ .* worst element \[\d+\] got .*, expected .*/);
  });
});
