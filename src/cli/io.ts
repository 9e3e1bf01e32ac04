// Reading a command's input file (or standard input) and writing its output, with one-line errors.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, type Io } from './command.js';

export function readInput(file: string, io: Io): string {
  if (file === '-') return io.readStdin();
  try {
    return io.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

export function writeOutput(file: string | undefined, text: string, io: Io): void {
  if (file === undefined || file === '-') {
    io.out(text);
    return;
  }
  try {
    writeFileSync(resolve(io.cwd, file), text);
  } catch (e) {
    throw new CliError(`cannot write '${file}': ${(e as Error).message}`);
  }
}

/** Writes a file whole or not at all (a temporary file beside it, renamed into place). */
export function writeFileWhole(file: string, data: Uint8Array | string, io: Io): void {
  const path = resolve(io.cwd, file), tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write '${file}': ${(e as Error).message}`);
  }
}

/**
 * Progress on standard error: on a terminal, `status` rewrites one line in place above which `log`
 * lines scroll; elsewhere there is no status line. `clear` removes the status line before the result.
 */
export function progress(io: Io): { log: (line: string) => void; status?: (line: string) => void; clear: () => void } {
  let shown = false;
  const clear = () => {
    if (shown) io.err('\r\x1b[K');
    shown = false;
  };
  const status = io.errIsTerminal ? (line: string) => { io.err(`\r\x1b[K${line.slice(0, (process.stderr.columns || 100) - 1)}`); shown = true; } : undefined;
  return { log: (line: string) => { clear(); io.err(`${line}\n`); }, ...(status ? { status } : {}), clear };
}
