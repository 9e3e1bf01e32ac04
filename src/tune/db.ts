// The tuning database: JSON lines, one record per measured layer, keyed by what the measurement
// depends on: the op alone (kind, attributes, types and its constants' contents: a hash of its
// printed IR with weights summarised), the target, this machine, and the sparsec version with a hash
// of the kernel code (tuningVersion). Records
// are appended, so files from several machines or runs can be concatenated and shipped with a
// project; a lookup takes the newest exact match, and never another machine's unless asked.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Op } from '../ir/core.js';
import { printModule } from '../ir/printer.js';
import type { Format, Schedule } from '../lower/plan.js';
import { UserError } from '../util/errors.js';
import { isolate } from './isolate.js';

export interface TuneRecord {
  readonly v: 1;
  /** sha256 of the op alone, printed with its weights summarised (shape, nonzeros, content hash). */
  readonly signature: string;
  readonly op: string;
  readonly loc?: string;
  readonly target: string;
  readonly machine: string;
  readonly sparsec: string;
  readonly choice: { readonly kernel: string; readonly format: Format; readonly schedule: Schedule };
  readonly timeMs: number;
  readonly defaultMs: number;
  readonly noiseMs: number;
  readonly at: string;
}

/** CPU model and count, platform, and the JavaScript runtime: what kernel timings depend on. */
export function machineFingerprint(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? 'unknown CPU'} x${c.length}, ${process.platform}-${process.arch}, node ${process.version}`;
}

export function opSignature(op: Op): string {
  return createHash('sha256').update(printModule(isolate(op), { elideWeights: true, locations: false })).digest('hex');
}

/** The folders whose code decides how fast a choice runs: the kernel table, the wasm kernels and their renders, the WGSL renders. */
const KERNEL_CODE = ['../lower/kernels/', '../../targets/wasm/kernels/', '../../targets/wasm/lower/', '../../targets/wgsl/kernels/'];

let revision: string | undefined;

/**
 * The version records are keyed by: sparsec's version plus a hash of the kernel code (the same paths
 * from src/ and from the built dist/), so a kernel changed without a version bump does not reuse
 * timings measured on the old one.
 */
export function tuningVersion(version: string): string {
  if (revision === undefined) {
    const h = createHash('sha256');
    for (const rel of KERNEL_CODE) {
      const dir = new URL(rel, import.meta.url);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).filter((n) => /\.(ts|js)$/.test(n) && !/\.(test|d)\.[tj]s$/.test(n)).sort()) h.update(f).update(readFileSync(new URL(f, dir)));
    }
    revision = h.digest('hex').slice(0, 12);
  }
  return `${version}+${revision}`;
}

/** $XDG_CACHE_HOME/sparsec/tuning.jsonl (else ~/.cache/sparsec/tuning.jsonl). */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'sparsec', 'tuning.jsonl');
}

/** The records of a database file (none when it does not exist); a damaged line is one clear error. */
export function readDb(path: string): TuneRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').flatMap((line, i) => {
    if (!line.trim()) return [];
    let r: Partial<TuneRecord>;
    try {
      r = JSON.parse(line) as Partial<TuneRecord>;
    } catch (e) {
      throw new UserError(`${path}:${i + 1}: not a tuning record (${(e as Error).message})`);
    }
    if (r.v !== 1 || typeof r.signature !== 'string' || typeof r.machine !== 'string' || typeof r.choice?.kernel !== 'string') {
      throw new UserError(`${path}:${i + 1}: not a tuning record (needs v: 1, signature, machine, choice)`);
    }
    return [r as TuneRecord];
  });
}

/** Appends records, one line each (the folder is made when missing). */
export function appendRecords(path: string, records: readonly TuneRecord[]): void {
  if (!records.length) return;
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

export interface Lookup {
  readonly records: readonly TuneRecord[];
  readonly target: string;
  readonly machine: string;
  readonly sparsec: string;
  /** Accept records of other machines (newest first) when this one has none. */
  readonly anyMachine?: boolean;
}

/** The newest record for a signature: of this machine, else (when asked) of any. */
export function lookup(db: Lookup, signature: string): TuneRecord | undefined {
  const match = db.records.filter((r) => r.signature === signature && r.target === db.target && r.sparsec === db.sparsec);
  const newest = (rs: TuneRecord[]) => rs.reduce<TuneRecord | undefined>((a, r) => (!a || r.at > a.at ? r : a), undefined);
  return newest(match.filter((r) => r.machine === db.machine)) ?? (db.anyMachine ? newest(match) : undefined);
}
