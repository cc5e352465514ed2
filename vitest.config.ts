import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // `vitest bench` (never `vitest run`) runs the micro-benchmarks, once, in this project.
          benchmark: { include: ['bench/**/*.bench.ts'] },
          testTimeout: 10_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          benchmark: { include: [] },
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration files start servers and redis-server processes; two cores, so keep it modest.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
