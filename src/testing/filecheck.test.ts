import { describe, expect, it } from 'vitest';
import { check, generateChecks, parseDirectives } from './filecheck.js';

const run = (output: string, checks: string) => check(output, parseDirectives(checks.split('\n')));

describe('filecheck', () => {
  const out = ['func @main(%x: t) {', '  %0 = nn.relu(%x) : t', '  %1 = nn.sigmoid(%0) : t', '  return %1', '}'].join('\n');

  it('matches CHECK in order and fails when the order is wrong', () => {
    expect(run(out, '// CHECK: nn.relu\n// CHECK: nn.sigmoid')).toBeUndefined();
    const f = run(out, '// CHECK: nn.sigmoid\n// CHECK: nn.relu');
    expect(f?.message).toContain('expected string not found');
    expect(f?.directive.line).toBe(2);
  });

  it('CHECK-NEXT must be on the very next line', () => {
    expect(run(out, '// CHECK: nn.relu\n// CHECK-NEXT: nn.sigmoid')).toBeUndefined();
    expect(run(out, '// CHECK: nn.relu\n// CHECK-NEXT: return')).toBeDefined();
  });

  it('CHECK-SAME continues the matched line', () => {
    expect(run(out, '// CHECK: nn.relu\n// CHECK-SAME: : t')).toBeUndefined();
    expect(run(out, '// CHECK: nn.relu\n// CHECK-SAME: sigmoid')).toBeDefined();
  });

  it('captures values and reuses them', () => {
    expect(run(out, '// CHECK: %[[R:[0-9]+]] = nn.relu\n// CHECK: nn.sigmoid(%[[R]])')).toBeUndefined();
    expect(run(out, '// CHECK: %[[R:[0-9]+]] = nn.relu\n// CHECK: return %[[R]]')).toBeDefined();
  });

  it('CHECK-NOT fails when the text appears between matches', () => {
    expect(run(out, '// CHECK: nn.relu\n// CHECK-NOT: nn.conv\n// CHECK: return')).toBeUndefined();
    const f = run(out, '// CHECK: nn.relu\n// CHECK-NOT: sigmoid\n// CHECK: return');
    expect(f?.message).toMatch(/excluded|found/);
  });

  it('CHECK-LABEL splits the output into blocks', () => {
    const two = `${out}\n${out.replace('@main', '@other').replace('nn.relu', 'nn.tanh')}`;
    expect(run(two, '// CHECK-LABEL: @other\n// CHECK: nn.tanh')).toBeUndefined();
    expect(run(two, '// CHECK-LABEL: @main\n// CHECK: nn.tanh\n// CHECK-LABEL: @other')).toBeDefined();
  });

  it('regex blocks and literal nested brackets', () => {
    expect(run('dense<[[1.0, 2.0]]>', '// CHECK: dense<[[1.0, {{[0-9.]+}}]]>')).toBeUndefined();
    expect(run('dense<[[1.0, x]]>', '// CHECK: dense<[[1.0, {{[0-9.]+}}]]>')).toBeDefined();
  });

  it('reports the nearest actual lines for a miss', () => {
    const f = run(out, '// CHECK: %1 = nn.sigmoid(%9) : t');
    expect(f?.nearest[0]?.text).toContain('nn.sigmoid(%0)');
    expect(f?.nearest[0]?.line).toBe(3);
  });

  it('rejects a variable used before it is defined', () => {
    expect(run(out, '// CHECK: %[[NOPE]]')?.message).toMatch(/used before it is defined/);
  });

  it('generated checks match the output they came from and not a changed one', () => {
    const checks = generateChecks(out);
    expect(checks[0]).toMatch(/^\/\/ CHECK-LABEL: func @main/);
    expect(run(out, checks.join('\n'))).toBeUndefined();
    expect(run(out.replace('nn.sigmoid(%0)', 'nn.sigmoid(%x)'), checks.join('\n'))).toBeDefined();
  });
});

describe('filecheck counts and typos', () => {
  const out = 'a\nb\na\na\n';
  it('CHECK-COUNT-n needs n matches in order', () => {
    expect(run(out, '// CHECK-COUNT-3: a')).toBeUndefined();
    expect(run(out, '// CHECK-COUNT-4: a')).toBeDefined();
  });
  it('an unknown directive suffix is an error, not silently ignored', () => {
    expect(() => run(out, '// CHECK-NXT: a')).toThrow(/unknown directive CHECK-NXT/);
  });
});
