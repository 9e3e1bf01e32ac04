// vitest global setup: builds dist/ (incremental; a few seconds when nothing changed) so that the tests
// that run the `sparsec` command, which runs dist/, test the current sources.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url))], { stdio: 'inherit' });
}
