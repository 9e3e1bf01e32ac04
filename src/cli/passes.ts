// `sparsec passes`: every pass (built-in and loaded) with its summary and options.
import type { Pass } from '../pass/define.js';
import type { Command } from './command.js';
import { optionRange } from '../pass/define.js';
import { loadRegistry } from './opt.js';

export function describePass(p: Pass): string {
  const lines = [`${p.name}  ${p.summary}`];
  for (const [k, o] of Object.entries(p.options)) {
    const def = Array.isArray(o.default) ? o.default.join('+') : String(o.default);
    lines.push(`    ${k}=<${o.type}>  ${o.doc} (default ${def || '(empty)'}${o.oneOf ? `; values: ${o.oneOf.join(', ')}` : ''}${optionRange(o) ? `; ${optionRange(o)}` : ''})`);
  }
  return lines.join('\n');
}

export const passesCommand: Command = {
  name: 'passes',
  summary: 'List the passes with their summaries and options.',
  usage: '[--load-pass FILE]',
  description: 'Lists the built-in passes, those named by sparsec.config.ts, and those loaded with --load-pass. Use them in `sparsec opt -p "a,b{option=value}"`.',
  positionals: [0, 0],
  options: {
    'load-pass': { type: 'string', arg: 'FILE', multiple: true, help: 'also load passes from this file (repeatable)' },
  },
  async run(args, io) {
    const registry = await loadRegistry((args.options['load-pass'] as string[] | undefined) ?? [], io);
    for (const p of registry.values()) io.out(describePass(p) + '\n');
    return 0;
  },
};
