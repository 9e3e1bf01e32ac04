// definePass: a pass is a name, a summary, typed options with defaults, and a run function.
import type { Module } from '../ir/core.js';
import { elide } from '../util/limits.js';

export type OptionType = 'int' | 'float' | 'bool' | 'string' | 'strings';
export type OptionValue<T extends OptionType> = T extends 'int' | 'float' ? number : T extends 'bool' ? boolean : T extends 'string' ? string : string[];

export interface PassOptionSpec<T extends OptionType = OptionType> {
  readonly type: T;
  readonly default: OptionValue<T>;
  readonly doc: string;
  /** For string and strings options: the accepted values. */
  readonly oneOf?: readonly string[];
  /** For int and float options: the smallest and largest accepted values (inclusive). */
  readonly min?: number;
  readonly max?: number;
}

/** `0 to 1`, `at least 1`: an option's range in words, or undefined when it has none. */
export function optionRange(spec: PassOptionSpec): string | undefined {
  const { min, max } = spec;
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  if (min !== undefined) return `at least ${min}`;
  if (max !== undefined) return `at most ${max}`;
  return undefined;
}

export type OptionSpecs = Readonly<Record<string, PassOptionSpec>>;
export type OptionValues<S extends OptionSpecs> = { -readonly [K in keyof S]: OptionValue<S[K]['type']> };

export interface PassContext<O> {
  readonly options: O;
  /** Adds n (default 1) to a named statistic, printed with --stats. */
  stat(name: string, n?: number): void;
}

export interface PassSpec<S extends OptionSpecs> {
  /** kebab-case name used in pipelines. */
  readonly name: string;
  /** One line for `sparsec passes`. */
  readonly summary: string;
  readonly description?: string;
  /**
   * Changes results by design (pruning): the check that every pass keeps the interpreter's results
   * leaves it out, and its own tests say what it changes.
   */
  readonly lossy?: boolean;
  readonly options?: S;
  run(module: Module, ctx: PassContext<OptionValues<S>>): void;
}

export interface Pass<S extends OptionSpecs = OptionSpecs> extends PassSpec<S> {
  readonly options: S;
  readonly [PASS_MARK]: true;
}

export const PASS_MARK = Symbol.for('sparsec.pass');

/** Declares a pass. Option types are checked at compile time and again when a pipeline is parsed. */
export function definePass<const S extends OptionSpecs = Record<never, never>>(spec: PassSpec<S>): Pass<S> {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(spec.name)) throw new Error(`pass name '${spec.name}' must be kebab-case (like fold-batchnorm)`);
  const options = (spec.options ?? {}) as S;
  for (const [k, o] of Object.entries(options)) {
    if (!/^[a-z][a-z0-9-]*$/.test(k)) throw new Error(`pass ${spec.name}: option name '${k}' must be lower-case letters, digits and '-'`);
    checkOptionValue(spec.name, k, o, o.default);
  }
  return { ...spec, options, [PASS_MARK]: true };
}

export function isPass(x: unknown): x is Pass {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[PASS_MARK] === true;
}

/** Throws when v does not fit the option's type. */
export function checkOptionValue(pass: string, name: string, spec: PassOptionSpec, v: unknown): void {
  const bad = (want: string) => {
    throw new Error(`pass ${pass}: option '${name}' needs ${want}, got ${elide(JSON.stringify(v) ?? String(v))}`);
  };
  switch (spec.type) {
    case 'int': if (typeof v !== 'number' || !Number.isInteger(v)) bad('an integer'); break;
    case 'float': if (typeof v !== 'number' || !Number.isFinite(v)) bad('a finite number'); break;
    case 'bool': if (typeof v !== 'boolean') bad('true or false'); break;
    case 'string': if (typeof v !== 'string') bad('a string'); break;
    case 'strings': if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad('a list of strings'); break;
  }
  const range = optionRange(spec);
  if (range && typeof v === 'number' && ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))) bad(`a value from ${range}`);
  if (spec.oneOf) {
    const vals = Array.isArray(v) ? v : [v];
    for (const x of vals) if (!spec.oneOf.includes(x as string)) bad(`one of ${spec.oneOf.join(', ')}`);
  }
}
