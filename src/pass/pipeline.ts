// Pipeline strings: `canonicalize,fold-batchnorm,fuse-activation{ops=relu+clip}`. Parsing checks
// pass names, option names and option types, and errors point at the character.
import { UserError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { elide } from '../util/limits.js';
import { checkOptionValue, type Pass, type PassOptionSpec } from './define.js';

export interface PipelineEntry {
  readonly pass: Pass;
  /** Options given explicitly (the rest take their defaults). */
  readonly options: Readonly<Record<string, unknown>>;
}

export class PipelineError extends UserError {
  override name = 'PipelineError';
  constructor(readonly pipeline: string, readonly at: number, message: string) {
    const near = elide(pipeline.slice(at).split(/(?<=.)[,{}=]/)[0]!, 40);
    super(`pipeline "${elide(pipeline)}" at character ${at + 1}${at < pipeline.length ? ` ('${near}')` : ' (the end)'}: ${message}`);
  }
}

function parseValue(spec: PassOptionSpec, raw: string): unknown {
  switch (spec.type) {
    case 'int': return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    case 'float': return /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(raw) ? Number(raw) : raw;
    case 'bool': return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'string': return raw;
    case 'strings': return raw === '' ? [] : raw.split('+');
  }
}

export function parsePipeline(text: string, registry: ReadonlyMap<string, Pass>): PipelineEntry[] {
  const out: PipelineEntry[] = [];
  let i = 0;
  const fail = (at: number, msg: string): never => {
    throw new PipelineError(text, at, msg);
  };
  const skip = () => {
    while (text[i] === ' ') i++;
  };
  const known = () => [...registry.keys()].join(', ');
  if (text.trim() === '') return out;
  for (;;) {
    skip();
    const start = i;
    while (i < text.length && /[a-z0-9-]/.test(text[i]!)) i++;
    const name = text.slice(start, i);
    if (!name) fail(start, `expected a pass name (passes: ${known()})`);
    const pass = registry.get(name);
    if (!pass) fail(start, `unknown pass '${name}'${didYouMean(name, registry.keys())} (passes: ${known()})`);
    const options: Record<string, unknown> = {};
    skip();
    if (text[i] === '{') {
      i++;
      for (;;) {
        skip();
        const ks = i;
        while (i < text.length && /[a-z0-9-]/.test(text[i]!)) i++;
        const key = text.slice(ks, i);
        const accepted = Object.keys(pass!.options);
        if (!key) fail(ks, `expected an option name for ${name} (options: ${accepted.join(', ') || 'none'})`);
        const spec = pass!.options[key];
        if (!spec) fail(ks, `unknown option '${key}' for ${name}${didYouMean(key, accepted, 2)} (options: ${accepted.join(', ') || 'none'})`);
        if (key in options) fail(ks, `option '${key}' is given twice`);
        skip();
        if (text[i] !== '=') fail(i, `expected '=' after option '${key}'`);
        i++;
        const vs = i;
        while (i < text.length && text[i] !== ',' && text[i] !== '}') i++;
        const raw = text.slice(vs, i).trim();
        const value = parseValue(spec!, raw);
        try {
          checkOptionValue(name, key, spec!, value);
        } catch (e) {
          fail(vs, (e as Error).message.replace(`pass ${name}: `, ''));
        }
        options[key] = value;
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          break;
        }
        fail(i, `expected ',' or '}' closing the options of ${name}`);
      }
    }
    out.push({ pass: pass!, options });
    skip();
    if (i >= text.length) break;
    if (text[i] !== ',') fail(i, "expected ',' between passes");
    i++;
  }
  return out;
}

function printValue(v: unknown): string {
  return Array.isArray(v) ? v.join('+') : String(v);
}

/** The canonical text of a pipeline; parsing it gives the same pipeline. */
export function printPipeline(entries: readonly PipelineEntry[]): string {
  return entries
    .map((e) => {
      const opts = Object.keys(e.pass.options).filter((k) => k in e.options).map((k) => `${k}=${printValue(e.options[k])}`);
      return opts.length ? `${e.pass.name}{${opts.join(',')}}` : e.pass.name;
    })
    .join(',');
}

/** The options a pass runs with: defaults overridden by the entry's. */
export function resolvedOptions(e: PipelineEntry): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(e.pass.options)) o[k] = k in e.options ? e.options[k] : spec.default;
  return o;
}
