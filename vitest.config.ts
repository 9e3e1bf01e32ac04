import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'passes/**/*.test.ts', 'targets/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 60_000,
    globalSetup: ['src/testing/build-setup.ts'],
  },
});
