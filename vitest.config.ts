import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Bounds, not targets (speed lives in bench/): the integration tests build plugins with real
    // toolchains beside a second worker doing the same on two cores, so a step can take minutes.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Integration tests start real registries and spawn builds; two cores, keep it calm.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
