import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'passes/**/*.test.ts', 'targets/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 60_000,
    globalSetup: ['src/testing/build-setup.ts'],
    // An empty tuning database: a developer's own records (sparsec compile reads them) never change what tests see.
    env: { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'sparsec-test-cache-')) },
  },
});
