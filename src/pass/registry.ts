// Which passes exist: the built-in registry plus passes loaded from user files (--load-pass or the
// `passes` list of an optional sparsec.config.ts).
import { UserError } from '../util/errors.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILTIN_PASSES } from '../../passes/index.js';
import { isPass, type Pass } from './define.js';
import { importUserModule } from './user-module.js';

export class PassLoadError extends UserError {
  override name = 'PassLoadError';
}

/** Imports a TypeScript or JavaScript file and returns the passes it exports (default or named). */
export async function loadPassFile(file: string, cwd = process.cwd()): Promise<Pass[]> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new PassLoadError(`cannot load pass file '${file}': no such file`);
  let mod: Record<string, unknown>;
  try {
    mod = await importUserModule(path);
  } catch (e) {
    throw new PassLoadError(`cannot load pass file '${file}': ${(e as Error).message.split('\n')[0]}`);
  }
  const passes = Object.values(mod).filter(isPass);
  if (passes.length === 0) throw new PassLoadError(`pass file '${file}' exports no pass (write: export default definePass({ name, summary, run }) with definePass from 'sparsec')`);
  return [...new Set(passes)];
}

/** Pass files listed by sparsec.config.ts (or .js / .mjs) in cwd, if there is one. */
export async function configPassFiles(cwd = process.cwd()): Promise<string[]> {
  for (const name of ['sparsec.config.ts', 'sparsec.config.mjs', 'sparsec.config.js']) {
    const path = resolve(cwd, name);
    if (!existsSync(path)) continue;
    let mod: { default?: { passes?: unknown } };
    try {
      mod = (await importUserModule(path)) as typeof mod;
    } catch (e) {
      throw new PassLoadError(`cannot load ${name}: ${(e as Error).message.split('\n')[0]}`);
    }
    const list = mod.default?.passes ?? [];
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw new PassLoadError(`${name}: 'passes' must be a list of file paths`);
    return list.map((p: string) => resolve(cwd, p));
  }
  return [];
}

/** Built-in passes plus the given ones; a name used twice is an error naming both. */
export function passRegistry(extra: readonly Pass[] = []): Map<string, Pass> {
  const m = new Map<string, Pass>();
  for (const p of [...BUILTIN_PASSES, ...extra]) {
    if (m.has(p.name) && m.get(p.name) !== p) throw new PassLoadError(`two passes are named '${p.name}'${BUILTIN_PASSES.includes(m.get(p.name)!) ? ' (one is built in)' : ''}`);
    m.set(p.name, p);
  }
  return m;
}
