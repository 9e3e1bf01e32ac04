// `sparsec passes`: every pass (built-in and loaded) with its summary and options.
import type { Pass } from '../pass/define.js';
import type { Io, ParsedArgs } from './command.js';
import { optionRange } from '../pass/define.js';
import { loadRegistry } from './opt.js';
import { listOption } from './options.js';

export function describePass(p: Pass): string {
  const lines = [`${p.name}  ${p.summary}`];
  for (const [k, o] of Object.entries(p.options)) {
    const def = Array.isArray(o.default) ? o.default.join('+') : String(o.default);
    lines.push(`    ${k}=<${o.type}>  ${o.doc} (default ${def || '(empty)'}${o.oneOf ? `; values: ${o.oneOf.join(', ')}` : ''}${optionRange(o) ? `; ${optionRange(o)}` : ''})`);
  }
  return lines.join('\n');
}

export async function runPasses(args: ParsedArgs, io: Io): Promise<number> {
  const registry = await loadRegistry(listOption(args, 'load-pass'), io);
  for (const p of registry.values()) io.out(describePass(p) + '\n');
  return 0;
}
