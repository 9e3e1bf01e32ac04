// Tests' way to run the CLI in-process: main() with an Io that collects standard output and error.
import { readFileSync } from 'node:fs';
import type { Io } from '../cli/command.js';
import { main } from '../cli/main.js';

export async function runCli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), cwd: process.cwd(), readStdin: () => '', readFile: (p) => readFileSync(p, 'utf8') };
  const code = await main([...args], io);
  return { code, out, err };
}
