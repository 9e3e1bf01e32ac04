// Renders docs/passes.md from the pass registry (`npm run docs`); a test fails when it is stale.
import { BUILTIN_PASSES } from '../../passes/index.js';
import { optionRange } from '../pass/define.js';

export function renderPassesDoc(): string {
  const out = [
    '# Passes',
    '',
    '<!-- Generated from passes/index.ts by `npm run docs`. Do not edit by hand. -->',
    '',
    'Run passes with `sparsec opt file.ir -p "<pipeline>"`, e.g.',
    '`-p "canonicalize,fold-batchnorm,fuse-bias,fuse-activation{ops=relu+clip}"`. Options go in braces,',
    'list values are joined with `+`. `sparsec passes` lists these and any loaded with `--load-pass`;',
    '[writing-a-pass.md](writing-a-pass.md) shows how to write one. Each pass has its own file in',
    '`passes/` and a golden test in `ir-tests/passes/` with cases where it must not fire.',
    '',
    '| pass | summary |',
    '|---|---|',
    ...BUILTIN_PASSES.map((p) => `| [\`${p.name}\`](#${p.name}) | ${p.summary} |`),
    '',
  ];
  for (const p of BUILTIN_PASSES) {
    out.push(`## ${p.name}`, '', p.summary, '');
    if (p.description) out.push(p.description, '');
    const opts = Object.entries(p.options);
    if (opts.length) {
      out.push('| option | type | default | |', '|---|---|---|---|');
      for (const [k, o] of opts) {
        const def = Array.isArray(o.default) ? o.default.join('+') : String(o.default);
        out.push(`| \`${k}\` | ${o.type} | \`${def}\` | ${o.doc}${o.oneOf ? ` (values: ${o.oneOf.join(', ')})` : ''}${optionRange(o) ? ` (${optionRange(o)})` : ''} |`);
      }
      out.push('');
    }
    out.push(`Source: [passes/${p.name}.ts](../passes/${p.name}.ts) · tests: [ir-tests/passes/${p.name}.ir](../ir-tests/passes/${p.name}.ir)`, '');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}
