// Reading option values that several commands share (lists, --shape, tolerances), with one-line errors.
import { CliError, type ParsedArgs } from './command.js';

/** Options given more than once collect into a list; absent ones are an empty list. */
export function listOption(args: ParsedArgs, name: string): string[] {
  return (args.options[name] as string[] | undefined) ?? [];
}

/** A names option (--only, --exclude): comma-separated, repeatable; blanks dropped. */
export function namesOption(args: ParsedArgs, name: string): string[] {
  return listOption(args, name).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** Parses `name=1x3x224x224` options into a shape table. */
export function parseShapes(values: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const v of values) {
    const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(v);
    if (!m) throw new CliError(`--shape needs name=DIMS such as input=1x3x224x224, got '${v}'`);
    out[m[1]!] = m[2]!.split('x').map(Number);
  }
  return out;
}

export function tolerance(opts: Record<string, unknown>, defaults: { rtol: number; atol: number }): { rtol: number; atol: number } {
  const get = (k: 'rtol' | 'atol') => {
    const v = opts[k];
    if (v === undefined) return defaults[k];
    if (typeof v !== 'number' || !(v >= 0)) throw new CliError(`--${k} needs a non-negative number, got ${String(v)}`);
    return v;
  };
  return { rtol: get('rtol'), atol: get('atol') };
}
