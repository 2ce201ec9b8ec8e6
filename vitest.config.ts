import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Integration tests start real registries and spawn builds; two cores, keep it calm.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
